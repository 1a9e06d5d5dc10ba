"""The sweep chart: speedup (ideal line, measured points, Amdahl fit) and efficiency."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from coreography.gui import theme
from coreography.model.metrics import compute_metrics
from coreography.model.run import Run
from coreography.model.scaling import AmdahlFit, ScalingPoint, fit_series, scaling_series

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
        self.values: list[tuple[int, float, float | None]] = []  # (value, wall, efficiency)
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
            name="measured",
        )
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
        """Draw the finished runs of a sweep over ``field``: (value, run) pairs."""
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
        self.efficiency.setData(xs, np.array([p.efficiency * 100 for p in self.series]))
        self.cores_line.setPos(cores)
        self.cores_line.setVisible(cores < top)
        self.cores_line.label.setText(f"{cores} cores")  # a hidden label skips its updates
        if self.fit is None:
            self.fitted.setData([], [])
            self.fit_label.setText("")
        else:
            curve = np.linspace(1.0, top, FIT_SAMPLES)
            self.fitted.setData(curve, self.fit.speedup(curve))
            self.fit_label.setText(self._describe_fit(self.fit, cores))
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
    def _describe_fit(fit: AmdahlFit, cores: int) -> str:
        limit = "∞" if fit.max_speedup == float("inf") else f"{fit.max_speedup:.1f}×"
        return (
            f"Fitted serial fraction s = {fit.serial_fraction:.1%}: by Amdahl's law no number "
            f"of workers can beat {limit} (this machine has {cores} cores; "
            f"fit error {fit.rms_error:.2f})."
        )

    def _draw_other(self, points: list[tuple[int, Run]]) -> None:
        self.series, self.fit = [], None
        self.fit_label.setText("")
        rows = []
        for value, run in sorted(points, key=lambda p: p[0]):
            metrics = compute_metrics(run)
            efficiency = metrics.efficiency * 100 if metrics.efficiency is not None else np.nan
            rows.append((value, metrics.wall_s, efficiency))
        self.values = rows
        xs = np.array([r[0] for r in rows], dtype=float)
        self.measured.setData(xs, np.array([r[1] for r in rows], dtype=float))
        self.efficiency.setData(xs, np.array([r[2] for r in rows], dtype=float))
        self._tick(int(x) for x in xs)
        self.speedup_plot.enableAutoRange()
        self.efficiency_plot.setYRange(0.0, 110.0, padding=0.0)
