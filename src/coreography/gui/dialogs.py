"""Help dialogs: About, Keyboard shortcuts, Lessons, and the first-run welcome."""

from __future__ import annotations

import platform

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from coreography import __version__
from coreography.lessons.registry import Lesson, all_lessons


def about_text() -> str:
    """What Help → About says: version, license, Python, Qt and PySide versions."""
    return (
        f"<h2>Coreography {__version__}</h2>"
        "<p>Watch Python multiprocessing run: every task, worker and core, live.</p>"
        "<p>License: MIT. Coreography includes Python (PSF), Qt and PySide6 (LGPL-3.0),"
        " numpy, psutil (BSD), pyqtgraph, platformdirs (MIT): see Licenses….</p>"
        f"<p>Python {platform.python_version()} · Qt {qVersion()} · PySide6 {pyside_version}"
        f"<br>{platform.system()} {platform.machine()}</p>"
    )


def _dialog(parent: QWidget | None, title: str, name: str) -> tuple[QDialog, QVBoxLayout]:
    dialog = QDialog(parent)
    dialog.setWindowTitle(title)
    dialog.setObjectName(name)
    dialog.setAccessibleName(title)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    return dialog, QVBoxLayout(dialog)


def about_dialog(parent: QWidget | None) -> QDialog:
    dialog, layout = _dialog(parent, "About Coreography", "about")
    label = QLabel(about_text())
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    layout.addWidget(label)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    licenses = buttons.addButton("&Licenses…", QDialogButtonBox.ButtonRole.ActionRole)
    licenses.setObjectName("about_licenses")
    licenses.clicked.connect(lambda: licenses_dialog(dialog).open())
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(buttons)
    return dialog


def notices_text() -> str:
    """Coreography's own license and every bundled component's notice, as shipped."""
    from coreography.assets import read_text

    parts = []
    for name in ("LICENSE.txt", "THIRD_PARTY_NOTICES.txt"):
        try:
            parts.append(read_text(name))
        except (FileNotFoundError, OSError):
            parts.append(f"({name} is missing from this installation)")
    return "\n\n".join(parts)


def licenses_dialog(parent: QWidget | None) -> QDialog:
    """The license of Coreography and the notices of what it includes (LGPL: Qt)."""
    dialog, layout = _dialog(parent, "Licenses", "licenses")
    text = QPlainTextEdit(notices_text())
    text.setReadOnly(True)
    text.setObjectName("licenses_text")
    text.setMinimumSize(640, 420)
    layout.addWidget(text)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(buttons)
    return dialog


def shortcut_rows(window: QWidget) -> list[tuple[str, str]]:
    """(action, keys) for every action of the window that has a shortcut, sorted by name:
    built from the actions themselves, so the list cannot go stale."""
    rows = {}
    for action in window.findChildren(QAction):
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()]
        keys = [k for k in keys if k]
        if keys:
            name = action.text().replace("&", "").rstrip("…").strip()
            rows[name] = ", ".join(keys)
    return sorted(rows.items(), key=lambda row: row[0].lower())


def shortcuts_dialog(window: QWidget) -> QDialog:
    dialog, layout = _dialog(window, "Keyboard shortcuts", "shortcuts")
    rows = shortcut_rows(window)
    table = QTableWidget(len(rows), 2)
    table.setAccessibleName("Keyboard shortcuts")
    table.setHorizontalHeaderLabels(["Action", "Keys"])
    table.verticalHeader().hide()
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    for row, (name, keys) in enumerate(rows):
        table.setItem(row, 0, QTableWidgetItem(name))
        table.setItem(row, 1, QTableWidgetItem(keys))
    table.resizeColumnsToContents()
    table.horizontalHeader().setStretchLastSection(True)
    layout.addWidget(QLabel("Tab moves between controls; every command also has a menu entry."))
    layout.addWidget(table)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(buttons)
    dialog.resize(460, 520)
    return dialog


class LessonsDialog(QDialog):
    """Pick a lesson: arrow keys and Enter, or a double-click. ``chosen`` holds it after."""

    def __init__(self, parent: QWidget | None = None, welcome: bool = False) -> None:
        super().__init__(parent)
        self.setObjectName("welcome" if welcome else "lessons")
        self.setWindowTitle("Welcome to Coreography" if welcome else "Lessons")
        self.setAccessibleName(self.windowTitle())
        self.chosen: Lesson | None = None
        layout = QVBoxLayout(self)
        if welcome:
            intro = QLabel(
                "<h3>Welcome!</h3><p>Coreography runs real Python programs and shows every "
                "process, task and core as it happens.</p><p>Start with the first lesson, "
                "or close this and build your own experiment on the left.</p>"
            )
            intro.setWordWrap(True)
            layout.addWidget(intro)
        self.list = QListWidget()
        self.list.setAccessibleName("Lessons")
        self.list.setToolTip("Choose a lesson and press Enter to load its first experiment")
        for lesson in all_lessons():
            item = QListWidgetItem(f"{lesson.number}. {lesson.title}")
            item.setToolTip(lesson.question)
            item.setData(Qt.ItemDataRole.UserRole, lesson.id)
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        layout.addWidget(self.list)
        buttons = QDialogButtonBox()
        start = buttons.addButton(
            "Start the first lesson" if welcome else "Open lesson",
            QDialogButtonBox.ButtonRole.AcceptRole,
        )
        start.setDefault(True)
        start.setToolTip("Load the selected lesson's experiment (Enter)")
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.setToolTip("Close without loading a lesson (Esc)")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.list.itemActivated.connect(self._on_list_item_activated)
        layout.addWidget(buttons)
        self.list.setFocus()
        self.resize(480, 420)

    def accept(self) -> None:
        item = self.list.currentItem()
        lessons = {lesson.id: lesson for lesson in all_lessons()}
        if item is not None:
            self.chosen = lessons.get(item.data(Qt.ItemDataRole.UserRole))
        super().accept()

    def _on_list_item_activated(self, _item) -> None:
        self.accept()
