"""Task and run states: the one definition, used by the run model, metrics, views and files.

Both are enums whose members *are* the values recordings and status documents hold (an
``IntEnum`` in the ``task_status`` column, a ``StrEnum`` in ``Run.state``), so a recording
written before they existed reads back unchanged and ``run.state == "finished"`` holds.
"""

from __future__ import annotations

import enum


class TaskState(enum.IntEnum):
    """What happened to one task (the values of ``Run.task_status``)."""

    PENDING = 0  #: not started yet
    RUNNING = 1  #: started, no end seen
    DONE = 2  #: returned a result
    FAILED = 3  #: raised, or its worker died under it
    INTERRUPTED = 4  #: still running when the run ended (a Stop, a dead driver)

    @property
    def label(self) -> str:
        """The lower-case word views and exports show."""
        return self.name.lower()


class RunState(enum.StrEnum):
    """Where a run is (``Run.state``); the last three are ends."""

    STARTING = "starting"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    STOPPED = "stopped"

    @property
    def is_end(self) -> bool:
        return self in END_STATES


END_STATES = frozenset({RunState.FINISHED, RunState.FAILED, RunState.STOPPED})


def task_state_name(status: int) -> str:
    """The word for a ``task_status`` value; "?" for a value no state has."""
    try:
        return TaskState(int(status)).label
    except ValueError:
        return "?"


def run_state(value: object) -> RunState | None:
    """The state a status document or a file names, or None if it names none."""
    try:
        return RunState(str(value))
    except ValueError:
        return None
