"""A Dask task's phases besides its compute, as Dask reports them (``startstops``): on a
real LocalCluster, a task that needs another worker's result has its transfer drawn on
its own lane, before its bar, through the real plugin, topic and forwarder."""

from __future__ import annotations

import multiprocessing
import threading
import time
import uuid

import numpy as np
import psutil
import pytest

from coreography.model.events import TRANSFER
from coreography.model.experiment import Experiment
from coreography.model.run import DONE, Run

pytest.importorskip("distributed")
pytestmark = pytest.mark.slow

#: Big enough that fetching it takes a while, small enough for a busy 2-core machine.
INPUT_MB = 24


def _make_input(size_mb: int) -> bytes:
    return bytes(size_mb * 2**20)


def _children() -> set[int]:
    """This process's children, less multiprocessing's resource tracker (it serves the
    test process for its whole life)."""
    out = set()
    for proc in psutil.Process().children(recursive=True):
        try:
            if "resource_tracker" not in " ".join(proc.cmdline()):
                out.add(proc.pid)
        except psutil.Error:
            pass
    return out


def _scenario(writer) -> None:
    """In a process of its own (so that nothing of Dask's stays in the test's): a
    LocalCluster of two workers, the run's plugin and topic, and task 1 that needs task
    0's result from the other worker; every frame the forwarder makes goes to ``writer``."""
    from distributed import Client, LocalCluster

    from coreography.engine import dask_worker
    from coreography.engine.backends.dask import Forwarder

    run_id = uuid.uuid4().hex[:12]
    topic = f"coreography-{run_id}"
    shift = time.perf_counter_ns() - time.time_ns()
    forwarder = Forwarder(writer, None, shift, shift, print)
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            scheduler_port=0,
        ) as cluster,
        Client(cluster) as client,
    ):
        client.subscribe_topic(topic, forwarder)
        deadline = time.monotonic() + 30
        while not forwarder.subscribed.is_set() and time.monotonic() < deadline:
            client.log_event(topic, {"ping": 1})
            forwarder.subscribed.wait(0.2)
        config = dask_worker.TaskConfig(run_id, "custom", None, code=_IDENTITY)
        answers = client.register_plugin(dask_worker.Observer(config, topic))
        forwarder.release_hellos(set(answers), 30)  # as the run's session does
        first, second = sorted(client.scheduler_info()["workers"])
        keys = dask_worker.task_keys(run_id, [0, 1])
        data = client.submit(_make_input, INPUT_MB, key="input", workers=[first], pure=False)
        made = client.submit(dask_worker.run_task, run_id, 0, data, key=keys[0], workers=[first])
        # Task 1 needs task 0's result, which lives on the other worker.
        needs = client.submit(
            dask_worker.run_task, run_id, 1, made, key=keys[1], workers=[second], pure=False
        )
        assert len(needs.result(timeout=120)) == INPUT_MB * 2**20
        counts = client.run(dask_worker.flush, run_id=run_id)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(
            w.batches < counts.get(address, 0) for address, w in forwarder.workers.items()
        ):
            time.sleep(0.05)
        for worker in list(forwarder.workers.values()):
            forwarder.done(worker, time.perf_counter_ns())
        client.unsubscribe_topic(topic)
    writer.close()


def test_a_task_that_needs_another_workers_result_shows_the_transfer_before_its_bar():
    before = _children()
    reader, writer = multiprocessing.Pipe(duplex=False)
    child = multiprocessing.get_context("spawn").Process(target=_scenario, args=(writer,))
    child.start()
    writer.close()
    frames: list[bytes] = []
    reading = threading.Thread(target=_drain, args=(reader, frames))
    reading.start()
    child.join(180)
    reading.join(30)
    reader.close()
    assert child.exitcode == 0, "the cluster's part failed (see its output)"

    run = Run(Experiment(model="dask-map", tasks=2), cores=2, t0=time.perf_counter_ns() - 10**11)
    run.apply(frames)
    assert (run.task_status == DONE).all(), (run.task_status, run.task_errors, run.logs)
    phases = run.messages.task_phases()
    transfers = phases[(phases["on"] == TRANSFER) & (phases["channel"] == 1)]
    assert len(transfers) == 1, phases
    span = transfers[0]
    lane_1, lane_0 = int(run.task_lane[1]), int(run.task_lane[0])
    assert run.lanes[lane_1].pid != run.lanes[lane_0].pid  # two workers
    assert int(span["lane"]) == lane_1  # on the lane of the task that needed it
    assert span["end"] > span["start"]
    # After task 0 made its result, before task 1 began (Dask's clock estimate between
    # worker and scheduler is allowed its few milliseconds).
    slack = 20_000_000
    assert span["start"] >= run.task_end[0] - slack
    assert span["end"] <= run.task_start[1] + slack
    # Not a channel's wait: no queue, pipe or lock appears in the channel statistics.
    assert run.messages.channel_stats() == []
    assert np.all(run.messages.channel_waits()["on"] != TRANSFER)
    deadline = time.monotonic() + 30
    while _children() - before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not (_children() - before), "the LocalCluster left a process"


#: The user's task: give back what it was given (task 1 gets task 0's bytes).
_IDENTITY = "def task(x):\n    return x\n"


def _drain(reader, frames: list[bytes]) -> None:
    while True:
        try:
            frames.append(reader.recv_bytes())
        except EOFError:
            return
