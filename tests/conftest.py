"""Suite-wide setup: headless Qt, and no test may leave a child process or thread behind."""

from __future__ import annotations

import os
import tempfile
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")
# Windows started by the suite never hand over to a window the user has open (one window
# per user), nor to each other across test sessions.
os.environ.setdefault("COREOGRAPHY_INSTANCE_NAME", f"coreography-tests-{os.getpid()}")
# The suite's windows log to a folder of their own, never into the user's log.
os.environ.setdefault(
    "COREOGRAPHY_LOG_DIR",
    os.path.join(tempfile.gettempdir(), f"coreography-test-logs-{os.getpid()}"),
)

import psutil
import pytest


def _children() -> set[int]:
    """Child processes, except multiprocessing's own long-lived helpers of this process
    (its resource tracker and forkserver live as long as the test session)."""
    pids = set()
    for proc in psutil.Process().children(recursive=True):
        try:
            cmdline = " ".join(proc.cmdline())
        except psutil.Error:
            continue
        # Match the helpers' own command lines, not the -W option every child carries.
        helper = "resource_tracker import main" in cmdline or "forkserver import main" in cmdline
        if helper and proc.ppid() == os.getpid():
            continue
        pids.add(proc.pid)
    return pids


def _wait_gone(pids: set[int], timeout: float) -> set[int]:
    deadline = time.monotonic() + timeout
    alive = set(pids)
    while alive and time.monotonic() < deadline:
        alive = {pid for pid in alive if psutil.pid_exists(pid) and _is_live(pid)}
        if alive:
            time.sleep(0.05)
    return alive


def _is_live(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


@pytest.fixture(autouse=True)
def no_leaked_processes_or_threads():
    """Fail any test that leaves a child process or a non-daemon-free thread alive."""
    before_threads = set(threading.enumerate())
    before_children = _children()
    yield
    leaked = _wait_gone(_children() - before_children, timeout=5.0)
    for pid in leaked:
        try:
            psutil.Process(pid).kill()
        except psutil.Error:
            pass
    assert not leaked, f"test left child processes alive: {sorted(leaked)}"
    deadline = time.monotonic() + 5.0
    extra = [t for t in threading.enumerate() if t not in before_threads and t.is_alive()]
    while extra and time.monotonic() < deadline:
        time.sleep(0.05)
        extra = [t for t in threading.enumerate() if t not in before_threads and t.is_alive()]
    assert not extra, f"test left threads running: {[t.name for t in extra]}"
