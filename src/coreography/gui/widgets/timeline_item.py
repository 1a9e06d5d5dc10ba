"""The timeline's one graphics item: paints every lane's bars from numpy with level of detail."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import internals as Qt_internals
from PySide6.QtCore import QLine, QPoint, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFontMetrics, QPainter, QPen, QPolygon, QStaticText

from coreography.gui import contrast, theme
from coreography.gui.widgets.timeline_index import TimelineIndex, busy_columns, level_for
from coreography.model.run import NO_TIME

#: Below this many pixels per bar on average a lane is drawn as sampled pixel columns.
DENSE_PX_PER_BAR = 3.0
#: Bars at least this wide get a one-pixel gap so that neighbouring tasks stay distinct.
GAP_FROM_PX = 5
LANE_FILL = 0.72  # share of a lane's height taken by its bars
MARKER_PX = 9  # print() ticks: visible from the back of a classroom


def clip_at_cut(painter: QPainter, cut_s: float | None, sx: float, dx: float) -> None:
    """Paint nothing right of ``cut_s`` (a scrubbed-back time), in device pixels."""
    if cut_s is not None:
        right = math.floor(cut_s * sx + dx)
        painter.setClipRect(QRect(-(10**6), -(10**6), right + 10**6, 2 * 10**6))


#: Pixel coordinates are clamped to this: deep zoom would overflow Qt's 32-bit QRect.
CLAMP_PX = 1_000_000
#: Label prefixes of tasks a run did not complete: shape tells them apart, not only color.
FAILED_PREFIX = "✕ #"
INTERRUPTED_PREFIX = "‖ #"


def mark_style(kind: str) -> tuple[QPen, QBrush, str]:
    """(outline, fill, label prefix) of a ``"failed"`` or ``"interrupted"`` task.

    Failed (it raised, or its worker died): vermillion, cross-hatched, a solid 2 px
    outline, ``✕``. Interrupted (the run's end cut it short): the text color, sparse
    horizontal lines, a dashed outline, ``‖`` (as in pause), so the two differ in
    pattern, outline and label as well as in color.
    """
    if kind == "failed":
        pen = theme.thin_pen(theme.FAILED_COLOR, 2)
        return (
            pen,
            theme.pattern_brush(theme.FAILED_COLOR, Qt.BrushStyle.DiagCrossPattern),
            FAILED_PREFIX,
        )
    color = QColor(theme.FOREGROUND)
    pen = theme.thin_pen(color, 1)
    pen.setStyle(Qt.PenStyle.DashLine)
    color.setAlpha(150)
    return pen, theme.pattern_brush(color, Qt.BrushStyle.HorPattern), INTERRUPTED_PREFIX


def bar_colors(base: QColor) -> tuple[QColor, QColor, QColor, QColor]:
    """(base, alternate, running, label) of a lane whose colour is ``base``: the label is
    black or white, whichever reads on the bar, and the alternate shade moves away from
    the label's colour so that both shades keep it legible (at least 4.5:1)."""
    text = contrast.text_on(base)
    dark_text = text == contrast.BLACK
    alternate = base.lighter(125) if dark_text else base.darker(125)
    if contrast.ratio(text, alternate) < contrast.MIN_TEXT_RATIO:
        alternate = base.lighter(110) if dark_text else base.darker(110)
    return base, alternate, base.lighter(160), text


def _px(seconds: float, sx: float, dx: float) -> int:
    """Device x of a time, clamped far outside the view rather than overflowing."""
    return int(min(max(seconds * sx + dx, -CLAMP_PX), CLAMP_PX))


def _nice_step(raw: float) -> float:
    """1, 2 or 5 times a power of ten, at least ``raw``."""
    if raw <= 0 or not math.isfinite(raw):
        return 0.0
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


class TimelineItem(pg.GraphicsObject):
    """Lanes of task bars in data coordinates: x in seconds, lane ``i`` spans y ``[i, i+1]``.

    Painting works in device pixels: per lane it finds the visible bars with
    ``searchsorted``; where they are denser than a few pixels each it samples one pixel
    column at a time (a column is busy if the last bar starting before its right edge
    ends after its left edge), so the cost follows the width of the view, not the
    number of bars.
    """

    sig_painted = Signal()
    """A paint of the lanes finished (what the index holds is on screen); no arguments."""

    def __init__(self, index: TimelineIndex) -> None:
        super().__init__()
        self.index = index
        self.now_s = 0.0  # the live edge that running bars grow to
        #: Scrubbed back to this run time (seconds): nothing later is drawn.
        self.cut_s: float | None = None
        self._bounds = QRectF(0.0, 0.0, 1.0, 1.0)
        self._colors: list[tuple[QColor, QColor, QColor, QColor]] = []
        self._font_metrics: QFontMetrics | None = None
        self._static_texts: dict[str, QStaticText] = {}  # bar labels, laid out once
        self.last_paint_rects = 0  # for tests and benchmarks
        #: Failed and interrupted marks drawn by the last paint, by kind (for tests).
        self.last_marks: dict[str, int] = {}
        self.paints = 0

    # -- geometry ---------------------------------------------------------------------
    def forget_font(self) -> None:
        """The font changed (theme or scale): measure text again on the next paint."""
        self._font_metrics = None
        self._static_texts = {}

    def boundingRect(self) -> QRectF:
        return self._bounds

    def update_bounds(self) -> None:
        """Cover every lane up to past the run's extent. While the run is live the width
        grows in steps (a new bounding rect repaints the whole view, a frame only the
        part that changed)."""
        run = self.index.run
        lanes = max(len(run.lanes), 1) if run is not None else 1
        width = self.index.extent(self.now_s) * 1.05 + 1.0
        if run is not None and not run.is_over and self._bounds.height() == lanes:
            have = self._bounds.width()
            width = have if width <= have <= 4.0 * width else width * 2.0
        bounds = QRectF(0.0, 0.0, width, float(lanes))
        if bounds != self._bounds:
            self.prepareGeometryChange()
            self._bounds = bounds

    def lane_colors(self, lane: int) -> tuple[QColor, QColor, QColor, QColor]:
        """(base, alternate, running, text) colors of a lane, computed once."""
        run = self.index.run
        while len(self._colors) <= lane:
            number = len(self._colors)
            role = run.lanes[number].role if run is not None and number < len(run.lanes) else ""
            slot = run.lanes[number].number - 1 if run is not None and role != "main" else 0
            base = theme.lane_color(slot, role)
            self._colors.append(bar_colors(base))
        return self._colors[lane]

    def reset_colors(self) -> None:
        self._colors = []

    # -- painting ---------------------------------------------------------------------
    def paint(self, painter: QPainter, *args) -> None:
        self.paints += 1
        run = self.index.run
        view = self.getViewBox()
        if run is None or view is None or not self.index.lanes:
            return
        transform = painter.transform()
        sx, dx, sy, dy = transform.m11(), transform.dx(), transform.m22(), transform.dy()
        if sx <= 0 or not math.isfinite(sx) or sy == 0:
            return
        (x0, x1), (y0, y1) = view.viewRange()
        painter.resetTransform()  # everything below is in whole device pixels: crisp, cheap
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(theme.no_pen())
        clip_at_cut(painter, self.cut_s, sx, dx)
        if self._font_metrics is None:
            self._font_metrics = QFontMetrics(painter.font())
        first = max(math.floor(min(y0, y1)), 0)
        last = min(math.ceil(max(y0, y1)), len(self.index.lanes))
        self._paint_grid(painter, x0, x1, sx, dx, view)
        self.last_marks = {}
        rects = 0
        for lane in range(first, last):
            top_a, top_b = lane * sy + dy, (lane + 1) * sy + dy
            top, height = min(top_a, top_b), abs(top_b - top_a)
            bar_top = round(top + height * (1 - LANE_FILL) / 2)
            bar_height = max(round(height * LANE_FILL), 1)
            rects += self._paint_lane(painter, lane, x0, x1, sx, dx, bar_top, bar_height)
        self.last_paint_rects = rects
        if self.cut_s is not None:  # the scrubbed time, as a line across every lane
            painter.setClipping(False)
            x = _px(self.cut_s, sx, dx)
            painter.setPen(theme.thin_pen(theme.FOREGROUND, 2))
            painter.drawLine(QLine(x, -(10**6), x, 10**6))
            painter.setPen(theme.no_pen())
        painter.setTransform(transform)
        self.sig_painted.emit()

    def _paint_grid(self, painter, x0, x1, sx, dx, view) -> None:
        """Faint vertical lines at round times (drawn here, not by the axis: an axis grid
        repaints the whole plot from a QPicture every frame and costs milliseconds)."""
        step = _nice_step((x1 - x0) / 10.0)
        if step <= 0:
            return
        rect = view.mapRectToDevice(view.boundingRect())
        if rect is None:
            return
        top, bottom = int(rect.top()), int(rect.bottom())
        first = math.ceil(x0 / step)
        lines = [
            QLine(int(k * step * sx + dx), top, int(k * step * sx + dx), bottom)
            for k in range(first, first + 12)
            if k * step <= x1
        ]
        painter.setPen(theme.thin_pen(theme.GRID_COLOR))
        painter.drawLines(lines)
        painter.setPen(theme.no_pen())

    def _paint_lane(self, painter, lane, x0, x1, sx, dx, top, height) -> int:
        run = self.index.run
        bars = self.index.lanes[lane]
        info = run.lanes[lane]
        base, alternate, running, text_color = self.lane_colors(lane)
        self._paint_life(painter, info, sx, dx, top, height)
        starts, ends = bars.starts.view(), bars.ends.view()
        now = self.now_s if not run.is_over else math.inf
        i0 = max(int(np.searchsorted(starts, x0, "left")) - 1, 0)
        i1 = int(np.searchsorted(starts, x1, "right"))
        count = i1 - i0
        width_px = (x1 - x0) * sx
        drawn = 0
        if count > 0:
            if count * DENSE_PX_PER_BAR > width_px:
                level = level_for(1.0 / sx)  # seconds per pixel
                if level is not None:  # bars merged across sub-pixel gaps: far fewer
                    starts, ends = bars.level(level)
                    i0 = max(int(np.searchsorted(starts, x0, "left")) - 1, 0)
                drawn = self._paint_dense(
                    painter, starts, ends, i0, x0, x1, sx, dx, now, top, height, base
                )
            else:
                drawn = self._paint_bars(
                    painter,
                    bars,
                    i0,
                    i1,
                    x0,
                    x1,
                    sx,
                    dx,
                    now,
                    top,
                    height,
                    base,
                    alternate,
                    text_color,
                )
        self._paint_special(painter, bars, x0, x1, sx, dx, now, top, height, running)
        self._paint_prints(painter, bars, x0, x1, sx, dx, top)
        return drawn

    def _paint_life(self, painter, info, sx, dx, top, height) -> None:
        """Worker start-up (requested → ready) as a hatched segment, then a thin life line."""
        run = self.index.run
        if info.requested_ns != NO_TIME and info.ready_ns != NO_TIME:
            left = _px((info.requested_ns - run.t0) / 1e9, sx, dx)
            right = max(_px((info.ready_ns - run.t0) / 1e9, sx, dx), left + 1)
            painter.setBrush(theme.pattern_brush(theme.STARTUP_COLOR, Qt.BrushStyle.BDiagPattern))
            painter.setPen(theme.thin_pen(theme.STARTUP_COLOR))
            painter.drawRect(QRect(left, top, right - left, height - 1))
            painter.setPen(theme.no_pen())
        ready_ns = info.ready_ns
        if info.role == "main":  # the driver's life: the experiment's main, start to end
            ready_ns = run.run_started_ns
        if ready_ns != NO_TIME:
            ends = (info.end_ns(), run.run_finished_ns if info.role == "main" else NO_TIME)
            end_ns = next(
                (t for t in ends if t != NO_TIME), run.end_ns if run.end_ns != NO_TIME else None
            )
            left = _px((ready_ns - run.t0) / 1e9, sx, dx)
            end_s = (end_ns - run.t0) / 1e9 if end_ns is not None else self.now_s
            right = max(_px(end_s, sx, dx), left + 1)
            painter.fillRect(
                QRect(left, top + height // 2, right - left, 1), QColor(theme.STARTUP_COLOR)
            )
        if info.ended_by_pool and info.exited_ns != NO_TIME:
            # Its pool ended it (SIGTERM at the pool's end): a plain end, not a ✕.
            x = _px((info.exited_ns - run.t0) / 1e9, sx, dx)
            painter.fillRect(QRect(x - 1, top + height // 4, 2, height // 2), theme.STARTUP_COLOR)
        elif info.crashed and info.exited_ns != NO_TIME:
            x = _px((info.exited_ns - run.t0) / 1e9, sx, dx)
            painter.setPen(theme.thin_pen(theme.FAILED_COLOR, 2))
            painter.drawLines(
                [QLine(x - 4, top, x + 4, top + height), QLine(x - 4, top + height, x + 4, top)]
            )
            painter.setPen(theme.no_pen())

    def _paint_dense(
        self, painter, starts, ends, i0, x0, x1, sx, dx, now, top, height, color
    ) -> int:
        """One sample per pixel column; busy columns merge into runs of filled pixels."""
        left_px = math.floor(max(x0, starts[i0]) * sx + dx)
        right_px = math.ceil(min(x1, now) * sx + dx)
        if right_px <= left_px:
            return 0
        cols = np.arange(left_px, right_px + 1, dtype=np.float64)
        edges = (cols - dx) / sx  # seconds at each column's left edge
        busy = busy_columns(starts, ends, edges)
        if not busy.any():
            return 0
        flips = np.flatnonzero(np.diff(np.concatenate(([False], busy, [False])).astype(np.int8)))
        run_starts, run_ends = flips[0::2], flips[1::2]
        painter.setBrush(color)
        _draw_rects(painter, left_px + run_starts, top, run_ends - run_starts, height)
        return len(run_starts)

    def _paint_bars(
        self, painter, bars, i0, i1, x0, x1, sx, dx, now, top, height, base, alternate, text_color
    ) -> int:
        """Bars wide enough to see one by one: alternate shades, a gap, labels if they fit."""
        starts = bars.starts.view()[i0:i1]
        ends = np.minimum(bars.ends.view()[i0:i1], now)
        lo, hi = x0 * sx + dx - 2, x1 * sx + dx + 2
        left = np.clip(starts * sx + dx, lo, hi).astype(np.int64)
        right = np.clip(ends * sx + dx, lo, hi).astype(np.int64)
        width = np.maximum(right - left, 1)
        width = np.where(width >= GAP_FROM_PX, width - 1, width)
        ids = bars.ids.view()[i0:i1]
        odd = i0 & 1  # which of the slice's bars take the alternate shade
        for shade, first in ((base, odd), (alternate, 1 - odd)):
            painter.setBrush(shade)
            _draw_rects(painter, left[first::2], top, width[first::2], height)
        self._paint_labels(painter, left, width, ids, top, height, text_color)
        return len(left)

    def _paint_labels(self, painter, left, width, ids, top, height, color, prefix="#") -> None:
        metrics = self._font_metrics
        if metrics is None or height < metrics.height() - 2:
            return
        digit = metrics.horizontalAdvance("0")
        digits = np.floor(np.log10(np.maximum(ids, 1))) + 1
        need = digits * digit + metrics.horizontalAdvance(prefix) + 6  # and a margin
        fits = np.flatnonzero(width >= need)
        if not len(fits):
            return
        painter.setPen(color)
        # Laid-out texts are kept (QStaticText): drawing one is several times cheaper
        # than drawText laying it out again every frame.
        texts = self._static_texts
        if len(texts) > 20_000:
            texts.clear()
        middle = top + (height - metrics.height()) // 2
        for k, number in zip(fits.tolist(), ids[fits].tolist(), strict=True):
            label = f"{prefix}{number}"
            static = texts.get(label)
            if static is None:
                static = texts[label] = QStaticText(label)
                static.setTextFormat(Qt.TextFormat.PlainText)
                static.prepare(font=painter.font())
            x = int(left[k]) + (int(width[k]) - round(static.size().width())) // 2
            painter.drawStaticText(x, middle, static)
        painter.setPen(theme.no_pen())

    def _paint_special(self, painter, bars, x0, x1, sx, dx, now, top, height, running) -> None:
        """Running bars (open right edge, growing), failed and interrupted bars, on top."""
        starts, ends = bars.starts.view(), bars.ends.view()
        for position in bars.open:
            left = _px(starts[position], sx, dx)
            right = max(_px(min(now, x1 + 1), sx, dx), left + 2)
            painter.setBrush(running)
            painter.drawRect(QRect(left, top, right - left, height))
            # An arrow head at the live edge: this bar is still growing.
            mid = top + height // 2
            painter.setBrush(running.darker(150))
            painter.drawPolygon(
                QPolygon(
                    [
                        QPoint(right - 1, top),
                        QPoint(right + 5, mid),
                        QPoint(right - 1, top + height),
                    ]
                )
            )
        # Interrupted first, failed on top: a failure is the more important mark.
        for positions, kind in ((bars.interrupted, "interrupted"), (bars.failed, "failed")):
            if not positions:
                continue
            pos = np.asarray(positions, np.int64)
            pos = pos[(np.minimum(ends[pos], now) >= x0) & (starts[pos] <= x1)]
            left = np.clip(starts[pos] * sx + dx, -CLAMP_PX, CLAMP_PX).astype(np.int64)
            # Many failures in one pixel column are one mark: keep the first of each.
            _, first = np.unique(left, return_index=True)
            pos, left = pos[first], left[first]
            right = np.clip(
                np.minimum(ends[pos], min(now, x1 + 1)) * sx + dx, -CLAMP_PX, CLAMP_PX
            ).astype(np.int64)
            width = np.maximum(right - left, 3)
            rects = [
                QRect(a, top, w, height - 1)
                for a, w in zip(left.tolist(), width.tolist(), strict=True)
            ]
            if not rects:
                continue
            pen, brush, prefix = mark_style(kind)
            painter.setBrush(QColor(theme.BACKGROUND))
            painter.drawRects(rects)
            painter.setBrush(brush)
            painter.setPen(pen)
            painter.drawRects(rects)
            self.last_marks[kind] = self.last_marks.get(kind, 0) + len(rects)
            ids = bars.ids.view()[pos]
            self._paint_labels(
                painter, left, width, ids, top, height, QColor(theme.FOREGROUND), prefix
            )
            painter.setPen(theme.no_pen())

    def _paint_prints(self, painter, bars, x0, x1, sx, dx, top) -> None:
        """A small tick above the bar for every print(); one per pixel column at most."""
        prints = bars.prints.view()
        if not len(prints):
            return
        i0 = int(np.searchsorted(prints, x0, "left"))
        i1 = int(np.searchsorted(prints, x1, "right"))
        if i1 <= i0:
            return
        columns = np.unique((prints[i0:i1] * sx + dx).astype(np.int64))
        painter.setBrush(QColor(theme.FOREGROUND))
        painter.drawRects([QRect(c, top - MARKER_PX, 1, MARKER_PX) for c in columns.tolist()])


def _draw_rects(painter: QPainter, left: np.ndarray, top: int, width: np.ndarray, height: int):
    """Fill rectangles given as numpy columns in one call, without a Python object per
    rectangle (what made zoomed views of many lanes slower than BarGraphItem)."""
    count = len(left)
    if not count:
        return
    rects = Qt_internals.PrimitiveArray(QRectF, 4)
    rects.resize(count)
    table = rects.ndarray()
    table[:, 0] = left
    table[:, 1] = top
    table[:, 2] = width
    table[:, 3] = height
    painter.drawRects(*rects.drawargs())
