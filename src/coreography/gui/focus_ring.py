"""A visible keyboard focus everywhere: a border in the theme's highlight just inside the
control that has the focus, thicker in high contrast.

One ring for the application follows the focus (``QApplication.focusChanged``): a child
of the focused control, as large as it and on top of it, that lets the mouse through and
paints only the border. An application style sheet (``:focus { border: … }``) drew the
same, but any application sheet puts every widget of every window under Qt's style
sheet engine: each is polished and painted through it, which cost a fifth of the
window's making.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QSlider,
    QWidget,
)

from coreography.gui.theme import Theme

#: Controls that show the ring when they have the keyboard focus.
RINGED = (QAbstractButton, QComboBox, QAbstractSpinBox, QLineEdit, QSlider)
_RING = "_coreography_focus_ring"


def ring_width(theme: Theme) -> int:
    return 2 if theme.line_scale > 1 else 1


class FocusRing(QWidget):
    """The border around one control (see module docstring)."""

    def __init__(self, color: QColor, width: int) -> None:
        super().__init__()
        self.color = color
        self.line_width = width
        self.control: QWidget | None = None
        self.setObjectName("focus_ring")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.hide()

    def restyle(self, color: QColor, width: int) -> None:
        self.color, self.line_width = color, width
        self.update()

    def follow(self, widget: QWidget | None) -> None:
        """Ring ``widget`` if it is a control that shows focus (else no ring)."""
        if isinstance(widget, QLineEdit) and isinstance(
            widget.parentWidget(), (QComboBox, QAbstractSpinBox)
        ):
            widget = widget.parentWidget()  # an editable combo's or a spin box's own field
        if not isinstance(widget, RINGED) or widget.isWindow():
            widget = None
        if widget is self.control:
            return
        if self.control is not None and shiboken6.isValid(self.control):
            self.control.removeEventFilter(self)
        self.control = widget
        if widget is None:
            self.hide()
            self.setParent(None)
            return
        self.setParent(widget)
        widget.installEventFilter(self)
        self.setGeometry(widget.rect())
        self.raise_()
        self.show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.control and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.control.rect())
        elif watched is self.control and event.type() == QEvent.Type.ChildAdded:
            self.raise_()  # above whatever the control adds later
        return False

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        pen = QPen(self.color, self.line_width)
        pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
        painter.setPen(pen)
        half = self.line_width / 2
        painter.drawRect(QRectF(self.rect()).adjusted(half, half, -half, -half))


def show_focus(app: QApplication, theme: Theme) -> FocusRing:
    """Ring the focused control from now on, in ``theme``'s colours."""
    color, width = QColor(theme.highlight), ring_width(theme)
    ring: FocusRing | None = getattr(app, _RING, None)
    if ring is None:  # the first time: follow the focus
        app.focusChanged.connect(_on_focus_changed)
    if ring is None or not shiboken6.isValid(ring):
        ring = _new_ring(app, color, width)
        ring.follow(app.focusWidget())
    else:
        ring.restyle(color, width)
    return ring


def current_ring() -> FocusRing | None:
    """The application's ring (None before :func:`show_focus`)."""
    return getattr(QApplication.instance(), _RING, None)


def _new_ring(app: object, color: QColor, width: int) -> FocusRing:
    ring = FocusRing(color, width)
    setattr(app, _RING, ring)
    return ring


def _on_focus_changed(_old: QWidget | None, new: QWidget | None) -> None:
    app = QApplication.instance()
    ring: FocusRing | None = getattr(app, _RING, None)
    if ring is None:
        return
    if not shiboken6.isValid(ring):
        # It lives in its control: a control deleted with the ring in it took it along.
        ring = _new_ring(app, ring.color, ring.line_width)
    ring.follow(new)
