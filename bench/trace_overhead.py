"""What tracing costs a real program: plain python vs coreography trace vs VizTracer.

The same script runs ``Pool(2).map`` over many small CPU-bound tasks; each way of running
it is measured in interleaved rounds (so a busy moment hurts every way alike) and the
script reports the time of its own ``map`` call (start-up and saving excluded). Prints
medians and ranges, and the ratio of each median to the plain one.

    python bench/trace_overhead.py [--rounds 5] [--tasks 10000]

VizTracer comes from the ``bench`` extra (``pip install -e .[bench]``); without it, only
plain and coreography are compared.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRIPT = """
import multiprocessing, os, sys, time

LOOPS = int(sys.argv[1])
TASKS = int(sys.argv[2])

def task(n):
    total = 0
    for i in range(LOOPS):
        total += i
    return n

if os.environ.get("BENCH_SPARSE"):
    from viztracer import log_sparse
    task = log_sparse(task)

if __name__ == "__main__":
    with multiprocessing.Pool(2) as pool:
        pool.map(task, range(200))  # warm both workers up
        t = time.perf_counter()
        pool.map(task, range(TASKS))
        print(f"MAP {time.perf_counter() - t:.6f}")
"""


def loops_for(seconds: float) -> int:
    """Loop count of ``task`` taking about ``seconds`` here (measured once)."""
    n = 100_000
    while True:
        t = time.perf_counter()
        total = 0
        for i in range(n):
            total += i
        spent = time.perf_counter() - t
        if spent > 0.05:
            return max(1, int(n * seconds / spent))
        n *= 2


def commands(script: Path, out: Path) -> dict[str, list[str]]:
    py = sys.executable
    ways = {
        "plain": [py, str(script)],
        "coreography": [py, "-m", "coreography", "trace", "--quiet", str(script)],
        # the same without the app-side thread-state sampler (--state-hz 0)
        "coreography, no states": [
            py,
            "-m",
            "coreography",
            "trace",
            "--quiet",
            "--state-hz",
            "0",
            str(script),
        ],
        "coreography --out": [
            py,
            "-m",
            "coreography",
            "trace",
            "--quiet",
            "--out",
            str(out / "r.coreo.json"),
            str(script),
        ],
    }
    viztracer = shutil.which("viztracer") or str(Path(py).with_name("viztracer"))
    if Path(viztracer).exists():
        ways["viztracer"] = [viztracer, "--quiet", "-o", str(out / "v.json"), str(script)]
        ways["viztracer --log_sparse"] = [
            viztracer,
            "--quiet",
            "--log_sparse",
            "-o",
            str(out / "s.json"),
            str(script),
        ]
    return ways


def measure(command: list[str], args: list[str], sparse: bool) -> float:
    env = dict(os.environ)
    if sparse:
        env["BENCH_SPARSE"] = "1"
    done = subprocess.run(
        command + args, capture_output=True, text=True, env=env, timeout=600, check=True
    )
    line = next(line for line in done.stdout.splitlines() if line.startswith("MAP "))
    return float(line.split()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--sizes", default="1ms,100us", help="task sizes, e.g. 1ms,100us")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="trace-bench-") as folder:
        tmp = Path(folder)
        script = tmp / "pool_script.py"
        script.write_text(SCRIPT)
        ways = commands(script, tmp)
        for size in options.sizes.split(","):
            seconds = float(size.rstrip("mus")) * (1e-3 if size.endswith("ms") else 1e-6)
            args = [str(loops_for(seconds)), str(options.tasks)]
            times: dict[str, list[float]] = {name: [] for name in ways}
            for _ in range(options.rounds):
                for name, command in ways.items():
                    times[name].append(measure(command, args, sparse="sparse" in name))
            plain = statistics.median(times["plain"])
            print(f"\n{options.tasks:,} tasks of ~{size}, Pool(2).map, {options.rounds} rounds")
            print(f"{'way':<24}{'median':>10}{'range':>22}{'× plain':>10}")
            for name, values in times.items():
                median = statistics.median(values)
                spread = f"{min(values):.3f}–{max(values):.3f} s"
                print(f"{name:<24}{median:>9.3f}s{spread:>22}{median / plain:>9.3f}×")


if __name__ == "__main__":
    main()
