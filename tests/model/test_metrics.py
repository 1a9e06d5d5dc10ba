"""Metrics from synthetic runs: wall, CPU, sequential estimate, per-lane busy and idle."""

from __future__ import annotations

import time

import pytest

from coreography.model.metrics import compute_metrics, format_table
from coreography.model.run import FINISHED, NO_TIME, Run
from tests.model.fakes import MS, big_run, experiment, full_run, thread_run


def test_whole_run_figures():
    m = compute_metrics(full_run())
    assert m.state == FINISHED
    assert m.wall_s == pytest.approx(0.035)  # run started at 1 ms, finished at 36 ms
    assert m.cpu_s == pytest.approx(0.25 + 0.375)  # what each worker said at goodbye
    # CPU tasks: one worker alone would spend the 4 ms of CPU each of the 5 done used
    # (not their nominal 5 ms: that is only what the calibration aimed at).
    assert m.sequential_s == pytest.approx(5 * 0.004)
    assert m.speedup == pytest.approx(0.020 / 0.035)
    assert m.efficiency == pytest.approx(0.020 / 0.035 / 2)
    assert m.startup_mean_s == pytest.approx(0.0045)  # requested at 2 ms, ready at 6 and 7
    assert m.startup_max_s == pytest.approx(0.005)
    assert (m.tasks_done, m.tasks_failed, m.tasks_total) == (5, 1, 6)
    assert (m.events_received, m.events_expected, m.events_lost) == (29, 29, 0)
    assert m.lost == "no events lost"


def test_lane_figures():
    main, first, second = compute_metrics(full_run()).lanes
    assert (main.role, main.tasks, main.busy_s, main.startup_s) == ("main", 0, 0.0, None)
    assert first.label == "Worker 1 · PID 2001" and first.pid == 2001
    assert first.tasks == 3 and first.busy_s == pytest.approx(0.015)
    # Life: ready at 6 ms, goodbye at 30 ms.
    assert first.idle_s == pytest.approx(0.024 - 0.015)
    assert first.utilization == pytest.approx(0.015 / 0.024)
    assert first.startup_s == pytest.approx(0.004)
    assert (first.cpu_s, second.cpu_s) == (0.25, 0.375)


def test_a_running_run_counts_open_tasks_up_to_now():
    run = full_run(finish=False)
    now = run.last_time()
    m = compute_metrics(run)
    assert m.wall_s == pytest.approx((now - run.run_started_ns) / 1e9)
    second = m.lanes[2]
    # Task 5 started at 22 ms and is still running at "now".
    assert second.busy_s == pytest.approx(0.010 + (now - run.t0 - 22 * MS) / 1e9)
    # No goodbye yet: a lane's CPU is what its finished tasks used; the run's total is
    # what the sampler saw each process use (3 intervals of 10 ms at 99 % and 98.5 %),
    # never the 0 of a run whose workers have not said goodbye.
    assert m.lanes[1].cpu_s == pytest.approx(0.012)
    assert m.cpu_s == pytest.approx(0.03 * 0.99 + 0.03 * 0.985)
    assert m.events_expected is None and m.events_lost is None


def test_untimed_workloads_are_estimated_from_task_cpu_or_duration():
    run = full_run()
    run.experiment = run.experiment.replace(workload="primes", size=1000.0)
    assert compute_metrics(run).sequential_s == pytest.approx(5 * 0.004)  # CPU of each
    run.task_cpu[:] = NO_TIME  # not measured: each task is charged its duration
    assert compute_metrics(run).sequential_s == pytest.approx(5 * 0.005)


def test_threads_share_their_process_cpu_and_io_counts_durations():
    m = compute_metrics(thread_run())
    assert m.cpu_s == pytest.approx(0.125)  # the driver's own figure, not added to threads'
    assert m.sequential_s == pytest.approx(4 * 0.010)  # io: four nominal 10 ms sleeps
    assert [lane.role for lane in m.lanes] == ["main", "thread", "thread"]
    assert [lane.tasks for lane in m.lanes] == [0, 2, 2]
    assert m.lanes[1].cpu_s is None  # the probe does not measure each task's CPU


def test_efficiency_stays_within_zero_and_one():
    run = full_run()
    run.run_finished_ns = run.run_started_ns + MS  # an impossible 20x speedup on 2 workers
    m = compute_metrics(run)
    assert m.speedup == pytest.approx(20)
    assert m.efficiency == 1.0


def test_a_run_that_did_nothing_has_no_speedup():
    run = Run(experiment(), cores=2, t0=0)
    m = compute_metrics(run)
    assert (m.wall_s, m.cpu_s, m.sequential_s, m.speedup, m.efficiency) == (0, None, 0, None, None)
    assert m.startup_mean_s is None and m.lanes == ()
    assert "Wall time" in format_table(m)


def test_the_table_shows_every_figure():
    m = compute_metrics(full_run())
    table = format_table(m)
    for expected in (
        "Wall time",
        "0.035 s",
        "CPU time",
        "0.625 s",
        "Speedup",
        f"{m.speedup:.2f}×",
        "vs sequential estimate",
        "Efficiency",
        f"{m.efficiency:.0%}",
        "Worker start-up",
        "mean 4.5 ms, max 5.0 ms",
        "5 done, 1 failed, of 6",
        "29 received of 29 expected; no events lost",
        "Worker 2 · PID 2002",
        "Busy",
        "Idle",
        "Util",
        "62%",
    ):
        assert expected in table, expected
    assert all(len(line) <= 100 for line in table.splitlines())


def test_a_million_tasks_take_milliseconds():
    run = big_run(1_000_000)
    compute_metrics(run)
    # This process's CPU time, not the wall clock: other programs on a busy machine
    # lengthen the second, not the first.
    began = time.process_time()
    m = compute_metrics(run)
    elapsed = time.process_time() - began
    assert m.tasks_done == 1_000_000 and sum(lane.tasks for lane in m.lanes) == 1_000_000
    # 4 workers back to back, each task on CPU for half its time: 4 x 0.5.
    assert m.speedup == pytest.approx(2.0, rel=1e-3)
    assert elapsed < 0.5, elapsed  # ~20 ms of CPU here
