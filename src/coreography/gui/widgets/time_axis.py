"""A horizontal axis of times whose ticks and labels are laid out with plain arithmetic.

pyqtgraph's ``AxisItem`` lays its ticks out again at every change of range: as a view
pans or scrolls, every frame. Its general layout (any orientation, grids, log scales)
builds a ``Point`` per tick end, compares every tick with every coarser one through
``numpy.isclose`` and measures every label's text anew: about half a millisecond a
frame on a 1,400-pixel axis, as much as the timeline's bars. This axis makes the same
ticks, strings and text placement for the plain case (horizontal, linear, no grid,
ticks chosen by the axis itself) with a few hundred float operations and text sizes
measured once per string, and leaves every other case to pyqtgraph.
"""

from __future__ import annotations

import itertools
import math

import pyqtgraph as pg
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen, QPicture

#: What one label is measured in (as pyqtgraph does: its size in a 100×100 box, centred).
_MEASURE_BOX = QRectF(0, 0, 100, 100)
_CENTRED = Qt.AlignmentFlag.AlignCenter
_BELOW = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextDontClip
_ABOVE = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom | Qt.TextFlag.TextDontClip
#: What ``picture`` holds once the axis is laid out (it is drawn from ``_specs``).
_LAID_OUT = object()
#: Text sizes kept before all are forgotten (a long pan keeps making new labels).
_MEASURED_LIMIT = 4096


