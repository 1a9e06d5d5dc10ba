"""The window's own CPU while it shows a live 2-worker run, as a share of one core.

A real window (offscreen, 1440×900) runs a pool-map of 2 workers with CPU-bound tasks;
psutil reads the app process's own CPU time (every thread of it: the GUI, the event
reader, the samplers; never the experiment's processes) from the first finished task to
the last one, over the wall time between. Each run is a fresh interpreter; passes
interleave the task sizes and, with ``--against SRC``, another source tree. Prints per
run the share, the GUI thread's part of it and the timeline's frames per second, then
per size the median over passes with the range and the load average. Goal: <= 15 %.

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python bench/window_cpu.py [--passes 5]
[--seconds 4] [--against /path/to/other/src]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import window_run

GOAL = 0.15


def child(size_ms: float, seconds: float) -> dict[str, Any]:
    import psutil

    from coreography.gui.widgets.timeline_item import TimelineItem

    me = psutil.Process()
    gui_thread = threading.get_native_id()
    marks: dict[str, tuple[float, float, float, int]] = {}
    paints = [0]
    paint = TimelineItem.paint

    def counted_paint(self: TimelineItem, painter: Any, *args: Any) -> None:
        paints[0] += 1
        paint(self, painter, *args)

    TimelineItem.paint = counted_paint  # type: ignore[method-assign]

    def snapshot() -> tuple[float, float, float, int]:
        times = me.cpu_times()
        gui = next((t for t in me.threads() if t.id == gui_thread), None)
        gui_s = gui.user_time + gui.system_time if gui is not None else float("nan")
        return time.perf_counter(), times.user + times.system, gui_s, paints[0]

    def on_started(_window: Any, run: Any) -> None:
        def look() -> None:
            done = run.n_done + run.n_failed
            if "first" not in marks and done > 0:
                marks["first"] = snapshot()
            if "first" in marks and "last" not in marks and (done >= run.n_tasks or run.is_over):
                marks["last"] = snapshot()

        # It looks at each of the window's ticks, not on a timer of its own: a timer's
        # wake-ups (tens a second) would be counted as the window's.
        _window.presenter.sig_run_ticked.connect(lambda _run: look())
        # On a machine too busy for the watcher to look in time: the run's end is the mark.
        _window.presenter.sig_run_ended.connect(lambda _run: marks.setdefault("last", snapshot()))

    load_before = window_run.load_average()
    experiment = window_run.experiment_for(size_ms, seconds)
    window, run = window_run.show_run(experiment, on_started)
    window_run.close(window)
    if "first" not in marks or "last" not in marks:
        raise RuntimeError("the window never looked while tasks ran (machine too busy?)")
    (w0, c0, g0, p0), (w1, c1, g1, p1) = marks["first"], marks["last"]
    wall = w1 - w0
    return {
        "size_ms": size_ms,
        "state": run.state,
        "wall_s": wall,
        "share": (c1 - c0) / wall,
        "gui_share": (g1 - g0) / wall,
        "fps": (p1 - p0) / wall,
        "load": [load_before, window_run.load_average()],
    }


def _spread(values: list[float], scale: float = 100.0, unit: str = " %") -> str:
    return (
        f"{statistics.median(values) * scale:.1f}{unit} "
        f"({min(values) * scale:.1f}–{max(values) * scale:.1f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=4.0, help="work per run")
    parser.add_argument("--sizes", default="0.1,1", help="task sizes in ms")
    parser.add_argument("--against", type=Path, help="another source tree to measure too")
    parser.add_argument("--child", nargs=2, type=float, metavar=("SIZE_MS", "SECONDS"))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    trees = [("this", window_run.OWN_SRC)]
    if args.against is not None:
        trees.append(("other", args.against.resolve()))
    sizes = [float(s) for s in args.sizes.split(",")]
    results: dict[tuple[str, float], list[dict[str, Any]]] = {}
    print(
        "window CPU while showing a live run · pool-map, 2 workers, CPU-bound tasks · "
        f"window 1440×900 offscreen · {args.passes} passes"
        + (f" · other = {trees[1][1]}" if args.against else "")
    )
    print("pass tree  task     load   app CPU   GUI thread   timeline frames/s")
    for number in range(args.passes):
        order = trees if number % 2 == 0 else trees[::-1]
        for size in sizes if number % 2 == 0 else sizes[::-1]:
            for name, src in order:
                got = window_run.spawn("window_cpu.py", src, [str(size), str(args.seconds)])
                results.setdefault((name, size), []).append(got)
                print(
                    f"{number + 1:>4} {name:<5} {size * 1000:>4.0f} µs  {got['load'][0]:4.2f}   "
                    f"{got['share']:6.1%}   {got['gui_share']:6.1%}       {got['fps']:5.1f}",
                    flush=True,
                )
    print()
    print("median over passes (range), share of one core")
    for (name, size), runs in results.items():
        loads = [r["load"][0] for r in runs]
        share = statistics.median(r["share"] for r in runs)
        print(
            f"{name:<5} {size * 1000:>4.0f} µs  app {_spread([r['share'] for r in runs])} · "
            f"GUI thread {_spread([r['gui_share'] for r in runs])} · "
            f"{_spread([r['fps'] for r in runs], 1.0, '')} frames/s · "
            f"load {min(loads):.2f}–{max(loads):.2f} · "
            f"{'meets' if share <= GOAL else 'misses'} the goal (<= {GOAL:.0%})"
        )


if __name__ == "__main__":
    sys.exit(main())
