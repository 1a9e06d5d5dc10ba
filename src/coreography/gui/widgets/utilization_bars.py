"""The Metrics panel's per-worker bars: how much of its life each lane worked and, with
thread states, how much of its task time it was really on a CPU. Painted, no child
widgets; every text is chosen to fit its room (a shorter wording, never a cut)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter
from PySide6.QtWidgets import QToolTip, QWidget

from coreography.gui import theme

LEFT = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft
RIGHT = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight
#: How light the "a task was open" part of a bar is drawn behind its on-CPU part.
BUSY_ALPHA = 90


@dataclass(frozen=True)
class BarRow:
    """One lane's bar."""

    label: str
    #: What the bar shows: on a CPU ÷ alive with thread states, else busy ÷ alive.
    utilization: float | None
    color: QColor
    detail: str  # the row's tooltip
    #: With thread states: a task was open ÷ alive (drawn light behind the bar) and the
    #: share of the task time on a CPU (said under the bar).
    busy_share: float | None = None
    on_cpu_share: float | None = None


def on_cpu_wordings(share: float) -> list[str]:
    """The on-CPU share of a lane's task time, from the fullest wording to the shortest."""
    pct = f"{share * 100:.0f} %"
    return [f"on a CPU {pct} of its task time", f"on a CPU {pct} of task time", f"CPU {pct}"]


@dataclass(frozen=True)
class PaintedText:
    """A text as painted: where, and how wide it needs to be."""

    text: str
    rect: QRect
    needed: int
    align: Qt.AlignmentFlag


def _known(value: float | None) -> bool:
    return value is not None and value == value


def _share(value: float | None) -> float:
    return min(max(value, 0.0), 1.0) if value is not None and _known(value) else 0.0


def _on_cpu_text(
    metrics: QFontMetrics, share: float, width: int, left: int, top: int, line: int
) -> PaintedText:
    """The fullest wording that fits: under the bar, else from under the name."""
    indent = min(left, metrics.horizontalAdvance("    "))
    for text in on_cpu_wordings(share):
        needed = metrics.horizontalAdvance(text)
        for start in (left, indent):
            rect = QRect(start, top + line, width - start, line)
            if needed <= rect.width():
                return PaintedText(text, rect, needed, LEFT)
    return PaintedText(text, rect, needed, LEFT)


class UtilizationBars(QWidget):
    """One horizontal bar per worker (see module docstring). A name too long for 60 %
    of the width goes whole on a line of its own, above its bar."""

    ROW = 18

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[BarRow] = []

    def set_rows(self, rows: list[BarRow] | list[tuple]) -> None:
        self.rows = [row if isinstance(row, BarRow) else BarRow(*row) for row in rows]
        self.setToolTip("\n".join(f"{row.label}: {row.detail}" for row in self.rows))
        self.updateGeometry()
        self.update()

    @property
    def with_states(self) -> bool:
        return any(row.on_cpu_share is not None for row in self.rows)

    def _line(self) -> int:
        return max(self.ROW, self.fontMetrics().height() + 4)

    def _stacked(self, width: int) -> bool:
        """Names too long for 60 % of the width go on a line of their own, above the bar."""
        metrics = self.fontMetrics()
        widest = max((metrics.horizontalAdvance(row.label) for row in self.rows), default=0)
        return widest + 8 > width * 0.6

    def row_height(self, width: int | None = None) -> int:
        """A row: its name (when stacked), its bar, and the on-CPU line with states."""
        width = self.width() if width is None else width
        lines = 1 + int(self._stacked(width)) + int(self.with_states)
        return lines * self._line()

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return max(len(self.rows), 1) * self.row_height(width) + 4

    def sizeHint(self) -> QSize:
        return QSize(220, self.heightForWidth(max(self.width(), 220)))

    def minimumSizeHint(self) -> QSize:
        return QSize(120, self.heightForWidth(max(self.width(), 120)))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.updateGeometry()  # stacked or not changes the height it needs

    # -- layout -------------------------------------------------------------------------
    def texts(self, width: int | None = None) -> list[PaintedText]:
        """Every text the bars paint at ``width`` (default: the widget's), with its room."""
        return self._layout(self.width() if width is None else width)[1]

    def _layout(self, width: int) -> tuple[list[QRect], list[PaintedText]]:
        metrics: QFontMetrics = self.fontMetrics()
        line = self._line()
        stacked = self._stacked(width)
        row_height = self.row_height(width)
        widest = max((metrics.horizontalAdvance(row.label) for row in self.rows), default=0)
        label_width = 0 if stacked else widest + 8
        share_width = metrics.horizontalAdvance("100 %") + 4  # grows with the font
        bars: list[QRect] = []
        texts: list[PaintedText] = []
        for number, row in enumerate(self.rows):
            top = number * row_height + 2
            label_rect = QRect(0, top, width if stacked else label_width - 4, line)
            # Whole, unless not even a line of its own holds it.
            label = metrics.elidedText(row.label, Qt.TextElideMode.ElideRight, label_rect.width())
            texts.append(PaintedText(label, label_rect, metrics.horizontalAdvance(label), LEFT))
            if stacked:
                top += line
            room = max(width - label_width - share_width - 2, 0)
            bars.append(QRect(label_width, top + 3, room, line - 6))
            share = f"{_share(row.utilization) * 100:.0f} %" if _known(row.utilization) else "—"
            share_rect = QRect(width - share_width, top, share_width, line)
            texts.append(PaintedText(share, share_rect, metrics.horizontalAdvance(share), RIGHT))
            if row.on_cpu_share is not None:
                texts.append(_on_cpu_text(metrics, row.on_cpu_share, width, label_width, top, line))
        return bars, texts

    # -- painting -----------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        try:
            self._paint_rows(painter)
        finally:
            painter.end()

    def _paint_rows(self, painter: QPainter) -> None:
        bars, texts = self._layout(self.width())
        for row, bar in zip(self.rows, bars, strict=True):
            painter.fillRect(bar, QColor(theme.TRACK_COLOR))
            if row.busy_share is not None:  # a task was open: light, behind the CPU part
                light = QColor(row.color)
                light.setAlpha(BUSY_ALPHA)
                busy = QRect(bar.left(), bar.top(), int(bar.width() * _share(row.busy_share)), 0)
                busy.setHeight(bar.height())
                painter.fillRect(busy, light)
            solid = QRect(bar.left(), bar.top(), int(bar.width() * _share(row.utilization)), 0)
            solid.setHeight(bar.height())
            painter.fillRect(solid, row.color)
        painter.setPen(QColor(theme.FOREGROUND))
        for text in texts:
            painter.drawText(text.rect, text.align, text.text)

    def event(self, event: QEvent) -> bool:
        """The tooltip of the row under the pointer (the whole list elsewhere)."""
        if event.type() == QEvent.Type.ToolTip and self.rows:
            number = int(event.pos().y() - 2) // max(self.row_height(), 1)  # type: ignore[attr-defined]
            if 0 <= number < len(self.rows):
                row = self.rows[number]
                QToolTip.showText(event.globalPos(), f"{row.label}: {row.detail}", self)  # type: ignore[attr-defined]
                return True
        return super().event(event)
