"""The window's first layout gives each dock the room its content asks, at projector sizes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from coreography.gui.app import create_app
from coreography.gui.main_window import MainWindow
from coreography.gui.parts import DockId


def _laid_out(qtbot, size: tuple[int, int]) -> MainWindow:
    """A main window of ``size``, shown, its docks given their first sizes."""
    create_app()
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(*size)
    win.show()
    qtbot.waitExposed(win)
    panel, experiment = win.experiment_panel, win.dock(DockId.EXPERIMENT)
    qtbot.waitUntil(lambda: experiment.width() >= min(panel.sizeHint().width(), size[0] // 4))
    return win


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_first_layout_shows_the_experiment_panel_whole_and_keeps_the_timeline_big(qtbot, size):
    win = _laid_out(qtbot, size)
    panel = win.experiment_panel
    # Every field and button of the panel in view, without a sideways scroll.
    if panel.sizeHint().width() + 30 <= size[0] // 4:
        assert panel.width() >= panel.sizeHint().width()
    # The bottom row leaves the timeline most of the height; the console a third of it.
    cpu, console = win.dock(DockId.CPU), win.dock(DockId.CONSOLE)
    assert cpu.height() <= size[1] * 0.3 + 2
    assert console.width() >= size[0] // 4
    assert win.timeline.height() >= size[1] * 0.4
    win.close()


def test_presentation_docks_follow_a_resolution_change(qtbot):
    """Presentation on at 1920×1080, then the projector makes it 1280×720: the Metrics
    column shrinks with the window instead of keeping its 1920-wide size."""
    create_app()
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1920, 1080)
    win.show()
    qtbot.waitExposed(win)
    win.desktop.finish()
    win.desktop.presentation.set_active(True, full_screen=False)
    qtbot.wait(20)
    win.resize(1280, 720)
    qtbot.waitUntil(lambda: win.width() == 1280)
    metrics = win.dock(DockId.METRICS)
    qtbot.waitUntil(lambda: metrics.width() <= 1280 * 0.3 + 8)
    assert win.timeline.width() >= 1280 * 0.6
    win.close()


def test_the_first_paint_has_the_docks_at_their_sizes(qtbot):
    """The docks are fitted before the window is first painted: no second layout a moment
    after the window appears."""
    from PySide6.QtCore import QEvent, QObject

    create_app()
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1440, 900)
    row = [win.dock(d) for d in (DockId.EXPERIMENT, DockId.CPU, DockId.CONSOLE)]
    painted: list[tuple[int, int, int]] = []

    class FirstPaint(QObject):
        def eventFilter(self, watched, event):
            if event.type() == QEvent.Type.Paint and not painted:
                painted.append((row[0].width(), row[1].height(), row[2].width()))
            return False

    probe = FirstPaint()
    win.timeline.plot.viewport().installEventFilter(probe)
    win.show()
    qtbot.waitUntil(lambda: bool(painted))
    qtbot.wait(100)
    assert painted[0] == (row[0].width(), row[1].height(), row[2].width())
    assert row[2].width() >= 1440 // 4  # the console's third of the bottom row
    win.timeline.plot.viewport().removeEventFilter(probe)
    win.close()


@pytest.mark.parametrize("defer", [False, True])
def test_only_the_dock_groups_own_tab_bars_are_drawn(qtbot, defer):
    """Tabbing a third dock with two leaves Qt's bar of the two behind, drawn over the
    Cores plot; the window hides it before its first paint."""
    from PySide6.QtWidgets import QTabBar

    create_app()
    win = MainWindow(defer=defer)
    qtbot.addWidget(win)
    win.resize(1280, 720)
    win.show()
    qtbot.waitExposed(win)
    bars = [bar for bar in win.findChildren(QTabBar) if bar.parent() is win and bar.isVisible()]
    shown = [tuple(bar.tabText(i) for i in range(bar.count())) for bar in bars]
    assert sorted(shown) == [("Experiment", "Lessons"), ("Metrics", "History", "Findings")]
    win.close()


def _shown_tab_bars(win):
    from PySide6.QtWidgets import QTabBar

    bars = [bar for bar in win.findChildren(QTabBar) if bar.parent() is win and bar.isVisible()]
    return sorted(tuple(bar.tabText(i) for i in range(bar.count())) for bar in bars)


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_leaving_presentation_leaves_no_tab_bar_behind(qtbot, size):
    """Leaving presentation mode restores the layout it changed: only the two dock
    groups' tab bars are drawn (none of presentation mode's, with their larger
    letters, is left beside the timeline), and they still switch their docks."""
    win = _laid_out(qtbot, size)
    real = [("Experiment", "Lessons"), ("Metrics", "History", "Findings")]
    assert _shown_tab_bars(win) == real
    presentation = win.desktop.presentation
    for _ in range(2):
        presentation.set_active(True, full_screen=False)
        qtbot.wait(20)
        presentation.set_active(False)
        qtbot.waitUntil(lambda: _shown_tab_bars(win) == real)
    # The bar left is the live one: its History tab brings the History dock into view.
    from PySide6.QtWidgets import QTabBar

    bar = next(
        bar
        for bar in win.findChildren(QTabBar)
        if bar.parent() is win and bar.isVisible() and bar.tabText(0) == "Metrics"
    )
    history = win.dock(DockId.HISTORY)
    assert history.geometry().left() < 0  # tabbed away, out of sight
    bar.setCurrentIndex([bar.tabText(i) for i in range(bar.count())].index("History"))
    qtbot.waitUntil(lambda: history.geometry().left() >= 0)
    win.close()


def test_docks_the_user_moves_keep_their_tab_bars(qtbot):
    win = _laid_out(qtbot, (1280, 720))
    cores, console = win.dock(DockId.CORES), win.dock(DockId.CONSOLE)
    win.tabifyDockWidget(cores, console)  # as a drag onto the Cores dock does
    qtbot.waitUntil(lambda: ("Cores", "Console") in _shown_tab_bars(win))
    assert len(_shown_tab_bars(win)) == 3
    win.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, console)  # dragged out again
    qtbot.waitUntil(lambda: ("Cores", "Console") not in _shown_tab_bars(win))
    assert _shown_tab_bars(win) == [("Experiment", "Lessons"), ("Metrics", "History", "Findings")]
    win.close()


def test_side_docks_grow_back_when_the_window_does(qtbot):
    """Made narrow (half a screen), the window squeezes its side docks; maximized again,
    they get back the width their content asks instead of leaving it all to the
    timeline (the Experiment panel's fields cut, a sideways scroll bar)."""
    win = _laid_out(qtbot, (1440, 900))
    experiment, metrics = win.dock(DockId.EXPERIMENT), win.dock(DockId.METRICS)
    wide = (experiment.width(), metrics.width())
    win.resize(760, 600)
    qtbot.waitUntil(lambda: experiment.width() < wide[0] - 20)
    squeezed = experiment.width()
    win.resize(1920, 1080)
    qtbot.waitUntil(lambda: experiment.width() >= wide[0] - 4 and metrics.width() >= wide[1] - 4)
    assert experiment.width() > squeezed
    assert win.timeline.width() >= 1920 // 2
    # It only grows: a dock the user made wider than it asks stays as wide.
    win.resizeDocks([metrics], [420], Qt.Orientation.Horizontal)
    qtbot.waitUntil(lambda: metrics.width() >= 415)
    win.resize(1940, 1080)
    qtbot.wait(50)
    assert metrics.width() >= 415
    win.close()
