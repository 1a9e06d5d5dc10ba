"""Thread states sampled from the kernel during real runs: the GIL, a full machine, I/O."""

from __future__ import annotations

import itertools
import os
import threading
import time

import pytest

from coreography.engine.thread_states import (
    _FUTEX,
    StateSamplerThread,
    ThreadStateSampler,
    blocked_reason,
    clock_tick_ns,
    linux_available,
    thread_birth_ns,
)
from coreography.model.interference import measure_interference
from coreography.model.metrics import compute_metrics
from coreography.model.run import NO_TIME
from coreography.model.thread_states import ThreadState, lane_states

from .helpers import alive, experiment_pids, run_experiment

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not linux_available(), reason="the kernel's thread states are Linux's"),
]


def _worker_states(run):
    states = lane_states(run)
    assert states is not None, "the run has no thread states"
    lanes = [lane for lane in run.lanes if lane.role != "main" and len(lane.task_ids())]
    assert lanes, "no lane ran a task"
    return [(lane, states[lane.index]) for lane in lanes]


def _ran(run):
    assert run.state == "finished", run.message
    assert not alive(experiment_pids(run) - {0}), "processes outlived the run"
    assert run.thread_states.source == "linux"


def test_a_futex_is_a_lock_and_anything_else_is_io_or_sleep():
    assert blocked_reason(b"running\n") is None
    for futex in _FUTEX:
        assert blocked_reason(f"{futex} 0x1 0x2".encode()) == ThreadState.BLOCKED_LOCK
    assert blocked_reason(b"230 0x1 0x1") == ThreadState.BLOCKED_IO  # clock_nanosleep
    assert blocked_reason(b"-1 0x0") == ThreadState.BLOCKED_IO


def test_four_threads_of_cpu_work_take_turns_on_the_gil():
    run, _ = run_experiment(model="threads", workers=4, tasks=4, workload="cpu", size=300.0)
    _ran(run)
    lanes = _worker_states(run)
    assert len(lanes) == 4
    for lane, states in lanes:
        share = states.share(ThreadState.ON_CPU)
        assert share is not None and share <= 0.45, (lane.label, states)
        rest = states.task_sampled_s - states.seconds(ThreadState.ON_CPU)
        assert states.seconds(ThreadState.BLOCKED_LOCK) > rest / 2, (lane.label, states)
        # The sampler covered most of the task.
        busy = compute_metrics(run).lanes[lane.index].busy_s
        assert states.task_sampled_s > 0.8 * busy, (lane.label, states, busy)


def test_four_processes_on_two_cores_wait_for_a_core():
    if (os.cpu_count() or 1) > 2:
        pytest.skip("the machine has more than 2 cores: 4 workers need not wait")
    run, _ = run_experiment(model="pool-map", workers=4, tasks=8, workload="cpu", size=200.0)
    _ran(run)
    lanes = _worker_states(run)
    waited = [lane for lane, states in lanes if states.seconds(ThreadState.WAITING_FOR_CORE) > 0]
    assert len(waited) >= 2, [(lane.label, states) for lane, states in lanes]


def test_io_tasks_are_blocked_on_io_or_sleep():
    run, _ = run_experiment(model="pool-map", workers=2, tasks=4, workload="io", size=200.0)
    _ran(run)
    for lane, states in _worker_states(run):
        share = states.share(ThreadState.BLOCKED_IO)
        assert share is not None and share >= 0.8, (lane.label, states)


def test_two_processes_on_two_cores_stay_on_a_cpu_on_a_quiet_machine():
    run, _ = run_experiment(model="pool-map", workers=2, tasks=4, workload="cpu", size=250.0)
    _ran(run)
    found = measure_interference(run)
    if found is None or found.busy or found.others > 0.05:
        pytest.skip(f"other programs used the machine during the run ({found}): not quiet")
    for lane, states in _worker_states(run):
        share = states.share(ThreadState.ON_CPU)
        assert share is not None and share >= 0.7, (lane.label, states)


