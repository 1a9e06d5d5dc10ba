"""A window made with ``defer`` (as the app makes it): the docks the first paint does not
show get their panels just after it, or on first use, and nothing else changes."""

from __future__ import annotations

from PySide6.QtWidgets import QDockWidget

from coreography.gui.accessibility import focusable_controls
from coreography.gui.app import create_app
from coreography.gui.main_window import MainWindow
from coreography.gui.parts import DockId, MenuId
from coreography.gui.widgets.history_panel import HistoryPanel
from coreography.gui.widgets.lesson_panel import LessonPanel
from coreography.lessons.registry import all_lessons


def _deferred(qtbot) -> MainWindow:
    create_app()
    win = MainWindow(defer=True)
    qtbot.addWidget(win)
    return win


def _docks_in_view(win: MainWindow) -> dict[str, tuple[int, int, int, int]]:
    return {
        dock.objectName(): dock.geometry().getRect()
        for dock in win.findChildren(QDockWidget)
        if not dock.visibleRegion().isEmpty()
    }


def _menu_texts(win: MainWindow, menu_id: MenuId) -> list[str]:
    return [action.text() for action in win.menu(menu_id).actions()]


def test_a_deferred_window_has_every_dock_and_completes_as_a_whole_one(qtbot):
    create_app()
    whole = MainWindow()
    qtbot.addWidget(whole)
    win = _deferred(qtbot)
    # Every dock is there from the start (a saved layout finds them), and those in view
    # are where a whole window has them.
    names = sorted(d.objectName() for d in win.findChildren(QDockWidget))
    assert names == sorted(d.objectName() for d in whole.findChildren(QDockWidget))
    for shown in (whole, win):
        shown.resize(1280, 720)
        shown.show()
        qtbot.waitExposed(shown)
    qtbot.wait(50)  # laid out
    assert _docks_in_view(win) == _docks_in_view(whole)
    # Behind the Experiment and Metrics tabs: the lessons are not read yet.
    assert not win.teaching._completed
    assert win.dock(DockId.LESSONS).widget().lessons == ()
    assert win.dock(DockId.HISTORY).widget().history is None
    docks = _docks_in_view(win)
    win.complete()
    win.complete()  # idempotent
    qtbot.wait(20)
    assert _docks_in_view(win) == docks  # nothing moved
    assert isinstance(win.dock(DockId.LESSONS).widget(), LessonPanel)
    assert isinstance(win.dock(DockId.HISTORY).widget(), HistoryPanel)
    assert win.teaching.lesson_panel.lessons == all_lessons()
    assert win.teaching.history_panel.history is win.teaching.history is not None
    assert _menu_texts(win, MenuId.LESSONS) == _menu_texts(whole, MenuId.LESSONS)
    assert not win.windowIcon().isNull()
    missing = [
        f"{type(w).__name__} {w.objectName()!r}"
        for w in focusable_controls(win)
        if not (w.accessibleName() and w.toolTip())
    ]
    assert not missing, missing
    assert _docks_in_view(win) == _docks_in_view(whole)
    win.close()
    whole.close()


def test_the_lessons_menu_and_the_lesson_keys_build_the_panels_on_first_use(qtbot):
    win = _deferred(qtbot)
    win.show()
    qtbot.waitExposed(win)
    win.menu(MenuId.LESSONS).aboutToShow.emit()  # opened before the window completed
    assert len(_menu_texts(win, MenuId.LESSONS)) == 2 + len(all_lessons())
    assert win.dock(DockId.LESSONS).widget().lessons == all_lessons()
    other = _deferred(qtbot)
    assert other.open_lesson() is not None  # R: the Lessons dock's lesson
    assert other.teaching.history is not None
    win.close()


def test_a_saved_layout_showing_the_lessons_dock_shows_its_panel_at_once(qtbot):
    create_app()
    whole = MainWindow()
    qtbot.addWidget(whole)
    whole.show()
    qtbot.waitExposed(whole)
    whole.teaching.lessons_dock.raise_()
    qtbot.waitUntil(lambda: not whole.teaching.lessons_dock.visibleRegion().isEmpty())
    state = whole.saveState()
    whole.close()
    win = _deferred(qtbot)
    assert win.restoreState(state)
    win.show()  # its lessons are read as the dock is shown, before the first paint
    assert win.teaching._completed
    assert win.dock(DockId.LESSONS).widget().lessons == all_lessons()
    qtbot.waitExposed(win)
    assert win.teaching.lesson_panel.isVisible()
    win.close()


def test_a_deferred_window_closed_before_completing_opens_no_history(qtbot):
    win = _deferred(qtbot)
    win.show()
    qtbot.waitExposed(win)
    win.close()
    assert win.teaching._history is None
