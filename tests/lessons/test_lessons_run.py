"""Every lesson runs headless at test size, and what its captions claim holds in the run."""

from __future__ import annotations

import re

import numpy as np
import pytest

from coreography.engine.controller import RunController
from coreography.engine.sweep import Sweep
from coreography.lessons.registry import all_lessons, get_lesson
from coreography.model.diagnosis import diagnose
from coreography.model.metrics import compute_metrics
from coreography.model.run import FINISHED, Run
from coreography.model.scaling import fit_series, scaling_series

pytestmark = pytest.mark.slow


def run_lesson(lesson_id: str) -> dict[str, Run]:
    """Run a lesson's experiments (tiny) one after another; their runs by label."""
    runs = get_lesson(lesson_id).experiments("tiny")
    sweep = Sweep(
        [r.experiment for r in runs],
        [r.label for r in runs],
        controller=RunController(sample_hz=20),
    )
    points = sweep.run_all(timeout=120)
    assert [p.label for p in points] == [r.label for r in runs]
    for point in points:
        assert point.run.state == FINISHED, f"{point.label}: {point.run.message}"
        diagnose(point.run)  # every finding can be computed for every lesson
    return {p.label: p.run for p in points}


def quiet_or_skip(*runs: Run) -> None:
    """A real run's speed says something only when the machine was quiet: skip otherwise.

    Every run here is short, on a machine (CI: two cores) that other programs may load;
    the run's own interference measurement decides, not a guess.
    """
    for run in runs:
        metrics = compute_metrics(run)
        if metrics.machine_busy:
            share = f"{metrics.others_share:.0%}" if metrics.others_share is not None else "?"
            pytest.skip(f"other programs used {share} of the machine during the run")
        if metrics.others_share is None:
            pytest.skip("the run's interference was not measured (too few samples)")


def worker_pids(run: Run) -> set[int]:
    return {run.lanes[int(lane)].pid for lane in run.task_lane if lane >= 0}


def test_every_lesson_is_covered_here():
    tested = {name.removeprefix("test_lesson_").replace("_", "-") for name in globals()}
    assert {lesson.id for lesson in all_lessons()} <= tested


def test_lesson_one_process():
    (run,) = run_lesson("one-process").values()
    assert run.stdout_lines() == ["Worker process"]
    assert len(run.worker_lanes()) == 1
    assert run.worker_lanes()[0].pid != run.driver_pid  # a process of its own


def test_lesson_pool_of_squares():
    (run,) = run_lesson("pool-of-squares").values()
    assert run.results() == [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]
    assert run.result_text == "[0, 1, 4, 9, 16, 25, 36, 49, 64, 81]"
    # Chunks of one task (10 items / (4 x 4 workers), rounded up): every task on its own,
    # spread over the pool's four workers.
    lanes = run.worker_lanes()
    assert len(lanes) == 4
    assert sorted(np.concatenate([lane.task_ids() for lane in lanes]).tolist()) == list(range(10))


def test_lesson_four_processes():
    (run,) = run_lesson("four-processes").values()
    lines = run.stdout_lines()
    assert len(lines) == 4
    parsed = [re.fullmatch(r"Process ID: (\d+) - Number: (\d)", line) for line in lines]
    assert all(parsed)
    assert sorted(int(m.group(2)) for m in parsed) == [1, 2, 3, 4]
    assert len({m.group(1) for m in parsed}) == 4  # four separate processes


def test_lesson_threads_vs_processes_cpu():
    threads, processes = run_lesson("threads-vs-processes-cpu").values()
    # Threads: one process, which never used much more than one core.
    assert worker_pids(threads) == {threads.driver_pid}
    samples = threads.proc_samples.view()
    cpu = samples["cpu"][samples["pid"] == threads.driver_pid][1:]
    assert len(cpu) == 0 or cpu.max() < 130
    # Processes: the tasks ran in several processes, at the same time.
    assert len(worker_pids(processes)) >= 2
    assert threads.driver_pid not in worker_pids(processes)
    order = np.argsort(processes.task_start)
    starts, ends = processes.task_start[order], processes.task_end[order]
    assert np.any(starts[1:] < np.maximum.accumulate(ends)[:-1])  # overlapping tasks


def test_lesson_threads_vs_processes_io():
    threads, processes = run_lesson("threads-vs-processes-io").values()
    assert worker_pids(threads) == {threads.driver_pid}
    assert len(worker_pids(processes)) >= 2
    # Memory: the pool's workers are processes with their own RSS.
    rss_pids = set(processes.proc_samples.view()["pid"].tolist())
    assert processes.driver_pid in rss_pids
    # Sleeping tasks overlap: clearly sooner than one after another (a speed: only
    # when the machine was quiet).
    quiet_or_skip(threads, processes)
    for run in (threads, processes):
        metrics = compute_metrics(run)
        assert metrics.speedup is not None and metrics.speedup > 1.2


