"""The timeline's messages: an arrow per put→get, waits as their own spans, queue depths.

:class:`MessageLayer` is a graphics item over the task bars, in the same coordinates
(x seconds, lane ``i`` spans y ``[i, i+1]``), painting in device pixels. Level of detail:
arrows are reduced to one per (sender lane, receiver lane, put pixel column, get pixel
column), so 100,000 messages cost what the view's width allows, not their number; waits
shorter than a pixel merge the same way. :class:`DepthTrack` is a small plot under the
lanes with each queue's depth (messages put and not yet taken) as a step line.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QLineF, QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen, QPolygonF

from coreography.gui import theme
from coreography.gui.widgets.lane_axis import LaneAxis
from coreography.gui.widgets.timeline_item import clip_at_cut
from coreography.model.events import DATA_MOVES, TASK_PHASES
from coreography.model.messages import NO_TIME
from coreography.model.run import Run

#: Arrow heads are drawn while at most this many arrows are visible (else plain lines).
HEADS_UP_TO = 400
HEAD_PX = 6
#: Share of a lane's height a wait span takes (below the middle, where bars would be).
WAIT_FILL = 0.36
CLAMP_PX = 1_000_000
#: Hover slack, in pixels, around an arrow's line or a wait span.
HOVER_PX = 4


def _fg(alpha: int) -> QColor:
    color = QColor(theme.FOREGROUND)
    color.setAlpha(alpha)
    return color


def wait_style() -> tuple[QPen, QBrush]:
    """(outline, fill) of a wait span: a dotted outline around a faint tint, unlike any
    bar, start-up or failure mark (the legend draws it the same way)."""
    pen = theme.thin_pen(_fg(230), max(1, round(theme.active().line_scale)))
    pen.setStyle(Qt.PenStyle.DotLine)
    return pen, QBrush(_fg(60))


def sending_style() -> tuple[QPen, QBrush]:
    """(outline, fill) of a sending span (pickling a big message, the pipe, unpickling
    it): a solid outline around a dense dotted fill, unlike a wait's dotted outline."""
    pen = theme.thin_pen(_fg(230), max(1, round(theme.active().line_scale)))
    return pen, theme.pattern_brush(_fg(200), Qt.BrushStyle.Dense5Pattern)


def paint_arrow(painter: QPainter, line: QLineF, head: bool = True) -> None:
    """One message arrow as the timeline draws it (for the legend's sample)."""
    scale = theme.active().line_scale
    painter.setPen(theme.thin_pen(_fg(170), max(1, round(scale))))
    painter.drawLine(line)
    if head:
        painter.setPen(theme.no_pen())
        painter.setBrush(_fg(200))
        painter.drawPolygon(_head(line, HEAD_PX * scale))


