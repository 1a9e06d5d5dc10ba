"""The menu entries and shortcuts of the desktop conventions (View, Export, Help)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QApplication, QDockWidget, QFileDialog, QMenu, QWidget

from coreography.gui import dialogs, export
from coreography.gui.theme import THEME_CHOICES, THEMES

THEME_TITLES = {"system": "Follow the system", **{k: t.title for k, t in THEMES.items()}}


class DesktopActions:
    """The actions added to the window (kept so their state can follow the desktop's)."""

    def __init__(self) -> None:
        self.presentation: QAction | None = None
        self.pause: QAction | None = None
        self.themes: dict[str, QAction] = {}

    def sync_theme(self, choice: str, presentation_choice: str) -> None:
        presenting = self.presentation is not None and self.presentation.isChecked()
        shown = presentation_choice if presenting else choice
        for name, action in self.themes.items():
            action.setChecked(name == shown)


def _menu(window, title: str) -> QMenu:
    for action in window.menuBar().actions():
        if action.menu() is not None and action.text().replace("&", "") == title:
            return action.menu()
    return window.menuBar().addMenu(f"&{title}")


def _submenu(menu: QMenu, title: str) -> QMenu:
    for action in menu.actions():
        if action.menu() is not None and action.text().replace("&", "") == title:
            return action.menu()
    return menu.addMenu(title)


def _add(window, menu, text, handler, keys=(), tip="", checkable=False) -> QAction:
    action = QAction(text, window)
    if keys:
        action.setShortcuts([QKeySequence(k) for k in keys])
    action.setToolTip(tip or text.replace("&", "").rstrip("…"))
    action.setCheckable(checkable)
    action.triggered.connect(handler)
    menu.addAction(action)
    return action


def add_menus(desktop) -> DesktopActions:
    """View → presentation, zoom, theme, pause, layout; File → Export → pictures; Help."""
    window = desktop.window
    presentation = desktop.presentation
    actions = DesktopActions()
    view = _menu(window, "View")
    view.addSeparator()
    actions.presentation = _add(
        window,
        view,
        "&Presentation mode",
        presentation.toggle,
        ["F11"],
        "Full screen, larger, high contrast: for projecting to a class",
        checkable=True,
    )
    _add(window, view, "Zoom &in", presentation.zoom_in, ["Ctrl+=", "Ctrl++"])
    _add(window, view, "Zoom &out", presentation.zoom_out, ["Ctrl+-"])
    _add(window, view, "&Reset zoom", presentation.zoom_reset, ["Ctrl+0"])
    themes_menu = view.addMenu("&Theme")
    group = QActionGroup(window)
    for name in THEME_CHOICES:
        action = _add(
            window,
            themes_menu,
            THEME_TITLES[name],
            lambda _checked=False, n=name: desktop.set_theme(n),
            checkable=True,
        )
        group.addAction(action)
        actions.themes[name] = action
    actions.pause = _add(
        window,
        view,
        "&Pause or resume view",
        desktop.toggle_pause,
        ["P"],
        "Freeze the views while the run goes on; drag the slider through its history",
    )
    _add(window, view, "&Next caption", desktop.caption.next_caption, ["N"])
    view.addSeparator()
    _add(window, view, "Reset &layout", desktop.reset_layout, tip="Docks back where they start")

    file_menu = _menu(window, "File")
    pictures = _submenu(file_menu, "&Export")
    pictures.addSeparator()
    _add(window, pictures, "Current view as PNG…", lambda: _export_current(desktop, "png"))
    _add(window, pictures, "Current view as SVG…", lambda: _export_current(desktop, "svg"))
    _add(window, pictures, "Every view (PNG and SVG)…", lambda: _export_all(desktop))
    _add(
        window,
        pictures,
        "&Copy current view",
        lambda: export.copy_widget(current_view(window)),
        ["Ctrl+Shift+C"],
        "Copy the view with the keyboard focus as a picture",
    )

    help_menu = _menu(window, "Help")
    _add(window, help_menu, "&Lessons…", lambda: show_lessons(desktop), ["Ctrl+L"])
    _add(
        window,
        help_menu,
        "&Keyboard shortcuts",
        lambda: dialogs.shortcuts_dialog(window).open(),
        ["F1"],
    )
    _add(window, help_menu, "&About Coreography", lambda: dialogs.about_dialog(window).open())
    return actions


def show_lessons(desktop, welcome: bool = False) -> dialogs.LessonsDialog:
    """Help → Lessons (or the first-run welcome): choosing one loads it."""
    dialog = dialogs.LessonsDialog(desktop.window, welcome=welcome)
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
    for dock in window.findChildren(QDockWidget):
        if dock.isVisible() and dock.widget() is not None:
            views.append((dock.windowTitle(), dock.widget()))
    return views


def _export_current(desktop, kind: str) -> None:
    window = desktop.window
    name = {"png": "PNG image (*.png)", "svg": "SVG drawing (*.svg)"}[kind]
    path, _ = QFileDialog.getSaveFileName(window, f"Export view as {kind.upper()}", "", name)
    if not path:
        return
    if not path.lower().endswith(f".{kind}"):
        path += f".{kind}"
    try:
        export.export_widget(current_view(window), path)
    except export.ExportError as error:
        window.show_error("Cannot export", str(error))
        return
    window.statusBar().showMessage(f"Wrote {path}", 5000)


def _export_all(desktop) -> None:
    window = desktop.window
    folder = QFileDialog.getExistingDirectory(window, "Export every view to a folder")
    if not folder:
        return
    try:
        written = export.export_many(all_views(window), folder, parent=window)
    except export.ExportError as error:
        window.show_error("Cannot export", str(error))
        return
    window.statusBar().showMessage(f"Wrote {len(written)} files to {folder}", 5000)
