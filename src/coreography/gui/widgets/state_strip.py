"""The state strip: under each lane's task bars, what its thread was doing, from the kernel.

On a CPU / ready, no free core / blocked: GIL or lock / blocked: I/O or sleep, each told
apart by colour and by a pattern, and by its letter where a stretch is wide enough.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from coreography.gui import theme
from coreography.gui.widgets.timeline_index import TimelineIndex
from coreography.gui.widgets.timeline_item import clip_at_cut
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


def _clip(value: float) -> int:
    return int(min(max(value, -1_000_000), 1_000_000))


class StateStripItem(pg.GraphicsObject):
    """Paints every lane's thread states in data coordinates (x seconds, y lanes)."""

    def __init__(self, index: TimelineIndex) -> None:
        super().__init__()
        self.index = index
        self.cut_s: float | None = None  # scrubbed back: nothing later is drawn
        self._bounds = QRectF(0.0, 0.0, 1.0, 1.0)
        self._cache: tuple[int, int, list[np.ndarray]] | None = None
        self.last_rects: dict[int, int] = {}  # per state, drawn by the last paint (tests)

    def boundingRect(self) -> QRectF:
        return self._bounds

    def update_bounds(self, width_s: float) -> None:
        run = self.index.run
        lanes = max(len(run.lanes), 1) if run is not None else 1
        bounds = QRectF(0.0, 0.0, width_s, float(lanes))
        if bounds != self._bounds:
            self.prepareGeometryChange()
            self._bounds = bounds

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
        letter_w = painter.fontMetrics().horizontalAdvance("W") + 4
        t0 = run.t0
        for lane in range(
            max(math.floor(min(y0, y1)), 0), min(math.ceil(max(y0, y1)), len(run.lanes))
        ):
            rows = self._by_lane()[lane] if lane < len(self._by_lane()) else None
            if rows is None or not len(rows):
                continue
            top = round((lane + STRIP_TOP) * sy + dy)
            height = max(round((STRIP_BOTTOM - STRIP_TOP) * sy), 3)
            start_s = (rows["start"] - t0) / 1e9
            end_s = (rows["end"] - t0) / 1e9
            ended = run.lanes[lane].end_ns()
            if ended != NO_TIME:  # the strip ends with the lane's life, as its line does
                end_s = np.minimum(end_s, (ended - t0) / 1e9)
            visible = (end_s >= x0) & (start_s <= x1) & (end_s > start_s)
            left = np.floor(start_s[visible] * sx + dx)
            right = np.maximum(np.ceil(end_s[visible] * sx + dx), left + 1)
            states = rows["state"][visible]
            painter.fillRect(
                QRect(
                    _clip(left.min(initial=0)),
                    top,
                    _clip(right.max(initial=0) - left.min(initial=0)),
                    height,
                ),
                QColor(theme.BACKGROUND),
            )
            for state, (color, pattern) in STYLES.items():
                mine = np.flatnonzero(states == state)
                if not len(mine):
                    continue
                rects = [
                    QRect(_clip(left[k]), top, _clip(right[k] - left[k]), height)
                    for k in mine.tolist()
                ]
                base = QColor(color)
                if pattern != Qt.BrushStyle.SolidPattern:
                    faint = QColor(color)
                    faint.setAlpha(90)
                    painter.setPen(theme.no_pen())
                    painter.setBrush(faint)
                    painter.drawRects(rects)
                painter.setBrush(theme.pattern_brush(base, pattern))
                painter.setPen(theme.no_pen())
                painter.drawRects(rects)
                self.last_rects[int(state)] = len(rects)
                if height >= painter.fontMetrics().height() - 4:
                    painter.setPen(QColor(theme.FOREGROUND))
                    for rect in rects:
                        if rect.width() >= letter_w:
                            painter.drawText(
                                rect,
                                Qt.AlignmentFlag.AlignCenter,
                                STATE_LETTERS[ThreadState(state)],
                            )
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
        #: Off where small timelines are stacked (Compare): the Timeline tab has the key.
        self.wanted = True
        self.setVisible(False)

    def show_for(self, run) -> None:
        if not self.wanted or run is None or not len(run.thread_states):
            self.setVisible(False)
            return
        gil = lock_is_gil(run.experiment)
        # On Linux, too, a stretch can lack its reason (a thread running at every reading
        # around it): its key is shown once there is one.
        unknown = bool(np.any(run.thread_states.view()["state"] == ThreadState.OFF_CPU))
        key = (run.thread_states.source, gil, unknown)
        self.setVisible(True)
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