def test_a_thread_that_ends_is_dropped_and_its_files_closed():
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait, name="waits")
    worker.start()
    sampler = ThreadStateSampler()
    sampler.watch(1, os.getpid(), worker.native_id)
    sampler.sample()
    time.sleep(0.03)
    rows = sampler.sample()
    assert rows and all(row[0] == 1 for row in rows)
    waits = {ThreadState.BLOCKED_LOCK, ThreadState.WAITING_FOR_CORE, ThreadState.ON_CPU}
    assert {row[3] for row in rows} <= waits  # an Event's wait is a futex
    assert ThreadState.BLOCKED_LOCK in {row[3] for row in rows}
    stop.set()
    worker.join()
    time.sleep(0.01)
    sampler.sample()
    assert sampler.watching == 0
    sampler.close()


def test_the_state_rate_is_checked():
    with pytest.raises(ValueError, match="state sample rate"):
        StateSamplerThread(hz=1000.0)


def test_a_threads_birth_comes_from_the_kernel_on_the_run_clock():
    stop = threading.Event()
    before = time.perf_counter_ns()
    worker = threading.Thread(target=stop.wait, name="born")
    worker.start()
    after = time.perf_counter_ns()
    try:
        born = thread_birth_ns(os.getpid(), worker.native_id)
        # Rounded up to the clock tick: never before the thread existed, at most a tick late.
        assert before <= born <= after + clock_tick_ns(), (before, born, after)
        # The first readings cover the thread's life from its birth, without a gap (the
        # stretch before the first waits for a reason when the thread then ran).
        sampler = ThreadStateSampler()
        sampler.watch(1, os.getpid(), worker.native_id)
        rows = sampler.sample()
        time.sleep(0.01)
        now = time.perf_counter_ns()
        rows += sampler.sample(now)
        sampler.close()
    finally:
        stop.set()
        worker.join()
    assert rows and before <= rows[0][1] <= born
    assert all(a[2] == b[1] for a, b in itertools.pairwise(rows))
    assert rows[-1][2] == now


@pytest.mark.parametrize("model", ["pool-map", "threads"])
def test_each_lane_is_sampled_from_its_start(model):
    """The strip starts with the lane's life: its first interval begins no later than
    the lane's first instruction (plus the kernel's clock tick), never before the lane
    was asked for, and the intervals cover the lane without gaps from there on."""
    run, _ = run_experiment(model=model, workers=2, tasks=4, workload="cpu", size=60.0)
    _ran(run)
    tick = clock_tick_ns()
    checked = 0
    for lane in run.lanes:
        if lane.role == "main" or lane.ready_ns == NO_TIME:
            continue
        rows = run.thread_states.lane_rows(lane.index)
        assert len(rows), f"{lane.label} has no states"
        first = int(rows["start"][0])
        assert first <= lane.ready_ns + tick, (lane.label, (first - lane.ready_ns) / 1e6)
        assert first >= lane.requested_ns - 1_000_000, (lane.label, lane.requested_ns, first)
        assert (rows["start"][1:] == rows["end"][:-1]).all(), f"{lane.label}: gaps"
        checked += 1
    assert checked >= 2


def test_a_cluster_workers_lane_is_read_only_once_its_task_thread_is_known():
    """A Dask worker's main thread is its event loop, not the thread that runs its
    tasks: its lane is not read as the process's main thread while that thread is not
    known, and is read as that thread once it is."""
    from coreography.engine.thread_states import lanes_to_watch
    from coreography.model.run import Lane

    process = Lane(index=0, pid=100, thread=0, role="worker", label="Worker 1")
    thread = Lane(index=1, pid=100, thread=1, role="thread", label="Thread 1", native_id=101)
    cluster = Lane(
        index=2, pid=200, thread=0, role="worker", label="Dask worker 0", host="127.0.0.1"
    )
    assert lanes_to_watch([process, thread, cluster]) == [(0, 100, 100), (1, 100, 101)]
    cluster.native_id = 202
    assert lanes_to_watch([cluster]) == [(2, 200, 202)]
