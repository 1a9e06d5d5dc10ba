"""Presentation mode: everything larger, chrome hidden and restored, captions, pause/scrub."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication, QDockWidget

from coreography.gui.settings import DEFAULT_ZOOM
from coreography.lessons.registry import all_lessons
from coreography.model.experiment import Experiment
from tests.gui.conftest import start, wait_over


def _sizes(win) -> dict[str, float]:
    axis = win.cpu_view.plot.getAxis("bottom")
    return {
        "app font": QApplication.font().pointSizeF(),
        "label font": win.timeline.summary.font().pointSizeF(),
        "axis font": axis.style["tickFont"].pointSizeF(),
        "lane axis": win.timeline.lane_axis.fixedWidth,
        "utilization row": win.metrics.bars.ROW,
        "console font": win.console.text.font().pointSizeF(),
        "status-bar gaps": win.status.layout().spacing(),
    }


def test_presentation_scales_everything_and_hides_chrome(qtbot, window):
    window.desktop.set_theme("light")
    before = _sizes(window)
    experiment_dock = window.findChild(QDockWidget, "experiment")
    assert window.menuBar().isVisible() and experiment_dock.isVisible()

    window.desktop.presentation.set_active(True, full_screen=False)
    during = _sizes(window)
    for key, value in before.items():
        assert during[key] >= value * 1.4, (key, value, during[key])
    # The banner's figures stay apart by an em of their own, larger, font.
    em = window.status.elapsed.fontMetrics().horizontalAdvance("M")
    assert window.status.layout().spacing() >= em
    assert not window.menuBar().isVisible()
    assert window.statusBar().isVisible()  # the class's banner
    assert not experiment_dock.isVisible()
    assert window.timeline.isVisible()
    assert window.desktop.current_theme().name == "light"  # the teacher's own theme
    assert window.desktop.actions.presentation.isChecked()

    window.desktop.presentation.set_active(False)
    after = _sizes(window)
    assert after == before
    assert window.menuBar().isVisible() and window.statusBar().isVisible()
    assert experiment_dock.isVisible()
    assert window.desktop.current_theme().name == "light"


def test_full_screen_and_zoom_keys(qtbot, window):
    presentation = window.desktop.presentation
    qtbot.keyClick(window, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: presentation.active and window.isFullScreen())
    font = QApplication.font().pointSizeF()
    qtbot.keyClick(window, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert presentation.scale > DEFAULT_ZOOM
    assert QApplication.font().pointSizeF() > font
    qtbot.keyClick(window, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert presentation.scale < DEFAULT_ZOOM
    qtbot.keyClick(window, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert presentation.scale == DEFAULT_ZOOM
    qtbot.keyClick(window, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: not presentation.active and not window.isFullScreen())


def test_lesson_caption_is_shown_large_only_with_a_lesson(qtbot, window):
    caption = window.desktop.caption
    assert not caption.isVisible()
    lesson = all_lessons()[1]
    window.desktop.load_lesson(lesson)
    assert caption.isVisible() and lesson.captions[0] in caption.text()
    qtbot.keyClick(window, Qt.Key.Key_N)
    assert lesson.captions[1] in caption.text()
    window.desktop.presentation.set_active(True, full_screen=False)
    assert "font-size" in caption.styleSheet()
    window.desktop.presentation.set_active(False)
    caption.set_captions(())
    assert not caption.isVisible()


def test_slow_motion_sets_the_next_runs_speed(qtbot, window):
    window.experiment_panel.workload.setCurrentText("io")
    bar = window.desktop.playback
    assert bar.speed.currentIndex() == 0 and window.experiment_panel.experiment().speed == 1.0
    # The user's choice, from the keyboard: two steps down the closed list (×1, ×5, ×20).
    bar.speed.setFocus()
    qtbot.keyClick(bar.speed, Qt.Key.Key_Down)
    assert window.experiment_panel.experiment().speed == 5.0
    qtbot.keyClick(bar.speed, Qt.Key.Key_Down)
    assert window.experiment_panel.experiment().speed == 20.0
    window.experiment_panel.speed.setValue(5.0)
    assert bar.speed.currentData() == 5.0


@pytest.mark.slow
def test_pause_freezes_the_views_while_the_run_goes_on(qtbot, window):
    experiment = Experiment(model="pool-map", workers=2, tasks=16, workload="io", size=60.0)
    run = start(qtbot, window, experiment)
    qtbot.waitUntil(lambda: run.n_done >= 2, timeout=30_000)
    # A narrow view (10 ms wide), so that scrubbing has somewhere to go.
    window.timeline.follow.setChecked(False)
    now = window.timeline.item.now_s
    window.timeline.plot.setXRange(now - 0.01, now, padding=0.0)
    qtbot.keyClick(window, Qt.Key.Key_P)
    assert window.presenter.paused and window.desktop.freezer.paused
    frozen_bars = window.timeline.index.bars
    qtbot.waitUntil(lambda: run.n_done >= frozen_bars + 4 or run.is_over, timeout=30_000)
    assert window.timeline.index.bars == frozen_bars  # the view stayed put...
    assert run.n_done > frozen_bars  # ...while the model kept taking events in
    bar = window.desktop.playback
    assert bar.slider.isEnabled()
    assert bar.position.text().startswith("paused at ")
    paused_at = window.desktop.freezer.paused_at
    assert paused_at > 0.05  # two 60 ms tasks are over
    bar.slider.setValue(500)  # half way back through the paused history
    (x0, x1), _ = window.timeline.view_box.viewRange()
    assert x1 == pytest.approx(paused_at / 2, abs=1e-6)
    assert x1 - x0 == pytest.approx(0.01, rel=1e-3)  # the width the user chose
    assert bar.position.text() == f"at {paused_at / 2:.2f} s"
    qtbot.keyClick(window, Qt.Key.Key_P)
    assert not window.presenter.paused
    assert bar.position.text() == "live" and not bar.slider.isEnabled()
    wait_over(qtbot, window)
    qtbot.waitUntil(lambda: window.timeline.index.bars == 16)
    assert run.state == "finished"


@pytest.mark.slow
def test_scrubbing_back_shows_the_run_as_it_was_then(qtbot, window):
    experiment = Experiment(model="pool-map", workers=2, tasks=8, workload="io", size=60.0)
    run = start(qtbot, window, experiment)
    wait_over(qtbot, window)
    assert run.state == "finished", run.message
    timeline = window.timeline
    window.resize(1280, 720)
    qtbot.keyClick(window, Qt.Key.Key_P)
    freezer = window.desktop.freezer
    assert freezer.paused
    # The whole run in view, then the slider back to 40 % of it: the right half of the
    # view is later than the scrubbed time and must be empty.
    timeline.plot.setXRange(0.0, freezer.paused_at, padding=0.0)
    freezer._width = freezer.paused_at  # the width the view had when paused
    window.desktop.playback.slider.setValue(400)
    cut = timeline.item.cut_s
    assert cut == pytest.approx(0.4 * freezer.paused_at, rel=1e-3)
    later = [i for i in range(run.n_tasks) if (run.task_end[i] - run.t0) / 1e9 > cut]
    assert later, "some task ended after the scrubbed time"
    image = timeline.plot.grab().toImage()
    view = timeline.view_box
    left = view.mapViewToDevice(QPointF(cut, 0)).x()
    right = view.mapViewToDevice(QPointF(freezer.paused_at, 0)).x()
    colors = set()
    for lane in range(len(run.lanes)):
        y = int(view.mapViewToDevice(QPointF(0, lane + 0.5)).y())
        for x in range(int(left) + 4, int(right) - 2, 3):
            colors.add(image.pixelColor(x, y).rgb())
    assert len(colors) == 1, f"{len(colors)} colours drawn after the scrubbed time"
    # Left of it the bars are there.
    y = int(view.mapViewToDevice(QPointF(0, 1.5)).y())
    assert len({image.pixelColor(x, y).rgb() for x in range(0, int(left) - 4, 2)}) > 1
    qtbot.keyClick(window, Qt.Key.Key_P)  # resume: everything again
    assert timeline.item.cut_s is None
