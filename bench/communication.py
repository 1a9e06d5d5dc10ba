"""Extra cost of an instrumented Queue put+get and Lock acquire+release, against plain ones.

Paired: each round times the plain and the traced call back to back, many rounds; prints
medians, ranges and the difference (goal: at most 2 µs each). The probe is real: its
events go through a pipe to a drain *process*, as they go to the app in a run (a drain
thread in this process would compete for its GIL with the Queue's feeder thread and
charge the traced calls for it).

    .venv/bin/python bench/communication.py
"""

from __future__ import annotations

import multiprocessing
import statistics
import sys
import time

from coreography.engine import probe as probe_mod
from coreography.engine.channels import TracedLock, TracedQueue

ROUNDS, CALLS = 31, 2000


def _drain(conn) -> None:
    try:
        while True:
            conn.recv_bytes()
    except (EOFError, OSError):
        pass


def _per_call(fn) -> float:
    start = time.perf_counter_ns()
    for _ in range(CALLS):
        fn()
    return (time.perf_counter_ns() - start) / CALLS / 1000  # µs


def main() -> None:
    ctx = multiprocessing.get_context("fork")
    reader, writer = ctx.Pipe(duplex=False)
    drain = ctx.Process(target=_drain, args=(reader,), daemon=True)
    drain.start()
    reader.close()
    probe_mod.install(probe_mod.ProbeSpec(writer, "square", None, is_driver=True))
    plain_q, traced_q = ctx.Queue(), TracedQueue(ctx, 1, "bench")
    plain_l, traced_l = ctx.Lock(), TracedLock(ctx, 2, "bench lock")

    def plain_put_get() -> None:
        plain_q.put(1)
        plain_q.get()

    def traced_put_get() -> None:
        traced_q.put(1)
        traced_q.get()

    def plain_lock() -> None:
        plain_l.acquire()
        plain_l.release()

    def traced_lock() -> None:
        traced_l.acquire()
        traced_l.release()

    for name, plain, traced in (
        ("Queue put+get", plain_put_get, traced_put_get),
        ("Lock acquire+release", plain_lock, traced_lock),
    ):
        pairs = [(_per_call(plain), _per_call(traced)) for _ in range(ROUNDS)]
        a = [p for p, _ in pairs]
        b = [t for _, t in pairs]
        extra = [t - p for p, t in pairs]
        print(  # the probe captures sys.stdout: write past it
            f"{name:22} plain {statistics.median(a):8.2f} µs ({min(a):.2f}-{max(a):.2f})"
            f"  traced {statistics.median(b):8.2f} µs ({min(b):.2f}-{max(b):.2f})"
            f"  extra {statistics.median(extra):+.2f} µs (median of {ROUNDS} pairs)",
            file=sys.__stdout__,
        )
    probe_mod.current().close()
    writer.close()
    drain.join(5)


if __name__ == "__main__":
    main()
