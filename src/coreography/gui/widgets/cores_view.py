"""Which experiment process ran on which core, over time (psutil ``cpu_num``)."""

from __future__ import annotations

import math
import sys
import time
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRect, QRectF
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from coreography.gui import theme
from coreography.gui.widgets.cpu_view import show_hosts
from coreography.gui.widgets.time_axis import TimeAxis
from coreography.model.run import Run

if TYPE_CHECKING:  # a cluster run's host view loads with the first one
    from coreography.gui.widgets.host_view import HostView

BUSY_PERCENT = 2.0  # below this a process merely existed on a core during the sample
#: While a run is live the view takes in new samples this often at most.
LIVE_INTERVAL_S = 0.25


def cpu_num_available() -> bool:
    """Whether psutil tells which core a process runs on here (always on Linux, where
    the answer does not load psutil into the starting window)."""
    if sys.platform.startswith("linux"):
        return True
    import psutil

    return hasattr(psutil.Process, "cpu_num")


class CoresItem(pg.GraphicsObject):
    """Row ``c`` is core ``c``; a sample where a process was busy on it is a filled slice in
    that process's lane color, in the process's own band of the row (so two processes
    sharing a core both show). At most one slice per pixel column, core and process."""

    def __init__(self) -> None:
        super().__init__()
        self.run: Run | None = None
        self._bounds = QRectF(0, 0, 1, 1)
        self._colors: dict[int, object] = {}
        self._bands: dict[int, int] = {}  # pid -> band inside a core row, in order seen

    def boundingRect(self) -> QRectF:
        return self._bounds

    def set_run(self, run: Run | None) -> None:
        self.run = run
        self._colors = {}
        self._bands = {}
        self.update_bounds()

    def update_bounds(self) -> None:
        run = self.run
        rows = max(run.cores, 1) if run is not None else 1
        right = 1.0
        if run is not None and len(run.cpu_t):
            right += float(run.seconds(int(run.cpu_t.view()[-1])))
        bounds = QRectF(0.0, 0.0, right, float(rows))
        if bounds != self._bounds:
            self.prepareGeometryChange()
            self._bounds = bounds

    def _color(self, pid: int):
        color = self._colors.get(pid)
        if color is None:
            lane = self.run.lane(pid) if self.run is not None else None
            color = (
                theme.lane_color(lane.number - 1, lane.role)
                if lane is not None
                else theme.lane_color(0, "main")
            )
            self._colors[pid] = color
        return color

    def paint(self, painter: QPainter, *args) -> None:
        run = self.run
        view = self.getViewBox()
        if run is None or view is None or not len(run.proc_samples):
            return
        transform = painter.transform()
        sx, dx, sy, dy = transform.m11(), transform.dx(), transform.m22(), transform.dy()
        if sx <= 0 or not math.isfinite(sx):
            return
        (x0, x1), _ = view.viewRange()
        samples = run.proc_samples.view()
        t = (samples["t"] - run.t0) / 1e9
        step = _sample_step(run)
        i0 = int(np.searchsorted(t, x0, "left"))
        i1 = int(np.searchsorted(t, x1 + step, "right"))
        rows = samples[i0:i1]
        busy = (rows["core"] >= 0) & (rows["cpu"] >= BUSY_PERCENT)
        rows, times = rows[busy], t[i0:i1][busy]
        if not len(rows):
            return
        painter.resetTransform()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(theme.no_pen())
        # Clamped: at deep zoom a sample spans more pixels than a QRect can hold.
        left = np.clip((times - step) * sx + dx, -1e6, 1e6).astype(np.int64)
        right = np.maximum(np.clip(times * sx + dx, -1e6, 1e6).astype(np.int64), left + 1)
        cores = rows["core"].astype(np.int64)
        pids = rows["pid"].astype(np.int64)
        # One slice per (process, core, pixel column): dense runs cost the view's width.
        keys = (pids << 40) | (cores << 24) | (left - left.min())
        _, keep = np.unique(keys, return_index=True)
        for pid in np.unique(pids[keep]).tolist():
            self._bands.setdefault(int(pid), len(self._bands))
        bands = max(min(len(self._bands), 16), 1)
        band = max((abs(sy) - 4) / bands, 1.0)
        for pid in np.unique(pids[keep]).tolist():
            picked = keep[pids[keep] == pid]
            painter.setBrush(self._color(int(pid)))
            offset = 2 + (self._bands[int(pid)] % bands) * band
            height = max(int(band) - 1, 1)
            rects = []
            for k in picked.tolist():
                top = int(min(cores[k] * sy + dy, (cores[k] + 1) * sy + dy) + offset)
                rects.append(QRect(int(left[k]), top, int(right[k] - left[k]), height))
            painter.drawRects(rects)
        painter.setTransform(transform)


def _sample_step(run: Run) -> float:
    times = run.cpu_t.view()
    if len(times) < 2:
        return 0.1
    return float(np.median(np.diff(times[-50:]))) / 1e9


