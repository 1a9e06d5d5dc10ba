"""A large recording opens beside the window with a progress dialog whose Cancel stops it."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QProgressDialog, QPushButton

from coreography.gui import run_files
from coreography.model import recording
from coreography.model.recording import save_run
from tests.model.fakes import big_run


def _large(tmp_path, monkeypatch):
    monkeypatch.setattr(run_files, "LARGE_RECORDING", 1)  # this file counts as large
    monkeypatch.setattr(recording, "READ_BLOCK", 16 * 1024)  # read in many blocks
    path = tmp_path / "large.coreo.json"
    run = big_run(20_000)
    save_run(run, path)
    return run, path


def test_a_large_recording_opens_with_a_progress_dialog(qtbot, window, tmp_path, monkeypatch):
    run, path = _large(tmp_path, monkeypatch)
    seen: list[int] = []

    def look() -> None:
        dialogs = window.findChildren(QProgressDialog)
        if dialogs:
            seen.append(dialogs[0].maximum())

    QTimer.singleShot(0, look)
    opened = window.open_recording(path)
    assert opened is not None and window.presenter.run is opened
    assert opened.n_tasks == run.n_tasks and opened.n_done == run.n_done
    assert seen == [100]  # the dialog was up while it loaded
    qtbot.waitUntil(lambda: not window.findChildren(QProgressDialog))


def test_cancel_stops_reading_and_keeps_what_was_shown(qtbot, window, tmp_path, monkeypatch):
    _run, path = _large(tmp_path, monkeypatch)
    before = window.presenter.run
    shares: list[float] = []
    real_load = recording.load_run

    def load_run(where, progress=None):  # the real loader; records what it reported
        def told(share):
            shares.append(share)
            return progress(share)

        return real_load(where, told)

    monkeypatch.setattr(recording, "load_run", load_run)

    def press_cancel() -> None:
        dialog = window.findChildren(QProgressDialog)[0]
        (button,) = [b for b in dialog.findChildren(QPushButton) if b.text() == "Cancel"]
        button.click()

    QTimer.singleShot(0, press_cancel)
    assert window.open_recording(path) is None
    assert window.presenter.run is before
    assert "cancelled" in window.statusBar().currentMessage()
    assert shares and max(shares) < 0.3 and len(shares) < 3  # it stopped at once
