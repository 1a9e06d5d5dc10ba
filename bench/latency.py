"""Event → screen latency of the real window (offscreen): pool-map, 2 workers.

For every task start and finish event of the run: its timestamp in the worker → when the
app's reader received its frame → when the run model applied it → when the timeline
finished the first paint after that (a frame that shows it). Each run is a fresh
interpreter showing the whole window at 1440×900; passes interleave the task sizes
(~100 µs and ~1 ms CPU-bound tasks), and with ``--against SRC`` also another source tree
(e.g. an older checkout's ``src``), so both see the same machine. Prints each stage's
p50/p90/p99 per run, then per size the median over passes with the range, the load
average, and what the status bar's lag said meanwhile. Goal: painted p99 <= 50 ms,
p50 <= 25 ms.

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python bench/latency.py [--passes 5]
[--seconds 3] [--against /path/to/other/src]``.
"""

from __future__ import annotations

import argparse
import bisect
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import window_run

STAGES = ("received", "applied", "painted")
GOAL_P50_MS, GOAL_P99_MS = 25.0, 50.0


def child(size_ms: float, seconds: float) -> dict[str, Any]:
    """One run in this interpreter, measured; the figures as a dict."""
    from PySide6.QtCore import QTimer

    from coreography.engine import controller as controller_module
    from coreography.gui.widgets.timeline_item import TimelineItem
    from coreography.model import wire
    from coreography.model.events import FrameType, Kind
    from coreography.model.run import Run

    now = time.perf_counter_ns
    received: list[tuple[int, bytes]] = []
    applied: dict[int, int] = {}
    paints: list[int] = []
    lags: list[float] = []

    class Stamped:
        """What the reader thread appends frames to: notes when each arrived."""

        def __init__(self, frames: Any) -> None:
            self.frames = frames

        def append(self, frame: bytes) -> None:
            received.append((now(), frame))
            self.frames.append(frame)

    read_frames = controller_module.read_frames

    def stamped_read_frames(reader: Any, frames: Any, *args: Any, **kwargs: Any) -> None:
        read_frames(reader, Stamped(frames), *args, **kwargs)

    controller_module.read_frames = stamped_read_frames  # type: ignore[assignment]
    if hasattr(Run, "apply_batch"):  # frames decoded in one batch, then applied
        decode_batch, apply_batch = wire.decode_batch, Run.apply_batch
        batch_frames: dict[int, list[bytes]] = {}

        def stamped_decode(frames: Any) -> Any:
            frames = list(frames)
            batch = decode_batch(frames)
            batch_frames[id(batch)] = frames
            return batch

        def stamped_apply_batch(self: Run, batch: Any, *args: Any, **kwargs: Any) -> None:
            apply_batch(self, batch, *args, **kwargs)
            done = now()
            for frame in batch_frames.pop(id(batch), []):
                applied.setdefault(id(frame), done)

        wire.decode_batch = stamped_decode  # type: ignore[assignment]
        Run.apply_batch = stamped_apply_batch  # type: ignore[method-assign]
    else:  # a source tree of before: Run.apply decoded and applied
        apply = Run.apply

        def stamped_apply(self: Run, frames: Any, *args: Any, **kwargs: Any) -> None:
            frames = list(frames)
            apply(self, frames, *args, **kwargs)
            done = now()
            for frame in frames:
                applied.setdefault(id(frame), done)

        Run.apply = stamped_apply  # type: ignore[method-assign]
    paint = TimelineItem.paint

    def stamped_paint(self: TimelineItem, painter: Any, *args: Any) -> None:
        paint(self, painter, *args)
        paints.append(now())

    TimelineItem.paint = stamped_paint  # type: ignore[method-assign]
    sampler = QTimer()

    def on_started(window: Any, _run: Any) -> None:
        def sample() -> None:
            lag = window.presenter.lag_s
            if lag is not None and window.presenter.live:
                lags.append(lag * 1000.0)

        sampler.timeout.connect(sample)
        sampler.start(100)

    load_before = window_run.load_average()
    experiment = window_run.experiment_for(size_ms, seconds)
    window, run = window_run.show_run(experiment, on_started)
    sampler.stop()
    stages: dict[str, list[float]] = {name: [] for name in STAGES}
    gap: list[float] = []  # received → painted
    unpainted = 0
    wanted = (int(Kind.TASK_STARTED), int(Kind.TASK_FINISHED))
    for arrived, frame in received:
        head = wire.read_header(frame)
        if head is None or head.frame_type != FrameType.BINARY:
            continue
        records = wire.read_records(frame)
        times = [int(t) for k, t in zip(records["kind"], records["t"], strict=True) if k in wanted]
        if not times:
            continue
        done = applied.get(id(frame))
        at = bisect.bisect_left(paints, done) if done is not None else len(paints)
        painted = paints[at] if at < len(paints) else None
        for t in times:
            stages["received"].append((arrived - t) / 1e6)
            if done is not None:
                stages["applied"].append((done - t) / 1e6)
            if painted is None:
                unpainted += 1
                continue
            stages["painted"].append((painted - t) / 1e6)
        if painted is not None:
            gap.append((painted - arrived) / 1e6)
    window_run.close(window)
    result: dict[str, Any] = {
        "size_ms": size_ms,
        "tasks": experiment["tasks"],
        "state": run.state,
        "events": len(stages["received"]),
        "unpainted": unpainted,
        "paints": len(paints),
        "wall_s": (run.run_finished_ns - run.run_started_ns) / 1e9,
        "load": [load_before, window_run.load_average()],
        "lag_ms": [statistics.median(lags), max(lags)] if lags else [None, None],
        "gap_p99": window_run.percentile(gap, 0.99),
    }
    for name, values in stages.items():
        result[name] = [window_run.percentile(values, q) for q in (0.5, 0.9, 0.99)]
    return result


