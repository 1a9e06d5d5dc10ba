"""The teaching tools around the main window: lessons, history, comparison, code, sweeps.

Assembly only: the widgets live in ``widgets/``; series of runs in :mod:`run_series`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QTabWidget, QWidget

from coreography.gui.actions import add_action
from coreography.gui.code_files import CodeMixin
from coreography.gui.parts import DockId, MenuId
from coreography.gui.series_control import SeriesMixin
from coreography.gui.widgets.code_editor import CodeEditor
from coreography.gui.widgets.code_view import CodeView, watch_controls
from coreography.gui.widgets.findings_view import FindingsView
from coreography.gui.widgets.history_panel import HistoryPanel
from coreography.gui.widgets.lesson_panel import LessonPanel
from coreography.gui.window import AppWindow
from coreography.model.experiment import Experiment
from coreography.model.run import Run

if TYPE_CHECKING:  # the series and the Compare and Sweep tabs load when first used;
    # the lessons and the history with the Lessons and History docks' panels
    from concurrent.futures import Future, ThreadPoolExecutor

    from coreography.gui.run_series import RunSeries
    from coreography.gui.widgets.compare_view import CompareView
    from coreography.gui.widgets.sweep_chart import SweepChart
    from coreography.lessons.registry import Lesson
    from coreography.model.history import Entry, History

LESSONS_WIDTH = 560  # the lesson list and its text without mid-word wraps


#: Runs of more tasks than this are made ready for the history in a thread of their own.
BACKGROUND_TASKS = 20_000


class TeachingTools(SeriesMixin, CodeMixin, QObject):
    """Adds the lesson, history, compare, code, editor and sweep views to ``window``.

    Parameters
    ----------
    window
        The window (its presenter, experiment panel, docks, menus and error dialogs).
    history
        Where finished runs are kept; None opens the user's own history file.
    lesson_scale
        ``"full"``, or ``"tiny"`` for quick lesson runs (tests).
    defer
        Leave what the Lessons and History docks list (the lessons' files, the history's
        file) and the Lessons menu's entries for :meth:`complete`, which the app calls
        once the window is on screen; whatever needs one of them first completes it.
    """

    sig_lesson_run_requested = Signal(object)
    """The Lessons dock asked to run a lesson (after it started); argument: the Lesson."""
    sig_views_added = Signal()
    #: A big run's history entry is ready (emitted in the thread that made it).
    _sig_encoded = Signal(object, object)
    """New plots were built (a tab made on first use): they need the current look."""

    def __init__(
        self,
        window: AppWindow,
        history: History | None = None,
        lesson_scale: str = "full",
        defer: bool = False,
    ):
        super().__init__(window)
        self.window = window
        self.presenter = window.presenter
        self.lesson_scale = lesson_scale
        self._owns_history = history is None
        self._history = history
        self._completed = False  # the lessons are read, the history opened (complete())
        self._closed = False
        self.session: dict[int, Run] = {}  # runs of this session by history id
        self.series: RunSeries | None = None
        self.series_kind = ""  # "lesson" or a swept field
        self.lesson: Lesson | None = None
        self.cores = os.cpu_count() or 1  # logical cores, as psutil counts them

        # Their lessons and runs come with complete(); the panels are made now, at the
        # sizes they keep, so that the docks do not move when they are filled.
        self._lesson_panel = LessonPanel(())
        self._history_panel = HistoryPanel(None)
        self.findings = FindingsView()
        # The Compare and Sweep tabs hold four plots between them: built when first
        # needed, so that they do not slow the window's start.
        self._compare_view: CompareView | None = None
        self._sweep_chart: SweepChart | None = None
        self.code_view = CodeView()
        self.code_editor = CodeEditor()
        self._build_tabs()
        self._build_docks()
        self._build_menus()

        panel = window.experiment_panel
        watch_controls(panel, self._on_panel_changed)
        self._on_panel_changed()
        self.presenter.sig_run_started.connect(self._on_presenter_run_started)
        self.presenter.sig_run_ended.connect(self._on_presenter_run_ended)
        #: Big runs' history entries being made in a thread of their own (run -> future).
        self.saving: dict[int, tuple[Run, Future[Entry], str]] = {}
        self._encoder: ThreadPoolExecutor | None = None
        self._sig_encoded.connect(self._on_encoded, Qt.ConnectionType.QueuedConnection)
        window.sig_recording_opened.connect(self._on_window_recording_opened)
        self._lesson_panel.sig_lesson_run_requested.connect(self.run_lesson)
        self._lesson_panel.sig_lesson_run_requested.connect(self.sig_lesson_run_requested)
        self._lesson_panel.sig_stop_requested.connect(self.stop_series)
        self._history_panel.sig_compare_requested.connect(self.compare)
        self._history_panel.sig_show_requested.connect(self.show_stored)
        self.code_view.sig_save_requested.connect(self._on_code_view_save_requested)
        self.code_editor.sig_run_requested.connect(self.run_own_function)
        self.code_editor.sig_stop_requested.connect(window.stop_run)
        self.code_editor.sig_open_requested.connect(self._on_editor_open_requested)
        self.code_editor.sig_save_requested.connect(self._on_editor_save_requested)
        self.code_editor.editor.textChanged.connect(self._on_editor_code_changed)
        panel.code.textChanged.connect(self._on_panel_code_changed)
        if not defer:
            self.complete()

    # -- the docks the first paint does not show ----------------------------------------
    def complete(self) -> None:
        """Read the lessons into the Lessons dock and its menu, open the history and list
        it in the History dock.

        The docks and their panels are made with the window, so that it is first painted
        with every dock and tab where it stays (and a saved layout finds them all); what
        they list is behind the Experiment and Metrics tabs there: reading the lessons'
        files and opening the history (about 30 ms with their modules) need not delay the
        first paint. Idempotent; a dock shown, its menu opened or its panel or the
        history asked for completes them at once."""
        if self._completed:
            return
        self._completed = True
        from coreography.lessons.registry import all_lessons

        if self._history is None and self._owns_history and not self._closed:
            self._history = _open_history()
        self._history_panel.set_history(self._history)
        self._lesson_panel.set_lessons(all_lessons())
        for lesson in self._lesson_panel.lessons:
            add_action(
                self.window,
                self.lessons_menu,
                f"{lesson.number}. {lesson.title}",
                lambda _=False, key=lesson.id: self.show_lessons(key),
            )

    @property
    def lesson_panel(self) -> LessonPanel:
        self.complete()
        return self._lesson_panel

    @property
    def history_panel(self) -> HistoryPanel:
        self.complete()
        return self._history_panel

    @property
    def history(self) -> History | None:
        """Where finished runs are kept (None if the user's history cannot be opened)."""
        self.complete()
        return self._history

    def _on_hidden_dock_visibility_changed(self, visible: bool) -> None:
        if visible:  # a saved layout shows it, or the user raised its tab
            self.complete()

    # -- assembly -------------------------------------------------------------------
    def _build_tabs(self) -> None:
        window = self.window
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        central = window.takeCentralWidget()
        self.tabs.addTab(central, "Timeline")
        self._placeholders = {"Compare": QWidget(), "Sweep chart": QWidget()}
        for title, placeholder in self._placeholders.items():
            self.tabs.addTab(placeholder, title)
        self.tabs.addTab(self.code_view, "Code")
        self.tabs.addTab(self.code_editor, "Your function")
        window.setCentralWidget(self.tabs)
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)

    @property
    def compare_view(self) -> CompareView:
        if self._compare_view is None:
            from coreography.gui.widgets.compare_view import CompareView

            self._compare_view = CompareView()
            self._install_tab("Compare", self._compare_view)
        return self._compare_view

    @property
    def sweep_chart(self) -> SweepChart:
        if self._sweep_chart is None:
            from coreography.gui.widgets.sweep_chart import SweepChart

            self._sweep_chart = SweepChart()
            self._sweep_chart.sig_stop_requested.connect(self.stop_series)
            self._install_tab("Sweep chart", self._sweep_chart)
        return self._sweep_chart

    def _install_tab(self, title: str, widget: QWidget) -> None:
        placeholder = self._placeholders.pop(title)
        index = self.tabs.indexOf(placeholder)
        current = self.tabs.currentIndex() == index
        self.tabs.blockSignals(True)
        self.tabs.removeTab(index)
        self.tabs.insertTab(index, widget, title)
        if current:
            self.tabs.setCurrentIndex(index)
        self.tabs.blockSignals(False)
        placeholder.deleteLater()
        self.sig_views_added.emit()  # the new plots take the current theme and scale

    def _on_tabs_current_changed(self, index: int) -> None:
        title = self.tabs.tabText(index)
        if title == "Compare":
            _ = self.compare_view
        elif title == "Sweep chart":
            _ = self.sweep_chart

    def _build_docks(self) -> None:
        window = self.window
        self.lessons_dock = window.add_dock(
            DockId.LESSONS, "Lessons", self._lesson_panel, beside=DockId.EXPERIMENT
        )
        self.history_dock = window.add_dock(
            DockId.HISTORY, "History", self._history_panel, beside=DockId.METRICS
        )
        for dock in (self.lessons_dock, self.history_dock):
            dock.visibilityChanged.connect(self._on_hidden_dock_visibility_changed)
        self.findings_dock = window.add_dock(
            DockId.FINDINGS, "Findings", self.findings, beside=DockId.METRICS
        )
        window.dock(DockId.METRICS).raise_()
        window.dock(DockId.EXPERIMENT).raise_()

    def _build_menus(self) -> None:
        window = self.window
        run_menu = window.menu(MenuId.RUN)
        run_menu.addSeparator()
        sweep_workers = self._on_sweep_workers_triggered
        add_action(window, run_menu, "Sweep &workers (1 … 2× cores)", sweep_workers)
        add_action(window, run_menu, "Sweep &chunk size", self._on_sweep_chunksize_triggered)
        self._build_repeats_menu(run_menu)
        add_action(window, run_menu, "Run my &function", self.run_own_function)
        view_menu = window.menu(MenuId.VIEW)
        view_menu.addSeparator()
        for index in range(self.tabs.count()):
            text = self.tabs.tabText(index)
            add_action(
                window,
                view_menu,
                f"{text} tab",
                lambda _=False, i=index: self.tabs.setCurrentIndex(i),
            )
        lessons_menu = self.lessons_menu = window.add_menu(MenuId.LESSONS, "&Lessons")
        add_action(window, lessons_menu, "Lesson &picker", self.show_lessons)
        lessons_menu.addSeparator()  # each lesson's entry comes with complete()
        lessons_menu.aboutToShow.connect(self.complete)
        add_action(window, run_menu, "&Compare selected runs", self._on_compare_triggered)

    def show_tab(self, widget: QWidget) -> None:
        self.tabs.setCurrentWidget(widget)

    def show_lessons(self, lesson_id: str | None = None) -> None:
        self.lessons_dock.show()
        self.lessons_dock.raise_()
        QTimer.singleShot(0, self, self._widen_lessons)  # once the tab is raised
        if lesson_id:
            self.lesson_panel.select(lesson_id)

    def _widen_lessons(self) -> None:
        # Room for the lesson's text, but never more than 38 % of the window: on a
        # 1280-wide projector the timeline keeps the middle.
        wanted = min(LESSONS_WIDTH, max(self.window.width() * 38 // 100, 320))
        if self.lessons_dock.width() < wanted:
            orientation = Qt.Orientation.Horizontal
            self.window.resizeDocks([self.lessons_dock], [wanted], orientation)

    def shutdown(self) -> None:
        """The window is closing: forget any series, close our own history."""
        if self.series is not None and not self.series.done:
            self.series.cancel()
        self.presenter.sig_run_ended.disconnect(self._on_presenter_run_ended)
        # Nothing lost: a big run's entry still being made is waited for and stored.
        for run, future, _title in list(self.saving.values()):
            self.saving.pop(id(run), None)
            if self.history is not None:
                self._store(run, future.result)
        if self._encoder is not None:
            self._encoder.shutdown(wait=True)
            self._encoder = None
        self._closed = True
        if self._owns_history and self._history is not None:
            self._history.close()
            self._history = None

    # -- runs -----------------------------------------------------------------------
    def start(self, experiment: Experiment) -> Run | None:
        """Show ``experiment`` in the panel and start it; errors are shown, not raised."""
        if self.presenter.live:
            return None
        self.window.experiment_panel.set_experiment(experiment)
        return self.window.start_experiment(experiment)

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
        if self.series is None or self.series.current is not run:
            self.window.metrics.set_baseline(None)  # a run alone: its own estimate

    def _on_presenter_run_ended(self, run: Run) -> None:
        self.code_editor.set_running(False)
        failure = run.failure
        if (
            failure is not None
            and failure.user_line
            and run.experiment.code == self.code_editor.code()
        ):
            task = f" in task {failure.task}" if failure.task >= 0 else ""
            self.code_editor.show_run_error(
                failure.user_line, f"{failure.error} (the last run raised it here{task})"
            )
        title = run.experiment.title
        if self.series is not None and self.series.current is run:
            prefix = self.lesson.title if self.series_kind == "lesson" and self.lesson else "Sweep"
            title = f"{prefix}: {self.series.current_label}"
            if self.series.repeats > 1:
                title += f" (run {self.series.current_repeat} of {self.series.repeats})"
        from coreography.model.diagnosis import diagnose

        findings = diagnose(run)
        self.findings.set_findings(title or "The last run", findings)
        if self.history is not None:
            self._keep(run, title)

    def _keep(self, run: Run, title: str) -> None:
        """Store ``run`` in the history: at once, or, for a big run, once a thread of its
        own has made its entry (0.8 s for 300,000 tasks: the window must not stop)."""
        from coreography.model.history import encode_run

        if run.n_tasks <= BACKGROUND_TASKS:
            self._store(run, lambda: encode_run(run, title=title))
            return
        if self._encoder is None:
            from concurrent.futures import ThreadPoolExecutor

            self._encoder = ThreadPoolExecutor(1, thread_name_prefix="coreography-history")
        future = self._encoder.submit(encode_run, run, None, title)
        self.saving[id(run)] = (run, future, title)
        future.add_done_callback(lambda done: self._sig_encoded.emit(run, done))
        self.window.statusBar().showMessage("Keeping the run in the history…", 3000)

    def _on_encoded(self, run: Run, future: Future[Entry]) -> None:
        if self.saving.pop(id(run), None) is not None and self.history is not None:
            self._store(run, future.result)

    def _store(self, run: Run, entry: Callable[[], Entry]) -> None:
        import sqlite3

        assert self.history is not None
        try:
            run_id = self.history.insert(entry())
        except (sqlite3.Error, OSError, ValueError) as error:
            self.window.statusBar().showMessage(f"Run not kept in the history: {error}", 8000)
        else:
            self.session[run_id] = run
            self.history_panel.refresh()

    def _on_window_recording_opened(self, run: Run, path: str) -> None:
        """A recording's findings are its own, not the last run's."""
        from coreography.model.diagnosis import diagnose

        self.findings.set_findings(run.experiment.title or path, diagnose(run))

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
        import sqlite3

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
        import sqlite3

        try:
            run = self.stored_run(run_id)
        except (KeyError, ValueError, sqlite3.Error) as error:
            self.window.show_error("Cannot show this run", str(error))
            return
        self.window.show_finished_run(run)
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


def _open_history() -> History | None:
    import sqlite3

    from coreography.model.history import History

    try:
        return History()
    except (sqlite3.Error, OSError):
        return None
