"""Every worker Process a pool creates is recorded here, so that none dies unseen."""

from __future__ import annotations

import multiprocessing.pool
import multiprocessing.queues
from typing import Any

from coreography.engine import probe as probe_mod

#: Every worker Process a pool ever created: Pool reaps and replaces dead workers on its
#: own, and would then wait forever for the lost task.
created: list[Any] = []
#: Called as each pool worker Process is created (before it starts): its start-up
#: begins here, also for a worker a pool starts to replace a dead one.
on_created: list[Any] = []


def record(process: Any) -> Any:
    created.append(process)
    for callback in on_created:
        callback()
    return process


class FlushingQueue(multiprocessing.queues.SimpleQueue):  # type: ignore[type-arg]
    """A pool's task queue: a worker about to wait on it for its next task first sends
    what its probe holds, so an idle worker keeps nothing back from the live view."""

    def get(self) -> Any:
        probe = probe_mod.current()
        if probe is not None and (probe.events or probe.texts) and not self._poll():  # type: ignore[attr-defined]
            probe.flush()
        return super().get()


class WatchedPool(multiprocessing.pool.Pool):
    """A Pool whose worker Processes are recorded in :data:`created`, and whose workers
    flush their events before they wait for a task (:class:`FlushingQueue`)."""

    @staticmethod
    def Process(ctx: Any, *args: Any, **kwds: Any) -> Any:
        return record(ctx.Process(*args, **kwds))

    def _setup_queues(self) -> None:  # as Pool's, with the task queue flushing
        self._inqueue = FlushingQueue(ctx=self._ctx)  # type: ignore[attr-defined]
        self._outqueue = self._ctx.SimpleQueue()  # type: ignore[attr-defined]
        self._quick_put = self._inqueue._writer.send  # type: ignore[attr-defined]
        self._quick_get = self._outqueue._reader.recv


class RecordingContext:
    """A start-method context whose Processes are recorded in :data:`created`."""

    def __init__(self, ctx: Any) -> None:
        self._ctx = ctx

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ctx, name)

    def Process(self, *args: Any, **kwds: Any) -> Any:
        return record(self._ctx.Process(*args, **kwds))
