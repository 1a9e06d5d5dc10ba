"""Fixtures for window tests: a real main window over the real engine, closed afterwards."""

from __future__ import annotations

import psutil
import pytest

from coreography.gui.app import create_app
from coreography.gui.main_window import MainWindow
from coreography.model.experiment import Experiment

RUN_TIMEOUT_MS = 60_000


@pytest.fixture(autouse=True)
def private_history(tmp_path, monkeypatch):
    """Window tests keep their runs in a temporary history, never the user's own."""
    path = tmp_path / "history.sqlite3"
    monkeypatch.setattr("coreography.model.history.default_history_path", lambda: path)
    return path


@pytest.fixture
def window(qtbot):
    """The main window, shown, with the real RunController; closing it ends any run."""
    create_app()
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


def start(qtbot, win: MainWindow, experiment: Experiment):
    """Show ``experiment`` in the panel and click Run, as a user would."""
    win.experiment_panel.set_experiment(experiment)
    qtbot.mouseClick(win.experiment_panel.run_button, _left())
    qtbot.waitUntil(lambda: win.presenter.run is not None, timeout=5000)
    return win.presenter.run


def wait_over(qtbot, win: MainWindow, timeout: int = RUN_TIMEOUT_MS) -> None:
    """Wait until the run is over and the window has taken in its end."""
    qtbot.waitUntil(
        lambda: win.presenter.run.is_over and not win.presenter.timer.isActive(),
        timeout=timeout,
    )


def experiment_pids() -> set[int]:
    """Every process below this one (the driver and its workers), except multiprocessing's
    resource tracker, which serves this test process for the whole session."""
    pids = set()
    for proc in psutil.Process().children(recursive=True):
        try:
            # Match the tracker's own entry point: experiment processes may carry
            # "resource_tracker" in a -W option of their command line.
            if "resource_tracker import main" not in " ".join(proc.cmdline()):
                pids.add(proc.pid)
        except psutil.Error:
            pass
    return pids


def alive(pids: set[int]) -> set[int]:
    living = set()
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                living.add(pid)
        except psutil.Error:
            pass
    return living


def _left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def pytest_collection_modifyitems(items):
    # The headless "offscreen" platform cannot forward size hints of dock widgets and says
    # so on every show; that says nothing about our code. Every other Qt warning fails.
    ignore = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints\(\)")
    for item in items:
        if "tests/gui" in str(item.fspath).replace("\\", "/"):
            item.add_marker(ignore)
