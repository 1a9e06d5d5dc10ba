"""Why a run failed, as structured data: which worker, which task, what cause.

The driver sends these fields in its end-of-run status; the run model keeps them, and
every sentence about the failure (status bar, summary, Findings) is written from them
here, so no module has to read a cause back out of another module's English.
"""

from __future__ import annotations

import re
import signal
from dataclasses import dataclass
from typing import Any

from coreography.model.user_code import FILENAME

#: What ended the run.
WORKER_DIED = "worker-died"  # a worker process was killed, crashed or exited mid-task
TASK_RAISED = "task-raised"  # a task raised an exception
TASK_EXITED = "task-exited"  # a task called sys.exit() (SystemExit, which Pool never reports)
EXPERIMENT_RAISED = "experiment-raised"  # the experiment's main raised outside any task
LOAD_ERROR = "load-error"  # the user's code could not be loaded
RESULT_UNREADABLE = "result-unreadable"  # a task's result could not be unpickled
KINDS = frozenset(
    {WORKER_DIED, TASK_RAISED, TASK_EXITED, RESULT_UNREADABLE, EXPERIMENT_RAISED, LOAD_ERROR}
)
#: The first line of a task's error text when the task called sys.exit(): the prefix,
#: then the call as written by :func:`exit_call` (``SystemExit: sys.exit(2)``).
EXIT_PREFIX = "SystemExit: "

_USER_FRAME = re.compile(rf'File "{re.escape(FILENAME)}", line (\d+)')


def signal_name(number: int) -> str:
    """``SIGKILL`` for 9; ``signal 77`` for a number this platform does not name."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def describe_exit(code: int) -> str:
    """``exited with code 3`` or ``killed by signal 9 (SIGKILL)``."""
    if code < 0:
        return f"killed by signal {-code} ({signal_name(-code)})"
    return f"exited with code {code}"


def exit_call(code: object) -> str:
    """``sys.exit()``, ``sys.exit(2)`` or ``sys.exit('bye')``: the call that raised a
    SystemExit carrying ``code``, as the user would have written it."""
    if code is None:
        return "sys.exit()"
    try:
        text = repr(code)
    except Exception:
        text = f"<{type(code).__name__}>"
    return f"sys.exit({text[:80]})"


def user_line(traceback_text: str) -> int | None:
    """The line of the user's own code (``your_code.py``) where an error happened: the
    innermost such frame of a traceback, or None when the user's code is not in it."""
    found = _USER_FRAME.findall(traceback_text or "")
    return int(found[-1]) if found else None


@dataclass(frozen=True)
class Failure:
    """The cause of a failed run.

    ``pid``/``lane``/``task`` are 0/0/-1 when not known. ``exit_code`` is the dead
    worker's (negative: the signal that ended it); ``error`` the exception's first line
    (``Type: message``); ``died_ns`` when the driver saw the worker gone (perf_counter).
    """

    kind: str
    pid: int = 0
    lane: int = 0  # thread ordinal inside the process (0: its main thread)
    task: int = -1
    exit_code: int | None = None
    error: str = ""
    user_line: int | None = None
    died_ns: int | None = None

    @property
    def signal(self) -> str | None:
        """``SIGKILL`` when a signal ended the worker, else None."""
        if self.exit_code is not None and self.exit_code < 0:
            return signal_name(-self.exit_code)
        return None

    @property
    def cause(self) -> str:
        """What happened, without naming the worker: ``killed by signal 9 (SIGKILL)``."""
        if self.kind == WORKER_DIED and self.exit_code is not None:
            return describe_exit(self.exit_code)
        return self.error or "failed"

    def describe(self, worker: str = "") -> str:
        """The sentence shown for this failure; ``worker`` names the process as the
        timeline does (``Worker 1 · PID 123``)."""
        who = worker or (f"worker process PID {self.pid}" if self.pid else "a worker process")
        where = f" at line {self.user_line} of your code" if self.user_line else ""
        if self.kind == WORKER_DIED:
            during = f" while running task {self.task}" if self.task >= 0 else ""
            verb = "was " if self.signal else ""
            return f"{who} {verb}{self.cause}{during}"
        task = f"task {self.task}" if self.task >= 0 else "a task"
        if self.kind == TASK_RAISED:
            return f"{task} raised {self.error}{where} (in {who})"
        if self.kind == TASK_EXITED:
            return (
                f"{task} called {self.error or 'sys.exit()'}{where}{',' if where else ''} in {who}"
            )
        if self.kind == RESULT_UNREADABLE:
            return f"the result of {task} could not be unpickled: {self.error} (sent by {who})"
        if self.kind == LOAD_ERROR:
            return f"your code could not be loaded: {self.error}{where}"
        return f"the experiment raised {self.error}{where}"

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the status event and recordings (``died_ns`` left out: the
        dead worker's lane keeps that time; ``signal`` follows from ``exit_code``)."""
        return {
            "kind": self.kind,
            "pid": self.pid,
            "lane": self.lane,
            "task": self.task,
            "exit_code": self.exit_code,
            "error": self.error,
            "user_line": self.user_line,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Failure | None:
        """Read :meth:`to_dict` data (or the driver's status); None if it is not one."""
        if not isinstance(data, dict) or data.get("kind") not in KINDS:
            return None

        def whole(name: str) -> int | None:
            value = data.get(name)
            return value if type(value) is int else None

        pid, lane, task, died, line = (
            whole(name) for name in ("pid", "lane", "task", "died_ns", "user_line")
        )
        return cls(
            kind=str(data["kind"]),
            pid=pid if pid is not None and pid > 0 else 0,
            lane=lane if lane is not None and lane >= 0 else 0,
            task=task if task is not None and task >= 0 else -1,
            exit_code=whole("exit_code"),
            error=str(data.get("error") or "")[:2000],
            user_line=line if line is not None and line > 0 else None,
            died_ns=died if died is not None and died > 0 else None,
        )
