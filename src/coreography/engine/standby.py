"""A driver process started ahead of time, so that a run does not wait for one to start.

Spawning the driver (a fresh interpreter and the engine's imports) is most of a run's
fixed cost. A :class:`Standby` is that process already started, with everything the
controller must create before a driver starts (the event pipe, the shared accounting,
the run's mark, its log), waiting on a pipe for its experiment
(:func:`coreography.engine.driver.standby_main`). It serves one run; the controller then
starts the next one while the window is idle. It ends when the controller lets it go
(:meth:`close`: the end of its pipe, then SIGKILL if needed) or when the app disappears
(it watches its parent like any driver).

A command or the window can start one first thing (:func:`start_early`), while it loads
the rest of itself: this module and what it imports are light (the standard library,
:mod:`coreography.engine.launch` and the accounting's layout), and the driver imports the
engine, the probe included, in its own process. The first
controller to start a run (or to want a standby) takes it (:func:`take_early`).
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import sys
import threading
from typing import Any

from coreography.engine.launch import (
    ProbeSpec,
    enlarge_pipe,
    make_log,
    marked_environment,
    new_run_id,
    start_helpers_unmarked,
)
from coreography.model.accounting import Accounting

#: Accounting slots of a standby: runs that need more (one process per task, over
#: ~2,000 tasks) start a driver of their own.
SLOTS = 2048


class Standby:
    """One driver process waiting for an experiment, and what belongs to it."""

    def __init__(self, ctx: Any, echo: bool, log_path: str, run_id: str) -> None:
        self.reader, writer = ctx.Pipe(duplex=False)
        enlarge_pipe(self.reader)
        self.slots = SLOTS
        self.shared = ctx.RawArray("q", Accounting.words_for(SLOTS))
        self.spec = ProbeSpec(
            conn=writer,
            workload="square",
            calibration=None,
            shared=self.shared,
            next_slot=ctx.Value("i", 1),
            write_lock=None if sys.platform.startswith("linux") else ctx.Lock(),
            echo=echo,
        )
        self.echo = echo
        self.log_path = log_path
        self.run_id = run_id
        self.orders, theirs = ctx.Pipe(duplex=True)
        self.process = ctx.Process(
            target=_standby_entry,
            args=(self.spec, log_path, run_id, theirs),
            name="coreography-driver",
        )
        with marked_environment(run_id):
            self.process.start()
        writer.close()  # the driver and its workers hold the write end from now on
        theirs.close()
        self._ready = False

    def ready(self, timeout: float = 0.0) -> bool:
        """Whether it has loaded everything and waits (within ``timeout`` seconds)."""
        if not self._ready and self.orders.poll(timeout):
            try:
                self._ready = self.orders.recv_bytes() == b"ready"
            except (EOFError, OSError):
                return False
        return self._ready

    def fits(self, slots: int, echo: bool) -> bool:
        return slots <= self.slots and echo == self.echo and self.process.exitcode is None

    def launch(self, experiment_data: dict[str, Any], fields: dict[str, Any], backend: str) -> bool:
        """Hand it its run; False if it is gone (the caller then starts a driver)."""
        try:
            self.orders.send((experiment_data, fields, backend))
        except OSError:
            return False
        self.orders.close()
        return True

    def close(self, grace: float = 0.2) -> None:
        """End it (it was not used): the end of its pipe, then SIGKILL after ``grace`` s."""
        try:
            self.orders.close()
        except OSError:
            pass
        self.process.join(grace)
        if self.process.exitcode is None:
            self.process.kill()
            self.process.join(2.0)
        self.reader.close()
        try:
            os.unlink(self.log_path)
        except OSError:
            pass
        self.process.close()


def _standby_entry(*args: Any) -> None:
    """The driver process's target: the driver's module is imported there, not here."""
    from coreography.engine.driver import standby_main

    standby_main(*args)


# -- started first thing ---------------------------------------------------------------
_early: Standby | None = None
_early_lock = threading.Lock()
_release_registered = False


def start_early(echo: bool = False) -> None:
    """Start a driver for this process's first run now (once; nothing if one waits).

    For a command or a window that will run an experiment soon: the driver's start (a
    fresh interpreter and the engine's imports, most of a run's fixed cost) overlaps
    with the caller's own imports and set-up instead of following them. Unused, it is
    ended when this process exits.
    """
    global _early, _release_registered
    with _early_lock:
        if _early is not None:
            return
        start_helpers_unmarked()
        _early = Standby(multiprocessing.get_context("spawn"), echo, make_log(), new_run_id())
        if not _release_registered:
            # After multiprocessing's own exit work was registered (making the standby
            # loaded it), so it runs first: multiprocessing joins every child at exit,
            # and this one waits for orders until its pipe is closed.
            atexit.register(release_early)
            _release_registered = True


def take_early(echo: bool = False) -> Standby | None:
    """The driver :func:`start_early` started, for the caller to use (once), if it is
    still alive and prints as the caller wants (``echo``); else None."""
    global _early
    with _early_lock:
        standby, _early = _early, None
    if standby is None:
        return None
    if standby.echo != echo or standby.process.exitcode is not None:
        standby.close()
        return None
    return standby


def release_early() -> None:
    """End the driver :func:`start_early` started, if nothing took it."""
    global _early
    with _early_lock:
        standby, _early = _early, None
    if standby is not None:
        standby.close(grace=0.05)  # it waits for orders; only its start may be cut short
