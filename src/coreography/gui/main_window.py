"""The main window: assembles the views, menus and status bar around the presenter."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QWidget,
)

from coreography.gui.presenter import Controller, Presenter
from coreography.gui.widgets.console import ConsoleView
from coreography.gui.widgets.cores_view import CoresView
from coreography.gui.widgets.cpu_view import CpuView
from coreography.gui.widgets.experiment_panel import ExperimentPanel
from coreography.gui.widgets.metrics_panel import MetricsPanel
from coreography.gui.widgets.status import RunStatus
from coreography.gui.widgets.timeline import TimelineView
from coreography.model.experiment import ExperimentError
from coreography.model.run import Run

RECORDING_FILTER = "Coreography recordings (*.coreo.json *.coreo.json.gz *.json *.gz)"


class MainWindow(QMainWindow):
    """Experiment panel left, timeline in the middle, metrics right, graphs and console below."""

    sig_file_written = Signal(object, str)
    """The run was written to a file (recording, trace or CSV); arguments: Run, path."""
    sig_recording_opened = Signal(object, str)
    """A recording is shown; arguments: Run, path."""

    def __init__(
        self, controller: Controller | None = None, history=None, lesson_scale: str = "full"
    ) -> None:
        super().__init__()
        self.setWindowTitle("Coreography")
        self.resize(1440, 900)
        self.presenter = Presenter(controller, self)
        self.experiment_panel = ExperimentPanel()
        self.timeline = TimelineView()
        self.cpu_view = CpuView()
        self.cores_view = CoresView()
        self.console = ConsoleView()
        self.metrics = MetricsPanel()
        self.status = RunStatus()
        self.views = (self.timeline, self.cpu_view, self.cores_view, self.console, self.metrics)
        self.message_box: QMessageBox | None = None
        self.setCentralWidget(self.timeline)
        # The cores view follows the timeline's time range (not pyqtgraph's XLink, which
        # aligns by screen position and docks have different widths).
        self.timeline.view_box.sigXRangeChanged.connect(self._on_timeline_x_range_changed)
        self._add_docks()
        self._add_menus()
        self.statusBar().addWidget(self.status, 1)
        self.statusBar().addPermanentWidget(self.status.progress)

        self.experiment_panel.sig_run_requested.connect(self._on_panel_run_requested)
        self.experiment_panel.sig_stop_requested.connect(self._on_panel_stop_requested)
        self.presenter.sig_run_started.connect(self._on_presenter_run_started)
        self.presenter.sig_run_ticked.connect(self._on_presenter_run_ticked)
        self.presenter.sig_run_ended.connect(self._on_presenter_run_ended)
        self.status.show_idle()
        from coreography.gui.desktop import Desktop  # themes, presentation, settings, help

        self.desktop = Desktop(self)
        from coreography.gui.teaching import TeachingTools  # lessons, history, code, sweeps

        # history: a model.history.History (tests pass a temporary one); lesson_scale "tiny"
        # makes lessons quick
        self.teaching = TeachingTools(self, history, lesson_scale)

    # -- assembly -------------------------------------------------------------------
    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title.replace(" ", "_").lower())
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.addDockWidget(area, dock)
        return dock

    @staticmethod
    def _scrolling(widget: QWidget) -> QScrollArea:
        """Panels whose height grows with the run (one row per worker) scroll instead of
        stretching the window."""
        scroll = QScrollArea()
        scroll.setWidget(widget)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        return scroll

    def _add_docks(self) -> None:
        left = Qt.DockWidgetArea.LeftDockWidgetArea
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        self._dock("Experiment", self._scrolling(self.experiment_panel), left)
        metrics = self._dock(
            "Metrics", self._scrolling(self.metrics), Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.resizeDocks([metrics], [320], Qt.Orientation.Horizontal)
        cpu = self._dock("CPU per core", self.cpu_view, bottom)
        cores = self._dock("Cores", self.cores_view, bottom)
        console = self._dock("Console", self.console, bottom)
        self.splitDockWidget(cpu, cores, Qt.Orientation.Horizontal)
        self.splitDockWidget(cores, console, Qt.Orientation.Horizontal)
        self.resizeDocks([cpu], [300], Qt.Orientation.Vertical)

    def _action(self, menu, text: str, handler, shortcut=None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(handler)
        menu.addAction(action)
        return action

    def _add_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._action(
            file_menu, "&Open recording…", self._on_open_triggered, QKeySequence.StandardKey.Open
        )
        self.save_action = self._action(
            file_menu, "&Save recording…", self._on_save_triggered, QKeySequence.StandardKey.Save
        )
        export = file_menu.addMenu("&Export")
        self._action(export, "Chrome trace (Perfetto)…", self._on_export_trace_triggered)
        self._action(export, "CSV of tasks…", self._on_export_csv_triggered)
        self._action(export, "PNG of the window…", self._on_export_png_triggered)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        run_menu = bar.addMenu("&Run")
        self.run_action = self._action(run_menu, "&Run", self.start_run, Qt.Key.Key_Space)
        self.stop_action = self._action(run_menu, "&Stop", self.stop_run, Qt.Key.Key_Escape)
        view_menu = bar.addMenu("&View")
        self._action(view_menu, "&Fit timeline", self.timeline.fit_all, "F")
        for dock in self.findChildren(QDockWidget):
            view_menu.addAction(dock.toggleViewAction())
        self.stop_action.setEnabled(False)

    # -- commands -------------------------------------------------------------------
    def start_run(self) -> Run | None:
        """Start the experiment the panel shows; a bad setting is shown, not raised."""
        if self.presenter.live:
            return None
        try:
            return self.presenter.start(self.experiment_panel.experiment())
        except ExperimentError as error:
            self.experiment_panel.show_error(error)
            self.show_error("Cannot start this experiment", str(error))
            return None
        except (RuntimeError, OSError) as error:  # e.g. no more processes allowed
            self.show_error("Cannot start this experiment", str(error))
            return None

    def stop_run(self) -> None:
        self.presenter.stop()

    def open_recording(self, path: str | Path) -> Run | None:
        """Show a saved run; a bad file gets an error dialog and changes nothing."""
        from coreography.model.recording import RecordingError, load_run

        try:
            run = load_run(path)
        except RecordingError as error:
            self.show_error("Cannot open this recording", str(error))
            return None
        self.experiment_panel.set_experiment(run.experiment)
        self.presenter.show_run(run)
        self._on_presenter_run_ended(run)
        self.sig_recording_opened.emit(run, str(path))
        return run

    def save_recording(self, path: str | Path) -> bool:
        from coreography.model.recording import RecordingError, save_run

        return self._write(path, save_run, RecordingError)

    def export_chrome_trace(self, path: str | Path) -> bool:
        from coreography.model.export import export_chrome_trace
        from coreography.model.recording import RecordingError

        return self._write(path, export_chrome_trace, RecordingError)

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

    def show_error(self, title: str, text: str) -> QMessageBox:
        """A non-blocking message box (``open()``, not ``exec()``): the app keeps running."""
        box = QMessageBox(
            QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.message_box = box
        return box

    # -- menu handlers --------------------------------------------------------------
    def _ask_path(self, title: str, filter_: str, save: bool, suffix: str = "") -> str:
        dialog = QFileDialog.getSaveFileName if save else QFileDialog.getOpenFileName
        path, _ = dialog(self, title, "", filter_)
        if path and suffix and save and not path.endswith(suffix):
            path += suffix
        return path

    def _on_open_triggered(self) -> None:
        path = self._ask_path("Open recording", RECORDING_FILTER, save=False)
        if path:
            self.open_recording(path)

    def _on_save_triggered(self) -> None:
        path = self._ask_path("Save recording", RECORDING_FILTER, True, ".coreo.json")
        if path:
            self.save_recording(path)

    def _on_export_trace_triggered(self) -> None:
        path = self._ask_path("Export Chrome trace", "Trace (*.json)", True, ".json")
        if path:
            self.export_chrome_trace(path)

    def _on_export_csv_triggered(self) -> None:
        path = self._ask_path("Export CSV", "CSV (*.csv)", True, ".csv")
        if path:
            self.export_csv(path)

    def _on_export_png_triggered(self) -> None:
        path = self._ask_path("Export PNG", "PNG image (*.png)", True, ".png")
        if path:
            self.export_png(path)

    def _on_timeline_x_range_changed(self, _view_box, x_range) -> None:
        self.cores_view.plot.setXRange(*x_range, padding=0.0)

    def _on_panel_run_requested(self) -> None:
        self.start_run()

    def _on_panel_stop_requested(self) -> None:
        self.stop_run()

    # -- presenter handlers ---------------------------------------------------------
    def _on_presenter_run_started(self, run: Run) -> None:
        for view in self.views:
            view.set_run(run)
        live = not run.is_over
        self.experiment_panel.set_running(live)
        self.run_action.setEnabled(not live)
        self.stop_action.setEnabled(live)
        self.status.set_run(run)

    def _on_presenter_run_ticked(self, run: Run) -> None:
        for view in self.views:
            view.refresh()
        self.status.refresh(self.presenter)

    def _on_presenter_run_ended(self, run: Run) -> None:
        self.console.refresh(catch_up=True)  # no more ticks: write what is still waiting
        self.metrics.refresh(force=True)
        if self.timeline.follow.isChecked():  # a view the user zoomed into stays put
            self.timeline.fit_all()
        self.experiment_panel.set_running(False)
        self.run_action.setEnabled(True)
        self.stop_action.setEnabled(False)
        self.status.refresh(self.presenter)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.desktop.confirm_close():  # an unsaved run: Save / Discard / Cancel
            event.ignore()
            return
        self.teaching.shutdown()
        # Closing mid-run ends every experiment process before the window goes.
        self.presenter.shutdown()
        super().closeEvent(event)
