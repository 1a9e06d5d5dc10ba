"""The run history: every finished run, newest first; pick two to compare."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:  # the history itself loads with the window's first need of it
    from coreography.model.history import History

COLUMNS = ("Run", "When", "Model", "Workers", "Tasks", "State", "Wall")
HINT = "Select two runs (Ctrl+click) and press Compare."


class HistoryPanel(QWidget):
    """Lists a :class:`History`; emits the ids of the two runs to compare or one to show."""

    sig_compare_requested = Signal(int, int)
    """Compare two stored runs; arguments: the first and second run's history ids."""
    sig_show_requested = Signal(int)
    """Show one stored run in the main timeline; argument: its history id."""

    def __init__(self, history: History | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history: History | None = None
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setRootIsDecorated(False)
        # Every column in view: the figures take what they need, the title the rest
        # (elided, whole in its tooltip), never a sideways scroll.
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setMinimumSectionSize(40)
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        self.hint = QLabel(HINT)
        self.hint.setWordWrap(True)
        self.compare_button = QPushButton("Compare")
        self.show_button = QPushButton("Show")
        self.delete_button = QPushButton("Delete")
        buttons = QHBoxLayout()
        for button in (self.compare_button, self.show_button, self.delete_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.hint)
        layout.addLayout(buttons)
        self.tree.itemSelectionChanged.connect(self._on_tree_selection_changed)
        self.tree.itemDoubleClicked.connect(self._on_tree_item_double_clicked)
        self.compare_button.clicked.connect(self._on_compare_clicked)
        self.show_button.clicked.connect(self._on_show_clicked)
        self.delete_button.clicked.connect(self._on_delete_clicked)
        self.set_history(history)

    def set_history(self, history: History | None) -> None:
        """List ``history`` (None: it could not be opened). A window made with ``defer``
        opens its history once it is on screen and gives it to the panel then."""
        self.history = history
        self.hint.setText(HINT)
        self.refresh()
        if history is not None and history.set_aside is not None:  # said once, at start-up
            self.hint.setText(
                f"The run history was damaged and starts afresh; {history.salvaged} runs "
                f"could still be read and are kept. The damaged file: {history.set_aside}"
            )

    def refresh(self) -> None:
        """Read the list again (after a run was added)."""
        self.tree.clear()
        if self.history is None:
            self.hint.setText("The run history could not be opened; runs are not kept.")
            self._on_tree_selection_changed()
            return
        for entry in self.history.list():
            wall = f"{entry.wall_s * 1000:.0f} ms" if entry.wall_s < 1 else f"{entry.wall_s:.2f} s"
            item = QTreeWidgetItem(
                [
                    entry.title,
                    time.strftime("%H:%M:%S", time.localtime(entry.created)),
                    entry.model,
                    str(entry.workers),
                    str(entry.tasks),
                    entry.state,
                    wall,
                ]
            )
            item.setData(0, Qt.ItemDataRole.UserRole, entry.id)
            item.setToolTip(0, f"run {entry.id}: {entry.title}")
            self.tree.addTopLevelItem(item)
        self._on_tree_selection_changed()

    def select_ids(self, ids: list[int]) -> None:
        """Select exactly these runs (as a user's Ctrl+click would)."""
        self.tree.clearSelection()
        for row in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(row)
            if item.data(0, Qt.ItemDataRole.UserRole) in ids:
                item.setSelected(True)

    def selected_ids(self) -> list[int]:
        """Selected run ids, oldest first."""
        ids = [item.data(0, Qt.ItemDataRole.UserRole) for item in self.tree.selectedItems()]
        return sorted(ids)

    def _on_tree_selection_changed(self) -> None:
        count = len(self.selected_ids())
        self.compare_button.setEnabled(count == 2)
        self.show_button.setEnabled(count == 1)
        self.delete_button.setEnabled(count >= 1)

    def _on_tree_item_double_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        self.sig_show_requested.emit(item.data(0, Qt.ItemDataRole.UserRole))

    def _on_compare_clicked(self) -> None:
        ids = self.selected_ids()
        if len(ids) == 2:
            self.sig_compare_requested.emit(ids[0], ids[1])

    def _on_show_clicked(self) -> None:
        ids = self.selected_ids()
        if len(ids) == 1:
            self.sig_show_requested.emit(ids[0])

    def _on_delete_clicked(self) -> None:
        if self.history is None:
            return
        for run_id in self.selected_ids():
            self.history.delete(run_id)
        self.refresh()
