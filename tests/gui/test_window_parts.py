"""The composed window: stable dock and menu names, menus in order, docks toggled from View."""

from __future__ import annotations

from PySide6.QtWidgets import QDockWidget, QMenu

from coreography.gui.main_window import MainWindow
from coreography.gui.parts import DockId, MenuId
from coreography.gui.settings import Settings

DOCK_TITLES = {
    "experiment": "Experiment",
    "metrics": "Metrics",
    "cpu_per_core": "CPU per core",
    "cores": "Cores",
    "console": "Console",
    "lessons": "Lessons",
    "history": "History",
    "findings": "Findings",
}


def _text(action) -> str:
    return action.text().replace("&", "")


def test_docks_and_menus_have_stable_object_names(qtbot, window):
    docks = {dock.objectName(): dock.windowTitle() for dock in window.findChildren(QDockWidget)}
    assert docks == DOCK_TITLES  # saved layouts name docks by these: they must not change
    assert {str(dock_id) for dock_id in DockId} == set(DOCK_TITLES)
    bar = [action.menu().objectName() for action in window.menuBar().actions()]
    assert bar == ["menu_file", "menu_run", "menu_view", "menu_lessons", "menu_help"]
    assert window.findChild(QMenu, MenuId.EXPORT) is window.menu(MenuId.EXPORT)


def test_file_has_one_export_submenu_and_ends_with_quit_help_is_last(qtbot, window):
    file_actions = [a for a in window.menu(MenuId.FILE).actions() if not a.isSeparator()]
    submenus = [a for a in file_actions if a.menu() is not None]
    assert [_text(a) for a in submenus] == ["Open Recent", "Export"]
    exports = submenus[1:]
    export_entries = [_text(a) for a in exports[0].menu().actions() if not a.isSeparator()]
    # The window's own exports and the desktop's pictures share the one submenu.
    assert "CSV of tasks…" in export_entries and "Current view as SVG…" in export_entries
    assert _text(file_actions[-1]) == "Quit"
    assert _text(window.menuBar().actions()[-1]) == "Help"


def test_each_view_toggle_hides_and_shows_its_dock(qtbot, window):
    view_actions = {a.objectName(): a for a in window.menu(MenuId.VIEW).actions()}
    for dock_id, title in DOCK_TITLES.items():
        dock = window.dock(dock_id)
        toggle = view_actions[f"toggle_{dock_id}"]
        assert _text(toggle) == title and toggle.isEnabled() and toggle.isCheckable()
        dock.show()
        dock.raise_()
        qtbot.waitUntil(dock.isVisible, timeout=2000)
        assert toggle.isChecked()
        toggle.trigger()  # as a click in the View menu does
        qtbot.waitUntil(lambda d=dock: not d.isVisible(), timeout=2000)
        assert not toggle.isChecked()
        toggle.trigger()
        qtbot.waitUntil(dock.isVisible, timeout=2000)
        assert toggle.isChecked()


def test_a_layout_saved_by_one_window_restores_in_the_next(qtbot, window, tmp_path):
    path = tmp_path / "settings.ini"
    window.desktop.attach(Settings.at(path))
    window.dock(DockId.CONSOLE).close()  # closed from its title bar
    window.desktop.save()
    assert not window.dock(DockId.CONSOLE).isVisible()

    again = MainWindow()
    qtbot.addWidget(again)
    again.show()
    qtbot.waitExposed(again)
    assert again.dock(DockId.CONSOLE).isVisible()  # a new window shows every dock...
    again.desktop.attach(Settings.at(path))
    qtbot.waitUntil(lambda: not again.dock(DockId.CONSOLE).isVisible(), timeout=2000)
    assert again.dock(DockId.METRICS).isVisible()  # ...until the saved layout is restored
    toggle = again.dock(DockId.CONSOLE).toggleViewAction()
    assert not toggle.isChecked()
    toggle.trigger()  # and View brings the closed dock back
    qtbot.waitUntil(again.dock(DockId.CONSOLE).isVisible, timeout=2000)
    again.close()


def test_the_code_tab_shows_the_panels_program_when_first_shown(qtbot, window):
    """The Code view writes its program when shown (not with every setting while hidden):
    shown, it is the program of what the panel holds now."""
    from coreography.gui.widgets import code_view as module
    from coreography.model.codegen import generate

    teaching, panel = window.teaching, window.experiment_panel
    view = teaching.code_view
    assert not view.isVisible()  # behind the timeline at start
    panel.workers.setValue(3)
    panel.model.setCurrentText("processes")
    assert view.copy_button.isEnabled()
    teaching.show_tab(view)
    qtbot.waitUntil(view.isVisible)
    wanted = generate(panel.experiment(), *module._work_constants())
    assert view.text.toPlainText() == wanted == view.source()
    panel.workers.setValue(2)  # shown: it follows at once
    assert view.text.toPlainText() == generate(panel.experiment(), *module._work_constants())
    teaching.tabs.setCurrentIndex(0)  # the timeline
    qtbot.waitUntil(lambda: not view.isVisible())
    panel.workers.setValue(4)  # hidden again: asked for, the source is still the panel's
    assert view.source() == generate(panel.experiment(), *module._work_constants())
