"""Instrumentation overhead and GUI-side ingest cost, measured side by side in one run.

Overhead, two ways: (1) whole pools: two Pools of the same size live at once, one plain
and one instrumented (the probe installed as initializer, events flowing through a real
pipe to a reader thread); blocks of ``pool.map`` over identical CPU-bound tasks alternate
between them; ratio = median(instrumented block) / median(plain block). This includes
the machine's noise between two pools. (2) in one worker: the same worker alternates
blocks of plain and probed tasks, which isolates what the probe itself costs.

Ingest: frames exactly as workers send them go through a real pipe to a reader thread
and are applied to a Run model in tick-sized batches; cost per event on the app's side.

Run: ``python bench/overhead.py [--pairs N]``. Targets: <= 1.03 at ~100 us tasks,
<= 1.01 at ~1 ms, ingest <= 0.5 us/event.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import threading
import time
from collections import deque

from coreography.engine import probe as probe_mod
from coreography.engine.calibration import load_or_measure
from coreography.engine.controller import read_frames
from coreography.engine.launch import enlarge_pipe
from coreography.engine.probe import SLOT_FIELDS, ProbeSpec
from coreography.engine.workloads import run_workload
from coreography.model import wire
from coreography.model.events import Kind
from coreography.model.experiment import Experiment
from coreography.model.run import Run

_CALIBRATION = None


def _plain_init(calibration) -> None:
    global _CALIBRATION
    _CALIBRATION = calibration


def plain_task(item):
    """The same work as the instrumented task, without the probe."""
    return run_workload("cpu", item[1], _CALIBRATION)


def _drain(conn) -> None:
    """The app's side, in a process of its own as in the app (the pools run in the
    experiment's driver, the reader in the window's process): the app's reader, frames
    dropped."""
    frames: deque[bytes] = deque()
    done = threading.Event()
    reader = threading.Thread(target=read_frames, args=(conn, frames, done), daemon=True)
    reader.start()
    while not done.wait(0.05):
        frames.clear()


class AppSide:
    """A reader process draining the pipe like the app; ``writer`` goes to the workers."""

    def __init__(self, ctx) -> None:
        reader, self.writer = ctx.Pipe(duplex=False)
        enlarge_pipe(reader)
        self.process = multiprocessing.get_context("spawn").Process(target=_drain, args=(reader,))
        self.process.start()
        reader.close()

    def close(self) -> None:
        self.writer.close()
        self.process.join(10)


def overhead(task_ms: float, tasks: int, pairs: int, workers: int) -> tuple[float, float, float]:
    ctx = multiprocessing.get_context("fork")
    calibration = load_or_measure().calibration()
    app = AppSide(ctx)
    spec = ProbeSpec(
        conn=app.writer,
        workload="cpu",
        calibration=calibration,
        shared=ctx.RawArray("q", 64 * SLOT_FIELDS),
        next_slot=ctx.Value("i", 1),
    )
    items = [(i, task_ms) for i in range(tasks)]
    plain_times, probe_times = [], []
    with (
        ctx.Pool(workers, initializer=_plain_init, initargs=(calibration,)) as plain,
        ctx.Pool(workers, initializer=probe_mod.install, initargs=(spec,)) as probed,
    ):
        plain.map(plain_task, items[: workers * 4])  # warm both pools up
        probed.map(probe_mod.call, items[: workers * 4])
        for pair in range(pairs):
            order = [(plain, plain_task, plain_times), (probed, probe_mod.call, probe_times)]
            if pair % 2:
                order.reverse()  # neither side always goes first
            for pool, function, times in order:
                start = time.perf_counter()
                pool.map(function, items)
                times.append(time.perf_counter() - start)
    app.close()
    plain_median, probe_median = statistics.median(plain_times), statistics.median(probe_times)
    per_task_us = (probe_median - plain_median) / tasks * workers * 1e6
    return probe_median / plain_median, per_task_us, plain_median


def in_worker_blocks(job):
    """Inside one instrumented worker: alternate blocks of plain and probed tasks."""
    task_ms, tasks, pairs = job
    probe = probe_mod.current()
    calibration = probe.spec.calibration
    plain_times, probe_times = [], []
    for pair in range(pairs):
        order = [False, True] if pair % 2 else [True, False]
        for plain in order:
            start = time.perf_counter()
            if plain:
                for _ in range(tasks):
                    run_workload("cpu", task_ms, calibration)
            else:
                for i in range(tasks):
                    probe.run_task(i, task_ms)
            (plain_times if plain else probe_times).append(time.perf_counter() - start)
    return statistics.median(probe_times) / statistics.median(plain_times), (
        statistics.median(probe_times) - statistics.median(plain_times)
    ) / tasks * 1e6


def overhead_in_worker(task_ms: float, tasks: int, pairs: int) -> tuple[float, float]:
    """The probe's cost where it is paid: in a worker, plain vs probed, same process."""
    ctx = multiprocessing.get_context("fork")
    app = AppSide(ctx)
    spec = ProbeSpec(
        conn=app.writer,
        workload="cpu",
        calibration=load_or_measure().calibration(),
        shared=ctx.RawArray("q", 8 * SLOT_FIELDS),
        next_slot=ctx.Value("i", 1),
    )
    with ctx.Pool(1, initializer=probe_mod.install, initargs=(spec,)) as pool:
        ratio, extra_us = pool.apply(in_worker_blocks, ((task_ms, tasks, pairs),))
    app.close()
    return ratio, extra_us