class MessageLayer(pg.GraphicsObject):
    """Arrows and wait spans of :attr:`run`'s messages (``run.messages``)."""

    def __init__(self) -> None:
        super().__init__()
        self.run: Run | None = None
        self.cut_s: float | None = None  # scrubbed back: nothing later is drawn
        self._bounds = QRectF()
        self._wanted = QRectF(0.0, 0.0, 1.0, 1.0)  # the bars' extent, shown with messages
        self.setZValue(10)  # over the task bars
        #: What the last paint drew (for tests and benchmarks).
        self.last_arrows = 0
        self.last_waits = 0
        self.last_sendings = 0
        self.last_heads = False

    def set_run(self, run: Run | None) -> None:
        self.run = run
        self.set_bounds(self._wanted)
        self.update()

    def boundingRect(self) -> QRectF:
        return self._bounds

    def set_bounds(self, bounds: QRectF) -> None:
        """Follow the task bars' extent (the timeline calls this after theirs). Empty
        while the run has no messages: Qt then does not paint the layer at all."""
        self._wanted = QRectF(bounds)
        if self.run is None or not self.run.messages:
            bounds = QRectF()
            self.last_arrows = self.last_waits = self.last_sendings = 0
        if bounds != self._bounds:
            self.prepareGeometryChange()
            self._bounds = QRectF(bounds)

    # -- painting ---------------------------------------------------------------------
    def paint(self, painter: QPainter, *args) -> None:
        run = self.run
        view = self.getViewBox()
        self.last_arrows = self.last_waits = self.last_sendings = 0
        if run is None or view is None or not run.messages:
            return
        transform = painter.transform()
        sx, dx, sy, dy = transform.m11(), transform.dx(), transform.m22(), transform.dy()
        if sx <= 0 or not math.isfinite(sx) or sy == 0:
            return
        (x0, x1), _ = view.viewRange()
        painter.resetTransform()
        clip_at_cut(painter, self.cut_s, sx, dx)
        try:
            self._paint_waits(painter, run, x0, x1, sx, dx, sy, dy)
            self._paint_arrows(painter, run, x0, x1, sx, dx, sy, dy)
        finally:
            painter.setClipping(False)
            painter.setTransform(transform)

    def _paint_waits(self, painter, run, x0, x1, sx, dx, sy, dy) -> None:
        waits = run.messages.waits()
        if not len(waits):
            return
        sending = np.isin(waits["on"], np.array(sorted(DATA_MOVES), np.uint8))
        self.last_waits = self._paint_spans(
            painter, run, waits[~sending], wait_style(), x0, x1, sx, dx, sy, dy
        )
        if sending.any():
            self.last_sendings = self._paint_spans(
                painter, run, waits[sending], sending_style(), x0, x1, sx, dx, sy, dy
            )

    def _paint_spans(self, painter, run, waits, style, x0, x1, sx, dx, sy, dy) -> int:
        """Draw ``waits`` (WAIT_DTYPE rows) in ``style``; returns how many spans."""
        if not len(waits):
            return 0
        start = (waits["start"] - run.t0) / 1e9
        end = (waits["end"] - run.t0) / 1e9
        seen = (end >= x0) & (start <= x1) & (waits["lane"] >= 0)
        if not seen.any():
            return 0
        lane = waits["lane"][seen].astype(np.int64)
        left = np.clip(start[seen] * sx + dx, -CLAMP_PX, CLAMP_PX).astype(np.int64)
        right = np.clip(end[seen] * sx + dx, -CLAMP_PX, CLAMP_PX).astype(np.int64)
        right = np.maximum(right, left + 1)
        # Spans of one lane that touch the same pixel columns merge into one.
        order = np.lexsort((left, lane))
        lane, left, right = lane[order], left[order], right[order]
        offset = lane * (4 * CLAMP_PX)  # a running maximum that restarts in each lane
        reach = np.maximum.accumulate(right + offset) - offset
        new = np.ones(len(lane), bool)
        new[1:] = (lane[1:] != lane[:-1]) | (left[1:] > reach[:-1])
        groups = np.flatnonzero(new)
        spans_left, spans_lane = left[groups], lane[groups]
        spans_right = np.maximum.reduceat(right, groups)
        height = abs(sy)
        fill = max(round(height * WAIT_FILL), 2)
        rects = []
        for ln, a, b in zip(
            spans_lane.tolist(), spans_left.tolist(), spans_right.tolist(), strict=True
        ):
            top = min(ln * sy + dy, (ln + 1) * sy + dy)
            rects.append(QRect(a, round(top + height * 0.5), b - a, fill))
        pen, brush = style
        painter.setPen(pen)
        painter.setBrush(brush)
        painter.drawRects(rects)
        return len(rects)

    def _paint_arrows(self, painter, run, x0, x1, sx, dx, sy, dy) -> None:
        arrows = run.messages.arrows()
        if not len(arrows):
            return
        taken = arrows["received"] != NO_TIME
        sent = (arrows["sent"] - run.t0) / 1e9
        received = np.where(taken, (arrows["received"] - run.t0) / 1e9, sent)
        seen = taken & (received >= x0) & (sent <= x1) & (arrows["from_lane"] >= 0)
        scale = theme.active().line_scale
        if seen.any():
            a = np.floor(sent[seen] * sx + dx)
            b = np.floor(received[seen] * sx + dx)
            src = arrows["from_lane"][seen].astype(np.int64)
            dst = arrows["to_lane"][seen].astype(np.int64)
            # One arrow per (lanes, put column, get column): the level of detail.
            key = np.unique(np.stack([src, dst, a, b], axis=1), axis=0)
            src, dst = key[:, 0].astype(np.int64), key[:, 1].astype(np.int64)
            a, y_src, b, y_dst = clip_lines(
                key[:, 2], (src + 0.5) * sy + dy, key[:, 3], (dst + 0.5) * sy + dy
            )
            heads = len(key) <= HEADS_UP_TO
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, heads)
            painter.setPen(theme.thin_pen(_fg(170 if heads else 110), max(1, round(scale))))
            lines = [
                QLineF(p, q, r, s)
                for p, q, r, s in zip(
                    a.tolist(), y_src.tolist(), b.tolist(), y_dst.tolist(), strict=True
                )
            ]
            painter.drawLines(lines)
            if heads:
                painter.setPen(theme.no_pen())
                painter.setBrush(_fg(200))
                for line in lines:
                    painter.drawPolygon(_head(line, HEAD_PX * scale))
            self.last_arrows, self.last_heads = len(lines), heads
        # Put and never taken (in flight, or its consumer is gone): a hollow mark at the put.
        waiting = ~taken & (sent >= x0) & (sent <= x1) & (arrows["from_lane"] >= 0)
        if waiting.any():
            cols = np.clip(sent[waiting] * sx + dx, -CLAMP_PX, CLAMP_PX).astype(np.int64)
            lanes = arrows["from_lane"][waiting].astype(np.int64)
            marks = np.unique(np.stack([lanes, cols], axis=1), axis=0)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
            painter.setPen(theme.thin_pen(_fg(220), max(1, round(scale))))
            painter.setBrush(theme.no_pen().brush())
            for lane, col in marks.tolist():
                mid = round((lane + 0.5) * sy + dy)
                painter.drawRect(QRect(col - 2, mid - 6, 4, 4))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(theme.no_pen())

    # -- hover ------------------------------------------------------------------------
    def describe_at(self, x: float, y: float) -> str:
        """The message or wait under data point (``x`` s, lane position ``y``), or ''."""
        run = self.run
        pixel_s, pixel_lanes = self.pixelWidth() or 0.0, self.pixelHeight() or 0.0
        if run is None or not run.messages or pixel_s <= 0 or pixel_lanes <= 0:
            return ""
        lane_px = 1.0 / pixel_lanes
        return self._describe_arrow(run, x, y, pixel_s, lane_px) or self._describe_wait(
            run, x, y, pixel_s
        )

    def _describe_arrow(self, run, x, y, pixel_s, lane_px) -> str:
        arrows = run.messages.arrows()
        taken = arrows["received"] != NO_TIME
        sent = (arrows["sent"] - run.t0) / 1e9
        received = np.where(taken, (arrows["received"] - run.t0) / 1e9, sent)
        slack = HOVER_PX * pixel_s
        near = np.flatnonzero(taken & (sent - slack <= x) & (received + slack >= x))
        if not len(near):
            return ""
        span = np.maximum(received[near] - sent[near], 1e-12)
        u = np.clip((x - sent[near]) / span, 0.0, 1.0)
        y_src = arrows["from_lane"][near] + 0.5
        y_dst = arrows["to_lane"][near] + 0.5
        off = np.abs(y_src + u * (y_dst - y_src) - y) * lane_px
        best = int(np.argmin(off))
        if off[best] > HOVER_PX:
            return ""
        row = arrows[near[best]]
        lanes = run.lanes
        name = run.messages.channel_name(int(row["channel"]))
        flight = (int(row["received"]) - int(row["sent"])) / 1e6
        return (
            f"Message on {name} · {int(row['size']):,} bytes\n"
            f"from {lanes[int(row['from_lane'])].label} at {sent[near[best]]:.4f} s\n"
            f"to {lanes[int(row['to_lane'])].label} at {received[near[best]]:.4f} s\n"
            f"{flight:.3f} ms in flight"
        )

    def _describe_wait(self, run, x, y, pixel_s) -> str:
        waits = run.messages.waits()
        lane = int(y)
        slack = HOVER_PX * pixel_s
        start = (waits["start"] - run.t0) / 1e9
        end = (waits["end"] - run.t0) / 1e9
        hit = np.flatnonzero((waits["lane"] == lane) & (start - slack <= x) & (end + slack >= x))
        if not len(hit) or y - lane < 0.4:
            return ""
        inside = hit[(start[hit] <= x) & (end[hit] >= x)]  # before one only near the pointer
        row = waits[inside[0] if len(inside) else hit[0]]
        what = run.messages.wait_label(int(row["on"]))
        if int(row["on"]) in TASK_PHASES.values():  # a Dask task's phase: of a task
            name = f"task {int(row['channel'])}"
        else:
            name = run.messages.channel_name(int(row["channel"]))
        return (
            f"{run.lanes[lane].label}\n{what} ({name}): "
            f"{(int(row['end']) - int(row['start'])) / 1e6:.3f} ms"
        )


