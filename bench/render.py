"""Frame time of the timeline item vs pyqtgraph.BarGraphItem, and the live tick at 1M bars.

Two data sets, each at 10k, 100k and 1M bars, full view and zoomed to 1 %:

* ``uniform``: 16 lanes of 1 ms bars with 0.1 ms gaps (at full view the bars of a lane
  merge into a few rectangles: the kindest case for level of detail);
* ``realistic``: 48 lanes, exponential durations (mean 1 ms) and gaps (mean 0.05 ms),
  and a visible gap (30 ms) after every ~200 bars of a lane, so a full view really has
  thousands of separate rectangles to draw.

Run: ``PYTHONPATH=src QT_QPA_PLATFORM=offscreen python bench/render.py [--sets uniform,realistic]``.
Prints medians in milliseconds. Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QApplication

from coreography.gui import theme
from coreography.gui.widgets.timeline import TimelineView
from coreography.model import wire
from coreography.model.events import Kind
from coreography.model.experiment import Experiment
from coreography.model.run import RECORD_DTYPE, Run

SIZE = (1400, 700)
FRAMES = 15
TASK_NS = 1_000_000  # uniform: 1 ms tasks with 0.1 ms gaps, back to back in each lane
GAP_NS = 100_000
#: Per data set: lanes, and how each lane's tasks lie (durations and gaps in ns).
SETS = {"uniform": 16, "realistic": 48}
_layouts: dict[tuple[str, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def layout(data: str, total: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lane, start, end) of every task of a ``total``-task run of data set ``data``."""
    key = (data, total)
    if key in _layouts:
        return _layouts[key]
    lanes = SETS[data]
    tasks = np.arange(total)
    lane = tasks % lanes
    slot = tasks // lanes  # the task's place in its lane
    if data == "uniform":
        start = slot * (TASK_NS + GAP_NS)
        end = start + TASK_NS
    else:
        rng = np.random.default_rng(5)
        duration = rng.exponential(1_000_000, total).astype(np.int64) + 1_000
        gap = rng.exponential(50_000, total).astype(np.int64)
        gap[(slot % 200) == 199] += 30_000_000  # a gap a full view shows, every ~200 bars
        start = np.zeros(total, np.int64)
        for w in range(lanes):
            mine = lane == w
            step = duration[mine] + gap[mine]
            start[mine] = np.cumsum(step) - step
        end = start + duration
    _layouts[key] = (lane, start, end)
    return lane, start, end


def task_frames(data: str, total: int, first: int, count: int) -> list[bytes]:
    """Started and finished records for tasks ``first`` … ``first + count - 1`` (one
    frame per lane, as a worker would batch them)."""
    lane_of, start_of, end_of = layout(data, total)
    tasks = np.arange(first, first + count)
    lane = lane_of[tasks]
    frames = []
    for w in range(SETS[data]):
        mine = tasks[lane == w]
        rows = np.zeros(2 * len(mine), RECORD_DTYPE)
        rows["kind"][0::2], rows["kind"][1::2] = Kind.TASK_STARTED, Kind.TASK_FINISHED
        rows["task"][0::2] = rows["task"][1::2] = mine
        rows["t"][0::2] = start_of[mine]
        rows["t"][1::2] = end_of[mine]
        frames.append(wire.records_frame(2000 + w, 0, rows))
    return frames


def make_run(data: str, total: int, filled: int) -> Run:
    run = Run(Experiment(workers=SETS[data], tasks=total), cores=2, t0=0)
    run.set_driver(1000)
    run.apply(task_frames(data, total, 0, filled))
    return run


def extent_s(data: str, total: int) -> float:
    return float(layout(data, total)[2].max()) / 1e9


def median_ms(action, frames: int = FRAMES) -> float:
    action()  # warm up (BarGraphItem builds its picture on the first paint)
    times = []
    for _ in range(frames):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def timeline_for(run: Run) -> TimelineView:
    view = TimelineView()
    view.resize(*SIZE)
    view.show()
    view.set_run(run)
    view.follow.setChecked(False)
    return view


