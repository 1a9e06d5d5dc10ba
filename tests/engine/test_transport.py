"""The clock, the accounting and the worker side's imports, measured for real."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time

import pytest

from coreography.engine import probe as probe_mod
from coreography.engine.probe import ProbeSpec
from coreography.model.accounting import Accounting
from coreography.model.events import RECORDS_PER_FRAME, Kind
from coreography.model.experiment import Experiment, Fault
from coreography.model.run import FINISHED, STOPPED, Run

from .helpers import run_experiment


def _stamp_forever(conn, count):
    for _ in range(count):
        conn.recv()
        conn.send(time.perf_counter_ns())


def test_clock_is_shared_between_processes():
    """Ping-pong stamps between two processes must come out in the order they happened."""
    ctx = multiprocessing.get_context("spawn")
    here, there = ctx.Pipe()
    child = ctx.Process(target=_stamp_forever, args=(there, 200))
    child.start()
    try:
        for _ in range(200):
            before = time.perf_counter_ns()
            here.send(None)
            theirs = here.recv()
            after = time.perf_counter_ns()
            assert before <= theirs <= after
    finally:
        child.join(5)
    assert child.exitcode == 0


@pytest.mark.slow
def test_a_clean_run_loses_none_of_over_100000_events():
    run, _ = run_experiment(
        model="pool-map",
        workers=2,
        tasks=60_000,
        workload="square",
        start_method="fork",
        timeout=120,
    )
    assert run.state == FINISHED
    received = run.events_received()
    assert received >= 2 * 60_000
    assert run.events_lost() == 0
    assert run.produced is not None and sum(run.produced.values()) == received
    assert run.n_done == 60_000
    assert run.results() == [i * i for i in range(60_000)]


@pytest.mark.slow
@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_killed_workers_loss_is_counted_exactly(method):
    """Events that never arrived are exactly those produced minus those received, per
    process, and every frame that did arrive is in sequence (no silent gaps)."""
    run, _ = run_experiment(
        model="pool-map",
        workers=2,
        tasks=4000,
        workload="square",
        chunksize=50,
        start_method=method,
        fault=Fault("kill", 2500),
    )
    assert run.produced is not None
    killed = run.lanes[int(run.task_lane[2500])]
    # The probe flushes before the deliberate kill: all the killed worker produced arrived.
    assert killed.pid in run.produced
    assert run.received[killed.pid] == run.produced[killed.pid]
    for pid, produced in run.produced.items():
        got = run.received.get(pid, 0)
        assert got <= produced
        # The last frame's own count is what arrived: no frame went missing in between.
        assert run.reported_sent.get(pid, 0) == got
    lost = run.lost_by_pid()
    assert run.events_lost() == sum(lost.values())
    if lost:  # survivors the pool's terminate() ended with events still buffered
        assert run.describe_loss().startswith(f"{sum(lost.values())} events lost (")
    else:
        assert run.describe_loss() == "no events lost"


def _produce_then_die(spec: ProbeSpec, flushed_frames: int, unsent: int) -> None:
    """A worker that sends whole frames, buffers ``unsent`` more events and is killed."""
    probe = probe_mod.Probe(spec)
    probe._stop.set()  # no flusher thread, and no flush by time: only full frames go
    probe._flusher.join()
    probe.last_flush = time.perf_counter_ns() + 10**15
    probe.emit(Kind.WORKER_READY, 0, -1, 0.0, probe.pid)
    for i in range(flushed_frames * RECORDS_PER_FRAME - 1 + unsent):
        probe.emit(Kind.TASK_STARTED, 0, i % 10)
    os.kill(os.getpid(), signal.SIGKILL)


def test_events_a_killed_process_never_sent_are_counted_as_lost():
    """The accounting in shared memory outlives the process: what it produced but never
    sent is exactly what the run reports lost, and from whom."""
    ctx = multiprocessing.get_context("spawn")
    reader, writer = ctx.Pipe(duplex=False)
    shared = ctx.RawArray("q", Accounting.words_for(4))
    spec = ProbeSpec(
        conn=writer,
        workload="square",
        calibration=None,
        shared=shared,
        next_slot=ctx.Value("i", 1),
    )
    child = ctx.Process(target=_produce_then_die, args=(spec, 3, 50))
    child.start()
    writer.close()
    frames = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if reader.poll(0.1):
                frames.append(reader.recv_bytes())
        except EOFError:  # the child is gone and so is the last writer
            break
    child.join(10)
    reader.close()
    assert child.exitcode == -signal.SIGKILL
    run = Run(Experiment(tasks=10), cores=1, t0=0)
    run.set_driver(1)
    run.apply(frames)
    run.finish(STOPPED, "stopped", time.perf_counter_ns(), Accounting(shared).produced())
    pid = child.pid
    assert len(frames) == 3
    assert run.received == {pid: 3 * RECORDS_PER_FRAME} == run.reported_sent
    assert run.produced == {pid: 3 * RECORDS_PER_FRAME + 50}
    assert run.lost_by_pid() == {pid: 50} and run.events_lost() == 50
    assert run.describe_loss() == f"50 events lost (50 from Worker 1 · PID {pid})"


def test_no_qt_module_in_driver_or_workers():
    """Even when the app itself has Qt loaded, the experiment's processes do not."""
    import PySide6.QtCore  # noqa: F401 - make the parent look like the app

    for method in ("spawn", "fork", "forkserver"):
        run, _ = run_experiment(
            model="pool-map", workers=2, tasks=4, workload="square", start_method=method
        )
        assert run.state == FINISHED
        reported = [lane for lane in run.lanes if lane.done_ns > 0]
        assert len(reported) == 3  # the driver and both workers said goodbye
        assert not any(lane.qt_loaded for lane in reported), method


@pytest.mark.slow
def test_events_reach_the_app_promptly():
    """Batching holds an event at most ~10 ms; the pipe and a poll add little."""
    from coreography.engine.controller import RunController
    from coreography.model.experiment import Experiment

    controller = RunController()
    run = controller.start(
        Experiment(
            model="pool-map", workers=2, tasks=40, workload="io", size=20, start_method="fork"
        )
    )
    lags = []
    while controller.running:
        controller.poll()
        if controller.lag_s is not None:
            lags.append(controller.lag_s)
        time.sleep(0.01)
    controller.shutdown()
    assert run.state == FINISHED
    assert lags
    lags.sort()
    assert lags[len(lags) // 2] < 0.25  # generous: the machine is shared and noisy
