"""A run's fixed cost and whole-run ratios: Coreography against a plain Pool, side by side.

Each round runs, in rotating order (a busy moment hurts every way alike), the same work
four ways from this process, which plays the app:

* **plain**: ``multiprocessing.Pool(2).map`` of the loop, pool start and close included;
* **coreography**: ``RunController(standby=True)``, the window's way: the run's driver was
  started ahead of time (the bench waits until it is ready between rounds, as a user
  between two runs); from ``start()`` until the run is over;
* **coreography cold**: ``RunController()`` without it (the CLI's way): a fresh driver;
* **mpire**: ``mpire.WorkerPool(2).map`` of the loop, if mpire is installed
  (``pip install mpire``; not a dependency of Coreography).

Then whole commands, each a fresh process timed from its launch to its exit (what a user
waits for at a prompt), in rotating order too:

* **plain script**: ``python script.py`` running ``Pool(2).map`` of the same loop;
* **coreography run**: ``python -m coreography run --task cpu:1ms -q`` (the CLI: it
  starts its driver first thing, while it loads the rest of itself).

Two workloads: the fixed cost (4 tasks that do nothing) and a whole run of 1 ms CPU
tasks (the calibrated ``cpu`` workload, the same loop for every way). Prints each way's
median and range over the rounds and its ratio to plain.

    python bench/fixed_cost.py [--rounds 7] [--tasks 2000]

Goal (issue 17): fixed cost <= 0.15 s; whole run at 1 ms tasks <= 1.10x plain and below
mpire.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time

from coreography.engine.calibration import load_or_measure
from coreography.engine.controller import RunController
from coreography.engine.workloads import spin
from coreography.model.experiment import Experiment

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


def plain(size_ms: float, tasks: int, loops: int) -> float:
    start = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(
        2, initializer=_set_loops, initargs=(loops,)
    ) as pool:
        pool.map(task, [size_ms] * tasks)
    return time.perf_counter() - start


def with_mpire(size_ms: float, tasks: int, loops: int) -> float:
    from mpire import WorkerPool

    start = time.perf_counter()
    with WorkerPool(2, shared_objects=loops, start_method="fork") as pool:
        pool.map(mpire_task, [size_ms] * tasks)
    return time.perf_counter() - start


def coreography(controller: RunController, size_ms: float, tasks: int) -> float:
    experiment = Experiment(
        model="pool-map",
        workers=2,
        tasks=tasks,
        workload="cpu",
        size=size_ms,
        start_method="fork",
    )
    controller.standby_ready(30)
    start = time.perf_counter()
    run = controller.start(experiment)
    controller.wait(600, tick=0.002)
    spent = time.perf_counter() - start
    assert run.state == "finished", run.message
    return spent


PLAIN_SCRIPT = """
import multiprocessing, sys
LOOPS = int(sys.argv[1])
def spin(loops):
    total = 0
    for i in range(loops):
        total += i * i % 7
    return total
def task(x):
    spin(int(x * LOOPS))
    return x
if __name__ == "__main__":
    size, tasks = float(sys.argv[2]), int(sys.argv[3])
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(task, [size] * tasks)
"""


def command(args: list[str]) -> float:
    """Seconds from launching ``args`` to its exit (it must succeed)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    start = time.perf_counter()
    done = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    spent = time.perf_counter() - start
    assert done.returncode == 0, done.stderr
    return spent


def cli_args(size: float, tasks: int) -> list[str]:
    task = f"cpu:{size:g}ms"  # the same calibrated loop; cpu:0ms does nothing
    return [
        *(sys.executable, "-m", "coreography", "run", "--workers", "2", "-q"),
        *("--tasks", str(tasks), "--task", task, "--start-method", "fork"),
    ]


def rounds(ways: dict, size: float, n: int, count: int) -> dict[str, list[float]]:
    """Each way once a round, in rotating order; the first round only warms up."""
    times: dict[str, list[float]] = {name: [] for name in ways}
    names = list(ways)
    for round_ in range(count + 1):
        order = names[round_ % len(names) :] + names[: round_ % len(names)]
        for name in order:
            spent = ways[name](size, n)
            if round_:
                times[name].append(spent)
    return times


def report(title: str, times: dict[str, list[float]], base_name: str) -> None:
    base = statistics.median(times[base_name])
    print(f"\n{title}, load {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"{'way':<20}{'median':>10}{'range':>22}{'× ' + base_name:>16}")
    for name, values in times.items():
        median = statistics.median(values)
        spread = f"{min(values):.3f}–{max(values):.3f} s"
        print(f"{name:<20}{median:>9.3f}s{spread:>22}{median / base:>15.3f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--tasks", type=int, default=2000, help="1 ms tasks per whole run")
    args = parser.parse_args()
    loops = int(load_or_measure().calibration().loops_per_ms)
    warm = RunController(sample_hz=10, standby=True)
    cold = RunController(sample_hz=10)
    ways = {
        "plain": lambda size, n: plain(size, n, loops),
        "coreography": lambda size, n: coreography(warm, size, n),
        "coreography cold": lambda size, n: coreography(cold, size, n),
    }
    try:
        import mpire  # noqa: F401

        ways["mpire"] = lambda size, n: with_mpire(size, n, loops)
    except ImportError:
        print("(mpire not installed: pip install mpire to compare with it)")
    try:
        for title, size, n in (
            ("fixed cost: 4 tasks that do nothing", 0.0, 4),
            (f"whole run: {args.tasks:,} tasks of 1 ms", 1.0, args.tasks),
        ):
            times = rounds(ways, size, n, args.rounds)
            report(f"{title}, Pool(2) under fork, {args.rounds} rounds", times, "plain")
        with tempfile.TemporaryDirectory() as folder:
            script = os.path.join(folder, "plain.py")
            with open(script, "w", encoding="utf-8") as out:
                out.write(PLAIN_SCRIPT)
            commands = {
                "plain script": lambda size, n: command(
                    [sys.executable, script, str(loops), str(size), str(n)]
                ),
                "coreography run": lambda size, n: command(cli_args(size, n)),
            }
            for title, size, n in (
                ("whole command: 4 tasks that do nothing", 0.0, 4),
                (f"whole command: {args.tasks:,} tasks of 1 ms", 1.0, args.tasks),
            ):
                times = rounds(commands, size, n, args.rounds)
                report(f"{title}, {args.rounds} rounds", times, "plain script")
    finally:
        warm.shutdown()
        cold.shutdown()


if __name__ == "__main__":
    main()
