"""The clock, the accounting and the worker side's imports, measured for real."""

from __future__ import annotations

import multiprocessing
import time

import pytest

from coreography.model.experiment import Fault
from coreography.model.run import FINISHED

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
    for pid, produced in run.produced.items():
        got = run.received.get(pid, 0)
        assert got <= produced
        if pid in run.reported_sent:  # the last frame's own count matches what arrived
            assert run.reported_sent[pid] == got
    assert run.events_lost() == sum(run.produced.values()) - run.events_received()
    assert "lost" in run.describe_loss() or run.events_lost() == 0


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
