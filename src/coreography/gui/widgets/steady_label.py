"""A label for figures that change while a run is live, without laying the window out.

A new text changes a label's size hint, and Qt answers every such change by laying out
each widget from the label up to the main window, which then places every dock again
(about half a millisecond, and the widgets that moved repaint): for a figure written
a few times a second that was a tenth of the window's CPU. A widget whose least and
greatest sizes are equal stops that climb, so while :meth:`SteadyLabel.hold` is on the
label keeps a fixed size that only grows (no jitter as digits come and go, and a new
text only repaints the label); off again, it takes its natural size.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QLabel, QWidget

#: Qt's QWIDGETSIZE_MAX: no greatest size.
NO_LIMIT = (1 << 24) - 1


class SteadyLabel(QLabel):
    """A one-line label whose size only grows while it is held (see the module)."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.held = False
        self.least_width = 0

    def set_least_width(self, width: int) -> None:
        """Never narrower than ``width`` (held or not)."""
        self.least_width = width
        if self.held:
            self._fit(grow_only=False)
        else:
            self.setMinimumWidth(width)

    def hold(self, held: bool) -> None:
        """Keep a steady size (a live run writes the label) or take the natural one."""
        if held == self.held:
            return
        self.held = held
        if held:
            self._fit(grow_only=False)
        else:
            self.setMaximumSize(NO_LIMIT, NO_LIMIT)
            self.setMinimumSize(self.least_width, 0)
            # QLabel's size hint is at least its least size and is kept until the text
            # changes: written anew, it is the text's own again.
            text = self.text()
            super().setText("")
            super().setText(text)

    def setText(self, text: str) -> None:
        if text == self.text():
            return
        super().setText(text)
        if self.held:
            self._fit(grow_only=True)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if self.held and event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fit(grow_only=False)  # a new font (presentation mode) may need less

    def _fit(self, grow_only: bool) -> None:
        hint = self.sizeHint()
        width = max(hint.width(), self.least_width)
        if grow_only and self.minimumWidth() == self.maximumWidth():
            width = max(width, self.maximumWidth())
        if (width, hint.height()) != (self.maximumWidth(), self.maximumHeight()) or (
            self.minimumSize() != self.maximumSize()
        ):
            self.setFixedSize(width, hint.height())
