"""Every worker Process a pool creates is recorded here, so that none dies unseen."""

from __future__ import annotations

import multiprocessing.pool
from typing import Any

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


class WatchedPool(multiprocessing.pool.Pool):
    """A Pool whose worker Processes are recorded in :data:`created`."""

    @staticmethod
    def Process(ctx: Any, *args: Any, **kwds: Any) -> Any:
        return record(ctx.Process(*args, **kwds))


class RecordingContext:
    """A start-method context whose Processes are recorded in :data:`created`."""

    def __init__(self, ctx: Any) -> None:
        self._ctx = ctx

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ctx, name)

    def Process(self, *args: Any, **kwds: Any) -> Any:
        return record(self._ctx.Process(*args, **kwds))
