"""A driver process started ahead of time, so that a run does not wait for one to start.

Spawning the driver (a fresh interpreter and the engine's imports) is most of a run's
fixed cost. A :class:`Standby` is that process already started, with everything the
controller must create before a driver starts (the event pipe, the shared accounting,
the run's mark, its log), waiting on a pipe for its experiment
(:func:`coreography.engine.driver.standby_main`). It serves one run; the controller then
starts the next one while the window is idle. It ends when the controller lets it go
(:meth:`close`: the end of its pipe, then SIGKILL if needed) or when the app disappears
(it watches its parent like any driver).
"""

from __future__ import annotations

import os
import sys
from typing import Any

from coreography.engine.driver import standby_main
from coreography.engine.probe import ProbeSpec
from coreography.model.accounting import Accounting

#: Accounting slots of a standby: runs that need more (one process per task, over
#: ~2,000 tasks) start a driver of their own.
SLOTS = 2048


class Standby:
    """One driver process waiting for an experiment, and what belongs to it."""

    def __init__(self, ctx: Any, echo: bool, log_path: str, run_id: str) -> None:
        from coreography.engine.controller import _marked_environment, enlarge_pipe

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
            target=standby_main,
            args=(self.spec, log_path, run_id, theirs),
            name="coreography-driver",
        )
        with _marked_environment(run_id):
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

    def close(self) -> None:
        """End it (it was not used): the end of its pipe, then SIGKILL after 0.2 s."""
        try:
            self.orders.close()
        except OSError:
            pass
        self.process.join(0.2)
        if self.process.exitcode is None:
            self.process.kill()
            self.process.join(2.0)
        self.reader.close()
        try:
            os.unlink(self.log_path)
        except OSError:
            pass
        self.process.close()