def test_lesson_scaling_amdahl():
    runs = run_lesson("scaling-amdahl")
    pairs = [(run.experiment.workers, run) for run in runs.values()]
    assert pairs[0][0] == 1
    series = scaling_series(pairs)
    assert len(series) == len(pairs)
    assert series[0].speedup == pytest.approx(1.0)
    fit = fit_series(series, cores=pairs[0][1].cores)
    assert fit is not None and 0.0 <= fit.serial_fraction <= 1.0
    oversubscribed = [r for r in runs.values() if r.experiment.workers > r.cores]
    for run in oversubscribed:
        assert "oversubscribed" in {f.id for f in diagnose(run)}


def test_lesson_chunksize():
    one, auto, large = run_lesson("chunksize").values()
    assert large.experiment.chunksize > auto.experiment.chunksize >= 0
    for run in (one, auto, large):
        assert run.results() == [i * i for i in range(run.n_tasks)]

    def blocks(run: Run) -> int:
        """Runs of consecutive task ids on the lanes: about one per chunk."""
        return sum(
            1 + int(np.count_nonzero(np.diff(lane.task_ids()) != 1))
            for lane in run.worker_lanes()
            if len(lane.task_ids())
        )

    size = large.experiment.chunksize
    assert blocks(large) <= -(-large.n_tasks // size) + len(large.worker_lanes())
    # (With chunksize 1 no count is certain: one early worker may take every tiny task.)


def test_lesson_load_imbalance():
    for label, run in run_lesson("load-imbalance").items():
        assert run.experiment.distribution == "straggler"
        straggler = int(np.argmax(run.experiment.task_sizes()))
        # The CPU each task used, not its duration: other programs can stretch a short
        # task's wall time, not the work it does.
        assert int(np.argmax(run.task_cpu)) == straggler, label


def test_lesson_start_methods():
    runs = run_lesson("start-methods")
    startups = {}
    for label, run in runs.items():
        assert run.experiment.start_method == label
        assert run.results() == [0, 1, 4, 9]
        startups[label] = compute_metrics(run).startup_mean_s
    assert all(value is not None for value in startups.values())
    if "fork" in startups and "spawn" in startups:
        # A fresh interpreter that imports the program again costs more than a copy
        # (a speed: only when the machine was quiet).
        quiet_or_skip(runs["fork"], runs["spawn"])
        assert startups["spawn"] > startups["fork"]


def test_lesson_queues():
    (run,) = run_lesson("queues").values()
    assert run.state == FINISHED, run.message
    arrows = run.messages.arrows()
    n, workers = run.n_tasks, run.experiment.workers
    assert len(arrows) == 2 * n + workers  # tasks and results, one sentinel per worker
    assert (arrows["to_lane"] >= 0).all()  # every message was taken


def test_lesson_locks_and_races():
    runs = run_lesson("locks-and-races")
    unlocked, locked = runs.values()
    expected = locked.n_tasks * 2000
    assert locked.logs[-1] == f"all {expected:,} increments counted"
    assert locked.stdout_lines() == [f"counter.value = {expected}"]
    expected = unlocked.n_tasks * 2000
    total = int(unlocked.stdout_lines()[0].removeprefix("counter.value = "))
    said = unlocked.logs[-1]
    assert said == f"all {expected:,} increments counted" or said.startswith(
        f"lost {expected - total:,} of {expected:,}"
    )


def test_lesson_sharing_big_data():
    from coreography.model.events import SENDING

    runs = run_lesson("sharing-big-data")
    pickled, shared = runs.values()
    assert pickled.stdout_lines() == shared.stdout_lines()  # the same sum: the same work
    for run, sendings in ((pickled, True), (shared, False)):
        waits = run.messages.waits()
        has = bool((waits["on"] == SENDING).any())
        assert has == sendings, run.experiment.model


def test_lesson_one_machine_is_not_enough():
    pytest.importorskip("distributed")
    runs = run_lesson("one-machine-is-not-enough")
    assert len(runs) == 4
    for label, run in runs.items():
        assert run.results() == [run.experiment.size] * run.n_tasks, label
        dask = run.experiment.execution_model.cluster
        labels = [lane.label for lane in run.worker_lanes()]
        assert len(labels) == 2, (label, labels)
        assert all(text.startswith("Dask worker ") == dask for text in labels), labels
