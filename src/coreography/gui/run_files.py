"""The window's file commands: open and save recordings, export traces, CSV and PNG."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from coreography.gui.actions import ask_path
from coreography.model.run import Run

RECORDING_FILTER = "Coreography recordings (*.coreo.json *.coreo.json.gz *.json *.gz)"
RECORDING_SUFFIX = ".coreo.json"
RECORDING_ENDINGS = (".json", ".gz")
#: Files from this size on are read beside the window, with a progress dialog.
LARGE_RECORDING = 8 * 1024**2


def _size(path: str | Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0  # load_run says what is wrong with it


class RunFilesMixin:
    """File commands of :class:`coreography.gui.window.AppWindow` (which provides the
    presenter, ``show_finished_run``, ``show_error``, the status bar and the signals)."""

    def open_recording(self, path: str | Path) -> Run | None:
        """Show a saved run; a bad file gets an error dialog and changes nothing. A large
        file is read beside the window, with a progress dialog whose Cancel stops it."""
        from coreography.model.recording import LoadCancelled, RecordingError, load_run

        try:
            if _size(path) < LARGE_RECORDING:
                run = load_run(path)
            else:
                run = self._load_with_progress(path)
        except LoadCancelled:
            self.statusBar().showMessage(f"Opening {Path(path).name} cancelled", 5000)
            return None
        except RecordingError as error:
            self.show_error("Cannot open this recording", str(error))
            return None
        self.show_finished_run(run)
        self.sig_recording_opened.emit(run, str(path))
        self.receive_code_from_file(run.experiment, str(path))
        return run

    def _load_with_progress(self, path: str | Path) -> Run:
        """``load_run`` in a thread while a progress dialog shows how far it got; the
        dialog's Cancel makes the loader stop at its next block (LoadCancelled)."""
        from PySide6.QtCore import QEventLoop, Qt, QTimer
        from PySide6.QtWidgets import QProgressDialog

        from coreography.model.recording import load_run

        dialog = QProgressDialog(f"Opening {Path(path).name}…", "Cancel", 0, 100, self)
        dialog.setWindowTitle("Opening recording")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        state: dict = {"share": 0.0, "cancelled": False, "run": None, "error": None}
        dialog.canceled.connect(lambda: state.update(cancelled=True))

        def progress(share: float) -> bool:
            state["share"] = share
            return not state["cancelled"]

        def load() -> None:
            try:
                state["run"] = load_run(path, progress)
            except BaseException as error:  # handed to the window's thread below
                state["error"] = error

        loader = threading.Thread(target=load, name="recording-loader", daemon=True)
        loop = QEventLoop()
        timer = QTimer(interval=50)

        def follow() -> None:
            state["cancelled"] = state["cancelled"] or dialog.wasCanceled()
            dialog.setValue(round(100 * state["share"]))
            if not loader.is_alive():
                loop.quit()

        timer.timeout.connect(follow)
        dialog.show()
        QTimer.singleShot(0, loader.start)  # once the loop runs (and can see a Cancel)
        QTimer.singleShot(0, timer.start)
        loop.exec()
        timer.stop()
        loader.join()
        dialog.close()
        dialog.deleteLater()
        if state["error"] is not None:
            raise state["error"]
        return state["run"]

    def save_recording(self, path: str | Path) -> bool:
        from coreography.model.recording import RecordingError, save_run

        return self._write(path, save_run, RecordingError)

    def save_interactively(self) -> bool:
        """Ask where to save the run as a recording; False if cancelled or failed."""
        path = ask_path(
            self, "Save recording", RECORDING_FILTER, True, RECORDING_SUFFIX, RECORDING_ENDINGS
        )
        return bool(path) and self.save_recording(path)

    def export_chrome_trace(self, path: str | Path) -> bool:
        from coreography.model.export import export_chrome_trace
        from coreography.model.recording import RecordingError

        return self._write(path, export_chrome_trace, RecordingError)

    def export_perfetto(self, path: str | Path) -> bool:
        from coreography.model.export_perfetto import export_perfetto
        from coreography.model.recording import RecordingError

        return self._write(path, export_perfetto, RecordingError)

    def export_csv(self, path: str | Path) -> bool:
        from coreography.model.export import export_csv
        from coreography.model.recording import RecordingError

        return self._write(path, export_csv, RecordingError)

    def export_png(self, path: str | Path) -> bool:
        """Save a picture of the window's views as they are now."""
        if not self.grab().save(str(path)):
            self.show_error("Cannot export", f"{path}: the picture could not be written")
            return False
        return True

    def _write(self, path, writer, error_type) -> bool:
        run = self.presenter.run
        if run is None:
            self.show_error("Nothing to save", "Run an experiment or open a recording first.")
            return False
        try:
            writer(run, path)
        except (error_type, OSError) as error:
            self.show_error("Cannot write the file", str(error))
            return False
        self.statusBar().showMessage(f"Wrote {path}", 5000)
        self.sig_file_written.emit(run, str(path))
        return True

    # -- menu handlers --------------------------------------------------------------
    def _on_open_triggered(self) -> None:
        path = ask_path(self, "Open recording", RECORDING_FILTER, save=False)
        if path:
            self.open_recording(path)

    def _on_save_triggered(self) -> None:
        self.save_interactively()

    def _on_export_trace_triggered(self) -> None:
        path = ask_path(self, "Export Chrome trace", "Trace (*.json)", True, ".json")
        if path:
            self.export_chrome_trace(path)

    def _on_export_perfetto_triggered(self) -> None:
        path = ask_path(
            self, "Export Perfetto trace", "Perfetto trace (*.pftrace)", True, ".pftrace"
        )
        if path:
            self.export_perfetto(path)

    def _on_export_csv_triggered(self) -> None:
        path = ask_path(self, "Export CSV", "CSV (*.csv)", True, ".csv")
        if path:
            self.export_csv(path)

    def _on_export_png_triggered(self) -> None:
        path = ask_path(self, "Export PNG", "PNG image (*.png)", True, ".png")
        if path:
            self.export_png(path)
