"""Finds text a window shows cut off: a label, button or table cell narrower than its text,
or hidden past the edge of what holds it (a dock, a scroll area, the window)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QFontMetrics, QTextDocument
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTabWidget,
    QWidget,
)

#: A pixel or two of rounding is not a cut.
SLACK_PX = 2


def visible_rect(widget: QWidget, top: QWidget) -> QRect:
    """The part of ``widget`` that ``top`` shows, in ``top``'s coordinates: its own rect
    cut by every ancestor's (a scroll area's viewport, a dock, the window)."""
    rect = QRect(widget.mapTo(top, QPoint(0, 0)), widget.size())
    parent = widget.parentWidget()
    while parent is not None and parent is not top:
        rect = rect.intersected(QRect(parent.mapTo(top, QPoint(0, 0)), parent.size()))
        parent = parent.parentWidget()
    return rect.intersected(top.rect())


def _text_width(label: QLabel) -> int:
    metrics = QFontMetrics(label.font())
    text = label.text()
    if label.textFormat() != label.textFormat().PlainText and "<" in text:
        document = QTextDocument()
        document.setDefaultFont(label.font())
        document.setHtml(text)
        document.setDocumentMargin(0)
        return int(document.idealWidth())
    return max((metrics.horizontalAdvance(line) for line in text.split("\n")), default=0)


def _in_vertical_scroller(widget: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea):
            return True
        parent = parent.parentWidget()
    return False


def _scrolled_away(widget: QWidget, top: QWidget) -> bool:
    """Wholly outside a scroll area's view: there to scroll to, not cut."""
    return visible_rect(widget, top).isEmpty() and _in_vertical_scroller(widget)


def clipped_texts(top: QWidget) -> list[str]:
    """Every visible text of ``top`` that is cut off, each described in a line."""
    problems: list[str] = []
    for label in top.findChildren(QLabel):
        if not label.isVisibleTo(top) or not label.text() or not label.isVisible():
            continue
        if _scrolled_away(label, top):
            continue
        if label.pixmap() is not None and not label.pixmap().isNull():
            continue
        shown = visible_rect(label, top)
        margins = label.contentsMargins()
        extra = margins.left() + margins.right() + 2 * label.margin() + label.indent() * 0
        if label.wordWrap():
            # Wrapped text must have the height it needs (unless it can scroll there).
            need = label.heightForWidth(label.width())
            if need > label.height() + SLACK_PX:
                problems.append(f"label {label.text()[:60]!r}: height {label.height()} < {need}")
            if shown.width() + SLACK_PX < label.width() and not _in_vertical_scroller(label):
                problems.append(f"label {label.text()[:60]!r}: hidden past its holder's edge")
            continue
        need = _text_width(label) + extra
        if shown.width() + SLACK_PX < min(need, label.width()) or label.width() + SLACK_PX < need:
            problems.append(
                f"label {label.text()[:60]!r}: {need} px of text, {shown.width()} px shown"
            )
    for button in top.findChildren(QAbstractButton):
        if not button.isVisible() or not button.text() or isinstance(button.parent(), QTabWidget):
            continue
        if _scrolled_away(button, top):
            continue
        need = button.sizeHint().width()
        shown = visible_rect(button, top)
        if shown.width() + SLACK_PX < need and button.metaObject().className() != "QToolButton":
            problems.append(f"button {button.text()!r}: {need} px wanted, {shown.width()} shown")
    for table in top.findChildren(QTableWidget):
        if table.isVisible():
            problems += _clipped_cells(table)
    return problems


def _clipped_cells(table: QTableWidget) -> list[str]:
    problems = []
    viewport = table.viewport()
    if table.horizontalScrollBar().isVisible() and table.horizontalScrollBar().maximum() > 0:
        problems.append("table scrolls sideways")
    for row in range(table.rowCount()):
        for column in range(table.columnCount()):
            item = table.item(row, column)
            if item is None or not item.text():
                continue
            rect = table.visualItemRect(item)
            metrics = QFontMetrics(item.font())
            need = max(metrics.horizontalAdvance(line) for line in item.text().split("\n"))
            lines = item.text().count("\n") + 1
            if rect.width() + SLACK_PX < need + 4:
                problems.append(f"cell {item.text()!r}: {need} px of text in {rect.width()} px")
            if rect.height() + SLACK_PX < metrics.height() * lines:
                problems.append(f"cell {item.text()!r}: {lines} lines in {rect.height()} px")
            if rect.right() > viewport.width() + SLACK_PX:
                problems.append(f"cell {item.text()!r}: past the table's right edge")
    header: QHeaderView = table.verticalHeader()
    for row in range(table.rowCount()):
        item = table.verticalHeaderItem(row)
        if item is None:
            continue
        need = QFontMetrics(item.font()).horizontalAdvance(item.text())
        if header.width() + SLACK_PX < need + 4:
            problems.append(f"row name {item.text()!r}: {need} px of text in {header.width()} px")
    return problems
