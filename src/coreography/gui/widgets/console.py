"""The console: every captured print() line and failure, prefixed and colored by process."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QFontDatabase, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from coreography.gui import theme
from coreography.model.events import Kind
from coreography.model.run import Run

#: Lines the widget keeps; the run keeps every line (recordings and exports have them all).
MAX_SHOWN = 20_000
#: Lines written per timer tick at most; the rest wait for the next ticks...
PER_TICK = 400
#: ...unless more than this many wait: then the oldest are skipped (with a note), so the
#: console never lags far behind a flood. The run keeps every line.
MAX_LAG = 4000

#: How the Console writes the results a finished experiment returned.
RESULTS_PREFIX = "[coreography] print(results) → "


class ConsoleLines:
    """Turns the run's text lines (and driver messages) into console rows, in arrival order."""

    def __init__(self) -> None:
        self.run: Run | None = None
        #: (is a driver message, index in its list); (None, 0): the program's results line
        self.rows: list[tuple[bool | None, int]] = []
        self._texts_seen = 0
        self._logs_seen = 0
        self._result_shown = False

    def reset(self, run: Run | None) -> None:
        self.run = run
        self.rows = []
        self._texts_seen = self._logs_seen = 0
        self._result_shown = False

    def take_new(self) -> list[int]:
        """Row numbers of lines that arrived since the last call."""
        run = self.run
        if run is None:
            return []
        first = len(self.rows)
        self.rows += [(False, i) for i in range(self._texts_seen, len(run.texts))]
        self.rows += [(True, i) for i in range(self._logs_seen, len(run.logs))]
        self._texts_seen, self._logs_seen = len(run.texts), len(run.logs)
        if not self._result_shown and run.is_over and self.results_line():
            # The program ends with print(results): the class sees the list it prints.
            self.rows.append((None, 0))
            self._result_shown = True
        return list(range(first, len(self.rows)))

    def results_line(self) -> str:
        """What the experiment's program prints last, ``print(results)`` ('' if it
        prints none, or before the run finished)."""
        run = self.run
        if run is None or run.state != "finished" or run.n_failed:
            return ""
        if not run.experiment.execution_model.code(run.experiment, "task").prints_results:
            return ""
        # One row: a long list is clipped in its middle ("…"), on the same line.
        return " ".join(run.result_summary().split("\n"))

    def line(self, row: int) -> tuple[str, int, str]:
        """(text shown, lane index or -1, style: "out", "err", "failed" or "log") of ``row``."""
        run = self.run
        assert run is not None
        is_log, index = self.rows[row]
        if is_log is None:
            # Said by the app, not printed by a process: the experiment returns its
            # results, and the equivalent program (Code view) prints them.
            return f"{RESULTS_PREFIX}{self.results_line()}", -1, "log"
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
        self._shown = 0

    def set_run(self, run: Run | None) -> None:
        self.source.reset(run)
        self._formats = {}
        self.text.clear()
        self._empty = True
        self._shown = 0  # rows of the source written to the widget (or skipped)
        self.refresh(catch_up=True)

    def refresh(self, catch_up: bool = False) -> None:
        """Write new lines; at most PER_TICK of them unless ``catch_up`` (the run ended).

        A flood cannot stall the window: lines wait for the next ticks, and lines that
        would be pushed out of the widget's MAX_SHOWN before they were ever seen are
        skipped here (the run keeps them all).
        """
        self.source.take_new()
        pending = len(self.source.rows) - self._shown
        if pending <= 0:
            self._show_count()
            return
        bar = self.text.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 2
        cursor = QTextCursor(self.text.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.beginEditBlock()
        if pending > (MAX_SHOWN if catch_up else MAX_LAG):
            skipped = pending - (MAX_SHOWN if catch_up else PER_TICK)
            self._shown += skipped
            self._write(
                cursor,
                [
                    (
                        f"… {skipped:,} lines not shown here (the run keeps them; "
                        "save the recording to read them all)",
                        -1,
                        "log",
                    )
                ],
            )
        end = (
            len(self.source.rows)
            if catch_up
            else min(len(self.source.rows), self._shown + PER_TICK)
        )
        self._write(cursor, [self.source.line(row) for row in range(self._shown, end)])
        self._shown = end
        cursor.endEditBlock()
        if at_bottom:  # follow new output unless the user scrolled up to read
            self.text.moveCursor(QTextCursor.MoveOperation.End)
            self.text.moveCursor(QTextCursor.MoveOperation.StartOfBlock)
            self.text.ensureCursorVisible()
            # Long lines keep their start in view: the "[Worker n · PID …]" prefix says
            # who printed them.
            self.text.horizontalScrollBar().setValue(0)
        self._show_count()

    def _write(self, cursor: QTextCursor, lines: list[tuple[str, int, str]]) -> None:
        """Append lines, one insertText per run of lines sharing a color (far fewer calls
        than lines: a worker's lines arrive together)."""
        start = 0
        while start < len(lines):
            _text, lane, style = lines[start]
            stop = start + 1
            while stop < len(lines) and lines[stop][1:] == (lane, style):
                stop += 1
            if not self._empty:
                cursor.insertBlock()
            cursor.insertText(
                "\n".join(line[0] for line in lines[start:stop]), self._format(lane, style)
            )
            self._empty = False
            start = stop

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
            return theme.text_color(theme.FAILED_COLOR)
        if run is None or not 0 <= lane < len(run.lanes):
            return theme.text_color(theme.MAIN_COLOR)
        info = run.lanes[lane]
        # The lane's hue, made legible on the theme's background (yellow on white).
        return theme.text_color(theme.lane_color(info.number - 1, info.role))

    def set_wrap(self, wrap: bool) -> None:
        """Wrap long lines (presentation: a class cannot scroll sideways) or not."""
        mode = QPlainTextEdit.LineWrapMode
        wanted = mode.WidgetWidth if wrap else mode.NoWrap
        if self.text.lineWrapMode() != wanted:
            self.text.setLineWrapMode(wanted)

    def restyle(self) -> None:
        """The theme changed: write the lines again in its colours."""
        self.set_run(self.source.run)

    def _show_count(self) -> None:
        total = len(self.source.rows)
        shown = min(self._shown, MAX_SHOWN)
        text = f"{total:,} line{'s' if total != 1 else ''}, in arrival order"
        if self._shown < total:
            text += f" ({total - self._shown:,} still to show)"
        elif shown < total:
            text += f" (the latest {shown:,} shown; the run keeps all)"
        self.count.setText(text if total else "No output yet.")
