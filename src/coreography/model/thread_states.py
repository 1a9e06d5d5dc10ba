"""Thread states: why a lane was not working, as intervals per lane, and their totals.

The engine's state sampler (``engine/thread_states.py``) reads the kernel's accounting of
each lane's thread and delivers intervals ``(lane, start_ns, end_ns, state)``; a
:class:`StateTable` holds them (the run model keeps one per run). The derivations here
(totals per lane, over the lane's tasks or over everything sampled) are what metrics,
findings, summaries, exports and the timeline's state strips read.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from coreography.model.experiment import Experiment
    from coreography.model.run import Run


class ThreadState(IntEnum):
    """What a thread was doing; the values are those recordings keep."""

    ON_CPU = 0  # running on a core
    WAITING_FOR_CORE = 1  # runnable, but every core was busy (the kernel's run queue)
    BLOCKED_LOCK = 2  # waiting in a futex: the GIL or a lock
    BLOCKED_IO = 3  # waiting in the kernel for I/O, a timer (sleep) or another process
    OFF_CPU = 4  # not on a CPU, reason not known (no kernel detail on this system)


#: Key of each state in summaries and JSON (``<key>_s``).
STATE_KEYS = {
    ThreadState.ON_CPU: "on_cpu",
    ThreadState.WAITING_FOR_CORE: "waiting_for_core",
    ThreadState.BLOCKED_LOCK: "blocked_lock",
    ThreadState.BLOCKED_IO: "blocked_io",
    ThreadState.OFF_CPU: "off_cpu_unknown",
}
#: One letter per state: the strips' second cue besides colour.
STATE_LETTERS = {
    ThreadState.ON_CPU: "C",
    ThreadState.WAITING_FOR_CORE: "W",
    ThreadState.BLOCKED_LOCK: "L",
    ThreadState.BLOCKED_IO: "I",
    ThreadState.OFF_CPU: "?",
}
N_STATES = len(ThreadState)
#: Where the states came from: the Linux kernel's per-thread files, or psutil's
#: per-thread CPU times (other systems: on a CPU or not, nothing more).
SOURCE_LINUX = "linux"
SOURCE_PSUTIL = "psutil"
SOURCES = ("", SOURCE_LINUX, SOURCE_PSUTIL)
#: Readings per second of each lane's state: the default, and the range allowed.
DEFAULT_HZ = 50.0
HZ_RANGE = (1.0, 200.0)
#: Workloads that hold the GIL while they compute: a futex wait in their tasks is the GIL.
GIL_HOLDING_WORKLOADS = frozenset({"cpu", "primes"})

ROW_DTYPE = np.dtype([("lane", "i4"), ("start", "i8"), ("end", "i8"), ("state", "i1")])


def lock_is_gil(experiment: Experiment) -> bool:
    """Whether a futex wait during a task of ``experiment`` is the GIL: threads of one
    process running CPU-bound Python code take turns on the GIL and on nothing else."""
    return (
        experiment.execution_model.lanes == "thread"
        and experiment.workload in GIL_HOLDING_WORKLOADS
    )


def state_label(state: int, gil: bool = False) -> str:
    """The words for ``state`` in views and summaries."""
    if state == ThreadState.BLOCKED_LOCK:
        return "blocked: the GIL" if gil else "blocked: GIL or lock"
    return {
        ThreadState.ON_CPU: "on a CPU",
        ThreadState.WAITING_FOR_CORE: "ready, no free core",
        ThreadState.BLOCKED_IO: "blocked: I/O or sleep",
        ThreadState.OFF_CPU: "not on a CPU (reason not known here)",
    }[ThreadState(state)]


class StateTable:
    """Append-only intervals of thread states; contiguous intervals of one lane in one
    state merge, so a lane that stays on a CPU is one row, not one per sample."""

    def __init__(self, capacity: int = 256) -> None:
        self._rows = np.empty(capacity, ROW_DTYPE)
        self._n = 0
        self._last: dict[int, int] = {}  # lane -> index of its newest row
        #: SOURCE_LINUX, SOURCE_PSUTIL, or "" (nothing sampled).
        self.source = ""
        self.version = 0  # changes whenever a row is added or grows

    def __len__(self) -> int:
        return self._n

    def view(self) -> np.ndarray:
        """Every row, in the order they were added (time order within each lane)."""
        return self._rows[: self._n]

    def extend(self, rows: Any) -> None:
        """Add ``(lane, start_ns, end_ns, state)`` rows (each lane's in time order)."""
        for lane, start, end, state in rows:
            if end <= start:
                continue
            last = self._last.get(lane)
            rows = self._rows
            if last is not None and rows["state"][last] == state and rows["end"][last] == start:
                rows["end"][last] = end
                continue
            if self._n == len(self._rows):
                grown = np.empty(max(len(self._rows) * 2, 16), ROW_DTYPE)
                grown[: self._n] = self._rows[: self._n]
                self._rows = grown
            self._rows[self._n] = (lane, start, end, state)
            self._last[lane] = self._n
            self._n += 1
        self.version += 1

    def lane_rows(self, lane: int) -> np.ndarray:
        """The rows of one lane, in time order."""
        rows = self.view()
        picked: np.ndarray = rows[rows["lane"] == lane]
        return picked


@dataclass(frozen=True)
class LaneStates:
    """Seconds one lane spent in each state: during its tasks and over all it was sampled."""

    in_tasks: tuple[float, ...]  # indexed by ThreadState
    sampled: tuple[float, ...]

    def seconds(self, state: ThreadState, in_tasks: bool = True) -> float:
        return (self.in_tasks if in_tasks else self.sampled)[state]

    @property
    def task_sampled_s(self) -> float:
        """How much of the lane's task time the sampler covered."""
        return float(sum(self.in_tasks))

    def share(self, state: ThreadState) -> float | None:
        """``state``'s share of the sampled task time (None: nothing sampled there)."""
        total = self.task_sampled_s
        return self.in_tasks[state] / total if total > 0 else None


def lane_states(run: Run) -> list[LaneStates] | None:
    """Per lane, seconds in each state, during its tasks and in all; None when the run
    has no states (not sampled, or an older recording).

    A task still running counts up to the newest time the run knows.
    """
    table: StateTable = run.thread_states
    if not len(table):
        return None
    rows = table.view()
    now = run.last_time()
    n_lanes = len(run.lanes)
    in_tasks = np.zeros((n_lanes, N_STATES))
    sampled = np.zeros((n_lanes, N_STATES))
    valid = (rows["lane"] >= 0) & (rows["lane"] < n_lanes) & (rows["state"] < N_STATES)
    rows = rows[valid]
    np.add.at(sampled, (rows["lane"], rows["state"]), (rows["end"] - rows["start"]) / 1e9)
    for lane in np.unique(rows["lane"]).tolist():
        mine = rows[rows["lane"] == lane]
        tasks = run.lanes[lane].task_ids()
        starts = run.task_start[tasks]
        ends = np.where(run.task_end[tasks] >= 0, run.task_end[tasks], now)
        # one pass over the lane's tasks for both ends of every interval
        both = task_coverage(starts, ends, np.concatenate((mine["end"], mine["start"])))
        covered = both[: len(mine)] - both[len(mine) :]
        np.add.at(in_tasks[lane], mine["state"], covered / 1e9)
    return [
        LaneStates(tuple(in_tasks[i].tolist()), tuple(sampled[i].tolist())) for i in range(n_lanes)
    ]


def task_coverage(starts: np.ndarray, ends: np.ndarray, t: np.ndarray) -> np.ndarray:
    """For each time in ``t``, how many ns of the (non-overlapping) intervals
    ``[starts, ends]`` lie before it: the overlap of ``[a, b]`` is ``f(b) - f(a)``."""
    if not len(starts):
        return np.zeros(len(t))
    order = np.argsort(starts, kind="stable")
    starts = starts[order].astype(np.int64)
    ends = np.maximum(ends[order].astype(np.int64), starts)
    durations = ends - starts
    before = np.concatenate(([0], np.cumsum(durations)))  # ns of tasks wholly before k
    k = np.searchsorted(starts, t, "right") - 1
    inside = np.clip(t - starts[np.maximum(k, 0)], 0, durations[np.maximum(k, 0)])
    return np.where(k >= 0, before[np.maximum(k, 0)] + inside, 0).astype(np.float64)


def state_totals(states: list[LaneStates], in_tasks: bool = True) -> tuple[float, ...]:
    """Seconds in each state summed over lanes."""
    totals = np.zeros(N_STATES)
    for lane in states:
        totals += np.asarray(lane.in_tasks if in_tasks else lane.sampled)
    return tuple(totals.tolist())
