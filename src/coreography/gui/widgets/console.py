"""The console: every captured print() line and failure, prefixed and colored by process."""

from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase
from PySide6.QtWidgets import QAbstractItemView, QLabel, QListView, QVBoxLayout, QWidget

from coreography.gui import theme
from coreography.model.events import Kind
from coreography.model.run import Run

_Index = QModelIndex | QPersistentModelIndex


class ConsoleModel(QAbstractListModel):
    """A live list over the run's text lines: nothing is copied, nothing is dropped."""

    def __init__(self) -> None:
        super().__init__()
        self.run: Run | None = None
        self._rows: list[tuple[bool, int]] = []  # (is a log message, index in its list)
        self._texts_seen = 0
        self._logs_seen = 0
        self._colors: dict[int, QColor] = {}

    def set_run(self, run: Run | None) -> None:
        self.beginResetModel()
        self.run = run
        self._rows = []
        self._texts_seen = self._logs_seen = 0
        self._colors = {}
        self.endResetModel()
        self.sync()

    def sync(self) -> int:
        """Append rows for lines the run received since the last call; returns how many."""
        run = self.run
        if run is None:
            return 0
        new = [(False, i) for i in range(self._texts_seen, len(run.texts))]
        new += [(True, i) for i in range(self._logs_seen, len(run.logs))]
        if not new:
            return 0
        self._texts_seen, self._logs_seen = len(run.texts), len(run.logs)
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
        self._rows.extend(new)
        self.endInsertRows()
        return len(new)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def line(self, row: int) -> str:
        """The text shown in ``row``, prefixed by its process."""
        run = self.run
        assert run is not None
        is_log, index = self._rows[row]
        if is_log:
            return f"[coreography] {run.logs[index]}"
        line = run.texts[index]
        label = run.lanes[line.lane].label if 0 <= line.lane < len(run.lanes) else "?"
        if line.kind == Kind.TASK_FAILED:
            first = line.text.strip().splitlines()[0] if line.text.strip() else "failed"
            return f"[{label}] ✕ task {line.task} failed: {first}"
        return f"[{label}] {line.text}"

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        run = self.run
        if run is None or not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.line(index.row())
        if role == Qt.ItemDataRole.ForegroundRole:
            is_log, i = self._rows[index.row()]
            if is_log:
                return QColor(theme.MAIN_COLOR)
            line = run.texts[i]
            if line.kind == Kind.TASK_FAILED:
                return QColor(theme.FAILED_COLOR)
            return self._color(line.lane)
        if role == Qt.ItemDataRole.ToolTipRole:
            is_log, i = self._rows[index.row()]
            if not is_log and run.texts[i].kind == Kind.TASK_FAILED:
                return run.texts[i].text
        return None

    def _color(self, lane: int) -> QColor:
        color = self._colors.get(lane)
        if color is None:
            run = self.run
            info = run.lanes[lane] if run is not None and 0 <= lane < len(run.lanes) else None
            color = theme.lane_color(info.number - 1 if info else 0, info.role if info else "main")
            if color.lightness() > 140:  # yellow and sky blue are unreadable on white
                color = color.darker(160)
            self._colors[lane] = color
        return color


class ConsoleView(QWidget):
    """A scrolling, virtual list of lines that sticks to the bottom while you are there."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = ConsoleModel()
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setUniformItemSizes(True)  # constant-time layout at a million lines
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.list.setFont(font)
        self.count = QLabel("No output yet.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.count)

    def set_run(self, run: Run | None) -> None:
        self.model.set_run(run)
        self._show_count()

    def refresh(self) -> None:
        bar = self.list.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 2
        if self.model.sync():
            self._show_count()
            if at_bottom:
                self.list.scrollToBottom()

    def lines(self) -> list[str]:
        """Every line as shown (for tests and copying)."""
        return [self.model.line(row) for row in range(self.model.rowCount())]

    def _show_count(self) -> None:
        rows = self.model.rowCount()
        self.count.setText(f"{rows:,} line{'s' if rows != 1 else ''}, in arrival order")