def clip_lines(
    xa: np.ndarray, ya: np.ndarray, xb: np.ndarray, yb: np.ndarray, limit: float = CLAMP_PX
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Lines from (xa, ya) to (xb, yb) in device pixels, each end beyond ``±limit`` in x
    moved along its line to ``±limit``: what 32-bit coordinates hold, on the same line
    (clamping x alone would tilt a long arrow seen at a deep zoom)."""
    span = xb - xa
    safe = np.where(span == 0, 1.0, span)  # an upright line: both ends move alike
    rise = yb - ya
    new_xa, new_xb = np.clip(xa, -limit, limit), np.clip(xb, -limit, limit)
    new_ya = np.where(new_xa == xa, ya, ya + rise * (new_xa - xa) / safe)
    new_yb = np.where(new_xb == xb, yb, ya + rise * (new_xb - xa) / safe)
    return new_xa, new_ya, new_xb, new_yb


def _head(line: QLineF, size: float) -> QPolygonF:
    """A small filled triangle at the line's end, pointing along it."""
    angle = math.atan2(line.dy(), line.dx())
    tip = line.p2()
    back = QPointF(tip.x() - size * math.cos(angle), tip.y() - size * math.sin(angle))
    normal = QPointF(-math.sin(angle) * size * 0.45, math.cos(angle) * size * 0.45)
    return QPolygonF([tip, back + normal, back - normal])


class DepthTrack(pg.PlotWidget):
    """Each queue's depth over time, a step line per queue, x linked to the timeline."""

    def __init__(self, timeline_plot: pg.PlotWidget) -> None:
        # As wide as the timeline's lane axis, so the two plots' times line up.
        super().__init__(axisItems={"left": LaneAxis("left")})
        self.setMenuEnabled(False)
        self.hideButtons()
        self.setMouseEnabled(x=False, y=False)
        self.setFixedHeight(90)
        self.setXLink(timeline_plot)
        self.getAxis("left").setWidth(150)
        self.getAxis("left").setLabel("queue depth")
        self.getAxis("bottom").setStyle(showValues=False)
        self.getPlotItem().addLegend(offset=(-10, 2), labelTextSize="8pt")
        self._curves: dict[int, pg.PlotDataItem] = {}
        self._seen = (-1, -1)
        self.run: Run | None = None
        self.setVisible(False)

    def set_run(self, run: Run | None) -> None:
        self.run = run
        for curve in self._curves.values():
            self.removeItem(curve)
        self._curves = {}
        legend = self.getPlotItem().legend
        if legend is not None:
            legend.clear()
        self._seen = (-1, -1)
        self.refresh()

    def refresh(self) -> None:
        run = self.run
        if run is None or not run.messages:
            self.setVisible(False)
            return
        messages = run.messages
        seen = (len(messages.sent()), len(messages.received()))
        if seen == self._seen:
            return
        self._seen = seen
        channels = [c for c in messages.message_channels() if self._is_queue(c)]
        self.setVisible(bool(channels))
        top = 1
        for number, channel in enumerate(channels):
            t, depth = messages.depth(channel)
            curve = self._curves.get(channel)
            if curve is None:
                pen = pg.mkPen(theme.lane_color(number + 1), width=2 * theme.active().line_scale)
                curve = self.plot(
                    [], [], pen=pen, stepMode="left", name=messages.channel_name(channel)
                )
                curve.setClipToView(True)
                curve.setDownsampling(auto=True, method="peak")
                self._curves[channel] = curve
            x = np.concatenate([[0.0], run.seconds(t)])
            y = np.concatenate([[0], depth]).astype(np.float64)
            curve.setData(x, y, stepMode="left")
            top = max(top, int(depth.max(initial=0)))
        self.setYRange(0, top * 1.15, padding=0)

    def _is_queue(self, channel: int) -> bool:
        known = self.run.messages.channels.get(channel) if self.run else None
        return known is None or known.kind == "queue"
