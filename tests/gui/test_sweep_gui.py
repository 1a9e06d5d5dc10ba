"""Sweeps in the window: the chart's points and Amdahl fit; Stop keeps what was measured."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTimer

from coreography.lessons.registry import get_lesson
from coreography.model.experiment import Experiment
from coreography.model.history import History
from tests.gui.teaching_helpers import open_window, screenshot, wait_series

pytestmark = pytest.mark.slow

BASE = Experiment(model="pool-map", workers=1, tasks=4, workload="cpu", size=20.0)


@pytest.fixture
def win(qtbot, tmp_path):
    with History(tmp_path / "history.sqlite3") as history:
        window = open_window(qtbot, history)
        window.teaching.repeats = 1  # one run per point; repeats have tests of their own
        yield window
        window.close()


def test_three_point_sweep_draws_points_and_fit(qtbot, win, tmp_path):
    series = win.teaching.run_sweep("workers", [1, 2, 3], BASE)
    chart = win.teaching.sweep_chart
    assert win.teaching.tabs.currentWidget() is chart
    assert chart.stop_button.isEnabled()
    wait_series(qtbot, win)
    assert len(series.finished_points()) == 3
    xs, ys = chart.measured.getData()
    assert list(xs) == [1.0, 2.0, 3.0]
    assert ys[0] == pytest.approx(1.0)
    fit_x, fit_y = chart.fitted.getData()
    assert len(fit_x) > 10 and fit_y[0] == pytest.approx(1.0)
    assert chart.fit is not None
    assert "serial fraction" in chart.fit_label.text()
    assert len(chart.efficiency.getData()[0]) == 3
    assert not chart.stop_button.isEnabled()
    assert len(win.teaching.history) == 3
    qtbot.wait(50)
    screenshot(win, "sweep-chart.png", tmp_path)


def test_stop_midway_keeps_the_measured_points(qtbot, win):
    chart = win.teaching.sweep_chart
    started = []

    def on_started(run):
        started.append(run)
        if len(started) == 3:  # stop the third run as soon as it is under way
            QTimer.singleShot(0, chart.stop_button.click)

    win.presenter.sig_run_started.connect(on_started)
    series = win.teaching.run_sweep("workers", [1, 2, 3], BASE)
    wait_series(qtbot, win)
    assert series.stopped
    assert [p.run.state for p in series.points] == ["finished", "finished", "stopped"]
    xs, _ys = chart.measured.getData()
    assert list(xs) == [1.0, 2.0]
    assert chart.fit is not None
    assert "stopped: 2 of 3 points" in chart.heading.text()


def test_repeats_draw_medians_with_whiskers_and_the_fit_they_headline(qtbot, win, tmp_path):
    win.teaching.repeats = 2
    series = win.teaching.run_sweep("workers", [1, 2, 3], BASE)
    wait_series(qtbot, win)
    chart = win.teaching.sweep_chart
    assert len(series.points) == 6 and series.repeats == 2
    assert [p.repeat for p in series.points] == [1, 1, 1, 2, 2, 2]  # round by round
    assert len(win.teaching.history) == 6
    xs, ys = chart.measured.getData()
    assert list(xs) == [1.0, 2.0, 3.0]  # one mark per point: the median of its runs
    for point, y in zip(chart.series, ys, strict=True):
        assert point.repeats == 2 and point.low <= y <= point.high
    # The whiskers span each point's min-max.
    opts = chart.whiskers.opts
    assert list(opts["x"]) == [1.0, 2.0, 3.0]
    lows = [p.speedup - p.low for p in chart.series]
    highs = [p.high - p.speedup for p in chart.series]
    assert list(opts["bottom"]) == pytest.approx(lows) and list(opts["top"]) == pytest.approx(highs)
    # The headline's figure is the drawn curve's plateau.
    _fit_x, fit_y = chart.fitted.getData()
    assert f"levels off at {fit_y.max():.2f}×" in chart.fit_label.text()
    assert "median of 2 runs" in chart.fit_label.text()
    assert "3 of 3 points measured, 6 of 6 runs finished" in chart.heading.text()
    # The metrics panel shows the last run's speedup against the same measured baseline.
    last = chart.series[-1]
    shown = win.metrics.values["speedup"].text()
    busy = win.metrics.metrics.machine_busy  # then marked, and the tooltip says why first
    assert shown.endswith("vs 1 worker (unreliable)" if busy else "vs 1 worker")
    tip = win.metrics.values["speedup"].toolTip()
    assert tip.split("\n\n")[-1].startswith("vs one-worker run (measured")
    wall = win.metrics.metrics.wall_s
    baseline = series.summary()[0].baseline.seconds
    assert shown.startswith(f"{baseline / wall:.2f}×")
    assert last.low <= baseline / wall <= last.high
    screenshot(win, "sweep-chart-repeats.png", tmp_path)


def test_the_scaling_lesson_runs_its_sweep_into_the_chart(qtbot, win):
    lesson = get_lesson("scaling-amdahl")
    win.teaching.show_lessons(lesson.id)
    win.teaching.lesson_panel.run_button.click()
    wait_series(qtbot, win)
    expected = [run.experiment.workers for run in lesson.experiments("tiny")]
    assert len(expected) == 3
    xs, _ys = win.teaching.sweep_chart.measured.getData()
    assert list(xs) == [float(w) for w in expected]
    assert "serial fraction" in win.teaching.sweep_chart.fit_label.text()
    assert "Done: 3 of 3 runs" in win.teaching.lesson_panel.status.text()
