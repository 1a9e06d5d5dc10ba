"""Frames of different processes arrive in any order; the run's picture must not depend
on it."""

from __future__ import annotations

from coreography.model.events import Kind
from coreography.model.run import Run

from .fakes import DRIVER, MS, FakeProcess, experiment


def test_start_up_is_measured_even_when_ready_arrives_before_requested():
    run = Run(experiment(model="pool-map", workers=2), cores=2, t0=0)
    run.set_driver(DRIVER)
    driver, worker = FakeProcess(DRIVER), FakeProcess(2001)
    driver.emit(Kind.RUN_STARTED, 1 * MS, value=6)
    driver.emit(Kind.WORKERS_REQUESTED, 2 * MS, value=2)
    worker.emit(Kind.WORKER_READY, 40 * MS, aux=2001)
    run.apply(worker.frames())  # the worker's frame first
    run.apply(driver.frames())
    lane = run.lane(2001)
    assert (lane.ready_ns - lane.requested_ns) == 38 * MS


def test_a_one_task_process_is_matched_to_its_own_request():
    run = Run(experiment(model="processes", tasks=2), cores=2, t0=0)
    run.set_driver(DRIVER)
    driver, first, second = FakeProcess(DRIVER), FakeProcess(3001), FakeProcess(3002)
    driver.emit(Kind.WORKERS_REQUESTED, 5 * MS, task=0, value=1)
    driver.emit(Kind.WORKERS_REQUESTED, 9 * MS, task=1, value=1)
    first.emit(Kind.WORKER_READY, 30 * MS, task=0, aux=3001)
    second.emit(Kind.WORKER_READY, 20 * MS, task=1, aux=3002)
    run.apply(second.frames() + first.frames() + driver.frames())
    assert run.lane(3001).requested_ns == 5 * MS
    assert run.lane(3002).requested_ns == 9 * MS
