"""Frame time of the timeline item vs pyqtgraph.BarGraphItem, and the live tick at 1M bars.

Two data sets, each at 10k, 100k and 1M bars, full view and zoomed to 1 %, each view
drawn as it is (a repaint: what each item kept from its last frame may serve it) and
moved by a pixel before every frame (``moved``: as when panning, the timeline computes
its bars anew, BarGraphItem draws its bars in data coordinates through a new
transform):

* ``uniform``: 16 lanes of 1 ms bars with 0.1 ms gaps (at full view the bars of a lane
  merge into a few rectangles: the kindest case for level of detail);
* ``realistic``: 48 lanes, exponential durations (mean 1 ms) and gaps (mean 0.05 ms),
  and a visible gap (30 ms) after every ~200 bars of a lane, so a full view really has
  thousands of separate rectangles to draw.

A frame is the whole plot, as its user sees it: bars, axes and view box. The timeline
draws its time axis with its own ``TimeAxis``; BarGraphItem's plot has pyqtgraph's
``AxisItem``, as anyone drawing bars with it would (when the view moves, both axes lay
their ticks out again; the timeline's does it in about half the time).

The two items are drawn in turns, frame after frame (the order swapped every round), so a
busy machine slows both alike. Each is timed in wall time and in the painting thread's
CPU time (what the frame cost, without the time another process held the core); the
table gives medians with their ranges, the ratio of the medians, and the load average
before and after. Goals: at most 8 ms per frame at 1M bars with gaps (``realistic``,
moved or not), and the timeline never slower than BarGraphItem (in a repaint; where it
is slower when the view moves is printed as well).

Run: ``PYTHONPATH=src QT_QPA_PLATFORM=offscreen python bench/render.py [--sets uniform,realistic]
[--sizes 10000,100000,1000000] [--frames 15]``. Not a test: numbers depend on the machine.
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
    action()  # warm up
    times = []
    for _ in range(frames):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


class Timing:
    """Wall and thread-CPU milliseconds of one drawing action's frames."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def time(self, action) -> None:
        wall, cpu = time.perf_counter(), time.thread_time()
        action()
        self.cpu.append((time.thread_time() - cpu) * 1000)
        self.wall.append((time.perf_counter() - wall) * 1000)

    def median(self, which: str = "wall") -> float:
        return statistics.median(getattr(self, which))

    def text(self, which: str = "wall") -> str:
        values = getattr(self, which)
        return f"{statistics.median(values):.2f} [{min(values):.2f}-{max(values):.2f}]"


def side_by_side(ours, theirs, frames: int, before=None) -> tuple[Timing, Timing]:
    """Time ``frames`` frames of each action in turns (the first of each pair swapping
    every round), after one warm-up frame each (BarGraphItem builds its picture then).
    ``before`` (if given) is called, untimed, before each round."""
    ours(), theirs()
    mine, other = Timing(), Timing()
    for round_ in range(frames):
        if before is not None:
            before(round_)
        pair = [(mine, ours), (other, theirs)]
        for timing, action in pair if round_ % 2 == 0 else pair[::-1]:
            timing.time(action)
    return mine, other


def timeline_for(run: Run) -> TimelineView:
    view = TimelineView()
    view.resize(*SIZE)
    view.show()
    view.set_run(run)
    view.follow.setChecked(False)
    return view


def bar_graph_for(run: Run, like: TimelineView) -> pg.PlotWidget:
    """BarGraphItem on a plot of the same size as ``like``'s, with a left axis as wide as
    its lane axis: both fill bars into the same area."""
    widget = pg.PlotWidget()
    widget.resize(like.plot.size())
    widget.getAxis("left").setWidth(like.lane_axis.width())
    widget.setLabel("bottom", "seconds since the run started")
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


