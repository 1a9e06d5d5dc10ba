"""The sweep chart: speedup (ideal line, measured medians with min–max whiskers, Amdahl
fit) and efficiency."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from coreography.gui import theme
from coreography.model.metrics import compute_metrics
from coreography.model.run import Run
from coreography.model.scaling import AmdahlFit, ScalingPoint, fit_series, scaling_series
from coreography.model.series import summarize

FIT_SAMPLES = 200


def _pen(color: str, dashed: bool = False):
    pen = theme.thin_pen(color, 1)
    if dashed:
        pen.setStyle(Qt.PenStyle.DashLine)
    return pen


class SweepChart(QWidget):
    """Draws a sweep's measured points; items are made once and fed with ``setData``."""

    sig_stop_requested = Signal()
    """The user pressed "Stop sweep"; no arguments (measured points stay)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = "workers"
        self.series: list[ScalingPoint] = []
        self.fit: AmdahlFit | None = None
        #: (value, median wall, lowest wall, highest wall, median efficiency %, repeats)
        self.values: list[tuple[int, float, float, float, float, int]] = []
        self.heading = QLabel("No sweep yet: Run → Sweep workers, or the Scaling lesson.")
        self.heading.setWordWrap(True)
        self.fit_label = QLabel()
        self.fit_label.setWordWrap(True)
        self.fit_label.setStyleSheet("font-weight: bold")
        self.stop_button = QPushButton("Stop sweep")
        self.stop_button.setToolTip("End the current run; the points measured so far stay")
        self.stop_button.setEnabled(False)
        self.speedup_plot = pg.PlotWidget()
        self.efficiency_plot = pg.PlotWidget()
        for plot in (self.speedup_plot, self.efficiency_plot):
            plot.setMenuEnabled(False)
            plot.showGrid(x=True, y=True, alpha=theme.GRID_ALPHA)
            plot.getAxis("bottom").enableAutoSIPrefix(False)
        self.efficiency_plot.setXLink(self.speedup_plot)
        legend = self.speedup_plot.addLegend(offset=(10, 10))
        legend.setBrush(pg.mkBrush(255, 255, 255, 220))
        self.ideal = self.speedup_plot.plot(pen=_pen(theme.MAIN_COLOR, dashed=True), name="ideal")
        self.fitted = self.speedup_plot.plot(pen=_pen(theme.ORANGE), name="Amdahl fit")
        self.measured = self.speedup_plot.plot(
            pen=None,
            symbol="o",
            symbolSize=9,
            symbolPen=_pen(theme.BLUE),
            symbolBrush=theme.BLUE,
            name="measured (median)",
        )
        self.whiskers = pg.ErrorBarItem(beam=0.18, pen=_pen(theme.BLUE))
        self.speedup_plot.addItem(self.whiskers)
        self.cores_line = pg.InfiniteLine(
            angle=90,
            pen=_pen(theme.VERMILLION, dashed=True),
            label="cores",
            labelOpts={"position": 0.92, "color": theme.VERMILLION},
        )
        self.cores_line.setVisible(False)
        self.speedup_plot.addItem(self.cores_line)
        self.full_line = pg.InfiniteLine(pos=100.0, angle=0, pen=_pen(theme.MAIN_COLOR, True))
        self.efficiency_plot.addItem(self.full_line)
        self.efficiency = self.efficiency_plot.plot(
            pen=_pen(theme.BLUISH_GREEN),
            symbol="s",
            symbolSize=8,
            symbolPen=_pen(theme.BLUISH_GREEN),
            symbolBrush=theme.BLUISH_GREEN,
        )
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.stop_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.fit_label)
        layout.addWidget(self.speedup_plot, 3)
        layout.addWidget(self.efficiency_plot, 2)
        self.stop_button.clicked.connect(self.sig_stop_requested)
        self._set_axes("workers")

    def set_running(self, running: bool) -> None:
        self.stop_button.setEnabled(running)

    def set_points(
        self, field: str, points: list[tuple[int, Run]], cores: int, status: str = ""
    ) -> None:
        """Draw the finished runs of a sweep over ``field``: (value, run) pairs, repeats
        as several pairs of one value (drawn as their median with a min–max whisker)."""
        if field != self.field:
            self._set_axes(field)
        self.heading.setText(status or f"{len(points)} points measured")
        if field == "workers":
            self._draw_workers(points, cores)
        else:
            self._draw_other(points)

    def _set_axes(self, field: str) -> None:
        self.field = field
        workers = field == "workers"
        self.speedup_plot.setLabel("bottom", field)
        self.efficiency_plot.setLabel("bottom", field if workers else f"{field} (0 = auto)")
        self.speedup_plot.setLabel("left", "speedup ×" if workers else "wall time (s)")
        self.efficiency_plot.setLabel("left", "efficiency %")
        self.ideal.setVisible(workers)
        self.fitted.setVisible(workers)
        self.cores_line.setVisible(False)

    def _draw_workers(self, points: list[tuple[int, Run]], cores: int) -> None:
        self.series = scaling_series(points)
        self.fit = fit_series(self.series, cores)
        xs = np.array([p.workers for p in self.series], dtype=float)
        ys = np.array([p.speedup for p in self.series], dtype=float)
        top = max(float(xs.max()) if len(xs) else 1.0, 2.0)
        self.ideal.setData([1.0, top], [1.0, top])
        self.measured.setData(xs, ys)
        lows = np.array([p.low if p.low is not None else p.speedup for p in self.series])
        highs = np.array([p.high if p.high is not None else p.speedup for p in self.series])
        self._whisk(xs, ys, lows, highs)
        self.efficiency.setData(xs, np.array([p.efficiency * 100 for p in self.series]))
        estimated = any(p.estimated for p in self.series)
        self.speedup_plot.setLabel(
            "left", "speedup × (estimated)" if estimated else "speedup × vs one worker"
        )
        self.cores_line.setPos(cores)
        self.cores_line.setVisible(cores < top)
        self.cores_line.label.setText(f"{cores} cores")  # a hidden label skips its updates
        if self.fit is None:
            self.fitted.setData([], [])
            self.fit_label.setText("")
        else:
            curve = np.linspace(1.0, top, FIT_SAMPLES)
            self.fitted.setData(curve, self.fit.speedup(curve))
            self.fit_label.setText(
                self._describe_fit(self.fit, self.series) + _busy_warning(points)
            )
        self._tick(range(1, int(top) + 1))
        self.speedup_plot.setXRange(0.5, top + 0.5, padding=0.0)
        self.speedup_plot.setYRange(0.0, top * 1.05, padding=0.0)
        self.efficiency_plot.setYRange(0.0, 110.0, padding=0.0)

    def _tick(self, values) -> None:
        """Whole-number ticks only: there is no such thing as 1.5 workers."""
        values = list(values)
        step = max(1, len(values) // 16)
        ticks = [[(float(v), str(v)) for v in values[::step]], []]
        for plot in (self.speedup_plot, self.efficiency_plot):
            plot.getAxis("bottom").setTicks(ticks)

    @staticmethod
    def _describe_fit(fit: AmdahlFit, series: list[ScalingPoint]) -> str:
        """The fit's own headline (its figure is the drawn curve's), and how it was made."""
        repeats = max((p.repeats for p in series), default=1)
        how = f" Points: median of {repeats} runs, whiskers min–max." if repeats > 1 else ""
        if any(p.estimated for p in series):
            how += " No one-worker run: speedups are against the sequential estimate."
        return fit.headline() + how

    def _whisk(self, xs, ys, lows, highs) -> None:
        if len(xs) == 0:
            self.whiskers.setData(x=np.zeros(0), y=np.zeros(0), top=np.zeros(0), bottom=np.zeros(0))
            self.whiskers.setVisible(False)
            return
        self.whiskers.setVisible(True)
        self.whiskers.setData(
            x=np.asarray(xs, float),
            y=np.asarray(ys, float),
            top=np.maximum(np.asarray(highs, float) - ys, 0.0),
            bottom=np.maximum(ys - np.asarray(lows, float), 0.0),
        )

    def _draw_other(self, points: list[tuple[int, Run]]) -> None:
        self.series, self.fit = [], None
        summaries = summarize([(str(value), run) for value, run in sorted(points, key=_first)])
        rows = []
        for point in summaries:
            if point.wall is None:
                continue
            efficiency = point.efficiency.median * 100 if point.efficiency else np.nan
            value = int(point.label)
            rows.append(
                (
                    value,
                    point.wall.median,
                    point.wall.low,
                    point.wall.high,
                    efficiency,
                    point.wall.count,
                )
            )
        self.values = rows
        repeats = max((r[5] for r in rows), default=1)
        self.fit_label.setText(
            f"Wall time: median of {repeats} runs, whiskers min–max." if repeats > 1 else ""
        )
        xs = np.array([r[0] for r in rows], dtype=float)
        ys = np.array([r[1] for r in rows], dtype=float)
        self.measured.setData(xs, ys)
        self._whisk(xs, ys, np.array([r[2] for r in rows]), np.array([r[3] for r in rows]))
        self.efficiency.setData(xs, np.array([r[4] for r in rows], dtype=float))
        self._tick(int(x) for x in xs)
        self.speedup_plot.enableAutoRange()
        self.efficiency_plot.setYRange(0.0, 110.0, padding=0.0)


def _first(pair: tuple[int, Run]) -> int:
    return pair[0]


def _busy_warning(points: list[tuple[int, Run]]) -> str:
    """Said after the fit when other programs took a noticeable share of the machine in
    any run of the sweep: its curve then describes the machine's load, not the code."""
    shares = [
        m.others_share
        for _value, run in points
        if (m := compute_metrics(run)).machine_busy and m.others_share is not None
    ]
    if not shares:
        return ""
    return (
        f" ⚠ Other programs used up to {max(shares):.0%} of the machine during these runs: "
        "the fit is not reliable."
    )
