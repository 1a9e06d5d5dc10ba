"""The timeline's legend: each mark drawn as the timeline draws it, with its name, so
nothing is told by color alone (shape, pattern and label say it too)."""

from __future__ import annotations

from PySide6.QtCore import QLineF, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPolygon
from PySide6.QtWidgets import QSizePolicy, QWidget

from coreography.gui import theme
from coreography.gui.widgets.message_layer import paint_arrow, sending_style, wait_style
from coreography.gui.widgets.timeline_item import mark_style  # drawn as the lanes draw it

ITEMS = (
    ("task", "Task #n (alternating shades; lane color = worker)"),
    ("running", "Running (open, growing edge)"),
    ("startup", "Worker start-up (hatched)"),
    ("failed", "Failed task: it raised, or its worker died (✕, cross-hatched, vermillion)"),
    ("interrupted", "Interrupted: the run's end cut it short (‖, lined, dashed outline)"),
    ("print", "print() (tick above the bar)"),
    ("message", "A message through a queue or pipe: an arrow from put/send to get/recv"),
    ("wait", "Waiting inside get(), recv() or acquire() (dotted outline, faint tint)"),
    (
        "sending",
        "Sending a big message: pickling it, the pipe, unpickling it; a Dask task's "
        "inputs moving before it runs: transfer from another worker, disk read "
        "(solid outline, dots)",
    ),
)
SHORT = {
    "task": "task",
    "running": "running",
    "startup": "start-up",
    "failed": "✕ failed",
    "interrupted": "‖ interrupted",
    "print": "print()",
    "message": "message",
    "wait": "waiting",
    "sending": "sending",
}


class TimelineLegend(QWidget):
    """One row of samples; the tooltip spells each one out."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timeline_legend")
        self.setAccessibleName("Timeline legend")
        self.setToolTip("\n".join(text for _key, text in ITEMS))
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def _swatch(self) -> int:
        return max(self.fontMetrics().height(), 10)

    def sizeHint(self) -> QSize:
        metrics = self.fontMetrics()
        width = sum(metrics.horizontalAdvance(SHORT[k]) + 2 * self._swatch() + 6 for k in SHORT)
        return QSize(width, self._swatch() + 6)

    def minimumSizeHint(self) -> QSize:
        return QSize(0, self._swatch() + 6)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        try:
            self._paint(painter)
        finally:
            painter.end()

    def _paint(self, painter: QPainter) -> None:
        size = self._swatch()
        x, top = 4, 3
        metrics = self.fontMetrics()
        for key, _text in ITEMS:
            label = SHORT[key]
            if x + size * 2 + metrics.horizontalAdvance(label) > self.width():
                break  # no room: the tooltip still names every mark
            box = QRect(x, top, int(size * 1.6), size)
            self._paint_sample(painter, key, box)
            painter.setPen(QColor(theme.FOREGROUND))
            label_box = QRect(box.right() + 4, top, metrics.horizontalAdvance(label) + 2, size)
            painter.drawText(label_box, Qt.AlignmentFlag.AlignVCenter, label)
            x = label_box.right() + size

    def _paint_sample(self, painter: QPainter, key: str, box: QRect) -> None:
        base = theme.lane_color(0)
        painter.setPen(theme.no_pen())
        if key == "task":
            half = box.width() // 2
            painter.fillRect(QRect(box.left(), box.top(), half - 1, box.height()), base)
            painter.fillRect(
                QRect(box.left() + half, box.top(), box.width() - half, box.height()),
                base.lighter(135),
            )
        elif key == "running":
            painter.fillRect(box.adjusted(0, 0, -5, 0), base.lighter(160))
            painter.setBrush(base.lighter(160).darker(150))
            mid = box.center().y()
            painter.drawPolygon(
                QPolygon(
                    [
                        QPoint(box.right() - 5, box.top()),
                        QPoint(box.right() + 1, mid),
                        QPoint(box.right() - 5, box.bottom()),
                    ]
                )
            )
        elif key == "startup":
            painter.setPen(theme.thin_pen(theme.STARTUP_COLOR))
            painter.setBrush(theme.pattern_brush(theme.STARTUP_COLOR, Qt.BrushStyle.BDiagPattern))
            painter.drawRect(box.adjusted(0, 0, -1, -1))
        elif key in ("failed", "interrupted"):
            pen, brush, _prefix = mark_style(key)
            painter.fillRect(box, QColor(theme.BACKGROUND))
            painter.setPen(pen)
            painter.setBrush(brush)
            painter.drawRect(box.adjusted(1, 1, -1, -1))
        elif key == "message":
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            paint_arrow(painter, QLineF(box.left(), box.top() + 1, box.right(), box.bottom() - 1))
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        elif key in ("wait", "sending"):
            pen, brush = wait_style() if key == "wait" else sending_style()
            painter.setPen(pen)
            painter.setBrush(brush)
            painter.drawRect(box.adjusted(0, box.height() // 2, -1, -1))
        elif key == "print":
            painter.fillRect(box.adjusted(0, box.height() // 2, 0, 0), base)
            painter.fillRect(
                QRect(box.center().x(), box.top(), 1, box.height() // 2),
                QColor(theme.FOREGROUND),
            )
        painter.setPen(theme.no_pen())
