"""A 2,000-tick animation soak: no lost references to None, no Qt warning."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtWidgets import QApplication

from coreography.gui.app import create_app
from coreography.gui.main_window import MainWindow
from coreography.model.experiment import Experiment
from tests.gui.streaming import StreamingController

TICKS = 2000
#: PySide6 6.12.0 on CPython 3.11 loses ~200 references to None per pyqtgraph frame, so a
#: defective build falls by hundreds of thousands here; honest code moves by a few.
SLACK = 5000


@pytest.mark.slow
def test_two_thousand_animated_ticks_keep_none_alive(qtbot):
    create_app()
    window = MainWindow(StreamingController(workers=4, per_tick=5))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    run = window.presenter.start(Experiment(workers=4, tasks=100))
    window.presenter.timer.stop()  # the test is the clock: one tick, one frame
    painted = window.timeline.item.paints
    before = sys.getrefcount(None)
    for _ in range(TICKS):
        window.presenter.tick()
        QApplication.processEvents()  # what the event loop does: it paints the new frame
    after = sys.getrefcount(None)
    assert window.timeline.item.paints - painted >= TICKS  # every tick really drew a frame
    assert run.n_done == TICKS * 4 * 5
    assert window.timeline.index.bars == run.n_done
    assert len(window.console.source.rows) == run.n_done
    assert after >= before - SLACK, f"None lost {before - after} references in {TICKS} ticks"
    window.close()
    assert run.state == "stopped"
