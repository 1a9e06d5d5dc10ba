"""Thread states in the run model: totals over tasks, recordings, summaries, traces."""

from __future__ import annotations

import json

import numpy as np
import pytest

from coreography.model.export import chrome_trace
from coreography.model.metrics import compute_metrics, format_table
from coreography.model.recording import load_run, save_run
from coreography.model.summary_json import SCHEMA, state_table, summary_dict
from coreography.model.thread_states import StateTable, ThreadState, lane_states, task_coverage

from .fakes import MS, thread_run

ON, WAIT, LOCK, IO = (
    ThreadState.ON_CPU,
    ThreadState.WAITING_FOR_CORE,
    ThreadState.BLOCKED_LOCK,
    ThreadState.BLOCKED_IO,
)


def _with_states() -> object:
    """Lane 1 ran tasks 0 (5-15 ms) and 2 (15-25 ms): 2 ms before them, 20 ms inside."""
    run = thread_run()
    t0 = run.t0
    rows = [
        (1, t0 + 3 * MS, t0 + 5 * MS, LOCK),  # before its first task: not task time
        (1, t0 + 5 * MS, t0 + 9 * MS, ON),
        (1, t0 + 9 * MS, t0 + 13 * MS, WAIT),
        (1, t0 + 13 * MS, t0 + 20 * MS, LOCK),
        (1, t0 + 20 * MS, t0 + 25 * MS, IO),
    ]
    run.thread_states.source = "linux"
    run.apply([], [], rows)
    return run


def test_states_inside_tasks_are_told_from_those_outside():
    run = _with_states()
    states = lane_states(run)
    mine = states[1]
    assert mine.in_tasks[ON] == pytest.approx(0.004)
    assert mine.in_tasks[WAIT] == pytest.approx(0.004)
    assert mine.in_tasks[LOCK] == pytest.approx(0.007)
    assert mine.in_tasks[IO] == pytest.approx(0.005)
    assert mine.sampled[LOCK] == pytest.approx(0.009)
    assert mine.share(ON) == pytest.approx(0.2)
    assert states[2].share(ON) is None  # nothing sampled on lane 2


def test_contiguous_rows_of_one_state_merge():
    table = StateTable()
    table.extend([(0, 0, 10, ON), (0, 10, 20, ON), (1, 10, 20, ON), (0, 20, 30, LOCK)])
    assert len(table) == 3
    assert table.lane_rows(0)["end"].tolist() == [20, 30]


def test_coverage_counts_task_time_before_each_moment():
    starts, ends = np.array([10, 30]), np.array([20, 40])
    got = task_coverage(starts, ends, np.array([0, 15, 25, 35, 50]))
    assert got.tolist() == [0, 5, 10, 15, 20]


def test_a_recording_keeps_the_states_and_leaves_them_out_when_none(tmp_path):
    run = _with_states()
    path = tmp_path / "run.coreo.json"
    save_run(run, path)
    back = load_run(path)
    assert back.thread_states.source == "linux"
    assert back.thread_states.view().tolist() == run.thread_states.view().tolist()
    plain = thread_run()
    save_run(plain, path)
    assert "thread_states" not in json.loads(path.read_text())
    assert lane_states(load_run(path)) is None


def test_summary_json_and_table_give_per_lane_seconds():
    run = _with_states()
    data = json.loads(json.dumps(summary_dict(run), allow_nan=False))
    assert data["schema"] == SCHEMA
    lane = data["lanes"][1]
    assert lane["on_cpu_s"] == pytest.approx(0.004)
    assert lane["waiting_for_core_s"] == pytest.approx(0.004)
    assert lane["blocked_lock_s"] == pytest.approx(0.007)
    assert lane["blocked_io_s"] == pytest.approx(0.005)
    assert lane["tid"] == 50_001 and lane["tasks"] == 2
    assert data["lanes"][2]["on_cpu_s"] == 0.0
    assert summary_dict(thread_run())["lanes"][1]["on_cpu_s"] is None
    table = state_table(run)
    assert "Thread 1" in table and "0.004 s" in table and "Thread 2" not in table
    metrics = compute_metrics(run)
    assert metrics.lanes[1].on_cpu_share == pytest.approx(0.2)
    assert "On CPU" in format_table(metrics)


def test_chrome_trace_draws_states_on_a_track_beside_the_thread():
    events = chrome_trace(_with_states())["traceEvents"]
    slices = [e for e in events if e.get("cat") == "thread_state"]
    assert [e["name"] for e in slices] == [
        "blocked: GIL or lock",
        "on a CPU",
        "ready, no free core",
        "blocked: GIL or lock",
        "blocked: I/O or sleep",
    ]
    assert slices[1]["dur"] == pytest.approx(4000.0)
    names = [e["args"]["name"] for e in events if e.get("name") == "thread_name"]
    assert sum(n.endswith(" · state") for n in names) == 1


def test_findings_name_the_gil_and_the_wait_for_a_core():
    from coreography.model.diagnosis import diagnose
    from coreography.model.experiment import Experiment
    from coreography.model.run import Run

    def with_rows(model: str, state_of_rest: ThreadState) -> Run:
        base = thread_run()
        run = Run(
            Experiment(model=model, workers=2, tasks=4, workload="cpu", size=10.0), cores=2, t0=0
        )
        run.__dict__.update({k: v for k, v in base.__dict__.items() if k != "experiment"})
        rows = []
        for lane in (1, 2):
            tasks = run.lanes[lane].task_ids()
            start, end = int(run.task_start[tasks].min()), int(run.task_end[tasks].max())
            cut = start + (end - start) // 5
            rows += [(lane, start, cut, ON), (lane, cut, end, state_of_rest)]
        run.apply([], [], rows)
        return run

    gil = {f.id: f.text for f in diagnose(with_rows("thread-pool", LOCK))}
    assert gil["gil-states"].startswith(
        "Each of the 2 threads was on a CPU 20% of its task time; the rest it waited for the GIL"
    )
    processes = with_rows("pool-map", WAIT)
    processes.lanes[1].role = processes.lanes[2].role = "worker"
    cores = {f.id: f.text for f in diagnose(processes)}
    assert cores["core-waits"].startswith("2 workers on 2 cores: each waited for a free core 80%")
