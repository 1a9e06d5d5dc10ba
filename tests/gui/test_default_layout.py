"""The window's first layout gives each dock the room its content asks, at projector sizes."""

from __future__ import annotations

import pytest

from coreography.gui.app import create_app
from coreography.gui.main_window import MainWindow
from coreography.gui.parts import DockId


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_first_layout_shows_the_experiment_panel_whole_and_keeps_the_timeline_big(qtbot, size):
    create_app()
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(*size)
    win.show()
    qtbot.waitExposed(win)
    panel = win.experiment_panel
    experiment = win.dock(DockId.EXPERIMENT)
    qtbot.waitUntil(lambda: experiment.width() >= min(panel.sizeHint().width(), size[0] // 4))
    # Every field and button of the panel in view, without a sideways scroll.
    if panel.sizeHint().width() + 30 <= size[0] // 4:
        assert panel.width() >= panel.sizeHint().width()
    # The bottom row leaves the timeline most of the height; the console a third of it.
    cpu, console = win.dock(DockId.CPU), win.dock(DockId.CONSOLE)
    assert cpu.height() <= size[1] * 0.3 + 2
    assert console.width() >= size[0] // 4
    assert win.timeline.height() >= size[1] * 0.4
    win.close()
