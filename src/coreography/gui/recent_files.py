"""File → Open Recent: the recordings and scripts opened or saved last, newest first.

Kept in the settings (at most :data:`MAX_RECENT`); a file that is gone is shown disabled
until it comes back or the list is cleared.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMenu

MAX_RECENT = 10
KEY = "recent/files"
RECORDING_ENDINGS = (".coreo.json", ".coreo.json.gz")
SCRIPT_ENDINGS = (".py",)


def kind_of(path: str | Path) -> str:
    """``"recording"``, ``"script"`` or ``""`` (neither), from the file's name."""
    name = Path(path).name.lower()
    if name.endswith(RECORDING_ENDINGS):
        return "recording"
    if name.endswith(SCRIPT_ENDINGS):
        return "script"
    return ""


class RecentFiles(QObject):
    """The list, in memory and (once attached) in a QSettings store."""

    sig_changed = Signal()
    """The list changed; no arguments (read :attr:`paths`)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.paths: list[str] = []
        self._store = None

    def attach(self, store) -> None:
        """Read the list from ``store`` (a QSettings) and write it there from now on;
        what was added before is kept, newest first."""
        self._store = store
        before = list(self.paths)
        self.paths = []
        for path in reversed([*before, *_read(store)]):
            self._push(path)
        self._save()
        self.sig_changed.emit()

    def add(self, path: str | Path) -> None:
        """``path`` was opened or saved: first in the list (once)."""
        if not kind_of(path):
            return
        self._push(os.path.abspath(str(path)))
        self._save()
        self.sig_changed.emit()

    def clear(self) -> None:
        self.paths = []
        self._save()
        self.sig_changed.emit()

    def _push(self, path: str) -> None:
        if path in self.paths:
            self.paths.remove(path)
        self.paths.insert(0, path)
        del self.paths[MAX_RECENT:]

    def _save(self) -> None:
        if self._store is not None:
            self._store.setValue(KEY, json.dumps(self.paths))


def _read(store) -> list[str]:
    """The stored list, newest first; anything damaged is dropped."""
    try:
        value = json.loads(str(store.value(KEY, "[]")))
    except ValueError:
        return []
    if not isinstance(value, list):
        return []
    return [p for p in value if isinstance(p, str) and kind_of(p)][:MAX_RECENT]


def fill_menu(menu: QMenu, recent: RecentFiles, open_file: Callable[[str], object]) -> None:
    """``menu`` lists ``recent`` (missing files disabled), then "Clear recent"."""
    menu.clear()
    if not recent.paths:
        empty = menu.addAction("No recent files")
        empty.setEnabled(False)
    for number, path in enumerate(recent.paths, 1):
        file = Path(path)
        what = "script" if kind_of(path) == "script" else "recording"
        shown = f"{file.name} — {file.parent}".replace("&", "&&")  # not a mnemonic
        action = menu.addAction(f"&{number % 10} {shown}")
        exists = file.is_file()
        action.setEnabled(exists)
        action.setToolTip(f"Open the {what} {path}" if exists else f"{path}: no longer there")
        action.setData(path)
        action.triggered.connect(lambda _=False, p=path: open_file(p))
    menu.addSeparator()
    clear = menu.addAction("&Clear recent")
    clear.setObjectName("clear_recent")
    clear.setEnabled(bool(recent.paths))
    clear.triggered.connect(recent.clear)
    menu.setToolTipsVisible(True)
