"""Drag and drop onto the window: a recording opens, a script is made ready to run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QMimeData, QObject
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QWidget

from coreography.gui.recent_files import kind_of

WHAT_OPENS = "a Python script (.py) or a recording (.coreo.json, .coreo.json.gz)"


def dropped_files(mime: QMimeData) -> list[str]:
    """The local files a drag carries (other URLs are left out)."""
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]


class DropOpener(QObject):
    """Watches ``window`` for drops of files.

    ``open_file(path)`` opens a recording or a script (True if it did); ``say(text)``
    tells the user why a drop did nothing; ``busy()`` is True while a run is live (a
    drop then changes nothing).
    """

    def __init__(
        self,
        window: QWidget,
        open_file: Callable[[str], bool],
        say: Callable[[str], None],
        busy: Callable[[], bool],
    ) -> None:
        super().__init__(window)
        self._open_file, self._say, self._busy = open_file, say, busy
        window.setAcceptDrops(True)
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            assert isinstance(event, QDragEnterEvent | QDragMoveEvent)
            if event.mimeData().hasUrls():
                event.acceptProposedAction()  # every drop of files gets an answer
                return True
            return False
        if kind == QEvent.Type.Drop:
            assert isinstance(event, QDropEvent)
            if not event.mimeData().hasUrls():
                return False
            event.acceptProposedAction()
            self.drop(event.mimeData())
            return True
        return False

    def drop(self, mime: QMimeData) -> bool:
        """Open what ``mime`` carries; True if a file was opened."""
        files = dropped_files(mime)
        if not files:
            self._say(f"Nothing to open: drop a file from this computer, {WHAT_OPENS}.")
            return False
        if self._busy():
            self._say("A run is in progress: stop it before opening another file.")
            return False
        openable = [path for path in files if kind_of(path) and Path(path).is_file()]
        if not openable:
            name = Path(files[0]).name or files[0]
            why = "is a folder" if Path(files[0]).is_dir() else "cannot be opened here"
            self._say(f"{name} {why}: drop {WHAT_OPENS}.")
            return False
        opened = self._open_file(openable[0])
        if opened and len(files) > 1:
            self._say(f"Opened {Path(openable[0]).name}; one file at a time, the rest left out.")
        return opened