def _spread(values: list[float]) -> str:
    values = [v for v in values if v == v]  # nan: no such event
    if not values:
        return "—"
    return f"{statistics.median(values):6.1f} ({min(values):.1f}–{max(values):.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3.0, help="work per run")
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
        f"event → screen latency · pool-map, 2 workers, CPU-bound tasks · window 1440×900 "
        f"offscreen · {args.passes} passes" + (f" · other = {trees[1][1]}" if args.against else "")
    )
    print("pass tree  task     load   received p50/p90/p99   painted p50/p90/p99   lag said")
    for number in range(args.passes):
        order = trees if number % 2 == 0 else trees[::-1]
        for size in sizes if number % 2 == 0 else sizes[::-1]:
            for name, src in order:
                got = window_run.spawn("latency.py", src, [str(size), str(args.seconds)])
                results.setdefault((name, size), []).append(got)
                rec, painted = got["received"], got["painted"]
                lag = got["lag_ms"]
                said = f"{lag[0]:.0f}/{lag[1]:.0f} ms" if lag[0] is not None else "—"
                print(
                    f"{number + 1:>4} {name:<5} {size * 1000:>4.0f} µs  {got['load'][0]:4.2f}   "
                    f"{rec[0]:5.1f} {rec[1]:5.1f} {rec[2]:6.1f}      "
                    f"{painted[0]:5.1f} {painted[1]:5.1f} {painted[2]:6.1f}     {said}"
                    + (f"  ({got['unpainted']} unpainted)" if got["unpainted"] else ""),
                    flush=True,
                )
    print()
    print("median over passes (range), ms; lag said = the status bar's median / max")
    print(f"{'tree':<5} {'task':>6}  {'stage':<9} {'p50':>20} {'p90':>20} {'p99':>20}")
    for (name, size), runs in results.items():
        for stage in STAGES:
            cells = [_spread([r[stage][q] for r in runs]) for q in range(3)]
            row = " ".join(f"{c:>20}" for c in cells)
            print(f"{name:<5} {size * 1000:>4.0f} µs  {stage:<9} {row}")
        gap = _spread([r["gap_p99"] for r in runs])
        said = _spread([r["lag_ms"][1] for r in runs if r["lag_ms"][1] is not None])
        loads = [r["load"][0] for r in runs]
        print(
            f"{'':<5} {'':>6}  received → painted p99 {gap} · lag said (max) {said} · "
            f"load {min(loads):.2f}–{max(loads):.2f}"
        )
    for (name, size), runs in results.items():
        p50 = statistics.median(r["painted"][0] for r in runs)
        p99 = statistics.median(r["painted"][2] for r in runs)
        verdict = "meets" if p50 <= GOAL_P50_MS and p99 <= GOAL_P99_MS else "misses"
        print(
            f"{name} {size * 1000:.0f} µs: painted p50 {p50:.1f} ms, p99 {p99:.1f} ms — {verdict} "
            f"the goal (p50 <= {GOAL_P50_MS:.0f}, p99 <= {GOAL_P99_MS:.0f})"
        )


if __name__ == "__main__":
    sys.exit(main())
