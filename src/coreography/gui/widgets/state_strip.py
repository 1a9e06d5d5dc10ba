"""The state strip: under each lane's task bars, what its thread was doing, from the kernel.

On a CPU / ready, no free core / blocked: GIL or lock / blocked: I/O or sleep, each told
apart by colour and by a pattern, and by its letter where a stretch is wide enough.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import internals as Qt_internals
from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter
from PySide6.QtWidgets import QGraphicsItem, QHBoxLayout, QLabel, QWidget

from coreography.gui import theme
from coreography.gui.widgets.timeline_index import TimelineIndex
from coreography.gui.widgets.timeline_item import clip_at_cut
from coreography.gui.widgets.timeline_rects import RectFiller
from coreography.model.run import NO_TIME
from coreography.model.thread_states import (
    SOURCE_PSUTIL,
    STATE_LETTERS,
    ThreadState,
    lock_is_gil,
    state_label,
)

#: Where the strip sits in a lane (lane i spans y [i, i+1]; the bars [0.14, 0.86]).
STRIP_TOP, STRIP_BOTTOM = 0.62, 0.86
#: (colour, pattern) per state: the pattern is the cue that does not need colour.
STYLES = {
    ThreadState.ON_CPU: (theme.BLUISH_GREEN, Qt.BrushStyle.SolidPattern),
    ThreadState.WAITING_FOR_CORE: (theme.ORANGE, Qt.BrushStyle.BDiagPattern),
    ThreadState.BLOCKED_LOCK: (theme.REDDISH_PURPLE, Qt.BrushStyle.CrossPattern),
    ThreadState.BLOCKED_IO: (theme.SKY_BLUE, Qt.BrushStyle.HorPattern),
    ThreadState.OFF_CPU: ("#9A9A9A", Qt.BrushStyle.Dense5Pattern),
}
#: Wider than this many device pixels, the strip tells Qt it covers only the view and a
#: view's width either side: Qt maps an item's bounds to 32-bit integer pixels (for the
#: pixmap it is drawn from), and a deep zoom into a long run overflows them.
WIDEST_BOUNDS_PX = 1 << 28


def merge_touching(
    left: np.ndarray, right: np.ndarray, states: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stretches in device pixels, in time order, with each run of neighbours in one state
    that touch or overlap merged into one: a thread on a CPU for a whole second is one
    rectangle, not fifty samples. Returns (left, right, state), clamped ints."""
    if not len(left):
        return left.astype(np.int64), right.astype(np.int64), states
    right = np.maximum(right, left + 1)
    first = np.ones(len(left), bool)
    first[1:] = (states[1:] != states[:-1]) | (left[1:] > right[:-1])
    starts = np.flatnonzero(first)
    merged_right = np.maximum.reduceat(right, starts)
    limit = 1_000_000
    return (
        np.clip(left[starts], -limit, limit).astype(np.int64),
        np.clip(merged_right, -limit, limit).astype(np.int64),
        states[starts],
    )


def _fill_rects(painter: QPainter, left: np.ndarray, top: int, width: np.ndarray, height: int):
    """Fill one row of rectangles from numpy columns in one call (no QRect per stretch)."""
    if not len(left):
        return
    rects = Qt_internals.PrimitiveArray(QRectF, 4)
    rects.resize(len(left))
    table = rects.ndarray()
    table[:, 0] = left
    table[:, 1] = top
    table[:, 2] = width
    table[:, 3] = height
    painter.drawRects(*rects.drawargs())


