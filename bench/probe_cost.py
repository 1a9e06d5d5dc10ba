"""What the probe costs a task, and how much of it a task's bar shows, in one worker.

One forked worker alternates blocks of the same tiny task (``x * x``) three ways, in
rotating order so a busy moment hurts every way alike:

* **plain**: ``square(x)`` in a loop, no instrumentation;
* **probe**: ``Probe.run_task`` (the engine's probe, a real pipe to a reader process
  that decodes every frame like the app);
* **floor**: the cheapest probe possible here: two clock reads, one record packed into a
  preallocated buffer, one pipe write per ~4 KiB.

Blocks are timed in CPU time of the worker process (every thread of it: the probe's
flusher too), so that other programs taking the CPU away do not count; a pipe write that
waits for the reader does not count either. Extra cost per task = (block time - plain
block time) / tasks, per pair; the table gives
the median and the range over pairs. The reader also reports the median *bar* of the
probed ``x * x`` tasks (end - start as the run model would draw it) next to the plain
call's own time per task and the probe's cost: a bar longer than the call shows the
probe's own time inside the task.

    python bench/probe_cost.py [--pairs 15] [--tasks 20000]

Goal (issue 17): probe <= 1.5 us per task; bar of ``x * x`` shorter than the probe's cost.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import struct
import time

from coreography.engine import probe as probe_mod
from coreography.engine.launch import enlarge_pipe
from coreography.engine.probe import SLOT_FIELDS, ProbeSpec
from coreography.model import wire
from coreography.model.events import HEADER, MAX_FRAME, FrameType, Kind


def square(x):
    return x * x


def _reader(conn, out, close) -> None:
    """The app's side: read and decode every frame; report the probed tasks' bars."""
    import numpy

    for end in close:  # inherited write ends: the pipe must reach end of file
        end.close()

    frames = []
    while True:
        try:
            frames.append(conn.recv_bytes())
        except EOFError:
            break
    if out is None:
        return
    binary = [f for f in frames if wire.read_header(f).frame_type == FrameType.BINARY]
    rows = numpy.concatenate([wire.read_records(f) for f in binary])
    start = rows[rows["kind"] == Kind.TASK_STARTED]
    end = rows[rows["kind"] == Kind.TASK_FINISHED]
    start, end = start[numpy.argsort(start["task"])], end[numpy.argsort(end["task"])]
    bars = end["t"] - start["t"]
    out.send((len(rows), float(numpy.median(bars)) if len(bars) else float("nan")))


class FloorProbe:
    """Two clock reads and a packed record per event, one write per full buffer."""

    def __init__(self, conn) -> None:
        self.conn = conn
        self.buf = bytearray(MAX_FRAME)
        self.at = HEADER.size
        self.pack = struct.Struct("<BBHiqdq").pack_into

    def run_task(self, task_id, arg):
        now, pack, buf = time.perf_counter_ns, self.pack, self.buf
        pack(buf, self.at, 7, 0, 0, task_id, now(), 0.0, 0)
        result = square(arg)
        pack(buf, self.at + 32, 8, 0, 0, task_id, now(), 0.0, 0)
        self.at += 64
        if self.at + 64 > MAX_FRAME:
            self.conn.send_bytes(buf, 0, self.at)
            self.at = HEADER.size
        return result


def _blocks(spec: ProbeSpec, floor_conn, tasks: int, pairs: int, out) -> None:
    probe = probe_mod.install(spec)
    floor = FloorProbe(floor_conn)
    run_task = probe.run_task
    ways = ["plain", "probe", "floor"]
    times: dict[str, list[float]] = {way: [] for way in ways}
    task_id = 0
    for pair in range(pairs + 1):  # the first round only warms up
        order = ways[pair % 3 :] + ways[: pair % 3]
        for way in order:
            start = time.process_time()
            if way == "plain":
                for i in range(tasks):
                    square(i)
            elif way == "probe":
                for i in range(task_id, task_id + tasks):
                    run_task(i, i)
                task_id += tasks
            else:
                floor_run = floor.run_task
                for i in range(tasks):
                    floor_run(i, i)
            if pair:
                times[way].append(time.process_time() - start)
    probe_mod.shutdown()
    out.send(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=15)
    parser.add_argument("--tasks", type=int, default=20_000)
    args = parser.parse_args()
    ctx = multiprocessing.get_context("fork")
    app_end, worker_end = ctx.Pipe(duplex=False)
    floor_app, floor_worker = ctx.Pipe(duplex=False)
    enlarge_pipe(app_end)
    enlarge_pipe(floor_app)
    results_here, results_there = ctx.Pipe(duplex=False)
    bars_here, bars_there = ctx.Pipe(duplex=False)
    writers = (worker_end, floor_worker)
    reader = ctx.Process(target=_reader, args=(app_end, bars_there, writers))
    reader.start()
    floor_drain = ctx.Process(target=_reader, args=(floor_app, None, writers))
    floor_drain.start()
    spec = ProbeSpec(
        conn=worker_end,
        workload="square",
        calibration=None,
        shared=ctx.RawArray("q", 8 * SLOT_FIELDS),
        next_slot=ctx.Value("i", 1),
    )
    worker = ctx.Process(
        target=_blocks, args=(spec, floor_worker, args.tasks, args.pairs, results_there)
    )
    worker.start()
    times = results_here.recv()
    worker.join()
    worker_end.close()
    floor_worker.close()
    records, bar_ns = bars_here.recv()
    reader.join()
    floor_drain.join()
    plain = times["plain"]
    load = os.getloadavg()[0]
    print(
        f"one worker, {args.tasks:,} tasks of x*x per block, {args.pairs} rounds, "
        f"load {load:.2f} (medians, range over rounds)"
    )
    print(f"{'way':<8}{'per task':>12}{'extra/task':>14}{'extra range':>20}")
    for way in ("plain", "probe", "floor"):
        per = [t / args.tasks * 1e6 for t in times[way]]
        extra = [(t - p) / args.tasks * 1e6 for t, p in zip(times[way], plain, strict=True)]
        print(
            f"{way:<8}{statistics.median(per):>10.3f}us{statistics.median(extra):>12.3f}us"
            f"{min(extra):>11.3f}–{max(extra):.3f} us"
        )
    plain_us = statistics.median(plain) / args.tasks * 1e6
    probe_extra = statistics.median(
        [(t - p) / args.tasks * 1e6 for t, p in zip(times["probe"], plain, strict=True)]
    )
    print(
        f"bar of x*x (median over {records // 2:,} probed tasks): {bar_ns / 1000:.3f} us; "
        f"the plain call {plain_us:.3f} us; the probe's cost {probe_extra:.3f} us"
    )


if __name__ == "__main__":
    main()
