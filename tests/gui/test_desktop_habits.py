"""Desktop habits of the running app: Ctrl-C, one window per user, a log, licenses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coreography.gui import dialogs
from coreography.gui.single_instance import InstanceServer, hand_over
from coreography.logs import setup_logging

ROOT = Path(__file__).resolve().parents[2]


def _app_env(tmp_path: Path, name: str) -> dict[str, str]:
    home = tmp_path / "home"
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "COREOGRAPHY_LOG_DIR": str(tmp_path / "log"),
        "COREOGRAPHY_INSTANCE_NAME": name,
    }
    env.pop("COREOGRAPHY_NEW_INSTANCE", None)
    return env


def _wait_for_log(tmp_path: Path, text: str, timeout: float = 60.0) -> str:
    path = tmp_path / "log" / "coreography.log"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = path.read_text(encoding="utf-8") if path.exists() else ""
        if text in content:
            return content
        time.sleep(0.1)
    pytest.fail(f"{text!r} never reached the log: {path}")


def _start_app(env: dict[str, str], *args: str) -> subprocess.Popen:
    """The real app in a process of its own; its stderr goes to $COREOGRAPHY_LOG_DIR."""
    log = Path(env["COREOGRAPHY_LOG_DIR"])
    log.mkdir(parents=True, exist_ok=True)
    with open(log / f"stderr-{len(list(log.glob('stderr-*')))}.txt", "w") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "coreography", *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


def _stderr(tmp_path: Path) -> str:
    return "\n".join(p.read_text() for p in sorted((tmp_path / "log").glob("stderr-*")))


@pytest.mark.slow
def test_ctrl_c_in_the_terminal_closes_the_window_with_130(tmp_path):
    app = _start_app(_app_env(tmp_path, f"coreo-test-{os.getpid()}-sigint"))
    try:
        _wait_for_log(tmp_path, "window starting")
        time.sleep(0.5)  # the event loop runs
        app.send_signal(signal.SIGINT)
        assert app.wait(timeout=30) == 130, _stderr(tmp_path)
        assert "Ctrl-C: closing the window" in _wait_for_log(tmp_path, "window closed")
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()


@pytest.mark.slow
def test_ctrl_c_while_the_window_is_being_built_still_closes_it_with_130(tmp_path):
    app = _start_app(_app_env(tmp_path, f"coreo-test-{os.getpid()}-early-sigint"))
    try:
        _wait_for_log(tmp_path, "window starting")
        app.send_signal(signal.SIGINT)  # at once: the window is still being made
        assert app.wait(timeout=60) == 130, _stderr(tmp_path)
        assert "Traceback" not in _stderr(tmp_path)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()


@pytest.mark.slow
def test_a_second_launch_hands_its_file_to_the_first_window(tmp_path):
    env = _app_env(tmp_path, f"coreo-test-{os.getpid()}-single")
    first = _start_app(env)
    try:
        _wait_for_log(tmp_path, "window starting")
        wanted = tmp_path / "somebody.coreo.json"
        second = subprocess.run(
            [sys.executable, "-m", "coreography", str(wanted)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 0, second.stderr
        assert "handed over to the window already open" in second.stderr
        assert first.poll() is None  # the first window is still open
        _wait_for_log(tmp_path, f"a later launch handed over: {wanted}")
        # --new-window opts out: a window of its own, which does not hand over
        other = _start_app(env, "--new-window")
        try:
            time.sleep(1.0)
            assert other.poll() is None
        finally:
            other.send_signal(signal.SIGINT)
            other.wait(timeout=30)
    finally:
        first.send_signal(signal.SIGINT)
        try:
            first.wait(timeout=30)
        except subprocess.TimeoutExpired:
            first.kill()
            first.wait()


def test_the_instance_server_receives_what_a_later_launch_sends(qtbot, tmp_path):
    server = InstanceServer(f"coreo-test-{os.getpid()}-inproc")
    assert server.listen()
    try:
        with qtbot.waitSignal(server.sig_file_received, timeout=5000) as blocker:
            assert hand_over(str(tmp_path / "run.coreo.json"), server.name)
        assert blocker.args == [str(tmp_path / "run.coreo.json")]
        with qtbot.waitSignal(server.sig_file_received, timeout=5000) as blocker:
            assert hand_over("", server.name)
        assert blocker.args == [""]
    finally:
        server.close()
    assert not hand_over("", server.name)  # nobody listens now


def test_a_socket_left_by_a_killed_app_is_taken_over(qtbot):
    name = f"coreo-test-{os.getpid()}-stale"
    first = InstanceServer(name)
    assert first.listen()
    second = InstanceServer(name)  # as after a crash: the name is still taken
    assert second.listen()
    first.close()
    second.close()


def test_the_log_file_gets_messages_and_uncaught_exceptions(tmp_path, monkeypatch):
    import logging

    monkeypatch.setenv("COREOGRAPHY_LOG_DIR", str(tmp_path))
    root = logging.getLogger("coreography")
    # A window started earlier in the suite may have set up the log already.
    earlier = [h for h in root.handlers if getattr(h, "coreography_file", False)]
    for handler in earlier:
        root.removeHandler(handler)
    before = list(root.handlers)
    monkeypatch.setattr(sys, "excepthook", lambda *a: None)
    try:
        path = setup_logging()
        assert path == tmp_path / "coreography.log"
        logging.getLogger("coreography.test").info("hello from the test")
        try:
            raise RuntimeError("boom for the log")
        except RuntimeError:
            sys.excepthook(*sys.exc_info())
        for handler in root.handlers:
            handler.flush()
        text = path.read_text(encoding="utf-8")
        assert "hello from the test" in text
        assert "uncaught exception" in text and "RuntimeError: boom for the log" in text
    finally:
        for handler in root.handlers[:]:
            if handler not in before:
                root.removeHandler(handler)
                handler.close()
        for handler in earlier:
            root.addHandler(handler)


def test_about_shows_every_license(qtbot):
    about = dialogs.about_dialog(None)
    qtbot.addWidget(about)
    licenses = dialogs.licenses_dialog(about)
    qtbot.addWidget(licenses)
    from PySide6.QtWidgets import QPlainTextEdit

    text = licenses.findChild(QPlainTextEdit, "licenses_text").toPlainText()
    assert "MIT License" in text
    for component in ("PySide6", "Qt", "LGPL", "numpy", "pyqtgraph", "psutil", "Python"):
        assert component in text, component


def test_the_shipped_license_is_the_repository_license():
    shipped = (ROOT / "resources" / "LICENSE.txt").read_text(encoding="utf-8")
    assert shipped == (ROOT / "LICENSE").read_text(encoding="utf-8")


def test_an_overlong_message_is_dropped_and_the_server_keeps_serving(qtbot, tmp_path):
    from PySide6.QtNetwork import QLocalSocket

    server = InstanceServer(f"coreo-test-{os.getpid()}-long")
    assert server.listen()
    received: list[str] = []
    server.sig_file_received.connect(received.append)
    try:
        socket = QLocalSocket()
        socket.connectToServer(server.name)
        assert socket.waitForConnected(1000)
        socket.write(b"x" * (200 * 1024))
        socket.flush()
        qtbot.waitUntil(lambda: socket.state() == QLocalSocket.LocalSocketState.UnconnectedState)
        with qtbot.waitSignal(server.sig_file_received, timeout=5000):
            assert hand_over(str(tmp_path / "after.coreo.json"), server.name)
        assert received == [str(tmp_path / "after.coreo.json")]
    finally:
        server.close()


def test_the_first_runs_driver_starts_once_the_window_has_painted(qtbot, tmp_path, monkeypatch):
    """The driver kept ready for the first run starts after the window's first paint
    (started earlier, it took the CPU the window's making needs), once; then the
    temporary folder is swept of what killed apps left. The window completes itself
    (its lessons and history) just after that paint too."""
    import threading

    from PySide6.QtCore import QEvent, QObject, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from coreography.gui.app import create_app, main
    from coreography.gui.main_window import MainWindow
    from coreography.gui.settings import Settings

    ini = tmp_path / "settings.ini"
    ini.write_text("[General]\nwelcomed=true\n")  # no lessons dialog of a first launch
    original = Settings.__init__
    monkeypatch.setattr(
        Settings,
        "__init__",
        lambda self, store=None: original(
            self, store or QSettings(str(ini), QSettings.Format.IniFormat)
        ),
    )
    monkeypatch.setenv("COREOGRAPHY_LOG_DIR", str(tmp_path / "log"))
    events: list[str] = []
    completed: list[bool] = []  # the window's lessons and history were there: at its
    # first paint, and once the driver started
    started = threading.Event()

    def start_early(echo: bool = False) -> None:
        events.append("driver started")

    class Paints(QObject):
        def eventFilter(self, watched, event):
            first = "painted" not in events
            if first and event.type() == QEvent.Type.Paint and isinstance(watched, MainWindow):
                events.append("painted")
                completed.append(watched.teaching._completed)
            return False

    def windows() -> list[MainWindow]:
        return [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]

    def remove_stale_files() -> list:
        events.append("swept")
        started.set()
        return []

    monkeypatch.setattr("coreography.engine.standby.start_early", start_early)
    monkeypatch.setattr("coreography.engine.standby.release_early", lambda: None)
    monkeypatch.setattr("coreography.engine.cleanup.remove_stale_files", remove_stale_files)
    app = create_app()
    paints = Paints()
    app.installEventFilter(paints)
    waited = []

    def close_once_started() -> None:  # however long the window takes on a busy machine
        waited.append(1)
        if started.is_set() or len(waited) > 600:
            closer.stop()
            for w in windows():
                qtbot.waitUntil(lambda w=w: w.teaching._completed)
                completed.append(w.teaching._completed)
                w.close()

    closer = QTimer()
    closer.timeout.connect(close_once_started)
    closer.start(50)
    try:
        assert main([]) == 0
    finally:
        closer.stop()
        app.removeEventFilter(paints)
    assert started.is_set()
    assert events == ["painted", "driver started", "swept"]
    assert completed == [False, True]  # completed just after the first paint
