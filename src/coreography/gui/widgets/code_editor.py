"""The task editor: the user's own ``def task(x)``, with line numbers and a live check."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontDatabase, QPainter, QTextCursor, QTextFormat
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from coreography.gui import theme
from coreography.gui.widgets.python_highlighter import PythonHighlighter
from coreography.model.user_code import EXAMPLE, CodeProblem, check_code

PROBLEM_BACKGROUND = "#FBE3D6"


class _LineNumbers(QWidget):
    """The gutter: paints the numbers of the visible lines of its editor."""

    def __init__(self, editor: NumberedEditor) -> None:
        super().__init__(editor)
        self.editor = editor

    def sizeHint(self) -> QSize:
        return QSize(self.editor.gutter_width(), 0)

    def paintEvent(self, event) -> None:
        self.editor.paint_gutter(self, event.rect())


class NumberedEditor(QPlainTextEdit):
    """A plain-text editor with line numbers in a left gutter."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setTabStopDistance(4 * self.fontMetrics().horizontalAdvance(" "))
        self.gutter = _LineNumbers(self)
        self.blockCountChanged.connect(self._on_editor_block_count_changed)
        self.updateRequest.connect(self._on_editor_update_request)
        self._on_editor_block_count_changed()

    def keyPressEvent(self, event) -> None:
        """Enter keeps the line's indentation, one level more after a ':'."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers():
            line = self.textCursor().block().text()
            before = line[: self.textCursor().positionInBlock()]
            indent = line[: len(line) - len(line.lstrip())]
            if before.rstrip().endswith(":"):
                indent += "    "
            self.textCursor().insertText("\n" + indent)
            self.ensureCursorVisible()
            return
        super().keyPressEvent(event)

    def gutter_width(self) -> int:
        digits = len(str(max(1, self.blockCount())))
        return 10 + self.fontMetrics().horizontalAdvance("9") * max(digits, 2)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        rect = self.contentsRect()
        self.gutter.setGeometry(QRect(rect.left(), rect.top(), self.gutter_width(), rect.height()))

    def paint_gutter(self, gutter: QWidget, rect: QRect) -> None:
        painter = QPainter(gutter)
        try:
            painter.fillRect(rect, QColor("#F0F0F0"))
            painter.setPen(QColor("#808080"))
            block = self.firstVisibleBlock()
            top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
            height = self.fontMetrics().height()
            while block.isValid() and top <= rect.bottom():
                if block.isVisible():
                    painter.drawText(
                        0,
                        top,
                        gutter.width() - 5,
                        height,
                        Qt.AlignmentFlag.AlignRight,
                        str(block.blockNumber() + 1),
                    )
                top += round(self.blockBoundingRect(block).height())
                block = block.next()
        finally:
            painter.end()

    def _on_editor_block_count_changed(self, *_args) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def _on_editor_update_request(self, rect: QRect, dy: int) -> None:
        if dy:
            self.gutter.scroll(0, dy)
        else:
            self.gutter.update(0, rect.y(), self.gutter.width(), rect.height())


class CodeEditor(QWidget):
    """Edits the task module; Run stays disabled while :func:`check_code` finds a problem."""

    sig_run_requested = Signal()
    """Run the panel's experiment with this code as its workload; no arguments."""
    sig_stop_requested = Signal()
    """End the running experiment; no arguments."""
    sig_open_requested = Signal()
    """Open an experiment .toml file; no arguments (the owner asks for the path)."""
    sig_save_requested = Signal()
    """Save the experiment, code included, as .toml; no arguments."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.problem: CodeProblem | None = None
        intro = QLabel(
            "Write your own task: <b>def task(x):</b> runs once per task, x is the task "
            "number. It runs with the model, workers and start method set in the "
            "Experiment panel."
        )
        intro.setWordWrap(True)
        self.editor = NumberedEditor()
        self.highlighter = PythonHighlighter(self.editor.document())
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.run_button = QPushButton("Run my function")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("End the experiment, even a task that never returns")
        self.stop_button.setEnabled(False)
        self.open_button = QPushButton("Open experiment…")
        self.save_button = QPushButton("Save experiment…")
        buttons = QHBoxLayout()
        for button in (self.run_button, self.stop_button, self.open_button, self.save_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.editor.textChanged.connect(self._on_editor_text_changed)
        self.run_button.clicked.connect(self.sig_run_requested)
        self.stop_button.clicked.connect(self.sig_stop_requested)
        self.open_button.clicked.connect(self.sig_open_requested)
        self.save_button.clicked.connect(self.sig_save_requested)
        self._running = False
        self.set_code(EXAMPLE)

    def code(self) -> str:
        return self.editor.toPlainText()

    def set_code(self, source: str) -> None:
        self.editor.setPlainText(source)
        self._on_editor_text_changed()

    def set_running(self, running: bool) -> None:
        self._running = running
        self.stop_button.setEnabled(running)
        self.editor.setReadOnly(running)
        self.open_button.setEnabled(not running)
        self._update_run_button()

    def show_run_error(self, line: int, message: str) -> None:
        """A run of this code raised at ``line``: mark that line and say what happened
        (until the code is edited again)."""
        self.status.setText(f"Line {line}: {message}")
        self.status.setStyleSheet(f"color: {theme.FAILED_COLOR}")
        block = self.editor.document().findBlockByNumber(line - 1)
        if block.isValid():
            self.editor.setExtraSelections([self._line_mark(block)])

    @staticmethod
    def _line_mark(block) -> QTextEdit.ExtraSelection:
        selection = QTextEdit.ExtraSelection()
        selection.format.setBackground(QColor(PROBLEM_BACKGROUND))
        selection.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
        selection.cursor = QTextCursor(block)
        return selection

    def _update_run_button(self) -> None:
        self.run_button.setEnabled(self.problem is None and not self._running)

    def _on_editor_text_changed(self) -> None:
        self.problem = check_code(self.code())
        self._update_run_button()
        selections = []
        if self.problem is None:
            self.status.setText("Ready: task(x) is defined at the top level.")
            self.status.setStyleSheet(f"color: {theme.BLUISH_GREEN}")
        else:
            where = f"Line {self.problem.line}: " if self.problem.line else ""
            self.status.setText(where + self.problem.message)
            self.status.setStyleSheet(f"color: {theme.FAILED_COLOR}")
            block = self.editor.document().findBlockByNumber(self.problem.line - 1)
            if self.problem.line and block.isValid():
                selections.append(self._line_mark(block))
        self.editor.setExtraSelections(selections)
