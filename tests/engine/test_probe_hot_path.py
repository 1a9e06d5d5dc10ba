"""The probe's hot path: no event lost, the probe's own time outside the task's bar, and
records sent while the worker runs or before it waits."""

from __future__ import annotations

import multiprocessing
import statistics
import time

import numpy as np

from coreography.engine import probe as probe_mod
from coreography.engine.probe import SLOT_FIELDS, ProbeSpec
from coreography.engine.worker_watch import WatchedPool
from coreography.model import wire
from coreography.model.accounting import Accounting
from coreography.model.events import FrameType, Kind


def _drain(reader, seconds: float = 0.3) -> list[bytes]:
    frames = []
    while reader.poll(seconds):
        frames.append(reader.recv_bytes())
    return frames


def _records(frames: list[bytes]) -> np.ndarray:
    binary = [f for f in frames if wire.read_header(f).frame_type == FrameType.BINARY]
    return np.concatenate([wire.read_records(f) for f in binary])


def _square(x):
    return x * x


def _square_then_print(x):
    if x % 97 == 0:
        print("line", x)
    if x % 89 == 0:
        return {"not": "a number"}
    return x * x


def _probed_tasks(spec: ProbeSpec, tasks: int, out) -> None:
    """A worker: many short tasks (some print, some return text), then goodbye."""
    probe = probe_mod.install(spec)
    probe.task_fn = _square_then_print
    for i in range(tasks):
        probe.run_task(i, i)
    probe_mod.shutdown()
    out.send((probe.produced, probe.sent))


def test_every_event_a_worker_produces_arrives_and_is_counted():
    ctx = multiprocessing.get_context("fork")
    reader, writer = ctx.Pipe(duplex=False)
    shared = ctx.RawArray("q", Accounting.words_for(4))
    spec = ProbeSpec(
        conn=writer,
        workload="square",
        calibration=None,
        shared=shared,
        next_slot=ctx.Value("i", 1),
    )
    here, there = ctx.Pipe(duplex=False)
    tasks = 30_000
    child = ctx.Process(target=_probed_tasks, args=(spec, tasks, there))
    child.start()
    writer.close()
    frames = []
    while True:
        try:
            frames.append(reader.recv_bytes())
        except EOFError:
            break
    assert here.poll(60), "the worker did not report"
    produced, sent = here.recv()
    child.join(10)
    assert child.exitcode == 0
    records = _records(frames)
    texts = sum(
        len(wire.read_texts(f)) for f in frames if wire.read_header(f).frame_type == FrameType.TEXT
    )
    assert len(records) + texts == produced == sent
    assert Accounting(shared).produced() == {child.pid: produced}
    assert wire.read_header(frames[-1]).sent <= sent
    assert max(wire.read_header(f).sent for f in frames) == sent
    for kind in (Kind.TASK_STARTED, Kind.TASK_FINISHED):
        tasks_seen = np.sort(records["task"][records["kind"] == kind])
        assert np.array_equal(tasks_seen, np.arange(tasks)), kind
    starts = records[records["kind"] == Kind.TASK_STARTED]
    ends = records[records["kind"] == Kind.TASK_FINISHED]
    starts, ends = starts[np.argsort(starts["task"])], ends[np.argsort(ends["task"])]
    assert np.all(ends["t"] >= starts["t"])
    assert texts == len(range(0, tasks, 97)) + len(range(0, tasks, 89))


def _bars_and_bare(spec: ProbeSpec, tasks: int, out) -> None:
    """Probed x*x tasks and the same call timed by two bare clock reads, alternating."""
    probe = probe_mod.install(spec)
    now = time.perf_counter_ns
    bare, cost = [], []
    for block in range(10):
        t = now()
        for i in range(tasks):
            _square(i)
        plain = now() - t
        t = now()
        for i in range(block * tasks, (block + 1) * tasks):
            probe.run_task(i, i)
        cost.append((now() - t - plain) / tasks)
        for i in range(tasks):
            t = now()
            _square(i)
            bare.append(now() - t)
    probe_mod.shutdown()
    out.send((statistics.median(bare), statistics.median(cost), getattr(probe, "inner_ns", 0)))