class StateStripItem(pg.GraphicsObject):
    """Paints every lane's thread states in data coordinates (x seconds, y lanes).

    Drawn from a pixmap of its last paint until :meth:`update` is called or the view
    moves: the timeline repaints its bars every frame, the strip only when new states
    came (the timeline paces that).
    """

    def __init__(self, index: TimelineIndex) -> None:
        super().__init__()
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.paints = 0
        self.index = index
        self.cut_s: float | None = None  # scrubbed back: nothing later is drawn
        self._bounds = QRectF(0.0, 0.0, 1.0, 1.0)
        self._shown = QRectF()  # what boundingRect says: the bounds near the view, if any
        self._cache: tuple[int, int, list[np.ndarray]] | None = None
        self._filler = RectFiller()  # the stretches, as integer rectangles
        self.last_rects: dict[int, int] = {}  # per state, drawn by the last paint (tests)

    def boundingRect(self) -> QRectF:
        return self._shown

    def update_bounds(self, width_s: float) -> None:
        """Cover ``width_s`` seconds of every lane. The bounds grow in steps (each change
        drops the pixmap the strip is drawn from, and a live run widens every frame)."""
        run = self.index.run
        lanes = max(len(run.lanes), 1) if run is not None else 1
        width = self._bounds.width()
        if not width_s <= width <= max(4.0 * width_s, 1.0):
            width = max(width_s * 2.0, 1.0) if run is not None and not run.is_over else width_s
        self._bounds = QRectF(0.0, 0.0, width, float(lanes))
        self._clip_to_view()

    def viewRangeChanged(self) -> None:
        super().viewRangeChanged()
        self._clip_to_view()

    def _clip_to_view(self) -> None:
        """The bounds, or where they are wider than ``WIDEST_BOUNDS_PX`` device pixels
        only the view and a view's width either side (so that far from a deep zoom the
        strip keeps its pixmap while the view pans). Empty while the run has no states:
        Qt then neither paints the strip nor keeps a pixmap of it."""
        shown = QRectF(self._bounds)
        view = self.getViewBox()
        run = self.index.run
        if run is None or not len(run.thread_states):
            shown = QRectF()
            self.last_rects = {}
        elif isinstance(view, pg.ViewBox):
            (x0, x1), _ = view.viewRange()
            pixel_s = (x1 - x0) / max(view.width(), 1.0)
            if pixel_s > 0 and shown.width() > WIDEST_BOUNDS_PX * pixel_s:
                width = x1 - x0
                left, right = max(shown.left(), x0 - width), min(shown.right(), x1 + width)
                shown.setLeft(left)
                shown.setRight(max(right, left))
        if shown != self._shown:
            self.prepareGeometryChange()
            self._shown = shown

    def _by_lane(self) -> list[np.ndarray]:
        run = self.index.run
        assert run is not None
        table = run.thread_states
        key = (id(table), table.version)
        if self._cache is None or self._cache[:2] != key:
            rows = table.view()
            lanes = [rows[rows["lane"] == i] for i in range(len(run.lanes))]
            self._cache = (*key, lanes)
        return self._cache[2]

    def paint(self, painter: QPainter, *args) -> None:
        self.paints += 1
        run = self.index.run
        view = self.getViewBox()
        self.last_rects = {}
        if run is None or view is None or not len(run.thread_states):
            return
        transform = painter.transform()
        sx, dx, sy, dy = transform.m11(), transform.dx(), transform.m22(), transform.dy()
        if sx <= 0 or not math.isfinite(sx) or sy == 0:
            return
        (x0, x1), (y0, y1) = view.viewRange()
        painter.resetTransform()
        clip_at_cut(painter, self.cut_s, sx, dx)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        font = QFont(painter.font())
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        letter_w = metrics.horizontalAdvance("W") + 4
        height = max(round((STRIP_BOTTOM - STRIP_TOP) * sy), 3)
        labelled = height >= metrics.height() - 4
        # Every lane's stretches in one set of columns, filled one brush at a time.
        lefts, rights, states, tops, backs = [], [], [], [], []
        t0 = run.t0
        by_lane = self._by_lane()
        for lane in range(
            max(math.floor(min(y0, y1)), 0), min(math.ceil(max(y0, y1)), len(run.lanes))
        ):
            rows = by_lane[lane] if lane < len(by_lane) else None
            if rows is None or not len(rows):
                continue
            start_s = (rows["start"] - t0) / 1e9
            end_s = (rows["end"] - t0) / 1e9
            ended = run.lanes[lane].end_ns()
            if ended != NO_TIME:  # the strip ends with the lane's life, as its line does
                end_s = np.minimum(end_s, (ended - t0) / 1e9)
            visible = (end_s >= x0) & (start_s <= x1) & (end_s > start_s)
            left, right, state = merge_touching(
                np.floor(start_s[visible] * sx + dx),
                np.ceil(end_s[visible] * sx + dx),
                rows["state"][visible],
            )
            if not len(left):
                continue
            top = round((lane + STRIP_TOP) * sy + dy)
            lefts.append(left)
            rights.append(right)
            states.append(state)
            tops.append(np.full(len(left), top, np.int64))
            backs.append((int(left.min()), top, int(right.max() - left.min())))
        if not lefts:
            painter.setClipping(False)
            painter.setTransform(transform)
            return
        painter.setPen(theme.no_pen())
        self._filler.begin()
        back = np.array(backs, np.int64)
        self._filler.fill(
            painter,
            [QBrush(QColor(theme.BACKGROUND))],
            np.zeros(len(back), np.intp),
            back[:, 0],
            back[:, 1],
            back[:, 2],
            height,
        )
        left, right = np.concatenate(lefts), np.concatenate(rights)
        state, row_top = np.concatenate(states), np.concatenate(tops)
        width = right - left
        # A patterned state is a faint fill of its colour under its pattern, state by
        # state in STYLES' order (as each lane had them drawn).
        brushes: list[QBrush] = []
        picks: list[np.ndarray] = []
        for code, (color, pattern) in STYLES.items():
            mine = np.flatnonzero(state == code)
            if not len(mine):
                continue
            self.last_rects[int(code)] = len(mine)
            if pattern != Qt.BrushStyle.SolidPattern:
                faint = QColor(color)
                faint.setAlpha(90)
                brushes.append(QBrush(faint))
                picks.append(mine)
            brushes.append(theme.pattern_brush(QColor(color), pattern))
            picks.append(mine)
        chosen = np.concatenate(picks)
        groups = np.repeat(np.arange(len(picks)), [len(pick) for pick in picks])
        self._filler.fill(
            painter, brushes, groups, left[chosen], row_top[chosen], width[chosen], height
        )
        if labelled:
            wide = np.flatnonzero(width >= letter_w)
            if len(wide):
                painter.setPen(QColor(theme.FOREGROUND))
                for a, y, w, code in zip(
                    left[wide].tolist(),
                    row_top[wide].tolist(),
                    width[wide].tolist(),
                    state[wide].tolist(),
                    strict=True,
                ):
                    letter = STATE_LETTERS[ThreadState(code)]
                    painter.drawText(QRect(a, y, w, height), Qt.AlignmentFlag.AlignCenter, letter)
        painter.setClipping(False)
        painter.setTransform(transform)


