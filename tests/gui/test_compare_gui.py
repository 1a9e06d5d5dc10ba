"""Comparing runs: two timelines stacked on one time axis, metrics side by side; history."""

from __future__ import annotations

import pytest

from coreography.gui.widgets.metrics_panel import FIELDS, format_value, metric
from coreography.model.diagnosis import diagnose
from coreography.model.experiment import Experiment
from coreography.model.history import History
from coreography.model.metrics import compute_metrics
from tests.gui.conftest import start, wait_over
from tests.gui.teaching_helpers import open_window, screenshot

pytestmark = pytest.mark.slow

POOL = Experiment(model="pool-map", workers=2, tasks=6, workload="square", size=0.0)
PROCESSES = Experiment(model="processes", tasks=3, workload="hello", size=0.0)


def _run(qtbot, win, experiment):
    run = start(qtbot, win, experiment)
    wait_over(qtbot, win)
    assert run.state == "finished", run.message
    return run


def _check_comparison(view, runs) -> None:
    for column, (timeline, run) in enumerate(zip(view.timelines, runs, strict=True)):
        assert len(timeline.index.lanes) == len(run.lanes)
        assert timeline.index.bars == run.n_tasks
        metrics = compute_metrics(run)
        for name, _label, _tip in FIELDS:
            assert view.value(column, name) == format_value(name, metric(metrics, name))
        assert view.value(column, "repeats") == "1 of 1"
        # Different work: each run against its own estimate, said in the row's header.
        assert view.value(column, "baseline") == "estimate"


def test_compare_two_runs_from_the_history(qtbot, tmp_path):
    path = tmp_path / "history.sqlite3"
    with History(path) as history:
        win = open_window(qtbot, history)
        first = _run(qtbot, win, POOL)
        second = _run(qtbot, win, PROCESSES)
        panel = win.teaching.history_panel
        assert panel.tree.topLevelItemCount() == 2
        ids = [entry.id for entry in history.list()]
        panel.select_ids(ids)
        assert panel.compare_button.isEnabled()
        qtbot.mouseClick(panel.compare_button, _left())

        view = win.teaching.compare_view
        assert win.teaching.tabs.currentWidget() is view
        assert view.runs == (first, second)  # oldest first
        _check_comparison(view, (first, second))
        assert len(first.worker_lanes()) == 2 and len(second.worker_lanes()) == 3
        # One time axis: the lower timeline follows the upper one.
        view.timelines[0].plot.setXRange(0.0, 0.123, padding=0.0)
        qtbot.waitUntil(
            lambda: abs(view.timelines[1].view_box.viewRange()[0][1] - 0.123) < 1e-6,
            timeout=2000,
        )
        view.timelines[0].fit_all()
        qtbot.wait(50)
        screenshot(win, "compare-runs.png", tmp_path)
        win.close()

    # A new window over the same file finds both runs and compares them from disk.
    with History(path) as history:
        again = open_window(qtbot, history)
        panel = again.teaching.history_panel
        assert panel.tree.topLevelItemCount() == 2
        panel.select_ids([entry.id for entry in history.list()])
        qtbot.mouseClick(panel.compare_button, _left())
        view = again.teaching.compare_view
        assert view.runs is not None
        assert [run.experiment for run in view.runs] == [first.experiment, second.experiment]
        _check_comparison(view, view.runs)
        again.close()


def test_findings_follow_each_run(qtbot, tmp_path):
    with History(tmp_path / "history.sqlite3") as history:
        win = open_window(qtbot, history)
        run = _run(qtbot, win, PROCESSES)
        expected = diagnose(run)
        view = win.teaching.findings
        assert view.findings == expected
        text = view.plain_text()
        for finding in expected:
            assert finding.text in text
        if not expected:
            assert "Nothing stands out" in text
        win.close()


def _left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton
