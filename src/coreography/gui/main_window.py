"""The composition root: builds the window, then the desktop tools, then the teaching tools.

Each part is given what it needs and they meet only here: the window knows neither tool,
the desktop tools know the window, the teaching tools know the window. To add a view,
make a widget with ``set_run``/``refresh`` (:class:`coreography.gui.parts.RunView`), give
it a :class:`~coreography.gui.parts.DockId` and add it below with ``add_dock``/``add_view``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QCloseEvent

from coreography.gui.actions import add_action
from coreography.gui.desktop import Desktop
from coreography.gui.parts import DockId, MenuId
from coreography.gui.presenter import Controller
from coreography.gui.run_files import RECORDING_FILTER
from coreography.gui.teaching import TeachingTools
from coreography.gui.window import AppWindow
from coreography.model.run import Run

if TYPE_CHECKING:  # the history loads with the History dock's panel
    from coreography.model.history import History

__all__ = ["RECORDING_FILTER", "MainWindow"]


class MainWindow(AppWindow):
    """The whole window: the run views, the desktop conventions and the teaching tools.

    Parameters
    ----------
    controller
        The engine's run controller (default: a real one, made on first use).
    history
        Where finished runs are kept; None opens the user's own history file.
    lesson_scale
        ``"full"``, or ``"tiny"`` for quick lesson runs (tests).
    defer
        Leave what the first paint does not show for :meth:`complete`: the app calls it
        once the window is on screen (made without, the window is complete at once).
    """

    def __init__(
        self,
        controller: Controller | None = None,
        history: History | None = None,
        lesson_scale: str = "full",
        defer: bool = False,
    ) -> None:
        super().__init__(controller)
        # themes, presentation, pause/scrub, settings, help, picture export
        self.desktop = Desktop(self, lesson_scale, defer)
        # lessons, history, comparison, code, sweeps
        self.teaching = TeachingTools(self, history, lesson_scale, defer)
        self._connect_tools()
        self.desktop.finish()  # every dock and menu is there now

    def complete(self) -> None:
        """Build what a window made with ``defer`` left out: the Lessons and History
        docks' panels, the Lessons menu's entries, the icon and the controls' accessible
        names (each is also built by its first use). Idempotent."""
        self.teaching.complete()
        self.desktop.complete()

    def _connect_tools(self) -> None:
        desktop, teaching = self.desktop, self.teaching
        teaching.sig_lesson_run_requested.connect(desktop.show_captions)
        teaching.sig_views_added.connect(desktop.apply_look)
        desktop.sig_lesson_loaded.connect(self._on_desktop_lesson_loaded)
        desktop.presentation.sig_mode_changed.connect(self._on_presentation_mode_changed)
        teaching.tabs.currentChanged.connect(self._on_tabs_current_changed)
        # Space runs the open lesson in presentation mode
        # (the Experiment dock's choice otherwise: an experiment or the script).
        self.run_action.triggered.disconnect()
        self.run_action.triggered.connect(self._on_run_key)
        self._lesson_step = -1  # the lesson's experiment PgUp/PgDn ran last
        self._bottom_run: Run | None = None  # what the CPU and cores plots show
        run_menu = self.menu(MenuId.RUN)
        add_action(self, run_menu, "Run &lesson", self.run_open_lesson, ["R"])
        add_action(
            self, run_menu, "&Next experiment of the lesson", self.next_experiment, ["PgDown"]
        )
        add_action(
            self,
            run_menu,
            "&Previous experiment of the lesson",
            self.previous_experiment,
            ["PgUp"],
        )

    # -- lessons from the keyboard --------------------------------------------------------
    def open_lesson(self):
        """The lesson whose captions are shown, else the one chosen in the Lessons dock."""
        return self.desktop.lesson or self.teaching.lesson_panel.lesson

    def run_open_lesson(self):
        """Run every experiment of the open lesson (R; Space in presentation)."""
        lesson = self.open_lesson()
        if lesson is None:
            return None
        self._lesson_step = -1
        series = self.teaching.run_lesson(lesson)
        if series is not None:
            self.desktop.show_captions(lesson)
        return series

    def next_experiment(self):
        return self._step_experiment(+1)

    def previous_experiment(self):
        return self._step_experiment(-1)

    def _step_experiment(self, step: int):
        lesson = self.open_lesson()
        if lesson is None:
            return None
        count = len(lesson.experiments(self.teaching.lesson_scale))
        index = min(max(self._lesson_step + step, 0), count - 1)
        series = self.teaching.run_lesson_experiment(lesson, index)
        if series is not None:
            self._lesson_step = index
            self.desktop.show_captions(lesson)
            self.statusBar().showMessage(
                f"Lesson {lesson.number}, experiment {index + 1} of {count}", 5000
            )
        return series

    def _on_run_key(self) -> None:
        if self.desktop.presentation.active and self.desktop.lesson is not None:
            self.run_open_lesson()
        else:
            self.desktop.scripts.start_chosen()

    def _on_desktop_lesson_loaded(self, lesson) -> None:
        self._lesson_step = -1
        if self.desktop.presentation.active:  # the class sees no picker: only select it
            self.teaching.lesson_panel.select(lesson.id)
        else:
            self.teaching.show_lessons(lesson.id)

    # -- presentation: the metrics or the compare table -----------------------------------
    def side_docks_follow_size(self) -> bool:
        return not self.desktop.presentation.active  # presentation sizes its own docks

    def _on_presentation_mode_changed(self, _active: bool) -> None:
        self._show_metrics_or_compare()

    def _on_tabs_current_changed(self, _index: int) -> None:
        self._show_metrics_or_compare()
        self._bottom_plots_follow_tab()

    def _show_metrics_or_compare(self) -> None:
        """In presentation the Compare tab brings its own table: the Metrics dock makes
        room for it (and comes back with the timeline)."""
        if not self.desktop.presentation.active:
            return
        metrics = self.dock(DockId.METRICS)
        comparing = self.teaching.tabs.currentWidget() is self.teaching._compare_view
        metrics.setVisible(not comparing)

    def _bottom_plots_follow_tab(self) -> None:
        """The CPU and cores plots show the first compared run under Compare, the
        window's run elsewhere."""
        compare = self.teaching._compare_view
        run: Run | None = self.presenter.run
        title = ""
        if self.teaching.tabs.currentWidget() is compare and compare and compare.runs:
            run, title = compare.runs[0], " — A"
        if self._bottom_run is not run:
            self._bottom_run = run
            self.cpu_view.set_run(run)
            self.cores_view.set_run(run)
        self.title_bottom_docks(run, title)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.desktop.confirm_close():  # an unsaved run: Save / Discard / Cancel
            event.ignore()
            return
        self.teaching.shutdown()
        super().closeEvent(event)  # ends every experiment process of a live run
