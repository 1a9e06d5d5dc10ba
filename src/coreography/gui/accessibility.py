"""Every control gets an accessible name and a tooltip, derived from what the user sees."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractScrollArea,
    QDockWidget,
    QGraphicsView,
    QLabel,
    QPlainTextEdit,
    QTabWidget,
    QTextEdit,
    QWidget,
)


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
        and not _is_viewport(widget)
    ]


def _is_viewport(widget: QWidget) -> bool:
    parent = widget.parentWidget()
    return isinstance(parent, QAbstractScrollArea) and parent.viewport() is widget


def name_controls(window: QWidget) -> int:
    """Give every focusable control without one an accessible name (its label's text, its
    own text or its tooltip's first sentence) and a tooltip (its name). Returns how many
    were named."""
    labels = _label_for(window)
    named = 0
    for widget in focusable_controls(window):
        if not widget.accessibleName():
            name = (
                labels.get(widget)
                or _own_text(widget)
                or _first_sentence(widget.toolTip())
                or _place(widget)
            )
            if name:
                widget.setAccessibleName(name)
                named += 1
        if not widget.toolTip() and widget.accessibleName():
            widget.setToolTip(widget.accessibleName())
    return named


def _place(widget: QWidget) -> str:
    """Where a control without a label sits: its dock's or tab's title, and its kind."""
    kind = next((k for t, k in _KINDS if isinstance(widget, t)), "view")
    child, parent = widget, widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QDockWidget):
            return f"{parent.windowTitle()} {kind}"
        if isinstance(parent, QTabWidget):
            index = parent.indexOf(child)
            if index >= 0:
                return f"{parent.tabText(index).replace('&', '')} {kind}"
        child, parent = parent, parent.parentWidget()
    return f"Timeline {kind}" if kind == "plot" else f"Main {kind}"


_KINDS = (
    (QGraphicsView, "plot"),
    (QPlainTextEdit, "text"),
    (QTextEdit, "text"),
    (QAbstractItemView, "list"),
    (QTabWidget, "tabs"),
)


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