def mover(plots, x0: float, x1: float, pixel: float, lanes: int):
    """Before round ``k``: the view of every plot one pixel right of ``x0``…``x1`` (even
    rounds, the first included) or back (odd ones), so that every frame draws a view it
    did not draw last."""

    def move(round_: int) -> None:
        shift = pixel * ((round_ + 1) % 2)
        for plot in plots:
            set_view(plot, x0 + shift, x1 + shift, lanes)

    return move


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default="uniform,realistic")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--frames", type=int, default=FRAMES)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv)
    theme.apply_plot_defaults()
    frames = args.frames
    load_before = os.getloadavg()
    print(
        f"frame time, ms: median [min-max] of {frames} frames each, drawn in turns "
        f"({SIZE[0]}x{SIZE[1]}, offscreen); load average {load_before[0]:.2f} "
        f"{load_before[1]:.2f} {load_before[2]:.2f} on {os.cpu_count()} cores"
    )
    print(
        f"{'data':>10} {'bars':>10} {'view':>13} {'timeline':>22} {'BarGraphItem':>22} "
        f"{'ratio':>7} {'ratio cpu':>10}"
    )
    results = {}
    for data in args.sets.split(","):
        for count in (int(size) for size in args.sizes.split(",")):
            run = make_run(data, count, count)
            extent = extent_s(data, count)
            timeline = timeline_for(run)
            app.processEvents()
            bars = bar_graph_for(run, timeline)
            app.processEvents()
            same = timeline.view_box.size() == bars.getViewBox().size()
            assert same, (timeline.view_box.size(), bars.getViewBox().size())
            for name, (x0, x1), moved in (
                ("full", (0.0, extent), False),
                ("zoomed", (extent * 0.5, extent * 0.5 + extent * 0.01), False),
                ("full, moved", (0.0, extent), True),
                ("zoomed, moved", (extent * 0.5, extent * 0.5 + extent * 0.01), True),
            ):
                set_view(timeline.plot, x0, x1, SETS[data])
                set_view(bars, x0, x1, SETS[data])
                app.processEvents()
                pixel = (x1 - x0) / timeline.view_box.width()
                move = mover((timeline.plot, bars), x0, x1, pixel, SETS[data])
                mine, other = side_by_side(
                    frame(app, timeline.plot), frame(app, bars), frames, move if moved else None
                )
                ours, theirs = mine.median(), other.median()
                results[(data, count, name)] = (ours, theirs)
                print(
                    f"{data:>10} {count:>10,} {name:>13} {mine.text():>22} {other.text():>22} "
                    f"{theirs / ours:>6.1f}x {other.median('cpu') / mine.median('cpu'):>9.1f}x"
                )
            timeline.close()
            bars.close()
            timeline.deleteLater()
            bars.deleteLater()
            app.processEvents()
    print("ratio: BarGraphItem's median / the timeline's (above 1: the timeline is faster)")
    slower = [key for key, (ours, theirs) in results.items() if ours > theirs]

    def where(keys: list) -> str:
        return ", ".join(f"{d} {c:,} {n}" for d, c, n in keys) if keys else "nowhere"

    moving = [key for key in slower if key[2].endswith("moved")]
    slower = [key for key in slower if key not in moving]
    print(f"slower than BarGraphItem at: {where(slower)}; when the view moves: {where(moving)}")
    lives = {}
    if "1000000" in args.sizes.split(","):
        for data in args.sets.split(","):
            lives[data] = live_tick(app, data)
    load_after = os.getloadavg()
    print(f"load average after: {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    worst = max(
        (ours for (data, count, _), (ours, _) in results.items() if count == 1_000_000),
        default=float("nan"),
    )
    print(
        f"goals: slowest 1M frame {worst:.2f} ms <= 8 ms: {'yes' if worst <= 8 else 'NO'}; "
        f"never slower than BarGraphItem: {'yes' if not slower else 'NO'} "
        f"(when the view moves: {'yes' if not moving else 'NO'}); "
        + "; ".join(
            f"live tick ({data}) {live:.2f} <= 15 ms: {'yes' if live <= 15 else 'NO'}"
            for data, live in lives.items()
        )
    )
    return 0


def live_tick(app: QApplication, data: str) -> float:
    """A 1,000,000-task run, 980,000 in; each tick applies 500 more, syncs and draws the
    full view. Prints and returns the median tick in milliseconds."""
    total, filled, per_tick = 1_000_000, 980_000, 500
    run = make_run(data, total, filled)
    timeline = timeline_for(run)
    app.processEvents()
    timeline.follow.setChecked(False)
    set_view(timeline.plot, 0.0, extent_s(data, total), SETS[data])
    state = {"next": filled}
    applies, syncs = [], []

    def tick() -> None:
        first = state["next"]
        state["next"] += per_tick
        frames = task_frames(data, total, first, per_tick)
        t = time.perf_counter()
        run.apply(frames)
        applies.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        timeline.refresh()
        syncs.append((time.perf_counter() - t) * 1000)
        timeline.plot.viewport().repaint()

    live = median_ms(tick, frames=18)
    print(
        f"live tick at 1M bars, {data} (apply 500 + sync + full-view frame): {live:.2f} ms "
        f"(apply {statistics.median(applies):.2f}, sync {statistics.median(syncs):.2f})"
    )
    # The frame the window paints: the refresh asks for the strip of time that changed
    # (all of the view once a second), and Qt paints what was asked.
    cpu: list[float] = []

    def strip_tick() -> None:
        first = state["next"]
        state["next"] += per_tick
        run.apply(task_frames(data, total, first, per_tick))
        t = time.thread_time()
        timeline.refresh()
        app.processEvents()
        cpu.append((time.thread_time() - t) * 1000)

    partial = timeline.partial_frames
    median_ms(strip_tick, frames=18)
    print(
        f"live tick at 1M bars, {data}, as the window paints it (sync + the frame Qt was "
        f"asked for; {timeline.partial_frames - partial} of {len(cpu)} strips): "
        f"{statistics.median(cpu):.2f} ms thread CPU [{min(cpu):.2f}-{max(cpu):.2f}]"
    )
    timeline.close()
    timeline.deleteLater()
    app.processEvents()
    return live


if __name__ == "__main__":
    sys.exit(main())