def bar_graph_for(run: Run) -> pg.PlotWidget:
    widget = pg.PlotWidget()
    widget.resize(*SIZE)
    lane = run.task_lane.astype(float)
    done = run.task_end >= 0
    start = (run.task_start[done] - run.t0) / 1e9
    width = (run.task_end[done] - run.task_start[done]) / 1e9
    # The kindest setup for BarGraphItem: one brush, no pen.
    item = pg.BarGraphItem(
        x0=start, y0=lane[done] + 0.15, width=width, height=0.7, brush=theme.BLUE, pen=None
    )
    widget.addItem(item)
    widget.getViewBox().invertY(True)
    widget.show()
    return widget


def frame(app: QApplication, plot: pg.PlotWidget):
    def draw() -> None:
        plot.viewport().repaint()

    return draw


def set_view(plot: pg.PlotWidget, x0: float, x1: float, lanes: int) -> None:
    plot.setXRange(x0, x1, padding=0)
    plot.setYRange(0, lanes + 1, padding=0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default="uniform,realistic")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv)
    theme.apply_plot_defaults()
    print(f"median frame time, ms ({SIZE[0]}x{SIZE[1]}, offscreen); load {os.getloadavg()[0]:.2f}")
    print(
        f"{'data':>10} {'bars':>10} {'view':>7} {'timeline':>10} {'BarGraphItem':>13} "
        f"{'BarGraphItem/timeline':>22}"
    )
    results = {}
    for data in args.sets.split(","):
        for count in (int(size) for size in args.sizes.split(",")):
            run = make_run(data, count, count)
            extent = extent_s(data, count)
            timeline = timeline_for(run)
            bars = bar_graph_for(run)
            app.processEvents()
            for name, (x0, x1) in (
                ("full", (0.0, extent)),
                ("zoomed", (extent * 0.5, extent * 0.5 + extent * 0.01)),
            ):
                set_view(timeline.plot, x0, x1, SETS[data])
                set_view(bars, x0, x1, SETS[data])
                app.processEvents()
                ours = median_ms(frame(app, timeline.plot))
                slow = 5 if count >= 1_000_000 else FRAMES
                theirs = median_ms(frame(app, bars), frames=slow)
                results[(data, count, name)] = (ours, theirs)
                print(
                    f"{data:>10} {count:>10,} {name:>7} {ours:>10.2f} {theirs:>13.2f} "
                    f"{theirs / ours:>21.1f}x"
                )
            timeline.close()
            bars.close()
            timeline.deleteLater()
            bars.deleteLater()
            app.processEvents()
    slower = [key for key, (ours, theirs) in results.items() if ours > theirs]
    print(
        "slower than BarGraphItem at: "
        + (", ".join(f"{d} {c:,} {n}" for d, c, n in slower) if slower else "nowhere")
    )
    if "uniform" not in args.sets.split(",") or "1000000" not in args.sizes.split(","):
        return 0

    # Live: 1,000,000-task run, 990,000 in; each tick applies 500 more, syncs and draws.
    total, filled, per_tick = 1_000_000, 990_000, 500
    run = make_run("uniform", total, filled)
    timeline = timeline_for(run)
    app.processEvents()
    timeline.follow.setChecked(False)
    extent = extent_s("uniform", total)
    set_view(timeline.plot, 0.0, extent, SETS["uniform"])
    state = {"next": filled}
    applies, syncs = [], []

    def tick() -> None:
        first = state["next"]
        state["next"] += per_tick
        frames = task_frames("uniform", total, first, per_tick)
        t = time.perf_counter()
        run.apply(frames)
        applies.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        timeline.refresh()
        syncs.append((time.perf_counter() - t) * 1000)
        timeline.plot.viewport().repaint()

    live = median_ms(tick, frames=18)
    print(
        f"\nlive tick at 1M bars (apply 500 + sync + full-view frame): {live:.2f} ms "
        f"(apply {statistics.median(applies):.2f}, sync {statistics.median(syncs):.2f})"
    )
    ours, theirs = results[("uniform", 1_000_000, "full")]
    real = results.get(("realistic", 1_000_000, "full"), (float("nan"), float("nan")))[0]
    print(
        f"targets: 1M full view {ours:.2f} (realistic {real:.2f}) <= 8 ms: "
        f"{'yes' if max(ours, real) <= 8 else 'NO'}; "
        f"live tick {live:.2f} <= 15 ms: {'yes' if live <= 15 else 'NO'}"
    )
    timeline.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