def test_a_near_empty_tasks_bar_leaves_the_probe_out():
    """The bar of ``x * x`` is what timing the call itself shows, far shorter than what
    the probe costs the task."""
    ctx = multiprocessing.get_context("fork")
    reader, writer = ctx.Pipe(duplex=False)
    spec = ProbeSpec(
        conn=writer,
        workload="square",
        calibration=None,
        shared=ctx.RawArray("q", 4 * SLOT_FIELDS),
        next_slot=ctx.Value("i", 1),
    )
    here, there = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_bars_and_bare, args=(spec, 2000, there))
    child.start()
    writer.close()
    frames = []
    while True:
        try:
            frames.append(reader.recv_bytes())
        except EOFError:
            break
    assert here.poll(60), "the worker did not report"
    bare_ns, cost_ns, inner_ns = here.recv()
    child.join(10)
    records = _records(frames)
    starts = records[records["kind"] == Kind.TASK_STARTED]
    ends = records[records["kind"] == Kind.TASK_FINISHED]
    starts, ends = starts[np.argsort(starts["task"])], ends[np.argsort(ends["task"])]
    bar_ns = float(np.median(ends["t"] - starts["t"]))
    assert inner_ns >= 0
    assert bar_ns < cost_ns, (bar_ns, cost_ns)
    # Medians of 20,000 each: a preempted task or two cannot move them.
    assert bar_ns <= 2 * bare_ns, (bar_ns, bare_ns)


def test_a_long_tasks_start_is_sent_while_it_runs():
    reader, writer = multiprocessing.Pipe(duplex=False)
    probe = probe_mod.Probe(ProbeSpec(conn=writer, workload="square", calibration=None))
    seen: list[int] = []

    def long_task(_arg):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not seen:
            if reader.poll(0.01):
                rows = _records([reader.recv_bytes()])
                seen.extend(rows["kind"][rows["task"] == 7].tolist())
        return 1

    try:
        probe.task_fn = long_task
        time.sleep(0.02)  # a quiet spell before the task, as after a worker's start
        probe.run_task(7, 0)
    finally:
        probe.close()
        probe._flusher.join(5)
        reader.close()
        writer.close()
    assert seen == [Kind.TASK_STARTED]


def _wait_forever(spec):
    probe_mod.install(spec)


def test_a_pool_worker_sends_what_it_holds_before_it_waits(monkeypatch):
    """With no timed flush at all, a finished task still reaches the app while its
    worker waits for the next one."""
    monkeypatch.setattr(probe_mod, "FLUSH_NS", 10**15)
    monkeypatch.setattr(probe_mod, "FLUSHER_PERIOD_S", 3600.0)
    ctx = multiprocessing.get_context("fork")
    reader, writer = ctx.Pipe(duplex=False)
    spec = ProbeSpec(
        conn=writer,
        workload="square",
        calibration=None,
        shared=ctx.RawArray("q", 8 * SLOT_FIELDS),
        next_slot=ctx.Value("i", 1),
    )
    pool = WatchedPool(1, initializer=probe_mod.install, initargs=(spec,), context=ctx)
    try:
        assert pool.apply(probe_mod.call_star, (0, 6)) == 36
        kinds: list[int] = []
        deadline = time.monotonic() + 10
        while Kind.TASK_FINISHED not in kinds and time.monotonic() < deadline:
            if reader.poll(0.1):
                frame = reader.recv_bytes()
                if wire.read_header(frame).frame_type == FrameType.BINARY:
                    kinds += _records([frame])["kind"].tolist()
        assert Kind.TASK_STARTED in kinds and Kind.TASK_FINISHED in kinds
    finally:
        pool.terminate()
        pool.join()
        reader.close()
        writer.close()
