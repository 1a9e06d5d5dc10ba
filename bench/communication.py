"""Extra cost of an instrumented Queue put+get and Lock acquire+release, against plain ones.

Paired: each round times the plain and the traced call back to back, many short rounds
(a short round is seldom cut by another process on a busy machine); prints medians,
ranges and the difference (goal: at most 2 µs each), in wall time and in this process's
CPU time (its threads' work, whatever else the machine runs), with the load average.

Two sets: the experiment models' objects (engine/channels.py) and a traced program's
(engine/trace/comm_hooks.py). The probes are real: their events go through a pipe (a
FIFO for the traced program) to a drain *process*, as they go to the app in a run (a
drain thread in this process would compete for its GIL with the Queue's feeder thread
and charge the traced calls for it).

    .venv/bin/python bench/communication.py
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import types
from collections.abc import Callable
from typing import Any

from coreography.engine import probe as probe_mod
from coreography.engine.channels import TracedLock, TracedQueue

ROUNDS, CALLS = 301, 200


def _drain(conn: Any) -> None:
    try:
        while True:
            conn.recv_bytes()
    except (EOFError, OSError):
        pass


def _per_call(fn: Callable[[], None]) -> tuple[float, float]:
    """Wall and CPU µs per call."""
    start, cpu = time.perf_counter_ns(), time.process_time_ns()
    for _ in range(CALLS):
        fn()
    wall, used = time.perf_counter_ns() - start, time.process_time_ns() - cpu
    return wall / CALLS / 1000, used / CALLS / 1000


def _quartiles(values: list[float]) -> str:
    q1, _, q3 = statistics.quantiles(values, n=4)
    return f"{q1:+.2f}..{q3:+.2f}"


def _report(rows: list[tuple[str, Callable[[], None], Callable[[], None]]]) -> None:
    for name, plain, traced in rows:
        pairs = [(_per_call(plain), _per_call(traced)) for _ in range(ROUNDS)]
        for clock, which in (("wall", 0), ("CPU", 1)):
            a = [p[which] for p, _ in pairs]
            b = [t[which] for _, t in pairs]
            extra = [t - p for p, t in zip(a, b, strict=True)]
            print(  # the probe captures sys.stdout: write past it
                f"{name:30} {clock:4} plain {statistics.median(a):6.2f} µs"
                f" ({min(a):.2f}-{max(a):.2f})  traced {statistics.median(b):6.2f} µs"
                f" ({min(b):.2f}-{max(b):.2f})  extra {statistics.median(extra):+.2f} µs"
                f" (median of {ROUNDS} pairs; quartiles {_quartiles(extra)})",
                file=sys.__stdout__,
            )


def _load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def _put_get(q: Any) -> Callable[[], None]:
    def put_get() -> None:
        q.put(1)
        q.get()

    return put_get


def _acquire_release(lock: Any) -> Callable[[], None]:
    def acquire_release() -> None:
        lock.acquire()
        lock.release()

    return acquire_release


def engine_rows(ctx: Any) -> None:
    """The experiment models' own queue and lock (engine/channels.py)."""
    reader, writer = ctx.Pipe(duplex=False)
    drain = ctx.Process(target=_drain, args=(reader,), daemon=True)
    drain.start()
    reader.close()
    probe_mod.install(probe_mod.ProbeSpec(writer, "square", None, is_driver=True))
    _report(
        [
            ("Queue put+get", _put_get(ctx.Queue()), _put_get(TracedQueue(ctx, 1, "bench"))),
            (
                "Lock acquire+release",
                _acquire_release(ctx.Lock()),
                _acquire_release(TracedLock(ctx, 2, "bench lock")),
            ),
        ]
    )
    probe_mod.current().close()  # type: ignore[union-attr]
    writer.close()
    drain.join(5)


def _drain_fifo(path: str, ready: Any) -> None:
    fd = os.open(path, os.O_RDWR)  # never at end of file: ended with the benchmark
    ready.set()
    while os.read(fd, 65536):
        pass


def trace_rows(ctx: Any) -> None:
    """A traced program's queue and lock (engine/trace/comm_hooks.py, patched as a traced
    program's are, here on subclasses so that the plain ones stay plain)."""
    import multiprocessing.queues
    import multiprocessing.synchronize

    from coreography.engine.trace import comm_hooks, tracer

    with tempfile.TemporaryDirectory() as tmp:
        fifo, accounting = os.path.join(tmp, "fifo"), os.path.join(tmp, "accounting")
        os.mkfifo(fifo, 0o600)
        with open(accounting, "wb") as file:
            file.truncate(tracer.ACCOUNTING_SLOTS * tracer.SLOT_WORDS * 8)
        ready = ctx.Event()
        drain = ctx.Process(target=_drain_fifo, args=(fifo, ready), daemon=True)
        drain.start()
        ready.wait(30)
        tracer._probe = tracer.TraceProbe(fifo, accounting, "main")

        class ProgramQueue(multiprocessing.queues.Queue):  # type: ignore[type-arg]
            pass

        class ProgramLock(multiprocessing.synchronize.Lock):
            pass

        comm_hooks._patch_queue_class(ProgramQueue, simple=False)
        comm_hooks.patch_locks(types.SimpleNamespace(SemLock=ProgramLock))
        traced_q, traced_l = ProgramQueue(ctx=ctx), ProgramLock(ctx=ctx)
        assert traced_q._coreography_channel and traced_l._coreography_channel
        _report(
            [
                ("traced program: Queue put+get", _put_get(ctx.Queue()), _put_get(traced_q)),
                (
                    "traced program: Lock acq+rel",
                    _acquire_release(ctx.Lock()),
                    _acquire_release(traced_l),
                ),
            ]
        )
        tracer._probe.close()
        tracer._probe = None
        drain.terminate()
        drain.join(5)


def main() -> None:
    ctx = multiprocessing.get_context("fork")
    print(_load(), file=sys.__stdout__)
    engine_rows(ctx)
    trace_rows(ctx)
    print(_load(), file=sys.__stdout__)


if __name__ == "__main__":
    main()
