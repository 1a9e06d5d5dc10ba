"""A run's fixed cost and whole-run ratios: Coreography against a plain Pool and mpire.

Each round runs, in rotating order (a busy moment hurts every way alike), the same work
in these ways, each from a long-lived process that plays the app:

* **plain**: ``multiprocessing.Pool(2).map`` of the loop, pool start and close included
  (``map``'s own chunks: a quarter of the tasks per worker, in 8 chunks);
* **coreography**: ``RunController(standby=True)``, the window's way: the run's driver was
  started ahead of time (the bench waits until the next one is ready after each run,
  outside the time, as a user between two runs); from ``start()`` until the run is over,
  polled as the CLI polls;
* **coreography cold**: ``RunController()`` without it: a driver spawned for the run;
* **mpire**: ``mpire.WorkerPool(2).map`` of the loop with its own default chunks
  (``n_jobs * 64`` of them: 8 tasks each here, which balances the end of a run better);
* **mpire, Pool's chunks**: the same with ``map``'s chunk size, the like-for-like
  comparison with the other ways.

mpire is in the ``bench`` extra (``pip install -e '.[bench]'``, which ``make bench`` does).
With ``--against OLD/src`` (e.g. ``git archive main src | tar -x -C /tmp/old``) the two
coreography ways also run from that tree, in a second process, interleaved with the rest.

For each way: the wall time's median and range, and the CPU time of every process of the
run (the app's own threads, the driver and its workers; for the standby driver, less what
it spent starting before the run): on this shared machine the less noisy figure. Two
workloads: the fixed cost (4 tasks that do nothing) and a whole run of 1 ms CPU tasks
(the calibrated ``cpu`` workload: the same loop for every way).

    python bench/fixed_cost.py [--rounds 7] [--tasks 1000] [--against OLD/src]

Goal (issue 17): fixed cost <= 0.15 s; whole run at 1 ms tasks <= 1.10x plain and below
mpire. The whole ``coreography run`` command is ``bench/cli_cost.py``.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from coreography.engine.calibration import load_or_measure
from coreography.engine.workloads import spin

_LOOPS = 0


def _set_loops(loops: int) -> None:
    global _LOOPS
    _LOOPS = loops


def task(x: float) -> float:
    """The plain program's task: the calibrated loop of ``cpu:x ms``."""
    spin(int(x * _LOOPS))
    return x


def mpire_task(loops: int, x: float) -> float:
    spin(int(x * loops))
    return x


def pool_chunksize(tasks: int, workers: int = 2) -> int:
    """What ``Pool.map`` picks when not told (CPython's rule)."""
    return math.ceil(tasks / (workers * 4)) if tasks else 0