class StateLegend(QWidget):
    """What the strip's colours, patterns and letters mean (and, off Linux, what is not known)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        self.label = QLabel()
        self.label.setWordWrap(True)  # never widens the window past the screen
        layout.addWidget(self.label, 1)  # the whole row: wraps only where it must
        self._key: tuple[str, bool, bool] | None = None
        self._seen: tuple[int, int] | None = None  # the table and version last looked at
        #: Off where small timelines are stacked (Compare): the Timeline tab has the key.
        self.wanted = True
        self.setVisible(False)

    def show_for(self, run) -> None:
        if not self.wanted or run is None or not len(run.thread_states):
            self.setVisible(False)
            return
        self.setVisible(True)
        table = run.thread_states
        seen = (id(table), table.version)
        if seen == self._seen:  # every tick asks; the states change a few times a second
            return
        self._seen = seen
        gil = lock_is_gil(run.experiment)
        # On Linux, too, a stretch can lack its reason (a thread running at every reading
        # around it): its key is shown once there is one.
        unknown = bool(np.any(table.view()["state"] == ThreadState.OFF_CPU))
        key = (table.source, gil, unknown)
        if key == self._key:
            return
        self._key = key
        shown = [ThreadState.ON_CPU]
        if run.thread_states.source == SOURCE_PSUTIL:
            shown.append(ThreadState.OFF_CPU)
        else:
            shown += [
                ThreadState.WAITING_FOR_CORE,
                ThreadState.BLOCKED_LOCK,
                ThreadState.BLOCKED_IO,
            ]
            if unknown:
                shown.append(ThreadState.OFF_CPU)
        parts = [
            f"<span style='background:{STYLES[s][0]};color:#000;font-weight:bold'>"
            f"&nbsp;{STATE_LETTERS[s]}&nbsp;</span>&nbsp;{state_label(s, gil)}"
            for s in shown
        ]
        text = "Thread state strip: " + " &nbsp; ".join(parts)
        if run.thread_states.source == SOURCE_PSUTIL:
            text += " &nbsp; (waiting for a core and blocking reasons are Linux-only)"
        self.label.setText(text)
