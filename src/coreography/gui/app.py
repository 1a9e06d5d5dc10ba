"""Start the window: the QApplication, the theme, the main window, and the desktop
habits around them (one window per user, Ctrl-C from a terminal, a log file)."""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading

from PySide6.QtCore import QSocketNotifier, Qt, QTimer
from PySide6.QtWidgets import QApplication

from coreography.gui import theme
from coreography.gui.first_paint import after_first_paint
from coreography.gui.main_window import MainWindow

log = logging.getLogger("coreography.gui")

#: What a shell reports for a program ended by Ctrl-C (128 + SIGINT).
EXIT_INTERRUPTED = 130


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
    """Open the window (and a recording or a script given as the first argument); run
    until closed.

    A second launch hands its file to the window already open and exits (``--new-window``
    or COREOGRAPHY_NEW_INSTANCE=1 opens another); Ctrl-C in the terminal closes the
    window as the close button would (a second Ctrl-C quits at once) and exits with 130.
    """
    from coreography.gui.single_instance import InstanceServer, hand_over
    from coreography.logs import setup_logging

    args = list(sys.argv[1:] if argv is None else argv)
    new_window = "--new-window" in args or os.environ.get("COREOGRAPHY_NEW_INSTANCE") == "1"
    args = [a for a in args if a != "--new-window"]
    path = args[0] if args and not args[0].startswith("-") else ""
    app = create_app(args)
    if not new_window and hand_over(path):
        print("coreography: handed over to the window already open", file=sys.stderr)
        return 0
    # Ctrl-C is caught before the window is built: one typed while it starts (seconds on
    # a busy machine) closes it as soon as it is up, never halfway through its making.
    sigint = _SigintGate(app)
    log_file = setup_logging()
    log.info("window starting (log %s)", log_file)
    server = InstanceServer()
    if not new_window and not server.listen():
        log.warning("no single-instance socket: %s", server.name)
    settings = _settings()
    # What the first paint does not show (what the Lessons and History docks list, the
    # icon, the controls' accessible names) comes just after it (_on_first_paint).
    window = MainWindow(defer=True)
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    _attach_desktop(window, settings)
    server.sig_file_received.connect(lambda p, w=window: _on_handed_file(w, p))
    interrupted = sigint.attach(window)
    # The first run's driver (a fresh interpreter loading the engine) starts once the
    # window is on screen: started before, it took the CPU the window's making needed
    # (a fifth of a second on two cores), and it is still ready long before a first Run
    # can be pressed. The window completes itself meanwhile.
    after_first_paint(window, lambda w=window: _on_first_paint(w))
    window.show()
    if path:
        open_argument(window, path)
    elif window.desktop.settings is not None and window.desktop.settings.first_run:
        _welcome(window)
    code = app.exec()
    from coreography.engine.standby import release_early

    release_early()  # if no run took it
    server.close()
    log.info("window closed")
    return EXIT_INTERRUPTED if interrupted() else code


def _on_first_paint(window: MainWindow) -> None:
    _start_driver_early()
    # One more turn of the event loop: what the first paint queued goes first.
    QTimer.singleShot(0, window, window.complete)


def _start_driver_early() -> None:
    """In a thread of its own, as the controller starts its next driver: spawning a
    process from a large one can take a tenth of a second on a busy machine, and the
    window answers meanwhile (a run that wants the driver waits for its start). Then
    what apps killed earlier left in the temporary folder goes (a scan of the folder,
    and psutil asked about each log found: tens of ms the first paint need not wait
    for)."""
    threading.Thread(target=_early_work, name="coreography-standby", daemon=True).start()


def _early_work() -> None:
    from coreography.engine.cleanup import remove_stale_files
    from coreography.engine.standby import start_early

    start_early()
    remove_stale_files()


