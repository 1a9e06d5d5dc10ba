"""The timeline's bars as integer pixel rectangles, computed with numpy for every lane at
once, and filled with one ``QPainter.drawRects`` call per brush."""

from __future__ import annotations

from typing import cast

import numpy as np
import shiboken6
from PySide6.QtCore import QRect
from PySide6.QtGui import QPainter

#: Bars at least this wide get a one-pixel gap so that neighbouring tasks stay distinct.
GAP_FROM_PX = 5
#: Pixel coordinates are clamped to this: deep zoom would overflow Qt's 32-bit QRect.
CLAMP_PX = 1_000_000


def bar_rects(
    starts: np.ndarray, ends: np.ndarray, lo: float, hi: float, sx: float, dx: float
) -> tuple[np.ndarray, np.ndarray]:
    """(left, width) in device pixels of bars drawn one by one.

    Every bar is at least one pixel wide (a bar of a microsecond is never lost), and
    bars of ``GAP_FROM_PX`` or more give their last pixel to a gap, so that tasks back
    to back stay apart. ``lo``/``hi`` clamp what lies beyond the view.
    """
    left = np.floor(np.minimum(np.maximum(starts * sx + dx, lo), hi)).astype(np.int64)
    right = np.floor(np.minimum(np.maximum(ends * sx + dx, lo), hi)).astype(np.int64)
    width = np.maximum(right - left, 1)
    width -= width >= GAP_FROM_PX
    return left, width


