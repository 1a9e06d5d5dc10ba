"""Start the window: the QApplication, the theme and the main window."""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from coreography.gui import theme
from coreography.gui.main_window import MainWindow


def create_app(argv: list[str] | None = None) -> QApplication:
    """The QApplication (existing or new), with the plot theme applied."""
    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "coreography", *(argv or [])])
    app.setApplicationName("Coreography")
    app.setOrganizationName("Coreography")
    theme.apply_plot_defaults()
    return app  # type: ignore[return-value]


def main(argv: list[str] | None = None) -> int:
    """Open the window (and a recording given as the first argument); run until closed."""
    args = list(sys.argv[1:] if argv is None else argv)
    app = create_app(args)
    window = MainWindow()
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    _attach_desktop(window)
    window.show()
    if args and not args[0].startswith("-"):
        window.open_recording(args[0])
    elif window.desktop.settings is not None and window.desktop.settings.first_run:
        _welcome(window)
    return app.exec()


def _attach_desktop(window: MainWindow) -> None:
    """The running app remembers its settings and asks before losing an unsaved run (the
    window alone, as tests create it, does neither)."""
    from coreography.gui.desktop import ask_unsaved_dialog
    from coreography.gui.settings import Settings

    window.desktop.attach(Settings())
    window.desktop.ask_unsaved = lambda: ask_unsaved_dialog(window)


def _welcome(window: MainWindow) -> None:
    from coreography.gui.desktop_menus import show_lessons

    window.desktop.settings.mark_welcomed()
    show_lessons(window.desktop, welcome=True)


if __name__ == "__main__":
    sys.exit(main())
