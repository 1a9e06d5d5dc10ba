"""The run of a traced program: tasks found as they happen, named lanes, task labels.

A traced program has no task list known in advance: each process numbers its own tasks,
and this run maps ``(pid, local number)`` to one dense task id as events arrive, growing
its columns. Lanes are named as the program named them (``Process-1``,
``SpawnPoolWorker-3``, a thread's name).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from coreography.model.events import Kind
from coreography.model.experiment import TRACE_MODEL, Experiment
from coreography.model.run import ENDED_BY_POOL, FAILED, NO_TIME, RUNNING, Run

START_METHODS = ("fork", "spawn", "forkserver")

_COLUMNS = (
    ("task_lane", -1),
    ("task_start", NO_TIME),
    ("task_end", NO_TIME),
    ("task_submitted", NO_TIME),
    ("task_status", 0),
    ("task_value", np.nan),
    ("task_cpu", NO_TIME),
)


def describe_exit(code: int) -> str:
    """``exited with code 3`` or ``was killed by signal 9 (SIGKILL)``."""
    if code < 0:
        import signal

        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"was killed by signal {-code} ({name})"
    return f"exited with code {code}"


class TraceRun(Run):
    """A :class:`Run` whose tasks, lanes and labels come from the traced program."""

    def __init__(self, command: list[str], cores: int, t0: int = 0) -> None:
        super().__init__(Experiment(model=TRACE_MODEL, tasks=0, workload="custom"), cores, t0)
        self.command = list(command)
        self._capacity = 0
        self._ids: dict[tuple[int, int], int] = {}
        self._requested: dict[int, int] = {}  # child pid -> when its parent started it
        self._names: dict[tuple[int, int], str] = {}
        self.lane_kind: dict[int, str] = {}  # pid -> process, pool, executor, subprocess…
        self.unjoined: list[dict[str, Any]] = []
        #: Workers a pool terminated at its end (their SIGTERM is not a kill from outside).
        self.pool_ended: set[int] = set()
        self.main_done_ns = NO_TIME
        self.exit_code: int | None = None
        self.main_errors: list[str] = []
        #: How the program's first child process was started (None before one was).
        self.start_method_seen: str | None = None

    # -- task ids ---------------------------------------------------------------------------
    def _global(self, pid: int, local: int) -> int:
        key = (pid, local)
        task = self._ids.get(key)
        if task is None:
            task = self._ids[key] = len(self._ids)
        return task

    def _grow(self, n: int) -> None:
        if n <= self._capacity:
            self.n_tasks = max(self.n_tasks, n)
            return
        capacity = max(n, self._capacity * 2, 256)
        for name, fill in _COLUMNS:
            old = getattr(self, name)
            grown = np.full(capacity, fill, old.dtype)
            grown[: len(old)] = old
            setattr(self, name, grown)
        self._capacity = capacity
        self.n_tasks = n

    def finish(
        self, state: str, message: str, end_ns: int, produced: dict[int, int] | None = None
    ) -> None:
        for name, _fill in _COLUMNS:  # trim to the tasks seen
            setattr(self, name, getattr(self, name)[: self.n_tasks].copy())
        self._capacity = self.n_tasks
        workers = len({lane.pid for lane in self.worker_lanes()})
        self.experiment = self.experiment.replace(
            tasks=self.n_tasks, workers=min(max(workers, 1), 64), title=" ".join(self.command)
        )
        # A task still running in a process that is gone did not finish: it failed.
        running = np.flatnonzero(self.task_status == RUNNING)
        for task in running.tolist():
            lane = self.lanes[int(self.task_lane[task])]
            if lane.exit_code is not None or state != "stopped":
                self._fail(task, end_ns, f"the process {lane.label} ended while it ran")
        super().finish(state, message, end_ns, produced)

    def _fail(self, task: int, t: int, text: str) -> None:
        if self.task_status[task] != FAILED:
            self.n_failed += 1
        self.task_status[task] = FAILED
        self.task_end[task] = t
        self.task_errors.setdefault(task, text)

    # -- events ---------------------------------------------------------------------------------
    def _apply_records(self, rec: np.ndarray, pid: np.ndarray) -> None:
        tasks, kind = rec["task"], rec["kind"]
        # Messages and waits carry a channel there, not a task: not renumbered.
        talk = (kind >= Kind.MESSAGE_SENT) & (kind <= Kind.WAIT)
        own = np.flatnonzero((tasks >= 0) & ~talk)
        if len(own):
            ids = [
                self._global(p, t)
                for p, t in zip(pid[own].tolist(), tasks[own].tolist(), strict=True)
            ]
            rec["task"][own] = ids
            self._grow(len(self._ids))
        super()._apply_records(rec, pid)

    def _apply_rare(self, row: tuple[Any, ...], pid: int) -> None:
        kind, _flags, thread, _task, t, value, aux = row
        if kind == Kind.WORKERS_REQUESTED:
            self._requested[aux] = t
            lane = self.lane(aux, 0)
            if lane is not None and lane.ready_ns != NO_TIME and t <= lane.ready_ns:
                lane.requested_ns = t
            return
        super()._apply_rare(row, pid)
        if kind == Kind.WORKER_READY:
            lane = self.lanes[self._lane_for(pid, thread)]
            lane.requested_ns = self._requested.get(pid, lane.ready_ns) if not thread else t
        elif kind == Kind.WORKER_EXITED:
            lane = self.lane(aux, 0)
            if lane is None:  # a process that never reported (not Python, or killed early)
                lane = self.lanes[self._lane_for(aux, 0)]
                lane.requested_ns = lane.ready_ns = self._requested.get(aux, t)
                lane.exited_ns, lane.exit_code = t, int(value)
            if aux in self.pool_ended:
                lane.ended_by = ENDED_BY_POOL
            if value != 0:
                how = (
                    "was ended by its pool (Pool.terminate())"
                    if lane.ended_by_pool
                    else describe_exit(int(value))
                )
                cause = f"{lane.label} {how} while running this task"
                mine = {i for i, other in enumerate(self.lanes) if other.pid == aux}
                for task in np.flatnonzero(self.task_status == RUNNING).tolist():
                    if int(self.task_lane[task]) in mine:
                        self._fail(task, t, cause)

    def _apply_texts(self, pid: int, items: list[Any]) -> None:
        rest = []
        for item in items:
            if not isinstance(item, list) or len(item) != 6:
                self.bad_frames += 1
                continue
            kind, thread, task, t, _value, text = item
            if isinstance(task, int) and task >= 0 and kind != Kind.CHANNEL_INFO:  # a channel
                task = item[2] = self._global(pid, task)
                self._grow(len(self._ids))
            if kind == Kind.TASK_LABEL:
                self.task_labels[task] = text
            elif kind == Kind.LANE_INFO:
                self._apply_info(pid, thread, t, text)
            else:
                if kind == Kind.TASK_FAILED and task < 0 and pid == self.driver_pid:
                    self.main_errors.append(text)
                rest.append(item)
        super()._apply_texts(pid, rest)

    def _apply_info(self, pid: int, thread: int, t: int, text: str) -> None:
        try:
            info = json.loads(text)
        except ValueError:
            self.bad_frames += 1
            return
        event = info.get("event")
        if event == "started":
            child = int(info.get("pid", 0))
            self._names.setdefault((child, 0), str(info.get("name", "")))
            self.lane_kind[child] = str(info.get("kind", "process"))
            self._rename(child, 0)
        elif event in ("name", "thread"):
            self._names[(pid, thread)] = str(info.get("name", ""))
            if event == "name":
                self.lane_kind[pid] = str(info.get("kind", "process"))
            self._rename(pid, thread)
        elif event == "process":
            self._lane_for(pid, 0)
            how = info.get("how")
            if how in START_METHODS and self.start_method_seen is None:
                # The program chose it; the experiment says what its processes used.
                self.start_method_seen = str(how)
                self.experiment = self.experiment.replace(start_method=str(how))
            if info.get("how") == "main":
                self._names[(pid, 0)] = "Main"
                self._rename(pid, 0)
        elif event == "pool_terminate":
            # The pool ends these workers now (SIGTERM): their exit is the pool's end.
            for child in info.get("pids", []):
                if isinstance(child, int) and child > 0:
                    self.pool_ended.add(child)
                    lane = self.lane(child, 0)
                    if lane is not None:
                        lane.ended_by = ENDED_BY_POOL
        elif event == "main_done" and pid == self.driver_pid:
            self.main_done_ns = t
            self.unjoined = [u for u in info.get("unjoined", []) if isinstance(u, dict)]

    # -- lanes ----------------------------------------------------------------------------------
    def _lane_for(self, pid: int, thread: int) -> int:
        known = (pid, thread) in self._lane_of
        index = super()._lane_for(pid, thread)
        if not known:
            lane = self.lanes[index]
            if thread and pid != self.driver_pid:
                lane.role = "thread"
            self._rename(pid, thread)
        return index

    def _rename(self, pid: int, thread: int) -> None:
        index = self._lane_of.get((pid, thread))
        name = self._names.get((pid, thread))
        if index is not None and name:
            self.lanes[index].label = f"{name} · PID {pid}"
