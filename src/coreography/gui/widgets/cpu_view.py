"""Per-core CPU: one strip per logical core, the experiment's share apart from the rest.

Each core has its own strip (0-100 %), so no core's line can hide another's: filled in
the core's color is what the experiment used, the grey band above it is everything else
(other programs and this app), and the dashed line is the whole core.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from coreography.gui import theme
from coreography.gui.widgets.time_axis import TimeAxis
from coreography.model import models
from coreography.model.interference import measure_interference
from coreography.model.run import Run

if TYPE_CHECKING:  # a cluster run's host view loads with the first one
    from coreography.gui.widgets.host_view import HostView

HISTORY_S = 60.0
GAP = 25.0  # between strips, in % units of the y axis
LABEL_ZERO_AND_FULL = 4  # up to this many cores, each strip's 0 % and 100 % are labelled
IDLE_NOTE = "Per-core CPU appears while an experiment runs."
#: While a run is live the strips take in new samples this often at most (samples come
#: at ~10 Hz; each redraw of the filled curves costs milliseconds of the window's CPU).
LIVE_INTERVAL_S = 0.25
#: ...and the sentence about other programs' share is worked out again this often.
NOTE_INTERVAL_S = 1.0
#: A live run's time axis grows by this factor when the newest sample reaches its right
#: edge, so that the axis (and its labels) changes a few times, not with every sample.
GROW = 1.25


#: A run over before the sampler's first reading (a few milliseconds of work).
NO_SAMPLE_NOTE = "No CPU sample: the run ended before the sampler's first reading."
WAITING_NOTE = "Waiting for the first CPU sample…"


def show_hosts(run: Run | None) -> bool:
    """A cluster model's run shows its hosts, from their workers' own readings."""
    if run is None:
        return False
    record = models.find(run.experiment.model)
    return record is not None and record.cluster


class CpuView(QWidget):
    """Curves are created once per core count and then only fed with ``setData``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run: Run | None = None
        self.plot = pg.PlotWidget(axisItems={"bottom": TimeAxis()})
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.setXRange(0, 10, padding=0)
        self.plot.showGrid(x=False, y=True, alpha=theme.GRID_ALPHA)
        self.plot.setLabel("left", "CPU %")
        self.plot.setLabel("bottom", "seconds since the run started")
        self.plot.getAxis("bottom").enableAutoSIPrefix(False)
        theme.cache_axes(self.plot)
        self.curves: list[pg.PlotDataItem] = []  # the experiment's share, per core
        self.totals: list[pg.PlotDataItem] = []  # the whole core, per core
        self.bands: list[pg.FillBetweenItem] = []  # everything else, per core
        self.total: pg.PlotDataItem | None = None  # (the old machine-wide mean line: gone)
        self.note = QLabel(IDLE_NOTE)
        self.note.setWordWrap(True)  # the interference sentence is long in a narrow dock
        self.legend = QLabel()
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.note)
        layout.addWidget(self.legend)
        layout.addWidget(self.plot, 1)
        self._layout = layout
        self._hosts: HostView | None = None
        self._samples_seen = -1
        self._over_seen = False  # the run's end was taken in (it changes the note)
        self._band_color = ""
        self._shown_at = -float("inf")  # monotonic time of the last redraw of the strips
        self._noted_at = -float("inf")
        self._right = 0.0  # the time axis's right edge (seconds)
        self.redraws = 0  # the strips were fed new samples (tests)
        self._make_curves(0)

    @property
    def hosts(self) -> HostView:
        """A cluster run's hosts, in the strips' place (their workers' own readings);
        made with the first such run."""
        if self._hosts is None:
            from coreography.gui.widgets.host_view import built_host_view

            self._hosts = built_host_view("cpu", self._layout)
        return self._hosts

    def set_run(self, run: Run | None) -> None:
        self.run = run
        cluster = show_hosts(run)
        for part in (self.note, self.legend, self.plot):
            part.setVisible(not cluster)
        if cluster or self._hosts is not None:
            self.hosts.setVisible(cluster)
            self.hosts.set_run(run if cluster else None)
        self._samples_seen = -1
        self._over_seen = False
        self._shown_at = self._noted_at = -float("inf")
        self._right = 0.0
        cores = run.cores if run is not None else 0
        if cores != len(self.curves):
            self._make_curves(cores)
        self.refresh()

    def _base(self, core: int) -> float:
        """Where core ``core``'s strip starts on the y axis (core 0 at the top)."""
        return (len(self.curves) - 1 - core) * (100.0 + GAP)

    def _make_curves(self, cores: int) -> None:
        for item in [*self.bands, *self.curves, *self.totals]:
            self.plot.removeItem(item)
        self.curves, self.totals, self.bands = [], [], []
        others = self._others_brush()
        for core in range(cores):
            color = theme.lane_color(core)
            fill = QColor(color)
            fill.setAlpha(190)
            share = self.plot.plot(pen=theme.thin_pen(color, 1), fillBrush=fill)
            dashed = theme.thin_pen(theme.BLACK, 1)
            dashed.setStyle(Qt.PenStyle.DashLine)
            whole = self.plot.plot(pen=dashed)
            band = pg.FillBetweenItem(share, whole, brush=others)
            self.plot.addItem(band)
            for item in (share, whole):
                item.setClipToView(True)
            self.curves.append(share)
            self.totals.append(whole)
            self.bands.append(band)
        for core, share in enumerate(self.curves):
            share.setFillLevel(self._base(core))
        self._ticks(cores)
        top = max(cores, 1) * (100.0 + GAP) - GAP
        self.plot.setYRange(0, top, padding=0.02)
        self._legend_text()

    def _ticks(self, cores: int) -> None:
        major, minor = [], []
        for core in range(cores):
            base = (cores - 1 - core) * (100.0 + GAP)
            major.append((base + 50.0, f"core {core}"))
            if cores <= LABEL_ZERO_AND_FULL:
                minor += [(base, "0"), (base + 100.0, "100")]
            else:
                minor += [(base, ""), (base + 100.0, "")]
        self.plot.getAxis("left").setTicks([major, minor])

    def _others_brush(self) -> QColor:
        active = theme.active()
        color = QColor("#707070" if active.dark else "#A8A8A8")
        color.setAlpha(200 if active.line_scale > 1 or active.dark else 150)
        self._band_color = active.name
        return color

    def _legend_text(self) -> None:
        swatches = "".join(
            f'<span style="color:{theme.lane_hex(core)}">■</span>'
            for core in range(min(len(self.curves), 6))
        )
        grey = self._others_brush().name()
        self.legend.setText(
            f"{swatches or '■'} experiment · "
            f'<span style="color:{grey}">■</span> everything else · ┄ whole core'
        )
        self.legend.setToolTip(
            "Filled in the core's color: CPU used by the experiment's processes (per core an "
            "estimate: each process's CPU is charged to the core it was last seen on). "
            "Grey band: everything else on that core (other programs and this app). "
            "Dashed line: the whole core's use."
        )

    def refresh(self) -> None:
        run = self.run
        if self._hosts is not None and self._hosts.run is not None:
            self._hosts.refresh()
            return
        if self._band_color != theme.active().name:  # the theme changed: recolor the bands
            brush = self._others_brush()
            for band in self.bands:
                band.setBrush(brush)
            self._legend_text()
        if run is None:
            self.note.setText(IDLE_NOTE)
            return
        count = len(run.cpu_t)
        if count == self._samples_seen and (count or self._over_seen or not run.is_over):
            return
        self._over_seen = run.is_over
        now = time.monotonic()
        if not run.is_over and now - self._shown_at < LIVE_INTERVAL_S:
            return  # the next tick takes these samples in
        self._samples_seen, self._shown_at = count, now
        self.redraws += 1
        if not count:
            self.note.setText(NO_SAMPLE_NOTE if run.is_over else WAITING_NOTE)
            for item in [*self.curves, *self.totals]:
                item.setData([], [])
            return
        t = run.seconds(run.cpu_t.view())
        first = int(np.searchsorted(t, t[-1] - HISTORY_S, "left"))
        x = t[first:]
        percore = run.cpu_percore.view()[first:]
        split = run.cpu_experiment.view()[first : first + len(x)]
        known = len(split) == len(x) and bool(np.isfinite(split).any())
        for core, (share, whole) in enumerate(zip(self.curves, self.totals, strict=True)):
            if core >= percore.shape[1]:
                continue
            base = self._base(core)
            busy = percore[:, core].astype(np.float64)
            mine = np.nan_to_num(split[:, core], nan=0.0) if known else np.zeros(len(x))
            # The grey band between the two follows each curve's change: quiet while the
            # first one changes, it is worked out once, when the second does.
            whole.blockSignals(True)
            whole.setData(x, base + busy)
            whole.blockSignals(False)
            share.setData(x, base + np.minimum(mine, busy))
        if run.is_over or now - self._noted_at >= NOTE_INTERVAL_S:
            self._noted_at = now
            text = self._note(run, count, known)
            if text != self.note.text():
                self.note.setText(text)
        self._follow(float(x[-1]), run.is_over)

    def _follow(self, newest: float, over: bool) -> None:
        """Over: the whole run, fitted. Live: room ahead of the newest sample, made in
        steps (the axis is laid out again only when it moves)."""
        if over:
            right = max(newest, 0.5)
        elif newest < self._right <= newest + HISTORY_S:
            return
        elif newest < HISTORY_S:
            right = max(newest * GROW, 2.0)
        else:  # older than the history: slide by a tenth of it at a time
            right = newest + HISTORY_S * 0.1
        self._right = right
        self.plot.setXRange(max(right - HISTORY_S, 0.0), right, padding=0)

    @staticmethod
    def _note(run: Run, count: int, known: bool) -> str:
        # The count of samples only once the run is over: a new live text every second
        # (its line wraps) would lay the window out again each time.
        text = f"{run.cores} cores" + (f" · {count:,} samples" if run.is_over else "")
        if not known:
            return text + " · this recording does not tell the experiment from other programs"
        found = measure_interference(run)
        return f"{text} · {found.statement()}" if found is not None else text
