"""The console: every captured print() line and failure, prefixed and colored by process."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QFontDatabase, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from coreography.gui import theme
from coreography.model.events import Kind
from coreography.model.run import Run

#: Lines the widget keeps; the run keeps every line (recordings and exports have them all).
MAX_SHOWN = 20_000


class ConsoleLines:
    """Turns the run's text lines (and driver messages) into console rows, in arrival order."""

    def __init__(self) -> None:
        self.run: Run | None = None
        self.rows: list[tuple[bool, int]] = []  # (is a driver message, index in its list)
        self._texts_seen = 0
        self._logs_seen = 0

    def reset(self, run: Run | None) -> None:
        self.run = run
        self.rows = []
        self._texts_seen = self._logs_seen = 0

    def take_new(self) -> list[int]:
        """Row numbers of lines that arrived since the last call."""
        run = self.run
        if run is None:
            return []
        first = len(self.rows)
        self.rows += [(False, i) for i in range(self._texts_seen, len(run.texts))]
        self.rows += [(True, i) for i in range(self._logs_seen, len(run.logs))]
        self._texts_seen, self._logs_seen = len(run.texts), len(run.logs)
        return list(range(first, len(self.rows)))

    def line(self, row: int) -> tuple[str, int, str]:
        """(text shown, lane index or -1, style: "out", "err", "failed" or "log") of ``row``."""
        run = self.run
        assert run is not None
        is_log, index = self.rows[row]
        if is_log:
            return f"[coreography] {run.logs[index]}", -1, "log"
        line = run.texts[index]
        label = run.lanes[line.lane].label if 0 <= line.lane < len(run.lanes) else "?"
        if line.kind == Kind.TASK_FAILED:
            first = line.text.strip().splitlines()[0] if line.text.strip() else "failed"
            return f"[{label}] ✕ task {line.task} failed: {first}", line.lane, "failed"
        if line.kind == Kind.STDERR:
            return f"[{label}] stderr: {line.text}", line.lane, "err"
        return f"[{label}] {line.text}", line.lane, "out"


class ConsoleView(QWidget):
    """A read-only text view that keeps the latest lines and sticks to the bottom."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = ConsoleLines()
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setUndoRedoEnabled(False)
        self.text.setMaximumBlockCount(MAX_SHOWN)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.text.setFont(font)
        self.count = QLabel("No output yet.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.count)
        self._formats: dict[tuple[int, str], QTextCharFormat] = {}
        self._empty = True

    def set_run(self, run: Run | None) -> None:
        self.source.reset(run)
        self._formats = {}
        self.text.clear()
        self._empty = True
        self.refresh()

    def refresh(self) -> None:
        rows = self.source.take_new()
        if not rows:
            self._show_count()
            return
        bar = self.text.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 2
        if len(rows) > MAX_SHOWN:  # older ones would be dropped at once anyway
            rows = rows[-MAX_SHOWN:]
        cursor = QTextCursor(self.text.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.beginEditBlock()
        for row in rows:
            text, lane, style = self.source.line(row)
            if not self._empty:
                cursor.insertBlock()
            cursor.insertText(text, self._format(lane, style))
            self._empty = False
        cursor.endEditBlock()
        if at_bottom:  # follow new output unless the user scrolled up to read
            self.text.moveCursor(QTextCursor.MoveOperation.End)
            self.text.ensureCursorVisible()
        self._show_count()

    def lines(self) -> list[str]:
        """Every line of the run as the console writes it (none dropped)."""
        self.source.take_new()
        return [self.source.line(row)[0] for row in range(len(self.source.rows))]

    def shown_lines(self) -> list[str]:
        """The lines the widget holds now (the latest MAX_SHOWN)."""
        text = self.text.toPlainText()
        return text.split("\n") if text else []

    def _format(self, lane: int, style: str) -> QTextCharFormat:
        key = (lane, style)
        fmt = self._formats.get(key)
        if fmt is None:
            fmt = QTextCharFormat()
            fmt.setForeground(self._color(lane, style))
            fmt.setFontItalic(style == "err")  # stderr: the process's color, in italics
            self._formats[key] = fmt
        return fmt

    def _color(self, lane: int, style: str) -> QColor:
        run = self.source.run
        if style == "failed":
            return QColor(theme.FAILED_COLOR)
        if run is None or not 0 <= lane < len(run.lanes):
            return QColor(theme.MAIN_COLOR)
        info = run.lanes[lane]
        color = theme.lane_color(info.number - 1, info.role)
        return color.darker(160) if color.lightness() > 140 else color  # yellow on white

    def _show_count(self) -> None:
        total = len(self.source.rows)
        shown = min(total, MAX_SHOWN)
        text = f"{total:,} line{'s' if total != 1 else ''}, in arrival order"
        if shown < total:
            text += f" (the latest {shown:,} shown; the run keeps all)"
        self.count.setText(text if total else "No output yet.")
