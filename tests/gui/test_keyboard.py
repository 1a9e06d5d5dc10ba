"""The keyboard alone: choose a lesson, run it, find every shortcut in Help."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from coreography.gui.desktop_menus import show_lessons
from coreography.gui.dialogs import about_text, shortcut_rows
from coreography.lessons.registry import all_lessons
from tests.gui.conftest import wait_over


def test_help_lists_every_shortcut(qtbot, window):
    keys = dict(shortcut_rows(window))
    for name in ("Presentation mode", "Zoom in", "Reset zoom", "Keyboard shortcuts", "Lessons"):
        assert name in keys, sorted(keys)
    assert keys["Presentation mode"] == "F11"
    assert "Ctrl+=" in keys["Zoom in"]
    assert "Python" in about_text() and "Qt" in about_text() and "MIT" in about_text()


def test_tab_reaches_the_run_button(qtbot, window):
    window.experiment_panel.model.setFocus()
    seen = set()
    for _ in range(60):
        widget = QApplication.focusWidget()
        seen.add(widget)
        if widget is window.experiment_panel.run_button:
            break
        qtbot.keyClick(widget, Qt.Key.Key_Tab)
    assert window.experiment_panel.run_button in seen


@pytest.mark.slow
def test_keyboard_only_lesson_run(qtbot, window):
    window.desktop.lesson_scale = "tiny"
    dialog = show_lessons(window.desktop, welcome=True)
    qtbot.waitExposed(dialog)
    qtbot.keyClick(dialog.list, Qt.Key.Key_Down)  # lesson 2: a pool of squares
    qtbot.keyClick(dialog.list, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    lesson = all_lessons()[1]
    assert window.desktop.caption.isVisible()
    assert window.experiment_panel.experiment().model == "pool-map"
    assert window.experiment_panel.experiment().tasks <= 10
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.presenter.run is not None, timeout=5000)
    wait_over(qtbot, window)
    assert window.presenter.run.state == "finished"
    assert lesson.captions[0] in window.desktop.caption.text()
