"""The composition root: builds the window, then the desktop tools, then the teaching tools.

Each part is given what it needs and they meet only here: the window knows neither tool,
the desktop tools know the window, the teaching tools know the window. To add a view,
make a widget with ``set_run``/``refresh`` (:class:`coreography.gui.parts.RunView`), give
it a :class:`~coreography.gui.parts.DockId` and add it below with ``add_dock``/``add_view``.
"""

from __future__ import annotations

from PySide6.QtGui import QCloseEvent

from coreography.gui.desktop import Desktop
from coreography.gui.presenter import Controller
from coreography.gui.run_files import RECORDING_FILTER
from coreography.gui.teaching import TeachingTools
from coreography.gui.window import AppWindow
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
    """

    def __init__(
        self,
        controller: Controller | None = None,
        history: History | None = None,
        lesson_scale: str = "full",
    ) -> None:
        super().__init__(controller)
        # themes, presentation, pause/scrub, settings, help, picture export
        self.desktop = Desktop(self, lesson_scale)
        # lessons, history, comparison, code, sweeps
        self.teaching = TeachingTools(self, history, lesson_scale)
        self._connect_tools()
        self.desktop.finish()  # every dock and menu is there now

    def _connect_tools(self) -> None:
        desktop, teaching = self.desktop, self.teaching
        teaching.lesson_panel.sig_lesson_run_requested.connect(desktop.show_captions)
        teaching.sig_views_added.connect(desktop.apply_look)
        desktop.sig_lesson_loaded.connect(self._on_desktop_lesson_loaded)

    def _on_desktop_lesson_loaded(self, lesson) -> None:
        self.teaching.show_lessons(lesson.id)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.desktop.confirm_close():  # an unsaved run: Save / Discard / Cancel
            event.ignore()
            return
        self.teaching.shutdown()
        super().closeEvent(event)  # ends every experiment process of a live run
