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
    window.show()
    if args and not args[0].startswith("-"):
        window.open_recording(args[0])
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
