"""The whole ``coreography run`` command against a plain script of the same work, side by side.

What a user waits for at a prompt: each way is a fresh process, timed from its launch to
its exit, in rotating order (a busy moment hurts every way alike):

* **plain script**: ``python script.py``, ``Pool(2).map`` of the loop under fork;
* **coreography run**: ``python -m coreography run --task cpu:Xms -q`` (the command
  starts its run's driver first thing, while it loads the rest of itself);
* **driver after imports**: the same command line through ``coreography.cli.main``
  without the entry point, so the driver is spawned only when the run starts: whether
  starting it first helps, on this machine;
* **old run** (with ``--against OLD/src``): the first command with ``PYTHONPATH=OLD/src``,
  e.g. ``git archive main src | tar -x -C /tmp/old``.

Two workloads: the fixed cost (4 tasks that do nothing) and a whole run of 1 ms CPU tasks
(the calibrated ``cpu`` workload: the same loop for every way). For each way: the wall
time's median and range, and the CPU time of the command and of every process it waited
for (its driver, whose workers the driver waited for), from ``wait4``: less noisy than
the wall time on a shared machine.

    python bench/cli_cost.py [--rounds 11] [--tasks 1000] [--against OLD/src]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

from coreography.engine.calibration import load_or_measure

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

#: The command line without the entry point's early driver (``coreography/__main__.py``).
WITHOUT_EARLY = "import sys; from coreography.cli import main; sys.exit(main(sys.argv[1:]))"

Way = Callable[[float, int], tuple[float, float]]


def command(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Seconds from launching ``args`` to its exit, and the CPU seconds of it and of every
    process it waited for (it must succeed)."""
    env = dict(os.environ if env is None else env)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    start = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    spent = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 0, (args, process.returncode)
    return spent, usage.ru_utime + usage.ru_stime


def run_args(size: float, tasks: int) -> list[str]:
    return [
        *("run", "--model", "pool-map", "--workers", "2", "-q"),
        *("--tasks", str(tasks), "--task", f"cpu:{size:g}ms", "--start-method", "fork"),
    ]


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


def report(title: str, times: dict[str, list[tuple]], base_name: str) -> None:
    base_wall = statistics.median(t[0] for t in times[base_name])
    base_cpu = statistics.median(t[1] for t in times[base_name])
    print(f"\n{title}, load {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"{'way':<24}{'wall':>9}{'range':>18}{'×':>8}{'CPU':>9}{'range':>18}{'×':>8}")
    for name, values in times.items():
        walls, cpus = [t[0] for t in values], [t[1] for t in values]
        wall, cpu = statistics.median(walls), statistics.median(cpus)
        print(
            f"{name:<24}{wall:>8.3f}s{f'{min(walls):.3f}–{max(walls):.3f} s':>18}"
            f"{wall / base_wall:>7.2f}×{cpu:>8.3f}s{f'{min(cpus):.3f}–{max(cpus):.3f} s':>18}"
            f"{cpu / base_cpu:>7.2f}×"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--tasks", type=int, default=1000, help="1 ms tasks per whole run")
    parser.add_argument("--against", metavar="OLD/src", help="also time this source tree")
    args = parser.parse_args()
    loops = int(load_or_measure().calibration().loops_per_ms)
    python = sys.executable
    with tempfile.TemporaryDirectory() as folder:
        script = os.path.join(folder, "plain.py")
        with open(script, "w", encoding="utf-8") as out:
            out.write(PLAIN_SCRIPT)
        ways: dict[str, Way] = {
            "plain script": lambda size, n: command(
                [python, script, str(loops), str(size), str(n)]
            ),
            "coreography run": lambda size, n: command(
                [python, "-m", "coreography", *run_args(size, n)]
            ),
            "driver after imports": lambda size, n: command(
                [python, "-c", WITHOUT_EARLY, *run_args(size, n)]
            ),
        }
        if args.against:
            old_env = {**os.environ, "PYTHONPATH": os.path.abspath(args.against)}
            ways["old run"] = lambda size, n: command(
                [python, "-m", "coreography", *run_args(size, n)], old_env
            )
        for title, size, n in (
            ("whole command: 4 tasks that do nothing", 0.0, 4),
            (f"whole command: {args.tasks:,} tasks of 1 ms", 1.0, args.tasks),
        ):
            times = rounds(ways, size, n, args.rounds)
            report(f"{title}, {args.rounds} rounds", times, "plain script")


if __name__ == "__main__":
    main()
