"""What starting a driver needs, light enough to run first thing in a command: the event
pipe's size, the run's log, the run's mark in the environment, the resource tracker.

Only the standard library: a command that starts its run's driver before it loads the
rest of the engine (:func:`coreography.engine.standby.start_early`) pays for no more.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from typing import Any

#: Every process of a run carries ``COREOGRAPHY_RUN=<run id>`` in its environment (the
#: driver sets it; workers, and whatever they start, inherit it): a process that left
#: the tree (a daemon in a session of its own) is still found by it.
RUN_MARKER = "COREOGRAPHY_RUN"
PIPE_SIZE = 1 << 20


def enlarge_pipe(conn: Any) -> None:
    """Give the pipe a 1 MiB buffer where the OS allows it (Linux)."""
    try:
        import fcntl

        fcntl.fcntl(conn.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_SIZE)
    except (ImportError, OSError, ValueError):
        pass  # the default buffer works too, with more wake-ups


def make_log() -> str:
    """A new file for the raw stderr of a run's processes."""
    # The app's pid in the name: a later start removes the logs of a killed app.
    fd, path = tempfile.mkstemp(prefix=f"coreography-{os.getpid()}-", suffix=".log")
    os.close(fd)
    return path


def new_run_id() -> str:
    return f"{os.getpid()}-{os.urandom(6).hex()}"


def start_helpers_unmarked() -> None:
    """The app's own resource tracker starts before the run's mark is set (else it would
    carry the mark and look like a process that escaped the run)."""
    if os.name == "posix":
        from multiprocessing import resource_tracker

        resource_tracker.ensure_running()


@contextlib.contextmanager
def marked_environment(run_id: str) -> Iterator[None]:
    """This process's environment carries the run's mark while the driver starts."""
    before = os.environ.get(RUN_MARKER)
    os.environ[RUN_MARKER] = run_id
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(RUN_MARKER, None)
        else:
            os.environ[RUN_MARKER] = before
