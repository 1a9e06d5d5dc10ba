"""The teaching tools around the main window: lessons, history, comparison, code, sweeps.

Assembly only: the widgets live in ``widgets/``; series of runs in :mod:`run_series`.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psutil
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QFileDialog, QMainWindow, QMenu, QTabWidget, QWidget

from coreography.gui.run_series import RunSeries
from coreography.gui.widgets.code_editor import CodeEditor
from coreography.gui.widgets.code_view import CodeView, watch_controls
from coreography.gui.widgets.compare_view import CompareView
from coreography.gui.widgets.findings_view import FindingsView
from coreography.gui.widgets.history_panel import HistoryPanel
from coreography.gui.widgets.lesson_panel import LessonPanel
from coreography.gui.widgets.sweep_chart import SweepChart
from coreography.lessons.registry import Lesson, all_lessons
from coreography.model.diagnosis import diagnose
from coreography.model.experiment import CHUNKED_MODELS, Experiment, ExperimentError
from coreography.model.experiment_file import ExperimentFileError, load_experiment
from coreography.model.experiment_file import save_experiment as write_experiment
from coreography.model.history import History
from coreography.model.run import Run

EXPERIMENT_FILTER = "Coreography experiments (*.toml)"
CHUNKSIZES = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)


class TeachingTools(QObject):
    """Adds the lesson, history, compare, code, editor and sweep views to ``window``.

    Parameters
    ----------
    window
        The main window (its presenter, experiment panel, menus and error dialogs).
    history
        Where finished runs are kept; None opens the user's own history file.
    lesson_scale
        ``"full"``, or ``"tiny"`` for quick lesson runs (tests).
    """

    def __init__(self, window, history: History | None = None, lesson_scale: str = "full"):
        super().__init__(window)
        self.window = window
        self.presenter = window.presenter
        self.lesson_scale = lesson_scale
        self._owns_history = history is None
        self.history = history if history is not None else _open_history()
        self.session: dict[int, Run] = {}  # runs of this session by history id
        self.series: RunSeries | None = None
        self.series_kind = ""  # "lesson" or a swept field
        self.lesson: Lesson | None = None
        self.cores = psutil.cpu_count() or 1

        self.lesson_panel = LessonPanel(all_lessons())
        self.history_panel = HistoryPanel(self.history)
        self.findings = FindingsView()
        self.compare_view = CompareView()
        self.code_view = CodeView()
        self.code_editor = CodeEditor()
        self.sweep_chart = SweepChart()
        self._build_tabs()
        self._build_docks()
        self._build_menus()

        panel = window.experiment_panel
        watch_controls(panel, self._on_panel_changed)
        self._on_panel_changed()
        self.presenter.sig_run_started.connect(self._on_presenter_run_started)
        self.presenter.sig_run_ended.connect(self._on_presenter_run_ended)
        self.lesson_panel.sig_lesson_run_requested.connect(self.run_lesson)
        self.lesson_panel.sig_stop_requested.connect(self.stop_series)
        self.sweep_chart.sig_stop_requested.connect(self.stop_series)
        self.history_panel.sig_compare_requested.connect(self.compare)
        self.history_panel.sig_show_requested.connect(self.show_stored)
        self.code_view.sig_save_requested.connect(self._on_code_view_save_requested)
        self.code_editor.sig_run_requested.connect(self.run_own_function)
        self.code_editor.sig_stop_requested.connect(window.stop_run)
        self.code_editor.sig_open_requested.connect(self._on_editor_open_requested)
        self.code_editor.sig_save_requested.connect(self._on_editor_save_requested)

    # -- assembly -------------------------------------------------------------------
    def _build_tabs(self) -> None:
        window: QMainWindow = self.window
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        central = window.takeCentralWidget()
        self.tabs.addTab(central, "Timeline")
        self.tabs.addTab(self.compare_view, "Compare")
        self.tabs.addTab(self.sweep_chart, "Sweep chart")
        self.tabs.addTab(self.code_view, "Code")
        self.tabs.addTab(self.code_editor, "Your function")
        window.setCentralWidget(self.tabs)

    def _dock(self, title: str, widget: QWidget, beside: str) -> QDockWidget:
        window: QMainWindow = self.window
        dock = QDockWidget(title, window)
        dock.setObjectName(title.replace(" ", "_").lower())
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        neighbour = window.findChild(QDockWidget, beside)
        area = (
            window.dockWidgetArea(neighbour) if neighbour else Qt.DockWidgetArea.LeftDockWidgetArea
        )
        window.addDockWidget(area, dock)
        if neighbour is not None:
            window.tabifyDockWidget(neighbour, dock)
        return dock

    def _build_docks(self) -> None:
        self.lessons_dock = self._dock("Lessons", self.lesson_panel, "experiment")
        self.history_dock = self._dock("History", self.history_panel, "metrics")
        self.findings_dock = self._dock("Findings", self.findings, "metrics")
        metrics = self.window.findChild(QDockWidget, "metrics")
        if metrics is not None:
            metrics.raise_()
        experiment = self.window.findChild(QDockWidget, "experiment")
        if experiment is not None:
            experiment.raise_()

    def _menu(self, title: str) -> QMenu:
        for action in self.window.menuBar().actions():
            if action.text().replace("&", "") == title and action.menu() is not None:
                return action.menu()
        return self.window.menuBar().addMenu("&" + title)

    def _action(self, menu: QMenu, text: str, handler) -> QAction:
        action = QAction(text, self.window)
        action.triggered.connect(handler)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        run_menu = self._menu("Run")
        run_menu.addSeparator()
        self._action(run_menu, "Sweep &workers (1 … 2× cores)", self._on_sweep_workers_triggered)
        self._action(run_menu, "Sweep &chunk size", self._on_sweep_chunksize_triggered)
        self._action(run_menu, "Run my &function", self.run_own_function)
        view_menu = self._menu("View")
        view_menu.addSeparator()
        for index in range(self.tabs.count()):
            text = self.tabs.tabText(index)
            self._action(
                view_menu, f"{text} tab", lambda _=False, i=index: self.tabs.setCurrentIndex(i)
            )
        for dock in (self.lessons_dock, self.history_dock, self.findings_dock):
            view_menu.addAction(dock.toggleViewAction())
        lessons_menu = self.window.menuBar().addMenu("&Lessons")
        self._action(lessons_menu, "Lesson &picker", self.show_lessons)
        lessons_menu.addSeparator()
        for lesson in self.lesson_panel.lessons:
            self._action(
                lessons_menu,
                f"{lesson.number}. {lesson.title}",
                lambda _=False, key=lesson.id: self.show_lessons(key),
            )
        self._action(self._menu("Run"), "&Compare selected runs", self._on_compare_triggered)

    def show_tab(self, widget: QWidget) -> None:
        self.tabs.setCurrentWidget(widget)

    def show_lessons(self, lesson_id: str | None = None) -> None:
        self.lessons_dock.show()
        self.lessons_dock.raise_()
        if lesson_id:
            self.lesson_panel.select(lesson_id)

    def shutdown(self) -> None:
        """The window is closing: forget any series, close our own history."""
        if self.series is not None and not self.series.done:
            self.series.cancel()
        self.presenter.sig_run_ended.disconnect(self._on_presenter_run_ended)
        if self._owns_history and self.history is not None:
            self.history.close()
            self.history = None

    # -- runs -----------------------------------------------------------------------
    def start(self, experiment: Experiment) -> Run | None:
        """Show ``experiment`` in the panel and start it; errors are shown, not raised."""
        if self.presenter.live:
            return None
        self.window.experiment_panel.set_experiment(experiment)
        try:
            return self.presenter.start(experiment)
        except ExperimentError as error:
            self.window.experiment_panel.show_error(error)
            self.window.show_error("Cannot start this experiment", str(error))
        except (RuntimeError, OSError) as error:
            self.window.show_error("Cannot start this experiment", str(error))
        return None

    def run_own_function(self) -> Run | None:
        """Run the panel's experiment with the editor's code as the workload."""
        if self.code_editor.problem is not None:
            return None
        self.show_tab(self.code_editor)
        return self.start(self.own_experiment())

    def own_experiment(self) -> Experiment:
        code = self.code_editor.code()
        return self.window.experiment_panel.experiment().replace(workload="custom", code=code)

    def _on_presenter_run_started(self, run: Run) -> None:
        self.code_editor.set_running(not run.is_over)

    def _on_presenter_run_ended(self, run: Run) -> None:
        self.code_editor.set_running(False)
        title = run.experiment.title
        if self.series is not None and self.series.current is run:
            prefix = self.lesson.title if self.series_kind == "lesson" and self.lesson else "Sweep"
            title = f"{prefix}: {self.series.current_label}"
        findings = diagnose(run)
        self.findings.set_findings(title or "The last run", findings)
        if self.history is not None:
            try:
                run_id = self.history.add(run, title=title)
            except (sqlite3.Error, OSError, ValueError) as error:
                self.window.statusBar().showMessage(f"Run not kept in the history: {error}", 8000)
            else:
                self.session[run_id] = run
                self.history_panel.refresh()

    # -- series: lessons and sweeps -------------------------------------------------
    def run_lesson(self, lesson: Lesson) -> RunSeries | None:
        """Run every experiment of ``lesson`` in turn (a sweep lesson draws its chart)."""
        runs = [(r.label, r.experiment) for r in lesson.experiments(self.lesson_scale)]
        self.lesson = lesson
        kind = "lesson" if lesson.sweep is None else lesson.sweep.field
        return self._run_series(runs, kind)

    def run_sweep(
        self, field: str, values: list[int], base: Experiment | None = None
    ) -> RunSeries | None:
        """Run ``base`` (default: the panel's experiment) once per value of ``field``."""
        base = base or self.window.experiment_panel.experiment()
        runs = [(f"{field} = {v}", base.replace(**{field: v})) for v in values]
        try:
            for _label, experiment in runs:
                experiment.validate()
        except ExperimentError as error:
            self.window.show_error("Cannot sweep this experiment", str(error))
            return None
        self.lesson = None
        return self._run_series(runs, field)

    def _run_series(self, runs: list[tuple[str, Experiment]], kind: str) -> RunSeries | None:
        if self.presenter.live or (self.series is not None and not self.series.done):
            self.window.statusBar().showMessage("A run is in progress: stop it first.", 5000)
            return None
        self.series_kind = kind
        self.series = series = RunSeries(self.presenter, self.start, runs, self)
        series.sig_series_progressed.connect(self._on_series_progressed)
        series.sig_series_finished.connect(self._on_series_finished)
        if kind != "lesson":
            self.sweep_chart.set_points(kind, [], self.cores, f"Sweeping {kind}: starting…")
            self.show_tab(self.sweep_chart)
        self.lesson_panel.show_results([])
        self._set_series_running(True, series)
        series.begin()
        return series

    def stop_series(self) -> None:
        if self.series is not None and not self.series.done:
            self.series.stop()
        else:
            self.window.stop_run()

    def _set_series_running(self, running: bool, series: RunSeries) -> None:
        done = len(series.points)
        if running:
            message = f"Run {min(done + 1, series.total)} of {series.total}…"
        else:
            message = f"{'Stopped' if series.stopped else 'Done'}: {done} of {series.total} runs."
        if self.series_kind == "lesson" or self.lesson is not None:
            self.lesson_panel.set_running(running, message)
        self.sweep_chart.set_running(running and self.series_kind != "lesson")

    def _on_series_progressed(self, series: RunSeries) -> None:
        entries = [(p.label, p.run, diagnose(p.run)) for p in series.points]
        if self.lesson is not None:
            self.lesson_panel.show_results(entries)
        if self.series_kind != "lesson":
            field = self.series_kind
            points = [(getattr(p.experiment, field), p.run) for p in series.finished_points()]
            status = f"Sweeping {field}: {len(series.points)} of {series.total} runs over"
            self.sweep_chart.set_points(field, points, self.cores, status)
        self._set_series_running(not series.done, series)

    def _on_series_finished(self, series: RunSeries) -> None:
        self._set_series_running(False, series)
        if self.series_kind != "lesson":
            field = self.series_kind
            points = [(getattr(p.experiment, field), p.run) for p in series.finished_points()]
            ended = "stopped" if series.stopped else "done"
            status = f"Sweep over {field} {ended}: {len(points)} of {series.total} points measured"
            self.sweep_chart.set_points(field, points, self.cores, status)
        elif len(series.points) >= 2:
            first, second = series.points[0], series.points[1]
            self.compare_view.set_runs((first.label, first.run), (second.label, second.run))
            self.show_tab(self.compare_view)

    def _on_sweep_workers_triggered(self) -> None:
        self.run_sweep("workers", list(range(1, 2 * self.cores + 1)))

    def _on_sweep_chunksize_triggered(self) -> None:
        base = self.window.experiment_panel.experiment()
        if base.model not in CHUNKED_MODELS:
            self.window.show_error(
                "Chunk size does not apply",
                f"{base.model} hands out tasks one by one. Choose a Pool map/imap/starmap "
                "model or process-pool to sweep the chunk size.",
            )
            return
        values = [0, *(c for c in CHUNKSIZES if c <= max(base.tasks // base.workers, 1))]
        self.run_sweep("chunksize", values, base)

    # -- comparison -----------------------------------------------------------------
    def stored_run(self, run_id: int) -> Run:
        if run_id in self.session:
            return self.session[run_id]
        assert self.history is not None
        run = self.history.load(run_id)
        self.session[run_id] = run
        return run

    def compare(self, first_id: int, second_id: int) -> None:
        """Show two stored runs stacked on one time axis, metrics side by side."""
        try:
            runs = [(run_id, self.stored_run(run_id)) for run_id in (first_id, second_id)]
        except (KeyError, ValueError, sqlite3.Error) as error:
            self.window.show_error("Cannot compare these runs", str(error))
            return
        titles = {entry.id: entry.title for entry in self.history.list()} if self.history else {}
        self.compare_view.set_runs(
            *[(f"{titles.get(run_id, '')} (run {run_id})", run) for run_id, run in runs]
        )
        self.show_tab(self.compare_view)

    def show_stored(self, run_id: int) -> None:
        try:
            run = self.stored_run(run_id)
        except (KeyError, ValueError, sqlite3.Error) as error:
            self.window.show_error("Cannot show this run", str(error))
            return
        self.window.experiment_panel.set_experiment(run.experiment)
        self.presenter.show_run(run)
        self.window._on_presenter_run_ended(run)
        self.show_tab(self.tabs.widget(0))

    def _on_compare_triggered(self) -> None:
        ids = self.history_panel.selected_ids()
        if len(ids) == 2:
            self.compare(*ids)
        else:
            self.history_dock.show()
            self.history_dock.raise_()
            self.window.statusBar().showMessage("Select two runs in the History first.", 5000)

    # -- code -----------------------------------------------------------------------
    def _on_panel_changed(self, *_args) -> None:
        self.code_view.set_experiment(self.window.experiment_panel.experiment())

    def _ask(self, title: str, filter_: str, save: bool, suffix: str) -> str:
        dialog = QFileDialog.getSaveFileName if save else QFileDialog.getOpenFileName
        path, _ = dialog(self.window, title, "", filter_)
        if path and save and not path.endswith(suffix):
            path += suffix
        return path

    def _on_code_view_save_requested(self) -> None:
        path = self._ask("Save program", "Python (*.py)", True, ".py")
        if path:
            try:
                self.code_view.save(path)
            except OSError as error:
                self.window.show_error("Cannot write the file", str(error))

    def open_experiment(self, path: str | Path) -> Experiment | None:
        """Load an experiment file into the panel (and its code into the editor)."""
        try:
            experiment = load_experiment(path)
        except ExperimentFileError as error:
            self.window.show_error("Cannot open this experiment", str(error))
            return None
        self.window.experiment_panel.set_experiment(experiment)
        if experiment.workload == "custom":
            self.code_editor.set_code(experiment.code)
        return experiment

    def save_experiment(self, path: str | Path) -> bool:
        """Save the panel's experiment with the editor's code as a .toml file."""
        try:
            write_experiment(self.own_experiment().validate(), path)
        except (ExperimentError, ExperimentFileError) as error:
            self.window.show_error("Cannot save this experiment", str(error))
            return False
        return True

    def _on_editor_open_requested(self) -> None:
        path = self._ask("Open experiment", EXPERIMENT_FILTER, False, ".toml")
        if path:
            self.open_experiment(path)

    def _on_editor_save_requested(self) -> None:
        path = self._ask("Save experiment", EXPERIMENT_FILTER, True, ".toml")
        if path:
            self.save_experiment(path)


def _open_history() -> History | None:
    try:
        return History()
    except (sqlite3.Error, OSError):
        return None