def _frames(events: int) -> list[bytes]:
    records = []
    for task in range(events // 2):
        records.append((Kind.TASK_STARTED, 0, 0, task, 1000 + task, 0.0, 5))
        records.append((Kind.TASK_FINISHED, 0, 0, task, 2000 + task, 1.0, 9))
    frames, _sent = wire.encode_frames(4242, 0, records, [])
    return frames


def _send_frames(conn, frames) -> None:
    for frame in frames:
        conn.send_bytes(frame)
    conn.close()


def ingest(events: int, frames_per_tick: int = 200) -> tuple[float, float]:
    """Microseconds per event: through the pipe (reader thread) and applying to a Run."""
    frames = _frames(events)
    ctx = multiprocessing.get_context("fork")
    reader, writer = ctx.Pipe(duplex=False)
    sender = ctx.Process(target=_send_frames, args=(writer, frames))
    received: deque[bytes] = deque()
    start = time.perf_counter()
    sender.start()
    writer.close()
    while True:
        try:
            received.append(reader.recv_bytes())
        except EOFError:
            break
    pipe_s = time.perf_counter() - start
    sender.join()
    run = Run(Experiment(tasks=events // 2 + 1), cores=2, t0=0)
    run.set_driver(1)
    start = time.perf_counter()
    batch = []
    while received:
        batch.append(received.popleft())
        if len(batch) == frames_per_tick:
            run.apply(batch)
            batch = []
    run.apply(batch)
    apply_s = time.perf_counter() - start
    assert run.n_done == events // 2, run.n_done
    return pipe_s / events * 1e6, apply_s / events * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=9, help="paired blocks per size")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"pool-map, {args.workers} workers, fork, {args.pairs} paired blocks per size (medians)")
    print(
        f"{'task':>8} {'tasks/block':>12} {'plain block':>12} {'ratio':>8} {'extra/task':>11}"
        f" {'target':>7}"
    )
    for task_ms, tasks, target in ((0.1, 4000, 1.03), (1.0, 600, 1.01)):
        ratio, extra_us, plain_s = overhead(task_ms, tasks, args.pairs, args.workers)
        verdict = "ok" if ratio <= target else "OVER"
        print(
            f"{task_ms * 1000:>6.0f}us {tasks:>12} {plain_s * 1000:>10.1f}ms {ratio:>8.4f}"
            f" {extra_us:>9.2f}us {target:>6} {verdict}"
        )
    print("\nin one worker, paired blocks of plain and probed tasks (medians)")
    print(f"{'task':>8} {'tasks/block':>12} {'ratio':>8} {'extra/task':>11} {'target':>7}")
    for task_ms, tasks, target in ((0.1, 2000, 1.03), (1.0, 200, 1.01)):
        ratio, extra_us = overhead_in_worker(task_ms, tasks, args.pairs * 2)
        verdict = "ok" if ratio <= target else "OVER"
        print(
            f"{task_ms * 1000:>6.0f}us {tasks:>12} {ratio:>8.4f} {extra_us:>9.2f}us"
            f" {target:>6} {verdict}"
        )
    pipe_us, apply_us = ingest(1_000_000)
    total = pipe_us + apply_us
    verdict = "ok" if total <= 0.5 else "OVER"
    print(
        f"ingest, 1,000,000 events: pipe+reader {pipe_us:.3f} us/event, apply to Run "
        f"{apply_us:.3f} us/event, total {total:.3f} us/event (target 0.5) {verdict}"
    )


if __name__ == "__main__":
    main()
