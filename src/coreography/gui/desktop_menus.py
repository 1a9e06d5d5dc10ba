"""The menu entries and shortcuts of the desktop conventions (View, Export, Help)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QApplication, QDockWidget, QWidget

from coreography.gui.actions import add_action, ask_folder, ask_path
from coreography.gui.parts import MenuId
from coreography.gui.theme import THEME_CHOICES, THEMES

if TYPE_CHECKING:  # the dialogs and the exports load when first used
    from coreography.gui import dialogs

THEME_TITLES = {"system": "Follow the system", **{k: t.title for k, t in THEMES.items()}}


class DesktopActions:
    """The actions added to the window (kept so their state can follow the desktop's)."""

    def __init__(self) -> None:
        self.presentation: QAction | None = None
        self.pause: QAction | None = None
        self.themes: dict[str, QAction] = {}

    def sync_theme(self, choice: str) -> None:
        for name, action in self.themes.items():
            action.setChecked(name == choice)


def add_menus(desktop) -> DesktopActions:
    """View → presentation, zoom, theme, pause, layout; File → Export → pictures; Help."""
    window = desktop.window
    presentation = desktop.presentation
    actions = DesktopActions()
    view = window.menu(MenuId.VIEW)  # below the dock toggles and their separator
    actions.presentation = add_action(
        window,
        view,
        "&Presentation mode",
        presentation.toggle,
        ["F11"],
        "Full screen and larger, in the chosen theme: for projecting to a class",
        checkable=True,
    )
    add_action(window, view, "Zoom &in", presentation.zoom_in, ["Ctrl+=", "Ctrl++"])
    add_action(window, view, "Zoom &out", presentation.zoom_out, ["Ctrl+-"])
    add_action(window, view, "&Reset zoom", presentation.zoom_reset, ["Ctrl+0"])
    themes_menu = view.addMenu("&Theme")
    group = QActionGroup(window)
    for name in THEME_CHOICES:
        action = add_action(
            window,
            themes_menu,
            THEME_TITLES[name],
            partial(_set_theme, desktop, name),
            checkable=True,
        )
        group.addAction(action)
        actions.themes[name] = action
    actions.pause = add_action(
        window,
        view,
        "&Pause or resume view",
        desktop.toggle_pause,
        ["P"],
        "Freeze the views while the run goes on; drag the slider through its history",
    )
    add_action(window, view, "&Next caption", desktop.caption.next_caption, ["N"])
    add_action(
        window, view, "Next t&heme", desktop.cycle_theme, ["T"], "Light, dark, high contrast"
    )
    view.addSeparator()
    add_action(
        window, view, "Reset &layout", desktop.reset_layout, tip="Docks back where they start"
    )

    pictures = window.menu(MenuId.EXPORT)
    pictures.addSeparator()
    add_action(window, pictures, "Current view as PNG…", lambda: _export_current(desktop, "png"))
    add_action(window, pictures, "Current view as SVG…", lambda: _export_current(desktop, "svg"))
    add_action(window, pictures, "Every view (PNG and SVG)…", lambda: _export_all(desktop))
    add_action(
        window,
        pictures,
        "&Copy current view",
        lambda: _export().copy_widget(current_view(window)),
        ["Ctrl+Shift+C"],
        "Copy the view with the keyboard focus as a picture",
    )

    help_menu = window.menu(MenuId.HELP)
    add_action(window, help_menu, "&Lessons…", lambda: show_lessons(desktop), ["Ctrl+L"])
    add_action(
        window,
        help_menu,
        "&Keyboard shortcuts",
        lambda: _dialogs().shortcuts_dialog(window).open(),
        ["F1"],
    )
    add_action(
        window,
        help_menu,
        "Open &log folder",
        _open_log_folder,
        tip="The folder of coreography.log, to attach to a bug report",
    )
    add_action(
        window, help_menu, "&About Coreography", lambda: _dialogs().about_dialog(window).open()
    )
    return actions


def _open_log_folder() -> None:
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    from coreography.logs import log_dir

    folder = log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


def _set_theme(desktop, name: str, _checked: bool = False) -> None:
    desktop.set_theme(name)


def show_lessons(desktop, welcome: bool = False) -> dialogs.LessonsDialog:
    """Help → Lessons (or the first-run welcome): choosing one loads it."""
    dialog = _dialogs().LessonsDialog(desktop.window, welcome=welcome)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.accepted.connect(lambda: dialog.chosen and desktop.load_lesson(dialog.chosen))
    dialog.open()
    desktop.lessons_dialog = dialog
    return dialog


def current_view(window) -> QWidget:
    """The view holding the keyboard focus (its dock's content), else the timeline."""
    widget = QApplication.focusWidget()
    while widget is not None and widget is not window:
        parent = widget.parentWidget()
        if isinstance(parent, QDockWidget):
            return parent.widget()
        widget = parent
    return window.timeline


def all_views(window) -> list[tuple[str, QWidget]]:
    views = [("Timeline", window.timeline)]
    for dock in window.docks.values():
        if dock.isVisible() and dock.widget() is not None:
            views.append((dock.windowTitle(), dock.widget()))
    return views


def _export_current(desktop, kind: str) -> None:
    window = desktop.window
    name = {"png": "PNG image (*.png)", "svg": "SVG drawing (*.svg)"}[kind]
    path = ask_path(window, f"Export view as {kind.upper()}", name, True, f".{kind}")
    if not path:
        return
    export = _export()
    try:
        export.export_widget(current_view(window), path)
    except export.ExportError as error:
        window.show_error("Cannot export", str(error))
        return
    window.statusBar().showMessage(f"Wrote {path}", 5000)


def _export_all(desktop) -> None:
    window = desktop.window
    folder = ask_folder(window, "Export every view to a folder")
    if not folder:
        return
    export = _export()
    try:
        written = export.export_many(all_views(window), folder, parent=window)
    except export.ExportError as error:
        window.show_error("Cannot export", str(error))
        return
    window.statusBar().showMessage(f"Wrote {len(written)} files to {folder}", 5000)


def _dialogs():
    from coreography.gui import dialogs

    return dialogs


def _export():
    from coreography.gui import export

    return export
