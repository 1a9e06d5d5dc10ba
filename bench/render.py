"""Frame time of the timeline item vs pyqtgraph.BarGraphItem, and the live tick at 1M bars.

Run: ``PYTHONPATH=src QT_QPA_PLATFORM=offscreen python bench/render.py``. Prints medians
in milliseconds. Not a test: numbers depend on the machine.
"""

from __future__ import annotations

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

LANES = 16
SIZE = (1400, 700)
FRAMES = 15
TASK_NS = 1_000_000  # 1 ms tasks with 0.1 ms gaps, back to back in each lane
GAP_NS = 100_000


def task_frames(first: int, count: int, t0: int) -> list[bytes]:
    """Started and finished records for tasks ``first`` … ``first + count - 1``, dealt
    round-robin over the lanes (one frame per lane, as a worker would batch them)."""
    tasks = np.arange(first, first + count)
    lane = tasks % LANES
    start = t0 + (tasks // LANES) * (TASK_NS + GAP_NS)
    frames = []
    for w in range(LANES):
        mine = tasks[lane == w]
        rows = np.zeros(2 * len(mine), RECORD_DTYPE)
        rows["kind"][0::2], rows["kind"][1::2] = Kind.TASK_STARTED, Kind.TASK_FINISHED
        rows["task"][0::2] = rows["task"][1::2] = mine
        rows["t"][0::2] = start[lane == w]
        rows["t"][1::2] = start[lane == w] + TASK_NS
        frames.append(wire.records_frame(2000 + w, 0, rows))
    return frames


def make_run(total: int, filled: int) -> Run:
    run = Run(Experiment(workers=LANES, tasks=total), cores=2, t0=0)
    run.set_driver(1000)
    run.apply(task_frames(0, filled, 0))
    return run


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


def set_view(plot: pg.PlotWidget, x0: float, x1: float) -> None:
    plot.setXRange(x0, x1, padding=0)
    plot.setYRange(0, LANES + 1, padding=0)


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    theme.apply_plot_defaults()
    print(f"median frame time, ms ({SIZE[0]}x{SIZE[1]}, {LANES} lanes, offscreen)")
    print(f"{'bars':>10} {'view':>7} {'timeline':>10} {'BarGraphItem':>13} {'ratio':>7}")
    results = {}
    for count in (10_000, 100_000, 1_000_000):
        run = make_run(count, count)
        extent = (count / LANES) * (TASK_NS + GAP_NS) / 1e9
        timeline = timeline_for(run)
        bars = bar_graph_for(run)
        app.processEvents()
        for name, (x0, x1) in (
            ("full", (0.0, extent)),
            ("zoomed", (extent * 0.5, extent * 0.5 + extent * 0.01)),
        ):
            set_view(timeline.plot, x0, x1)
            set_view(bars, x0, x1)
            app.processEvents()
            ours = median_ms(frame(app, timeline.plot))
            theirs = median_ms(frame(app, bars), frames=5 if count >= 1_000_000 else FRAMES)
            results[(count, name)] = (ours, theirs)
            print(f"{count:>10,} {name:>7} {ours:>10.2f} {theirs:>13.2f} {theirs / ours:>6.1f}x")
        timeline.close()
        bars.close()
        timeline.deleteLater()
        bars.deleteLater()
        app.processEvents()

    # Live: 1,000,000-task run, 990,000 in; each tick applies 500 more, syncs and draws.
    total, filled, per_tick = 1_000_000, 990_000, 500
    run = make_run(total, filled)
    timeline = timeline_for(run)
    app.processEvents()
    timeline.follow.setChecked(False)
    extent = (total / LANES) * (TASK_NS + GAP_NS) / 1e9
    set_view(timeline.plot, 0.0, extent)
    state = {"next": filled}
    applies, syncs = [], []

    def tick() -> None:
        first = state["next"]
        state["next"] += per_tick
        frames = task_frames(first, per_tick, 0)
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
    ours, theirs = results[(1_000_000, "full")]
    print(
        f"targets: 1M full view {ours:.2f} <= 8 ms: {'yes' if ours <= 8 else 'NO'}; "
        f"live tick {live:.2f} <= 15 ms: {'yes' if live <= 15 else 'NO'}; "
        f"{theirs / ours:.1f}x >= 10x BarGraphItem: {'yes' if theirs / ours >= 10 else 'NO'}"
    )
    timeline.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
