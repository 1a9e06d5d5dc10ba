"""Helpers for the teaching-tool tests: a window over a temporary history, screenshots."""

from __future__ import annotations

import os
from pathlib import Path

from coreography.gui.app import create_app
from coreography.gui.main_window import MainWindow
from coreography.model.history import History

SERIES_TIMEOUT_MS = 120_000


def open_window(qtbot, history: History) -> MainWindow:
    """A shown main window keeping runs in ``history``, running lessons at tiny size."""
    create_app()
    win = MainWindow(history=history, lesson_scale="tiny")
    qtbot.addWidget(win)
    win.resize(1440, 900)
    win.show()
    qtbot.waitExposed(win)
    return win


def wait_series(qtbot, win: MainWindow, timeout: int = SERIES_TIMEOUT_MS) -> None:
    """Wait until the window's series of runs is over and the window took in its end."""
    qtbot.waitUntil(
        lambda: (
            win.teaching.series is not None
            and win.teaching.series.done
            and not win.presenter.timer.isActive()
        ),
        timeout=timeout,
    )


def screenshot(win: MainWindow, name: str, tmp_path: Path) -> Path:
    """Save a picture of the window to COREOGRAPHY_SCREENSHOTS (or the test's tmp dir)."""
    folder = Path(os.environ.get("COREOGRAPHY_SCREENSHOTS") or tmp_path / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    assert win.grab().save(str(path))
    return path
