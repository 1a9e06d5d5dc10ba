"""The timeline's one graphics item: paints every lane's bars from numpy with level of detail."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QLine, QPoint, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFontMetrics,
    QPaintEngine,
    QPainter,
    QPen,
    QPixmap,
    QPolygon,
)
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

from coreography.gui import contrast, theme
from coreography.gui.widgets.bar_labels import LabelAtlas
from coreography.gui.widgets.timeline_index import TimelineIndex, level_for
from coreography.gui.widgets.timeline_rects import (
    CLAMP_PX,
    Recording,
    RectFiller,
    bar_rects,
    coverage_runs,
)
from coreography.model.run import NO_TIME

#: A strip repainted alone is computed this many pixels wider either side.
STRIP_SLACK_PX = 2
#: Below this many pixels per bar on average a lane is drawn as runs of busy pixel columns.
DENSE_PX_PER_BAR = 3.0
LANE_FILL = 0.72  # share of a lane's height taken by its bars
MARKER_PX = 9  # print() ticks: visible from the back of a classroom
#: A paint of the whole view gathers the bars of the view widened to whole 1/64ths of it
#: (0: of the view itself).
GATHER_STEPS = 64
#: Bars drawn again unchanged come from a pixmap of the view from this many rectangles.
KEEP_PIXMAP_RECTS = 1000


def clip_at_cut(painter: QPainter, cut_s: float | None, sx: float, dx: float) -> None:
    """Paint nothing right of ``cut_s`` (a scrubbed-back time), in device pixels."""
    if cut_s is not None:
        right = math.floor(cut_s * sx + dx)
        painter.setClipRect(QRect(-(10**6), -(10**6), right + 10**6, 2 * 10**6))


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
    ``searchsorted``; where they are denser than a few pixels each it draws the runs of
    pixel columns they cover (from bars merged across sub-pixel gaps), so the cost
    follows the width of the view, not the number of bars. The rectangles of all lanes
    are computed in one numpy pass and filled with one call per brush, so many lanes
    of few bars cost little more than one.
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
        self._shown = QRectF(self._bounds)  # the bounds near the view (boundingRect)
        self._colors: list[tuple[QColor, QColor, QColor, QColor]] = []
        #: Counts the changes of colours and font: a paint may reuse what it drew in the
        #: same style.
        self._style = 0
        self.reset_colors()
        self._filler = RectFiller()
        #: What the last paint's bars drawn one by one were gathered from, and the arrays.
        self._one_by_one: tuple | None = None
        self.bar_gathers = 0  # paints that gathered those arrays anew (for tests)
        self._font_metrics: QFontMetrics | None = None
        self._atlas = LabelAtlas()  # bar labels, rendered once
        self._narrowest: dict[str, int] = {}  # pixels of a one-digit label, by prefix
        #: The bars of the last paint and what they were drawn from: a paint of the same
        #: view, data and style draws them again rather than computing them.
        self._bars_drawn: tuple | None = None
        self._bars_recording: Recording | None = None
        #: Those bars drawn into a pixmap of the view (its area, the pixmap), once they
        #: are drawn a second time.
        self._bars_pixmap: tuple[QRect, QPixmap] | None = None
        self.bar_pixmap_draws = 0  # paints that drew the bars from that pixmap (for tests)
        self.bar_computations = 0  # paints that computed their bars (for tests)
        self.last_paint_rects = 0  # for tests and benchmarks
        #: Failed and interrupted marks drawn by the last paint, by kind (for tests).
        self.last_marks: dict[str, int] = {}
        self.paints = 0
        # Qt then says which part of the item a paint is for (a live frame repaints only
        # the strip of time that changed): the bars are computed for that strip only.
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)

    # -- geometry ---------------------------------------------------------------------
    def forget_font(self) -> None:
        """The font or the theme changed: measure text and choose colours again on the
        next paint (the main lane's colour is the theme's)."""
        self._font_metrics = None
        self._atlas = LabelAtlas()
        self._narrowest = {}
        self.reset_colors()

    def boundingRect(self) -> QRectF:
        return self._shown

    def data_bounds(self) -> QRectF:
        """All the run in data coordinates (seconds by lanes), wherever the view is."""
        return QRectF(self._bounds)

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
            self._bounds = bounds
            self._clip_to_view()

    def viewRangeChanged(self) -> None:
        super().viewRangeChanged()
        self._clip_to_view()

    def _clip_to_view(self) -> None:
        """What Qt is told the item covers: its bounds, but no further than a view's width
        either side of the view. Zoomed in far, the whole run would be billions of device
        pixels wide, which Qt's integer rectangles cannot hold: the item was then not
        painted at all."""
        shown = QRectF(self._bounds)
        view = self.getViewBox()
        if view is not None:
            (x0, x1), _ = view.viewRange()
            width = x1 - x0
            left, right = max(shown.left(), x0 - width), min(shown.right(), x1 + width)
            shown.setLeft(left)
            shown.setRight(max(right, left))
        if shown != self._shown:
            self.prepareGeometryChange()
            self._shown = shown

    def lane_colors(self, lane: int) -> tuple[QColor, QColor, QColor, QColor]:
        """(base, alternate, running, text) colors of a lane, computed once."""
        run = self.index.run
        while len(self._colors) <= lane:
            number = len(self._colors)
            role = run.lanes[number].role if run is not None and number < len(run.lanes) else ""
            slot = run.lanes[number].number - 1 if run is not None and role != "main" else 0
            colors = bar_colors(theme.lane_color(slot, role))
            self._colors.append(colors)
            # Lanes of one colour share their brushes: one fill per brush, all lanes.
            key = colors[0].rgba()
            if key not in self._palette_of:
                self._palette_of[key] = len(self._brushes) // 2
                self._brushes.extend(QBrush(color) for color in colors[:2])
                self._label_colors.append(colors[3])
            self._palette.append(self._palette_of[key])
        return self._colors[lane]

    def reset_colors(self) -> None:
        self._style += 1
        self._colors = []
        self._palette = []  # per lane: which pair of _brushes it takes
        self._palette_of: dict[int, int] = {}
        self._brushes: list[QBrush] = []  # base, alternate, base, alternate, ...
        self._label_colors: list[QColor] = []  # the text colour of each pair

    # -- painting ---------------------------------------------------------------------
    def paint(self, painter: QPainter, option=None, *args) -> None:
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
        # The view box clips its items to its shape: a path, which Qt applies pixel by
        # pixel to every fill (three times the cost of the bars themselves). The same
        # clip as a rectangle of whole device pixels is nearly free.
        shape = transform.mapRect(painter.clipBoundingRect()) if painter.hasClipping() else None
        painter.resetTransform()  # everything below is in whole device pixels: crisp, cheap
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(theme.no_pen())
        top, bottom = sorted((int(y0 * sy + dy), int(y1 * sy + dy)))  # the view's edges
        if shape is None or shape.isEmpty():
            shape = QRectF(x0 * sx + dx, top, (x1 - x0) * sx, bottom - top + 1)
        # A pixel is in the clip if its centre is.
        view_rect = QRect(
            QPoint(math.floor(shape.left() + 0.5), math.floor(shape.top() + 0.5)),
            QPoint(math.floor(shape.right() + 0.5) - 1, math.floor(shape.bottom() + 0.5) - 1),
        )
        clip = QRect(view_rect)
        # What this paint is for, in seconds: the view, or the strip Qt repaints.
        strip = (x0, x1)
        if isinstance(option, QStyleOptionGraphicsItem):
            exposed = transform.mapRect(option.exposedRect)
            if exposed.left() > view_rect.left() or exposed.right() < view_rect.right() + 1:
                left = max((exposed.left() - STRIP_SLACK_PX - dx) / sx, x0)
                right = min((exposed.right() + STRIP_SLACK_PX - dx) / sx, x1)
                strip = (left, max(left, right))
        if self.cut_s is not None:  # scrubbed back: nothing later is drawn
            clip.setRight(min(clip.right(), math.floor(self.cut_s * sx + dx) - 1))
        painter.setClipRect(clip)
        if self._font_metrics is None:
            self._font_metrics = QFontMetrics(painter.font())
        first = max(math.floor(min(y0, y1)), 0)
        last = min(math.ceil(max(y0, y1)), len(self.index.lanes))
        self._paint_grid(painter, x0, x1, sx, dx, top, bottom)
        self.last_marks = {}
        lanes = range(first, last)
        self.lane_colors(max(last - 1, 0))
        # Every lane is as high as the next: its bar's top is all that differs.
        height = abs(sy)
        bar_height = max(round(height * LANE_FILL), 1)
        tops = [round(min(k * sy, (k + 1) * sy) + dy + height * (1 - LANE_FILL) / 2) for k in lanes]
        now = self.now_s if not run.is_over else math.inf
        self._paint_lives(painter, lanes, sx, dx, tops, bar_height)
        device = painter.device()
        drawn_from = (
            self.index.version,
            self._style,
            self._atlas.generation,
            painter.font().key(),
            device.devicePixelRatioF() if device is not None else 1.0,
            (x0, x1, sx, dx, sy, dy, first, last, now, strip),
        )
        if drawn_from == self._bars_drawn and self._bars_recording is not None:
            self._draw_kept(painter, view_rect, drawn_from[4])
        else:
            self.bar_computations += 1
            self._bars_pixmap = None
            recording = Recording(painter)
            self._filler.begin()
            self.last_paint_rects = self._paint_bars(
                recording, lanes, x0, x1, sx, dx, now, tops, bar_height, strip
            )
            # A label atlas cleared while it drew leaves its first labels' places stale.
            if self._atlas.generation == drawn_from[2]:
                self._bars_drawn, self._bars_recording = drawn_from, recording
            else:
                self._bars_drawn = self._bars_recording = None
        for lane, top in zip(lanes, tops, strict=True):
            bars = self.index.lanes[lane]
            if bars.open or bars.failed or bars.interrupted:
                running = self._colors[lane][2]
                self._paint_special(painter, bars, x0, x1, sx, dx, now, top, bar_height, running)
            if len(bars.prints):
                self._paint_prints(painter, bars, x0, x1, sx, dx, top)
        if self.cut_s is not None:  # the scrubbed time, as a line across every lane
            painter.setClipRect(view_rect.adjusted(-2, 0, 2, 0))
            x = _px(self.cut_s, sx, dx)
            painter.setPen(theme.thin_pen(theme.FOREGROUND, 2))
            painter.drawLine(QLine(x, -(10**6), x, 10**6))
            painter.setPen(theme.no_pen())
        painter.setTransform(transform)
        self.sig_painted.emit()

    def _draw_kept(self, painter: QPainter, area: QRect, ratio: float) -> None:
        """The bars the last paint computed, again: the first time from its recording,
        into a pixmap of the view (transparent but for the bars, which are opaque, and
        their labels), then from that pixmap: one copy of the view's pixels, however many
        bars it shows. Fewer than ``KEEP_PIXMAP_RECTS`` bars are drawn from the recording
        (cheaper than the copy), and so are bars drawn other than into pixels (an SVG
        export keeps its rectangles)."""
        assert self._bars_recording is not None
        engine = painter.paintEngine()
        raster = engine is not None and engine.type() == QPaintEngine.Type.Raster
        if area.isEmpty() or self.last_paint_rects < KEEP_PIXMAP_RECTS or not raster:
            self._bars_recording.replay(painter)
            return
        kept = self._bars_pixmap
        if kept is None or kept[0] != area:
            pixmap = QPixmap(round(area.width() * ratio), round(area.height() * ratio))
            pixmap.setDevicePixelRatio(ratio)
            pixmap.fill(Qt.GlobalColor.transparent)
            into = QPainter(pixmap)
            into.setPen(theme.no_pen())
            into.setFont(painter.font())
            into.translate(-area.left(), -area.top())
            self._bars_recording.replay(into)
            into.end()
            kept = self._bars_pixmap = (QRect(area), pixmap)
        self.bar_pixmap_draws += 1
        painter.drawPixmap(area.topLeft(), kept[1])

    def _paint_grid(self, painter, x0, x1, sx, dx, top, bottom) -> None:
        """Faint vertical lines at round times (drawn here, not by the axis: an axis grid
        repaints the whole plot from a QPicture every frame and costs milliseconds)."""
        step = _nice_step((x1 - x0) / 10.0)
        if step <= 0:
            return
        first = math.ceil(x0 / step)
        # One-pixel rectangles, not lines: on a widget, filling is several times cheaper
        # than stroking.
        lines = [
            QRect(int(k * step * sx + dx), top, 1, bottom - top + 1)
            for k in range(first, first + 12)
            if k * step <= x1
        ]
        painter.setBrush(QColor(theme.GRID_COLOR))  # the theme's: it may change
        painter.drawRects(lines)

    def _paint_bars(self, painter, lanes, x0, x1, sx, dx, now, tops, height, strip) -> int:
        """Every visible lane's bars, in one numpy pass and one fill per brush.

        A lane whose visible bars are wider than a few pixels on average draws them one
        by one (alternate shades, a gap, labels if they fit); a denser lane draws the
        runs of pixel columns its bars cover, from the coarsest merged level whose gaps
        are all narrower than a pixel, so a gap of a pixel or more always shows.

        Only bars that reach into ``strip`` (seconds) are computed and filled, but every
        choice is made for the whole view from ``x0`` to ``x1`` (how a lane is drawn,
        where a bar is cut and its label centred), so a strip repainted alone shows
        exactly what a paint of the whole view shows there.
        """
        width_px = (x1 - x0) * sx
        level = level_for(1.0 / sx)  # seconds per pixel
        # Lanes drawn bar by bar: (lane, first position, end position) of what is drawn.
        one_parts: list[tuple[int, int, int]] = []
        merged: tuple[list, list, list] = ([], [], [])  # runs of bars: starts, ends, lane
        # One searchsorted per lane finds both ends of the view and of what is drawn:
        # the strip; for the whole view, the view widened to whole 64ths of it, so that
        # a view moved by a few pixels gathers the same bars (those beyond the view are
        # clipped away) and draws them from the arrays it gathered last time.
        whole = strip == (x0, x1) and GATHER_STEPS > 0
        gather = strip
        if whole:
            quantum = (x1 - x0) / GATHER_STEPS
            gather = (math.floor(x0 / quantum) * quantum, math.ceil(x1 / quantum) * quantum)
        window = np.array([x0, x1, *gather])
        index_lanes = self.index.lanes
        for lane in lanes:
            bars = index_lanes[lane]
            starts = bars.starts.view()
            i0, i1, k0, k1 = starts.searchsorted(window).tolist()
            i0 = i0 - 1 if i0 else 0  # the bar that starts left of the view may reach in
            if i1 <= i0:
                continue
            dense = (i1 - i0) * DENSE_PX_PER_BAR > width_px  # by the view itself
            k0 = k0 - 1 if k0 else 0  # likewise, left of what is drawn
            if not whole:
                k0, k1 = max(k0, i0), min(k1, i1)
            if k1 <= k0:
                continue
            if not dense:
                one_parts.append((lane, k0, k1))
                continue
            if level is None:
                starts, ends = starts[k0:k1], bars.ends.view()[k0:k1]
            else:
                run_starts, run_ends = bars.level(level)
                j0, j1 = run_starts.searchsorted(window[2:]).tolist()
                j0 = j0 - 1 if j0 else 0
                starts, ends = run_starts[j0:j1], run_ends[j0:j1]
            merged[0].append(starts)
            merged[1].append(ends)
            merged[2].append(lane)
        first_lane = lanes.start
        top_of = np.asarray(tops, np.int64)
        palette = np.asarray(self._palette, np.int64)
        drawn = 0
        if one_parts:
            starts, ends, ids, slot, top, groups = self._bars_one_by_one(
                one_parts, now, top_of, first_lane
            )
            left, width = bar_rects(starts, ends, x0 * sx + dx - 2, x1 * sx + dx + 2, sx, dx)
            drawn += self._filler.fill(painter, self._brushes, groups, left, top, width, height)
            self._paint_labels(painter, left, width, ids, top, height, slot)
        if merged[0]:
            starts = np.concatenate(merged[0])
            ends = np.concatenate(merged[1])
            lane = np.repeat(merged[2], np.fromiter(map(len, merged[0]), np.int64))
            # Columns are busy or not whatever the strip: it only bounds which are drawn.
            lo = math.floor(strip[0] * sx + dx)
            hi = math.ceil(min(strip[1], now) * sx + dx)
            left, width, lane = coverage_runs(starts, ends, lane, lo, hi, sx, dx)
            top = top_of[lane - first_lane]
            groups = 2 * palette[lane]
            drawn += self._filler.fill(painter, self._brushes, groups, left, top, width, height)
        return drawn

    def _bars_one_by_one(self, parts, now, top_of, first_lane) -> tuple:
        """(starts, ends, ids, palette slot, top, brush group) of the bars of ``parts``
        ((lane, first, end) positions), ends cut at ``now``. A view that moves without
        changing which bars it shows (a pan, a scroll) draws them from the same arrays:
        only their pixels are computed again."""
        key = (self.index.version, self._style, tuple(parts), tuple(top_of.tolist()), now)
        if self._one_by_one is not None and self._one_by_one[0] == key:
            return self._one_by_one[1]
        self.bar_gathers += 1
        index_lanes = self.index.lanes
        starts = np.concatenate([index_lanes[ln].starts.view()[a:b] for ln, a, b in parts])
        ends = np.concatenate([index_lanes[ln].ends.view()[a:b] for ln, a, b in parts])
        ids = np.concatenate([index_lanes[ln].ids.view()[a:b] for ln, a, b in parts])
        if now < math.inf:
            np.minimum(ends, now, out=ends)
        part_lane, first, end = (
            np.asarray(column, np.int64) for column in zip(*parts, strict=True)
        )
        sizes = end - first
        # Bars alternate shades by their place in their lane, not in the view.
        shift = first - (np.cumsum(sizes) - sizes)
        parity = (np.arange(len(starts)) + np.repeat(shift, sizes)) & 1
        slot = np.repeat(np.asarray(self._palette, np.int64)[part_lane], sizes)
        top = np.repeat(top_of[part_lane - first_lane], sizes)
        groups = 2 * slot + parity
        made = (starts, ends, ids, slot, top, groups)
        self._one_by_one = (key, made)
        return made

    def _paint_lives(self, painter, lanes, sx, dx, tops, height) -> None:
        """Worker start-up (requested → ready) as a hatched segment, then a thin life line;
        and how each lane's process ended (its pool ended it, or it crashed)."""
        run = self.index.run
        startups, lives, pool_ends, crashes = [], [], [], []
        for lane, top in zip(lanes, tops, strict=True):
            info = run.lanes[lane]
            if info.requested_ns != NO_TIME and info.ready_ns != NO_TIME:
                left = _px((info.requested_ns - run.t0) / 1e9, sx, dx)
                right = max(_px((info.ready_ns - run.t0) / 1e9, sx, dx), left + 1)
                startups.append(QRect(left, top, right - left, height - 1))
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
                lives.append(QRect(left, top + height // 2, right - left, 1))
            if info.ended_by_pool and info.exited_ns != NO_TIME:
                # Its pool ended it (SIGTERM at the pool's end): a plain end, not a ✕.
                x = _px((info.exited_ns - run.t0) / 1e9, sx, dx)
                pool_ends.append(QRect(x - 1, top + height // 4, 2, height // 2))
            elif info.crashed and info.exited_ns != NO_TIME:
                x = _px((info.exited_ns - run.t0) / 1e9, sx, dx)
                crashes.append(QLine(x - 4, top, x + 4, top + height))
                crashes.append(QLine(x - 4, top + height, x + 4, top))
        if startups:
            painter.setBrush(theme.pattern_brush(theme.STARTUP_COLOR, Qt.BrushStyle.BDiagPattern))
            painter.setPen(theme.thin_pen(theme.STARTUP_COLOR))
            painter.drawRects(startups)
            painter.setPen(theme.no_pen())
        if lives or pool_ends:
            painter.setBrush(QColor(theme.STARTUP_COLOR))
            painter.drawRects(lives + pool_ends)
        if crashes:
            painter.setPen(theme.thin_pen(theme.FAILED_COLOR, 2))
            painter.drawLines(crashes)
            painter.setPen(theme.no_pen())

    def _paint_labels(self, painter, left, width, ids, top, height, rows, prefix="#") -> None:
        """Each bar's task number where it fits (``top`` and ``rows``, the colour of each
        label in :meth:`_text_colors`: one per bar, or one for all)."""
        metrics = self._font_metrics
        if metrics is None or height < metrics.height() - 2 or not len(left):
            return
        margin = 6
        # The narrowest a label can be rules most bars out before anything is laid out.
        narrowest = self._narrowest.get(prefix)
        if narrowest is None:
            narrowest = self._narrowest[prefix] = metrics.horizontalAdvance(prefix + "0")
        fits = np.flatnonzero(width >= narrowest + margin)
        if not len(fits):
            return
        device = painter.device()
        ratio = device.devicePixelRatioF() if device is not None else 1.0
        self._atlas.prepare(painter.font(), self._text_colors(), ratio)
        needs = self._atlas.widths(ids[fits], prefix)
        keep = width[fits] >= needs + margin
        fits, needs = fits[keep], needs[keep]
        if not len(fits):
            return
        lefts = left[fits] + (width[fits] - np.round(needs).astype(np.int64)) // 2
        tops = np.broadcast_to(top, left.shape)[fits] + (height - metrics.height()) // 2
        rows = np.broadcast_to(rows, left.shape)[fits]
        self._atlas.draw(painter, lefts, tops, ids[fits], rows, prefix)

    def _text_colors(self) -> list[QColor]:
        """The labels' colours: each lane palette's text colour, then the marks'."""
        return [*self._label_colors, QColor(theme.FOREGROUND)]

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
            marks_row = len(self._label_colors)
            self._paint_labels(painter, left, width, ids, top, height, marks_row, prefix)
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