def _cpu_now() -> float:
    """CPU seconds of this process and of every child it (or they) waited for."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + reaped.ru_utime + reaped.ru_stime


def plain(size_ms: float, tasks: int, loops: int) -> tuple[float, float]:
    cpu, start = _cpu_now(), time.perf_counter()
    with multiprocessing.get_context("fork").Pool(
        2, initializer=_set_loops, initargs=(loops,)
    ) as pool:
        pool.map(task, [size_ms] * tasks)
    return time.perf_counter() - start, _cpu_now() - cpu


def with_mpire(size_ms: float, tasks: int, loops: int, chunk: int | None) -> tuple[float, float]:
    from mpire import WorkerPool

    cpu, start = _cpu_now(), time.perf_counter()
    with WorkerPool(2, shared_objects=loops, start_method="fork") as pool:
        pool.map(mpire_task, [size_ms] * tasks, chunk_size=chunk or None)
    return time.perf_counter() - start, _cpu_now() - cpu


def coreography(controller: Any, size_ms: float, tasks: int) -> tuple[float, float]:
    import psutil

    from coreography.model.experiment import Experiment

    experiment = Experiment(
        model="pool-map",
        workers=2,
        tasks=tasks,
        workload="cpu",
        size=size_ms,
        start_method="fork",
    )
    ahead = 0.0  # what the standby driver spent starting, before this run
    if controller.standby_ready(30):
        try:
            times = psutil.Process(controller._standby.process.pid).cpu_times()
            ahead = times.user + times.system
        except (psutil.Error, AttributeError):
            pass
    cpu, start = _cpu_now(), time.perf_counter()
    run = controller.start(experiment)
    controller.wait(600)
    spent, used = time.perf_counter() - start, _cpu_now() - cpu - ahead
    assert run.state == "finished", run.message
    controller.standby_ready(30)  # the next one starts now, outside the time
    return spent, used


def serve(loops: int) -> None:
    """Run ways on request: one JSON line in (way, size, tasks), one out (wall, cpu)."""
    from coreography.engine.controller import RunController

    warm = RunController(sample_hz=10, standby=True)
    cold = RunController(sample_hz=10)
    ways: dict[str, Callable[[float, int], tuple[float, float]]] = {
        "plain": lambda size, n: plain(size, n, loops),
        "coreography": lambda size, n: coreography(warm, size, n),
        "coreography cold": lambda size, n: coreography(cold, size, n),
        "mpire": lambda size, n: with_mpire(size, n, loops, None),
        "mpire, Pool's chunks": lambda size, n: with_mpire(size, n, loops, pool_chunksize(n)),
    }
    try:
        for line in sys.stdin:
            name, size, n = json.loads(line)
            print(json.dumps(ways[name](size, n)), flush=True)
    finally:
        warm.shutdown()
        cold.shutdown()


class Server:
    """A process that runs the ways (from ``src``, or this tree)."""

    def __init__(self, loops: int, src: str | None = None) -> None:
        env = dict(os.environ)
        if src:
            env["PYTHONPATH"] = os.path.abspath(src)
        self.process = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--serve", str(loops)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )

    def run(self, name: str, size: float, n: int) -> tuple[float, float]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps([name, size, n]) + "\n")
        self.process.stdin.flush()
        wall, cpu = json.loads(self.process.stdout.readline())
        return wall, cpu

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(30)


Way = Callable[[float, int], tuple[float, float]]


def rounds(ways: dict[str, Way], size: float, n: int, count: int) -> dict[str, list[tuple]]:
    """Each way once a round, in rotating order; the first round only warms up."""
    times: dict[str, list[tuple]] = {name: [] for name in ways}
    names = list(ways)
    for round_ in range(count + 1):
        order = names[round_ % len(names) :] + names[: round_ % len(names)]
        for name in order:
            spent = ways[name](size, n)
            if round_:
                times[name].append(spent)
    return times


def report(title: str, times: dict[str, list[tuple[float, float]]], base_name: str) -> None:
    base_wall = statistics.median(t[0] for t in times[base_name])
    base_cpu = statistics.median(t[1] for t in times[base_name])
    print(f"\n{title}, load {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"{'way':<26}{'wall':>9}{'range':>18}{'×':>8}{'CPU':>9}{'range':>18}{'×':>8}")
    for name, values in times.items():
        walls, cpus = [t[0] for t in values], [t[1] for t in values]
        wall, cpu = statistics.median(walls), statistics.median(cpus)
        print(
            f"{name:<26}{wall:>8.3f}s{f'{min(walls):.3f}–{max(walls):.3f} s':>18}"
            f"{wall / base_wall:>7.2f}×{cpu:>8.3f}s{f'{min(cpus):.3f}–{max(cpus):.3f} s':>18}"
            f"{cpu / base_cpu:>7.2f}×"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--tasks", type=int, default=1000, help="1 ms tasks per whole run")
    parser.add_argument("--against", metavar="OLD/src", help="also run coreography from it")
    parser.add_argument("--serve", type=int, metavar="LOOPS", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve)
        return
    loops = int(load_or_measure().calibration().loops_per_ms)
    new = Server(loops)
    servers = [new]
    ways: dict[str, Callable[[float, int], tuple[float, float]]] = {
        name: (lambda size, n, name=name: new.run(name, size, n))
        for name in ("plain", "coreography", "coreography cold")
    }
    if args.against:
        old = Server(loops, args.against)
        servers.append(old)
        for name in ("coreography", "coreography cold"):
            ways[f"old {name}"] = lambda size, n, name=name: old.run(name, size, n)
    try:
        import mpire  # noqa: F401

        for name in ("mpire", "mpire, Pool's chunks"):
            ways[name] = lambda size, n, name=name: new.run(name, size, n)
    except ImportError:
        print("(mpire not installed: pip install -e '.[bench]' to compare with it)")
    try:
        for title, size, n in (
            ("fixed cost: 4 tasks that do nothing", 0.0, 4),
            (f"whole run: {args.tasks:,} tasks of 1 ms", 1.0, args.tasks),
        ):
            times = rounds(ways, size, n, args.rounds)
            report(f"{title}, Pool(2) under fork, {args.rounds} rounds", times, "plain")
    finally:
        for server in servers:
            server.close()


if __name__ == "__main__":
    main()
