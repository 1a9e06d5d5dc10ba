"""The state sampler's cost: its own CPU, and its effect on a running pool.

(1) Sampler CPU: 16 sleeping threads of a child process are watched at 50 Hz for a few
seconds; the sampler thread's CPU time (from its own schedstat) over the wall time is
its share of one core. Repeated; medians and ranges. Goal: <= 3 %.

(2) Effect on a pool: paired runs of the same CPU-bound pool-map experiment through the
real controller, the state sampler on (50 Hz) and off, alternating; ratio of median wall
times (on / off). Goal: <= 1.01. On a busy shared machine the pairs' spread says how
far the ratio can be trusted: it is printed beside it.

Run: ``python bench/sampler.py [--repeats N] [--pairs N]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import threading
import time

from coreography.engine.controller import RunController
from coreography.engine.thread_states import StateSamplerThread
from coreography.model.experiment import Experiment

CHILD = (
    "import threading, sys\n"
    "e = threading.Event()\n"
    "ts = [threading.Thread(target=e.wait) for _ in range(16)]\n"
    "[t.start() for t in ts]\n"
    "print(*[t.native_id for t in ts], flush=True)\n"
    "sys.stdin.readline(); e.set()\n"
)


class _Lane:
    def __init__(self, index: int, pid: int, tid: int) -> None:
        self.index, self.pid, self.thread, self.native_id = index, pid, index + 1, tid


def _thread_cpu_ns(tid: int) -> int:
    with open(f"/proc/self/task/{tid}/schedstat", "rb") as f:
        return int(f.read().split()[0])


def sampler_cpu(seconds: float) -> float:
    """The sampler thread's CPU over wall time while it watches 16 threads at 50 Hz."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        tids = [int(x) for x in child.stdout.readline().split()]
        sampler = StateSamplerThread(hz=50.0)
        sampler.watch([_Lane(i, child.pid, tid) for i, tid in enumerate(tids)])
        time.sleep(0.2)
        tid = next(t.native_id for t in threading.enumerate() if t.name.endswith("state-sampler"))
        cpu0, wall0 = _thread_cpu_ns(tid), time.perf_counter_ns()
        deadline = time.monotonic() + seconds
        rows = 0
        while time.monotonic() < deadline:
            time.sleep(0.1)
            rows += len(sampler.take())
        share = (_thread_cpu_ns(tid) - cpu0) / (time.perf_counter_ns() - wall0)
        sampler.stop()
        assert rows > 0, "the sampler produced nothing"
        return share
    finally:
        child.stdin.write("\n")
        child.stdin.flush()
        child.wait(10)


def pool_wall(state_hz: float) -> float:
    controller = RunController(sample_hz=10.0, state_hz=state_hz)
    run = controller.start(
        Experiment(model="pool-map", workers=2, tasks=8, workload="cpu", size=150.0)
    )
    try:
        assert controller.wait(timeout=120), "run did not end"
    finally:
        controller.shutdown()
    assert run.state == "finished", run.message
    return (run.run_finished_ns - run.run_started_ns) / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--pairs", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    shares = [sampler_cpu(args.seconds) for _ in range(args.repeats)]
    print(
        f"sampler CPU, 16 lanes at 50 Hz: median {statistics.median(shares):.2%} of one core "
        f"(range {min(shares):.2%}–{max(shares):.2%}, {len(shares)} runs; goal <= 3 %)"
    )
    on, off = [], []
    for pair in range(args.pairs):
        first, second = (50.0, 0.0) if pair % 2 == 0 else (0.0, 50.0)
        for hz in (first, second):
            (on if hz else off).append(pool_wall(hz))
    ratio = statistics.median(on) / statistics.median(off)
    print(
        f"pool wall, state sampler on vs off: on median {statistics.median(on):.3f} s "
        f"(range {min(on):.3f}–{max(on):.3f}), off median {statistics.median(off):.3f} s "
        f"(range {min(off):.3f}–{max(off):.3f}); ratio {ratio:.3f} (goal <= 1.01)"
    )


if __name__ == "__main__":
    main()
