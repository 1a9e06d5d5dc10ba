"""A cluster run's hosts: one strip per host, from its Dask workers' own readings.

The CPU view shows it in place of the per-core strips (``measure="cpu"``: the workers'
processes' CPU in % of the host's cores), the Cores view in place of its core rows
(``measure="memory"``: their memory, against a round size above the most seen; the note
gives Dask's memory limit). What this
machine's sampler sees is not what a remote host did, so only the workers' own numbers
are drawn. A host whose newest reading is older than ``STALE_S`` says so, and the
strip is shaded from that reading on: no number is drawn where none was measured.
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsRectItem, QLabel, QVBoxLayout, QWidget

from coreography.gui import theme
from coreography.gui.widgets.time_axis import TimeAxis
from coreography.model.host_metrics import STALE_S, HostSeries
from coreography.model.run import NO_TIME, Run

GAP = 25.0
#: While a run is live the strips take in new readings this often at most.
LIVE_INTERVAL_S = 0.25
WAITING = "Waiting for the Dask workers' first readings (they come with their heartbeats)…"
NONE_CAME = "No reading from the Dask workers: the run ended before their first heartbeat."
_GIB = 2**30


def _size(n: float) -> str:
    return f"{n / _GIB:.1f} GiB" if n >= _GIB else f"{n / 2**20:.0f} MiB"


class HostView(QWidget):
    """Strips (items made once per host count, then fed with ``setData``) and a note."""

    def __init__(self, measure: str = "cpu", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if measure not in ("cpu", "memory"):
            raise ValueError(f"measure: {measure!r} is not 'cpu' or 'memory'")
        self.measure = measure
        self.run: Run | None = None
        self.plot = pg.PlotWidget(axisItems={"bottom": TimeAxis()})
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.showGrid(x=False, y=True, alpha=theme.GRID_ALPHA)
        self.plot.setLabel("left", "CPU % of host" if measure == "cpu" else "memory (RSS)")
        self.plot.setLabel("bottom", "seconds since the run started")
        self.plot.getAxis("bottom").enableAutoSIPrefix(False)
        self.plot.getAxis("left").setWidth(110)
        theme.cache_axes(self.plot)
        self.note = QLabel(WAITING)
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.note)
        layout.addWidget(self.plot, 1)
        self.curves: list[pg.PlotDataItem] = []
        self.shades: list[QGraphicsRectItem] = []  # from a host's newest reading on
        self.hosts: list[str] = []
        self._tops: list[str] = []
        self._seen: tuple[int, int, bool] = (-1, -1, False)
        self._shown_at = -float("inf")
        self.redraws = 0

    def set_run(self, run: Run | None) -> None:
        self.run = run
        self._seen = (-1, -1, False)
        self._shown_at = -float("inf")
        self._make_strips([])
        self.refresh()

    def _base(self, index: int) -> float:
        return (len(self.hosts) - 1 - index) * (100.0 + GAP)

    def _make_strips(self, hosts: list[str]) -> None:
        for item in [*self.curves, *self.shades]:
            self.plot.removeItem(item)
        self.hosts, self.curves, self.shades = list(hosts), [], []
        self._tops = []
        for index in range(len(hosts)):
            color = theme.lane_color(index)
            fill = QColor(color)
            fill.setAlpha(170)
            curve = self.plot.plot(pen=theme.thin_pen(color, 1), fillBrush=fill)
            curve.setFillLevel(self._base(index))
            curve.setClipToView(True)
            shade = QGraphicsRectItem()
            grey = QColor("#808080")
            grey.setAlpha(90)
            shade.setBrush(grey)
            shade.setPen(theme.no_pen())
            shade.setVisible(False)
            self.plot.addItem(shade)
            self.curves.append(curve)
            self.shades.append(shade)
        self._ticks()
        top = max(len(hosts), 1) * (100.0 + GAP) - GAP
        # Room for the half of the lowest "0" and of the highest top's label that lies
        # outside their strip (the axis drops a label it cannot draw whole).
        self.plot.setYRange(-12.0, top + 12.0, padding=0)

    def _ticks(self, tops: list[str] | None = None) -> None:
        """The host in the middle of its strip, 0 and the strip's top at its edges."""
        ticks = []
        for index, host in enumerate(self.hosts):
            base = self._base(index)
            top = tops[index] if tops else ("100 %" if self.measure == "cpu" else "")
            ticks += [(base, "0"), (base + 50.0, host), (base + 100.0, top)]
        self.plot.getAxis("left").setTicks([ticks])

    def now_ns(self) -> int:
        """The time ages are measured at: the live edge, or the run's end."""
        run = self.run
        if run is None:
            return 0
        if run.is_over:  # when the work ended, not when the cluster was closed
            ends = run.task_end[run.task_end != NO_TIME]
            if len(ends):
                return int(ends.max())
            for t in (run.run_finished_ns, run.end_ns):
                if t != NO_TIME:
                    return t
        return run.last_time()

    def scale(self, series: HostSeries) -> tuple[float, str]:
        """What the top of the strip stands for: the host's cores (CPU, in % of one
        core), or a round size above the most memory seen (bytes)."""
        if self.measure == "cpu":
            return 100.0 * max(series.cores, 1), "100 %"
        peak = float(series.memory.max()) if len(series) else 0.0
        step = 2**20
        while step * 10 < peak * 1.1:
            step *= 10
        top = next(m * step for m in (1, 2, 5, 10) if m * step >= peak * 1.1)
        return float(top), _size(top)

    def values(self, series: HostSeries, top: float) -> np.ndarray:
        """The strip's heights, 0-100."""
        raw = series.cpu if self.measure == "cpu" else series.memory
        height: np.ndarray = np.clip(100.0 * raw / top, 0.0, 100.0)
        return height

    def refresh(self) -> None:
        run = self.run
        if run is None:
            self.note.setText(WAITING)
            return
        seen = (run.hosts.version, run.version if not run.is_over else -2, run.is_over)
        if seen == self._seen:
            return
        now = time.monotonic()
        if not run.is_over and now - self._shown_at < LIVE_INTERVAL_S:
            return
        self._seen, self._shown_at = seen, now
        series = run.hosts.series()
        if [s.host for s in series] != self.hosts:
            self._make_strips([s.host for s in series])
        self.redraws += 1
        if not series or not any(len(s) for s in series):
            self.note.setText(NONE_CAME if run.is_over else WAITING)
            return
        at = self.now_ns()
        right = run.seconds(at)
        lines, tops = [], []
        for index, s in enumerate(series):
            base = self._base(index)
            top, label = self.scale(s)
            tops.append(label)
            if len(s):
                self.curves[index].setData(run.seconds(s.t), base + self.values(s, top))
            lines.append(self._describe(s, at))
            age = s.age_s(at)
            shade = self.shades[index]
            if age is not None and age > STALE_S:
                left = run.seconds(int(s.t[-1]))
                shade.setRect(QRectF(left, base, max(right - left, 0.0), 100.0))
                shade.setVisible(True)
            else:
                shade.setVisible(False)
        if tops != self._tops:
            self._tops = tops
            self._ticks(tops)
        self.plot.setXRange(0.0, max(right, 1.0), padding=0.01)
        text = "<br>".join(lines)
        if text != self.note.text():
            self.note.setText(text)

    def _describe(self, s: HostSeries, at: int) -> str:
        """One line per host: what its strip shows, the newest value and its age."""
        workers = f"{s.workers} worker{'s' if s.workers != 1 else ''}"
        if self.measure == "cpu":
            cores = f"{s.cores} cores" if s.cores else "cores not known"
            head = f"<b>{s.host}</b> ({cores}) · {workers}"
        else:
            limit = f", Dask's limit {_size(s.memory_limit)}" if s.memory_limit else ""
            head = f"<b>{s.host}</b> · {workers}{limit}"
        if not len(s):
            return f"{head} · no reading yet"
        if self.measure == "cpu":
            value = f"{s.cpu[-1]:.0f} % of one core"
        else:
            value = _size(float(s.memory[-1]))
        age = s.age_s(at) or 0.0
        over = self.run is not None and self.run.is_over
        if age > STALE_S:
            when = "before the last task ended" if over else ""
            fresh = f"<b>no reading for {age:.1f} s{' ' + when if when else ''}</b> (shaded)"
        else:
            fresh = f"reading {age:.1f} s old"
        return f"{head}: {value} · {fresh}"


def built_host_view(measure: str, layout: QVBoxLayout) -> HostView:
    """A hidden host view at the end of ``layout``, in the present look: the CPU and
    Cores views make theirs with the first cluster run (two plots the start does not
    need)."""
    from coreography.gui.look import wear_current_look

    view = HostView(measure)
    view.setVisible(False)
    layout.addWidget(view, 1)
    wear_current_look(view)
    return view
