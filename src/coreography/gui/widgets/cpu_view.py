"""Per-core CPU graphs: one curve per logical core plus the total, the last 60 s, live."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from coreography.gui import theme
from coreography.model.run import Run

HISTORY_S = 60.0
MAX_LEGEND = 8


class CpuView(QWidget):
    """Curves are created once per core count and then only fed with ``setData``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run: Run | None = None
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.setYRange(0, 100, padding=0.02)
        self.plot.setXRange(0, 10, padding=0)
        self.plot.showGrid(x=False, y=True, alpha=theme.GRID_ALPHA)
        self.plot.setLabel("left", "CPU %")
        self.plot.setLabel("bottom", "seconds since the run started")
        self.plot.getAxis("bottom").enableAutoSIPrefix(False)
        # Bottom right: busy cores sit at the top of the plot.
        self.legend = self.plot.addLegend(offset=(-4, -4), colCount=4)
        self.curves: list[pg.PlotDataItem] = []
        self.total: pg.PlotDataItem | None = None
        self.note = QLabel("Per-core CPU appears while an experiment runs.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.note)
        layout.addWidget(self.plot, 1)
        self._samples_seen = -1

    def set_run(self, run: Run | None) -> None:
        self.run = run
        self._samples_seen = -1
        cores = run.cores if run is not None else 0
        if cores != len(self.curves):
            self._make_curves(cores)
        self.refresh()

    def _make_curves(self, cores: int) -> None:
        for curve in [*self.curves, self.total]:
            if curve is not None:
                self.plot.removeItem(curve)
        self.legend.clear()
        self.curves = []
        for core in range(cores):
            color = theme.lane_color(core)
            curve = self.plot.plot(pen=theme.thin_pen(color, 1), name=None)
            curve.setClipToView(True)
            self.curves.append(curve)
            if core < MAX_LEGEND:
                self.legend.addItem(curve, f"core {core}")
        # Width 2 without antialiasing: thick antialiased pens cost seconds per frame.
        self.total = self.plot.plot(pen=theme.thin_pen(theme.BLACK, 2))
        self.legend.addItem(self.total, "total")

    def refresh(self) -> None:
        run = self.run
        if run is None:
            self.note.setText("Per-core CPU appears while an experiment runs.")
            return
        count = len(run.cpu_t)
        if count == self._samples_seen:
            return
        self._samples_seen = count
        self.note.setText(
            f"{run.cores} logical cores · {count:,} samples"
            if count
            else "Waiting for the first CPU sample…"
        )
        if not count:
            for curve in [*self.curves, self.total]:
                if curve is not None:
                    curve.setData([], [])
            return
        t = run.seconds(run.cpu_t.view())
        first = int(np.searchsorted(t, t[-1] - HISTORY_S, "left"))
        x = t[first:]
        percore = run.cpu_percore.view()[first:]
        for core, curve in enumerate(self.curves):
            if core < percore.shape[1]:
                curve.setData(x, percore[:, core])
        if self.total is not None:
            self.total.setData(x, percore.mean(axis=1))
        # Live: a little room ahead of the newest sample; over: the whole run, fitted.
        newest = float(x[-1])
        right = max(newest, 0.5) if run.is_over else max(newest * 1.1, 2.0)
        self.plot.setXRange(max(right - HISTORY_S, 0.0), right, padding=0)
