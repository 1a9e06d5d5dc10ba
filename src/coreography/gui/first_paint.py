"""Work that waits for a widget's first paint: what the window need not be shown
without is done once it is on screen, from the event loop."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget


class _FirstPaint(QObject):
    """Calls ``then`` from the event loop once ``widget`` has painted for the first time
    (the whole window is painted in that pass); not if ``widget`` is gone by then (closed
    at once: its deletion may come first)."""

    def __init__(self, widget: QWidget, then: Callable[[], None]) -> None:
        super().__init__(widget)
        self.then = then
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self, self.then)
        return False


def after_first_paint(widget: QWidget, then: Callable[[], None]) -> None:
    """Call ``then`` (once) just after ``widget``'s first paint."""
    _FirstPaint(widget, then)