class CoresView(QWidget):
    """The cores lane view with a note saying when the OS cannot tell the core."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item = CoresItem()
        self.plot = pg.PlotWidget(
            viewBox=pg.ViewBox(invertY=True, enableMenu=False),
            axisItems={"bottom": TimeAxis()},
        )
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setMouseEnabled(x=True, y=False)
        self.plot.addItem(self.item)
        self.plot.getAxis("bottom").enableAutoSIPrefix(False)
        theme.cache_axes(self.plot)
        self.plot.getAxis("left").setWidth(150)
        self.plot.getAxis("left").setStyle(tickLength=0)
        self.plot.setYRange(0, 1, padding=0)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.item.setAcceptHoverEvents(True)
        self.item.hoverEvent = self._on_item_hover
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.note)
        layout.addWidget(self.plot, 1)
        self._layout = layout
        self._hosts: HostView | None = None
        self._cores = -1
        self._seen = -1
        self._shown_at = -float("inf")
        self.set_run(None)

    @property
    def hosts(self) -> HostView:
        """A cluster run's hosts' memory, in the core rows' place; made with the first
        such run."""
        if self._hosts is None:
            from coreography.gui.widgets.host_view import built_host_view

            self._hosts = built_host_view("memory", self._layout)
        return self._hosts

    def set_run(self, run: Run | None) -> None:
        cluster = show_hosts(run)
        for part in (self.note, self.plot):
            part.setVisible(not cluster)
        if cluster or self._hosts is not None:
            self.hosts.setVisible(cluster)
            self.hosts.set_run(run if cluster else None)
        self.item.set_run(run)
        self._seen = -1
        self._shown_at = -float("inf")
        self.refresh()

    def refresh(self) -> None:
        if self._hosts is not None and self._hosts.run is not None:
            self._hosts.refresh()
            return
        run = self.item.run
        cores = run.cores if run is not None else 0
        if cores != self._cores:
            self._cores = cores
            self.plot.getAxis("left").setTicks([[(c + 0.5, f"core {c}") for c in range(cores)]])
            self.plot.setYRange(0, max(cores, 1), padding=0)
        samples = len(run.proc_samples) if run is not None else 0
        if samples == self._seen:
            return
        now = time.monotonic()
        if run is not None and not run.is_over and now - self._shown_at < LIVE_INTERVAL_S:
            return  # a later tick takes these samples in
        self._seen, self._shown_at = samples, now
        text = self.describe() + self.legend()
        if text != self.note.text():
            self.note.setText(text)
        self.item.update_bounds()
        self.item.update()

    def core_known(self) -> bool | None:
        """True if some sample names a core, False if none does, None if no samples yet."""
        run = self.item.run
        if run is None or not len(run.proc_samples):
            return None
        return bool((run.proc_samples.view()["core"] >= 0).any())

    def describe(self) -> str:
        if not cpu_num_available():
            return (
                "This operating system does not report which core a process runs on "
                "(psutil has no cpu_num here), so this view stays empty."
            )
        known = self.core_known()
        if known is None:
            return "Which experiment process ran on which core, sampled while it runs."
        if not known:
            return "The samples carry no core number (cpu_num unavailable): nothing to show."
        return "Each slice: a process busy on that core during one sample (lane colors)."

    # -- naming what is drawn ------------------------------------------------------------
    def _name(self, pid: int) -> str:
        run = self.item.run
        lane = run.lane(pid) if run is not None else None
        return lane.label if lane is not None else f"PID {pid}"

    def legend(self) -> str:
        """Rich text naming each process drawn, in its colour (at most 8, then a count)."""
        run = self.item.run
        if run is None or not len(run.proc_samples):
            return ""
        samples = run.proc_samples.view()
        pids = [int(p) for p in np.unique(samples["pid"][samples["cpu"] > BUSY_PERCENT])]
        if not pids:
            return ""
        parts = [
            f"<span style='color:{self.item._color(pid).name()}'>■</span> {self._name(pid)}"
            for pid in pids[:8]
        ]
        more = f" and {len(pids) - 8} more" if len(pids) > 8 else ""
        return "<br>" + " &nbsp; ".join(parts) + more

    def describe_at(self, x: float, y: float) -> str:
        """The processes busy on core ``int(y)`` in the sample nearest ``x`` seconds."""
        run = self.item.run
        if run is None or not len(run.proc_samples):
            return ""
        core = math.floor(y)
        samples = run.proc_samples.view()
        times = run.seconds(samples["t"])
        step = _sample_step(run)
        near = (
            (samples["core"] == core)
            & (np.abs(times - x) <= step)
            & (samples["cpu"] > BUSY_PERCENT)
        )
        if not near.any():
            return f"core {core}"
        names = [
            f"{self._name(int(pid))}: {float(cpu):.0f} %"
            for pid, cpu in zip(samples["pid"][near], samples["cpu"][near], strict=True)
        ]
        unique = list(dict.fromkeys(names))[:6]
        return f"core {core} at {x:.2f} s\n" + "\n".join(unique)

    def _on_item_hover(self, event) -> None:
        if event.isExit():
            self.item.setToolTip("")
            return
        pos = event.pos()
        self.item.setToolTip(self.describe_at(pos.x(), pos.y()))