def _on_handed_file(window: MainWindow, path: str) -> None:
    """A later launch's file: open it here, and bring this window to the front."""
    log.info("a later launch handed over: %s", path or "(no file)")
    window.showNormal() if window.isMinimized() else window.show()
    window.raise_()
    window.activateWindow()
    if path:
        open_argument(window, path)


def open_argument(window: MainWindow, path: str) -> bool:
    """The file named on the command line: a script (``.py``) is chosen in the
    Experiment dock, ready to run (as File → Open Script does; nothing runs); anything
    else opens as a recording (a bad one is explained)."""
    from coreography.gui.recent_files import kind_of

    if kind_of(path) == "script":
        return window.desktop.scripts.open_script(path)
    return window.open_recording(path) is not None


class _SigintGate:
    """Ctrl-C from the terminal closes the window (asking about an unsaved run, as the
    close button does); a second one quits without asking.

    Qt's event loop does not return to Python for a signal, so the handler only counts
    it, and ``signal.set_wakeup_fd`` writes a byte to a socket that Qt watches: the
    window closes from the event loop. Made before the window, so that a Ctrl-C while
    it is being built is kept and acted on once it is up.
    """

    def __init__(self, app: QApplication) -> None:
        self.app = app
        self.count = 0
        self.window: MainWindow | None = None
        self.reader: socket.socket | None = None
        if not hasattr(signal, "SIGINT"):
            return
        try:
            reader, writer = socket.socketpair()
            reader.setblocking(False)
            writer.setblocking(False)
            signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
        except (OSError, ValueError):  # not the main thread, or no socketpair here
            return
        self.reader = reader
        signal.signal(signal.SIGINT, self._on_sigint)
        notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, app)
        notifier.activated.connect(self._on_wakeup)
        # The app keeps the notifier and both socket ends alive as long as it runs (a
        # window opened again in the same process replaces the earlier ones).
        earlier = getattr(app, "_coreography_sigint", None)
        if earlier is not None:
            earlier[0].setEnabled(False)
            for end in earlier[1:]:
                end.close()
        app._coreography_sigint = (notifier, reader, writer)  # type: ignore[attr-defined]

    def _on_sigint(self, _signum: int, _frame: object) -> None:
        self.count += 1  # runs at the next Python bytecode; the notifier wakes the loop

    def attach(self, window: MainWindow):
        """Act on Ctrl-C for ``window`` from now on (and on one typed while it was
        built, once the event loop runs). Returns a function telling whether Ctrl-C
        ended the app."""
        self.window = window
        return lambda: self.count > 0

    def _on_wakeup(self) -> None:
        if self.reader is not None:
            try:
                self.reader.recv(64)
            except OSError:
                pass
        window = self.window
        if window is None:  # still being built: the count waits for attach()
            if self.count:
                QTimer.singleShot(50, self._on_wakeup)
            return
        if self.count == 1:
            log.info("Ctrl-C: closing the window")
            window.close()
        elif self.count > 1:
            log.info("Ctrl-C again: quitting")
            window.desktop.ask_unsaved = None
            self.app.quit()


def _settings():
    """The user's settings, read before the window is built: the application wears their
    theme from the start, so that the window's widgets are styled once, as they are made
    (styling a built window again costs tens of milliseconds)."""
    from coreography.gui.look import apply_app_look
    from coreography.gui.settings import Settings

    settings = Settings()
    apply_app_look(theme.resolve(settings.theme))
    return settings


def _attach_desktop(window: MainWindow, settings) -> None:
    """The running app remembers its settings and asks before losing an unsaved run (the
    window alone, as tests create it, does neither)."""
    from coreography.gui.desktop import ask_unsaved_dialog

    window.desktop.attach(settings)
    window.desktop.ask_unsaved = lambda: ask_unsaved_dialog(window)


def _welcome(window: MainWindow) -> None:
    from coreography.gui.desktop_menus import show_lessons

    window.desktop.settings.mark_welcomed()
    show_lessons(window.desktop, welcome=True)


if __name__ == "__main__":
    sys.exit(main())
