"""Every control gets an accessible name and a tooltip, derived from what the user sees."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget


def _label_for(window: QWidget) -> dict[QWidget, str]:
    """The text of each label that names a control (a form row's label is its buddy)."""
    names = {}
    for label in window.findChildren(QLabel):
        buddy = label.buddy()
        if buddy is not None and label.text():
            names[buddy] = label.text().replace("&", "").strip()
    return names


def focusable_controls(window: QWidget) -> list[QWidget]:
    """Widgets a user can Tab to (visible or not: panels may be hidden for now)."""
    return [
        widget
        for widget in window.findChildren(QWidget)
        if widget.focusPolicy() & Qt.FocusPolicy.TabFocus
        and not widget.isWindow()
        and type(widget).__name__ not in ("QScrollBar", "QTabBar", "QScrollArea")
        and widget.parent() is not None
        and not isinstance(widget.parent(), QAbstractButton)
    ]


def name_controls(window: QWidget) -> int:
    """Give every focusable control without one an accessible name (its label's text, its
    own text or its tooltip's first sentence) and a tooltip (its name). Returns how many
    were named."""
    labels = _label_for(window)
    named = 0
    for widget in focusable_controls(window):
        if not widget.accessibleName():
            name = labels.get(widget) or _own_text(widget) or _first_sentence(widget.toolTip())
            if name:
                widget.setAccessibleName(name)
                named += 1
        if not widget.toolTip() and widget.accessibleName():
            widget.setToolTip(widget.accessibleName())
    return named


def _own_text(widget: QWidget) -> str:
    text = getattr(widget, "text", None)
    if callable(text):
        try:
            value = text()
        except TypeError:
            return ""
        return value.replace("&", "").strip() if isinstance(value, str) else ""
    return ""


def _first_sentence(tip: str) -> str:
    return tip.split("(")[0].split(":")[0].split(".")[0].strip()[:60]