def coverage_runs(
    starts: np.ndarray, ends: np.ndarray, lanes: np.ndarray, lo: int, hi: int, sx: float, dx: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of busy pixel columns, as (left, width, lane) in device pixels.

    ``starts``/``ends`` are bars (or merged runs of bars) of several lanes, each lane's
    in time order and contiguous, ``lanes`` the lane of each. Pixel column ``c`` (from
    ``c`` to ``c + 1``) is busy where a bar starts before its right edge and ends after
    its left edge: a bar covers columns ``floor(start)`` to ``ceil(end) - 1`` (one at
    least). Bars of one lane whose columns touch or overlap make one run, so what is
    drawn is bounded by the lanes times the width of the view, whatever the count of
    bars; only columns from ``lo`` to ``hi`` are drawn.
    """
    if not len(starts):
        empty = np.empty(0, np.int64)
        return empty, empty, empty
    left = np.floor(np.maximum(starts * sx + dx, lo))
    right = np.ceil(np.minimum(ends * sx + dx, hi))
    keep = right > lo
    keep &= left < hi
    if not keep.all():
        left, right, lanes = left[keep], right[keep], lanes[keep]
        if not len(left):
            empty = np.empty(0, np.int64)
            return empty, empty, empty
    left = left.astype(np.int64)
    right = np.maximum(right.astype(np.int64), left + 1)
    # A lane's bars do not overlap, so its right edges never decrease: a bar opens a new
    # run where the lane changes or where it begins right of the previous bar's end.
    opens = np.empty(len(left), bool)
    opens[0] = True
    np.greater(left[1:], right[:-1], out=opens[1:])
    opens[1:] |= lanes[1:] != lanes[:-1]
    firsts = np.flatnonzero(opens)
    lasts = np.empty_like(firsts)
    lasts[:-1] = firsts[1:] - 1
    lasts[-1] = len(left) - 1
    run_left = left[firsts]
    return run_left, right[lasts] - run_left, lanes[firsts]


class Recording:
    """Stands in for a ``QPainter`` while part of a frame is painted: it passes the brush
    changes, rectangle fills and label draws on, and keeps them (with the arrays they
    point into), so that a paint of the same view and data can draw them again without
    computing anything."""

    def __init__(self, painter: QPainter) -> None:
        self._painter = painter
        self._calls: list[tuple] = []
        self._arrays: list[np.ndarray] = []

    def keep(self, array: np.ndarray) -> None:
        """``array`` holds what a recorded call points into: it must outlive the calls."""
        self._arrays.append(array)

    def device(self):
        return self._painter.device()

    def font(self):
        return self._painter.font()

    def setBrush(self, brush) -> None:
        self._painter.setBrush(brush)
        self._calls.append((QPainter.setBrush, (brush,)))

    def drawRects(self, first, count: int) -> None:
        self._painter.drawRects(first, count)
        self._calls.append((QPainter.drawRects, (first, count)))

    def drawPixmapFragments(self, first, count: int, pixmap) -> None:
        self._painter.drawPixmapFragments(first, count, pixmap)
        self._calls.append((QPainter.drawPixmapFragments, (first, count, pixmap)))

    def replay(self, painter: QPainter) -> None:
        """Draw again what was recorded, in the order it was."""
        for call, args in self._calls:
            call(painter, *args)


class RectFiller:
    """Fills integer rectangles held in a reused numpy buffer laid out as ``QRect``s
    (x1, y1, x2, y2), one ``drawRects`` call per brush, without a Python object per
    rectangle. Integer rectangles take the raster engine's fast path: about twice as
    fast as ``QRectF``.

    Each fill of a frame has a buffer of its own, kept until :meth:`begin` starts the
    next frame: a :class:`Recording` of the frame can draw from them until then.
    """

    def __init__(self) -> None:
        self._buffers: list[np.ndarray] = []
        #: Per buffer: (the groups it was last filled by, brushes, counts, order).
        self._sorted: list[tuple | None] = []
        self._used = 0

    def begin(self) -> None:
        """A new frame: its fills may reuse the buffers of the last."""
        self._used = 0

    def fill(
        self,
        painter: QPainter | Recording,
        brushes: list,
        groups: np.ndarray,
        left: np.ndarray,
        top: np.ndarray,
        width: np.ndarray,
        height: int,
    ) -> int:
        """Fill rectangle ``i`` with ``brushes[groups[i]]``; returns how many were filled.

        ``top`` is per rectangle; all have ``height``. Within a brush, rectangles are
        filled in the order given. ``groups`` is never changed once given: given again,
        the same array's sort is reused.
        """
        count = len(left)
        if not count:
            return 0
        if self._used == len(self._buffers):
            self._buffers.append(np.empty((0, 4), np.int32))
            self._sorted.append(None)
        # The same groups as this fill's last frame (a view that moved): the same order.
        known = self._sorted[self._used]
        if known is not None and known[0] is groups and known[1] == len(brushes):
            counts, order = known[2], known[3]
        else:
            counts = np.bincount(groups, minlength=len(brushes))
            order = None
            if np.count_nonzero(counts) > 1:  # a stable sort of small integers: a radix sort
                small = groups.astype(np.uint8 if len(brushes) <= 256 else np.int64)
                order = np.argsort(small, kind="stable")
            self._sorted[self._used] = (groups, len(brushes), counts, order)
        buffer = self._buffers[self._used]
        if len(buffer) < count:
            buffer = self._buffers[self._used] = np.empty(
                (max(count, 2 * len(buffer)), 4), np.int32
            )
        self._used += 1
        if isinstance(painter, Recording):
            painter.keep(buffer)  # should the next frame need a larger one
        rows = buffer[:count]
        if order is not None:
            left, top, width = left[order], top[order], width[order]
        # Beyond the clamp, a bar reaches far outside the view (deep zoom): what Qt's
        # 32-bit rectangles hold.
        rows[:, 0] = np.maximum(left, -CLAMP_PX)
        rows[:, 1] = top
        rows[:, 2] = np.minimum(left + width - 1, CLAMP_PX)
        rows[:, 3] = top + (height - 1)
        address = rows.ctypes.data
        row_bytes = rows.strides[0]
        offset = 0
        for group, number in enumerate(counts.tolist()):
            if number:
                painter.setBrush(brushes[group])
                first = cast(QRect, shiboken6.wrapInstance(address + offset * row_bytes, QRect))
                painter.drawRects(first, number)
                offset += number
        return count