class TimeAxis(pg.AxisItem):
    """A ``bottom`` or ``top`` axis: pyqtgraph's look and tick choice, laid out cheaply."""

    picture: object  # pyqtgraph's: None once anything changed; here, laid out or not

    def __init__(self, orientation: str = "bottom", **kwargs) -> None:
        if orientation not in ("bottom", "top"):
            raise ValueError(f"a time axis is horizontal, not {orientation!r}")
        super().__init__(orientation, **kwargs)
        #: (font key, label) -> (width, height) as pyqtgraph measures it.
        self._measured: dict[tuple[str, str], tuple[float, float]] = {}
        self._specs = None  # what the last layout made

    # -- ticks ------------------------------------------------------------------------
    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:
        """pyqtgraph's ticks, each level without the values a coarser level has (those
        within 1 % of its own spacing of a coarser tick), found by arithmetic rather than
        by comparing every pair: a coarser spacing is a whole multiple of a finer one, so
        a tick is a coarser one's when its number is a multiple of that ratio."""
        if self.logMode:
            return super().tickValues(minVal, maxVal, size)
        low, high = sorted((minVal * self.scale, maxVal * self.scale))
        ticks = []
        coarser: list[tuple[float, float]] = []  # (spacing, offset) of the levels above
        for spacing, offset in self.tickSpacing(low, high, size):
            first = math.ceil((low - offset) / spacing)
            start = first * spacing + offset
            count = max(int((high - start) / spacing) + 1, 0)
            ratios = [round(step / spacing) for step, _ in coarser]
            if not all(
                off == offset and ratio >= 1 and abs(step / spacing - ratio) < 1e-9
                for (step, off), ratio in zip(coarser, ratios, strict=True)
            ):  # spacings of no whole ratio (a subclass's): pyqtgraph's own comparison
                return super().tickValues(minVal, maxVal, size)
            values = [
                (k * spacing + start) / self.scale
                for k in range(count)
                if all((first + k) % ratio for ratio in ratios)
            ]
            coarser.append((spacing, offset))
            ticks.append((spacing / self.scale, values))
        return ticks

    # -- painting -----------------------------------------------------------------------
    def paint(self, p: QPainter, *args) -> None:
        """Lay the axis out when something changed (pyqtgraph then drops ``picture``) and
        draw it straight onto ``p``: the axis is cached as a pixmap of the view already
        (:func:`theme.cache_axes`), so pyqtgraph's own picture, recorded and then played
        back, would draw everything twice (the layout itself does not depend on the
        device: its text is measured as pyqtgraph measures it)."""
        if self.picture is None:
            if self.style["tickFont"] is not None:
                p.setFont(self.style["tickFont"])
            self._specs = self.generateDrawSpecs(p)
            self.picture = _LAID_OUT
        if self._specs is not None:
            self.drawPicture(p, *self._specs)

    def drawPicture(self, p: QPainter, axisSpec, tickSpecs, textSpecs) -> None:
        """pyqtgraph's drawing of the specs, with one ``drawLines`` per tick pen."""
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        pen, start, end = axisSpec
        p.setPen(pen)
        p.drawLine(start, end)
        for _, group in itertools.groupby(tickSpecs, key=lambda spec: id(spec[0])):
            specs = list(group)
            p.setPen(specs[0][0])
            p.drawLines([QLineF(a, b) for _, a, b in specs])
        if self.style["tickFont"] is not None:
            p.setFont(self.style["tickFont"])
        p.setPen(self.textPen())
        p.setClipRect(self.boundingRect().toAlignedRect())
        for rect, flags, text in textSpecs:
            p.drawText(rect, int(flags), text)

    # -- layout -----------------------------------------------------------------------
    def generateDrawSpecs(self, p: QPainter):
        if self._tickLevels is not None or self.grid is not False or self.logMode:
            return super().generateDrawSpecs(p)
        if self.style["tickFont"] is not None:
            p.setFont(self.style["tickFont"])
        bounds = self.mapRectFromParent(self.geometry())
        bottom = self.orientation == "bottom"
        edge = bounds.top() if bottom else bounds.bottom()
        along = 1.0 if bottom else -1.0
        span = (
            QPointF(bounds.left() - 1.0, edge + along),
            QPointF(bounds.right() + 1.0, edge + along),
        )
        ends = [self.mapToDevice(point) for point in span]
        if None in ends:
            return None
        length = math.hypot(ends[1].x() - ends[0].x(), ends[1].y() - ends[0].y())
        if length == 0:
            return None
        levels = self.tickValues(self.range[0], self.range[1], length)
        dif = self.range[1] - self.range[0]
        scale = bounds.width() / dif if dif else 1.0
        shift = self.range[0] * scale if dif else 0.0
        low, high = sorted(x * scale - shift for x in self.range)
        tick_length = self.style["tickLength"]
        positions: list[list[float | None]] = []
        tick_specs = []
        for i, (_spacing, values) in enumerate(levels):
            pen = self._level_pen(i)
            reach = edge + along * tick_length / (i * 0.5 + 1.0)
            shown: list[float | None] = []
            for value in values:
                x = value * scale - shift
                if x < low or x > high:
                    shown.append(None)
                    continue
                shown.append(x)
                tick_specs.append((pen, QPointF(x, edge), QPointF(x, reach)))
            positions.append(shown)
        axis_spec = (self.pen(), span[0], span[1])
        if not self.style["showValues"]:
            return axis_spec, tick_specs, []
        return axis_spec, tick_specs, self._texts(p, levels, positions, length, edge, along)

    def _level_pen(self, level: int) -> QPen:
        """The tick pen of ``level``, fainter for finer levels, as pyqtgraph makes it."""
        pen = self.tickPen()
        alpha = self.style["tickAlpha"]
        if alpha is None:
            alpha = 255 / (level + 1)
        elif isinstance(alpha, float):
            alpha = min(max(round(alpha * 255), 0), 255)
        if pen.brush().style() == Qt.BrushStyle.SolidPattern:
            pen = QPen(pen)
            color = QColor(pen.color())
            color.setAlpha(int(alpha))
            pen.setColor(color)
        return pen

    def _texts(self, p, levels, positions, length, edge, along) -> list:
        """The labels of the levels that fit (pyqtgraph's crowding limits), each centred
        on its tick and kept only if it lies wholly inside the axis."""
        measured = self._measured
        if len(measured) > _MEASURED_LIMIT:
            measured.clear()
        font = p.font().key()
        offset = max(0, self.style["tickLength"]) + self.style["tickTextOffset"][1]
        box = self.boundingRect()
        box_left, box_right, box_top, box_bottom = box.left(), box.right(), box.top(), box.bottom()
        flags = _BELOW if along > 0 else _ABOVE
        specs: list = []
        widths: list[float] = []  # every measured label so far, as pyqtgraph sums them
        heights: list[float] = []
        last_height = 0.0
        measuring: _Measuring | None = None
        try:
            for i in range(min(len(levels), self.style["maxTextLevel"] + 1)):
                spacing, values = levels[i]
                if not values:
                    continue
                strings = self.tickStrings(values, self.autoSIPrefixScale * self.scale, spacing)
                sizes: list[tuple[float, float] | None] = []
                for text, x in zip(strings, positions[i], strict=True):
                    if x is None:
                        sizes.append(None)
                        continue
                    size = measured.get((font, text))
                    if size is None:
                        if measuring is None:
                            measuring = _Measuring(p.font())
                        size = measured[(font, text)] = measuring.size(text)
                    sizes.append(size)
                    widths.append(size[0])
                    heights.append(size[1])
                if i > 0:  # the top level is always drawn; finer ones while they are not crowded
                    fill = sum(widths) / length
                    if any(
                        len(specs) >= count and fill >= limit
                        for count, limit in self.style["textFillLimits"]
                    ):
                        break
                last_height = max(heights) if heights else 0.0
                for text, x, size in zip(strings, positions[i], sizes, strict=True):
                    if x is None or size is None:
                        continue
                    width, height = size
                    top = edge + offset if along > 0 else edge - offset - height
                    left = x - width / 2.0
                    if (
                        left < box_left
                        or left + width > box_right
                        or top < box_top
                        or top + height > box_bottom
                    ):
                        continue
                    specs.append((QRectF(left, top, width, height), flags, text))
        finally:
            if measuring is not None:
                measuring.end()
        self._updateMaxTextSize(last_height)
        return specs


class _Measuring:
    """Text measured as pyqtgraph measures it: on a picture (the screen's resolution),
    whatever the axis is drawn on, so that an export to SVG (72 dpi) lays it out as the
    screen does and the sizes kept serve every device."""

    def __init__(self, font: QFont) -> None:
        self._picture = QPicture()
        self._painter = QPainter(self._picture)
        self._painter.setFont(font)

    def size(self, text: str) -> tuple[float, float]:
        rect = self._painter.boundingRect(_MEASURE_BOX, _CENTRED, text)
        return rect.width(), rect.height() * 0.8

    def end(self) -> None:
        self._painter.end()
