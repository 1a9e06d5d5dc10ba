"""The run model: one run's tasks, lanes, printed lines and samples, in numpy columns.

The single source of truth for views, metrics, recordings and the CLI. It is filled
incrementally by :meth:`Run.apply` from raw event frames (as the engine delivers them)
and psutil samples; views read it and subscribe with :meth:`Run.subscribe`.

Times are ``time.perf_counter_ns()`` values (one clock for every process of the
machine); :attr:`Run.t0` is when the run was asked to start. Use :meth:`Run.seconds`
to turn them into seconds since the start.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from coreography.model import wire
from coreography.model.events import Kind, clip_text
from coreography.model.experiment import Experiment
from coreography.model.failure import (
    EXIT_PREFIX,
    TASK_EXITED,
    TASK_RAISED,
    WORKER_DIED,
    Failure,
    signal_name,
    user_line,
)
from coreography.model.host_metrics import HostMetrics
from coreography.model.messages import Messages
from coreography.model.states import END_STATES, RunState, TaskState, run_state
from coreography.model.thread_states import StateTable

RECORD_DTYPE = wire.record_dtype()

# Task states (Run.task_status) and run states: see model/states.py.
PENDING, RUNNING, DONE, FAILED, INTERRUPTED = (
    TaskState.PENDING,
    TaskState.RUNNING,
    TaskState.DONE,
    TaskState.FAILED,
    TaskState.INTERRUPTED,
)
STATUS_NAMES = {state.value: state.label for state in TaskState}
STARTING, RUN_RUNNING, FINISHED, RUN_FAILED, STOPPED = (
    RunState.STARTING,
    RunState.RUNNING,
    RunState.FINISHED,
    RunState.FAILED,
    RunState.STOPPED,
)
NO_TIME = -1
#: The kinds a tick's records are sorted by (plain ints: an enum member costs a lookup).
_READY, _STARTED, _FINISHED = (
    int(Kind.WORKER_READY),
    int(Kind.TASK_STARTED),
    int(Kind.TASK_FINISHED),
)
_SENT, _WAIT = int(Kind.MESSAGE_SENT), int(Kind.WAIT)


class GrowArray:
    """An append-only numpy array with amortised doubling; :meth:`view` is zero-copy."""

    def __init__(self, dtype: Any, width: int = 0, capacity: int = 256) -> None:
        shape = (capacity, width) if width else (capacity,)
        self._data = np.empty(shape, dtype=dtype)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def extend(self, values: Any) -> None:
        values = np.asarray(values, dtype=self._data.dtype)
        count = len(values)
        if self._n + count > len(self._data):
            capacity = max(len(self._data) * 2, self._n + count)
            grown = np.empty((capacity, *self._data.shape[1:]), dtype=self._data.dtype)
            grown[: self._n] = self._data[: self._n]
            self._data = grown
        self._data[self._n : self._n + count] = values
        self._n += count

    def append(self, value: Any) -> None:
        self.extend([value])

    def view(self) -> np.ndarray:
        return self._data[: self._n]


#: ``Lane.ended_by``: its pool terminated it at its end (a normal end).
ENDED_BY_POOL = "pool"
ENDED_BY = ("", ENDED_BY_POOL)


@dataclass
class Lane:
    """One row of the timeline: a process, or a thread inside the main process."""

    index: int
    pid: int
    thread: int  # 0: the process's main thread
    role: str  # "main", "worker" or "thread"
    label: str
    number: int = 0  # 1-based worker/thread number in order of appearance; 0 for main
    requested_ns: int = NO_TIME  # start asked for (worker start-up begins)
    ready_ns: int = NO_TIME  # first instruction of the worker
    done_ns: int = NO_TIME  # the worker said goodbye
    exited_ns: int = NO_TIME  # the driver saw it exit
    exit_code: int | None = None
    cpu_seconds: float = math.nan
    native_id: int = 0  # OS thread id for thread lanes
    qt_loaded: bool = False  # the process reported Qt among its modules (it must not)
    #: Who ended the process, when it was not a crash: ENDED_BY_POOL, its pool's normal
    #: end (``Pool.terminate()``, which ``with Pool()`` calls on leaving, sends SIGTERM).
    ended_by: str = ""
    host: str = ""  # the machine it ran on, where the run spans several (a cluster's worker)
    tasks: GrowArray = field(default_factory=lambda: GrowArray(np.int32))

    def task_ids(self) -> np.ndarray:
        """Ids of the tasks this lane ran, in the order they started."""
        return self.tasks.view()

    @property
    def ended_by_pool(self) -> bool:
        """Its pool ended it at its end (SIGTERM from ``terminate()``): a normal end."""
        return self.ended_by == ENDED_BY_POOL and self.exit_code in (None, 0, -15)

    @property
    def crashed(self) -> bool:
        """It died of a signal or an exit code, and not by its pool's normal end."""
        return self.exit_code not in (None, 0) and not self.ended_by_pool

    def end_ns(self) -> int:
        """When this lane's life ended, NO_TIME while it lives (as far as is known).

        Its goodbye first: the process's own last event, on the shared clock. Else the
        driver seeing it exit (a worker that died without a goodbye), which comes a poll
        period late. Metrics, the timeline and summaries all end a lane here.
        """
        if self.done_ns != NO_TIME:
            return self.done_ns
        return self.exited_ns


@dataclass
class TextLine:
    t: int
    lane: int  # lane index, -1 if unknown
    task: int
    kind: int
    text: str


@dataclass
class Sample:
    """One psutil reading: per-core CPU % and, per experiment process, CPU %, core, RSS."""

    t: int
    percore: list[float]
    procs: list[tuple[int, float, int, int]]  # (pid, cpu %, core or -1, rss bytes)
    #: The experiment's share of each core, % (an estimate: see engine.sampler).
    experiment_percore: list[float] | None = None
    #: The experiment's CPU over the interval (every process, reaped ones included) and the
    #: app's own, in % of one core; NaN when not measured.
    experiment: float = math.nan
    app: float = math.nan


class Run:
    """Everything known about one run, growing while it runs."""

    def __init__(self, experiment: Experiment, cores: int, t0: int = 0) -> None:
        self.experiment = experiment
        self.cores = cores
        self.t0 = t0
        n = experiment.tasks
        self.n_tasks = n
        self.task_lane = np.full(n, -1, np.int32)
        self.task_start = np.full(n, NO_TIME, np.int64)
        self.task_end = np.full(n, NO_TIME, np.int64)
        self.task_submitted = np.full(n, NO_TIME, np.int64)
        self.task_status = np.zeros(n, np.int8)
        self.task_value = np.full(n, np.nan)
        self.task_cpu = np.full(n, NO_TIME, np.int64)  # start: thread CPU ns; then: CPU used
        self.task_text: dict[int, str] = {}  # results that are not numbers, error texts
        self.task_errors: dict[int, str] = {}
        #: What each task called, ``name(args)`` (traced programs; empty otherwise).
        self.task_labels: dict[int, str] = {}
        self.lanes: list[Lane] = []
        #: Messages through queues and pipes, and waits in get/recv/acquire (model/messages.py).
        self.messages = Messages()
        #: A cluster's hosts: their workers' own CPU and memory readings (model/host_metrics.py).
        self.hosts = HostMetrics()
        self._lane_of: dict[tuple[int, int], int] = {}
        #: _lane_of as sorted keys (pid << 16 | thread) and their lanes, for whole arrays.
        self._lane_table: tuple[np.ndarray, np.ndarray] = (
            np.empty(0, np.int64),
            np.empty(0, np.int32),
        )
        self.texts: list[TextLine] = []
        self.logs: list[str] = []
        self.state = STARTING
        self.message = ""
        #: Why the run failed, as fields (None: it did not, or an older recording).
        self.failure: Failure | None = None
        self._exited_tasks: set[int] = set()  # tasks that called sys.exit()
        self.result_text = ""
        self.run_started_ns = NO_TIME  # the driver began (the experiment's main)
        self.run_finished_ns = NO_TIME
        self.end_ns = NO_TIME  # the run was over for the app (all processes gone)
        self.driver_pid = 0
        self.pending_request_ns = NO_TIME  # workers requested, not yet ready (pools)
        self.requests_by_task: dict[int, int] = {}
        self._unrequested: dict[int, int] = {}  # lane index -> task, ready before requested
        self.received: dict[int, int] = {}
        self.reported_sent: dict[int, int] = {}
        self.produced: dict[int, int] | None = None
        self.bad_frames = 0
        #: The newest event time received (None: not looked at yet).
        self.latest_event_ns: int | None = None
        self.n_done = 0
        self.n_failed = 0
        self.n_started = 0
        self.cpu_t = GrowArray(np.int64)
        self.cpu_percore = GrowArray(np.float32, width=max(cores, 1))
        self.proc_samples = GrowArray(
            np.dtype([("t", "i8"), ("pid", "i4"), ("cpu", "f4"), ("core", "i2"), ("rss", "i8")])
        )
        #: Per sample: the experiment's share of each core (%), its CPU and the app's own
        #: CPU (% of one core); NaN where not measured (older recordings).
        self.cpu_experiment = GrowArray(np.float32, width=max(cores, 1))
        self.cpu_experiment_total = GrowArray(np.float32)
        self.cpu_app = GrowArray(np.float32)
        #: Why each lane was or was not working, sampled from the kernel (model.thread_states).
        self.thread_states = StateTable()
        #: The loop counts the run's timed tasks used (engine.calibration), or None.
        self.calibration: dict[str, Any] | None = None
        self.version = 0
        self._listeners: list[Callable[[Run], None]] = []

    # -- subscription ---------------------------------------------------------------------
    def subscribe(self, callback: Callable[[Run], None]) -> None:
        """Call ``callback(run)`` after every change."""
        self._listeners.append(callback)

    def unsubscribe(self, callback: Callable[[Run], None]) -> None:
        if callback in self._listeners:
            self._listeners.remove(callback)

    def _changed(self) -> None:
        self.version += 1
        for callback in list(self._listeners):
            callback(self)

    # -- queries --------------------------------------------------------------------------
    @property
    def is_over(self) -> bool:
        return self.state in END_STATES

    def seconds(self, t_ns: Any) -> Any:
        """Seconds since :attr:`t0` for a time or an array of times."""
        return (
            (np.asarray(t_ns, dtype=np.float64) - self.t0) / 1e9
            if not isinstance(t_ns, int)
            else (t_ns - self.t0) / 1e9
        )

    def lane(self, pid: int, thread: int = 0) -> Lane | None:
        index = self._lane_of.get((pid, thread))
        return None if index is None else self.lanes[index]

    def worker_lanes(self) -> list[Lane]:
        return [lane for lane in self.lanes if lane.role != "main"]

    def result(self, task: int) -> Any:
        """Task ``task``'s result: its text if it was not a number, else the number (an
        int where it is whole), None while it has none (not done, or it returned None)."""
        if task in self.task_text:
            return self.task_text[task]
        value = float(self.task_value[task])
        if self.task_status[task] != DONE or math.isnan(value):
            return None
        if value.is_integer() and abs(value) < 2**53:
            return int(value)
        return value

    def results(self) -> list[Any]:
        """Each task's result in task order (None where there is none yet)."""
        return [self.result(task) for task in range(self.n_tasks)]

    def result_summary(self, limit: int = 500) -> str:
        """The program's result as every view states it ('' before a finished run).

        What the experiment's program would have in hand: its ``results`` list, or, for
        a model whose program keeps none (a ``Process`` discards its target's return
        value), why there is none. The CLI and the window print this same text.
        """
        if self.state != FINISHED:
            return ""
        code = self.experiment.execution_model.code(self.experiment, "task")
        if not code.prints_results:
            return code.no_results
        return clip_text(self.result_text or repr(self.results()), limit)

    def stdout_lines(self) -> list[str]:
        return [line.text for line in self.texts if line.kind == Kind.STDOUT]

    def last_time(self) -> int:
        """The latest time the run knows of (for the live edge of views)."""
        candidates = [self.t0, self.run_started_ns, self.run_finished_ns, self.end_ns]
        if len(self.cpu_t):
            candidates.append(int(self.cpu_t.view()[-1]))
        if self.latest_event_ns is None:  # a run filled without apply(): look once
            self.latest_event_ns = max(
                int(self.task_start.max(initial=NO_TIME)), int(self.task_end.max(initial=NO_TIME))
            )
        candidates.append(self.latest_event_ns)
        return max(candidates)

    def events_received(self) -> int:
        return sum(self.received.values())

    def events_lost(self) -> int | None:
        """Events produced but never received; None while not known."""
        if self.produced is None:
            return None
        return sum(
            max(0, self.produced.get(pid, 0) - self.received.get(pid, 0))
            for pid in set(self.produced) | set(self.received)
        )

    def lost_by_pid(self) -> dict[int, int]:
        if self.produced is None:
            return {}
        return {
            pid: self.produced[pid] - self.received.get(pid, 0)
            for pid in self.produced
            if self.produced[pid] > self.received.get(pid, 0)
        }

    # -- filling ----------------------------------------------------------------------------
    def set_driver(self, pid: int) -> None:
        self.driver_pid = pid
        self._lane_for(pid, 0)
        self._changed()

    def apply(
        self,
        frames: Iterable[bytes],
        samples: Iterable[Sample] = (),
        states: Iterable[tuple[int, int, int, int]] = (),
    ) -> None:
        """Take a batch of raw frames, samples and thread-state intervals
        ``(lane, start_ns, end_ns, state)``; notify listeners once."""
        self.apply_batch(wire.decode_batch(frames), samples, states)

    def apply_batch(
        self,
        batch: wire.Batch,
        samples: Iterable[Sample] = (),
        states: Iterable[tuple[int, int, int, int]] = (),
    ) -> None:
        """:meth:`apply` of frames already decoded (:func:`wire.decode_batch`)."""
        self.bad_frames += batch.bad
        received, sent = self.received, self.reported_sent
        for pid, count, reported in batch.counts:
            received[pid] = received.get(pid, 0) + count
            sent[pid] = reported
        records = batch.records
        if len(records):
            newest = int(records["t"].max())
            self.latest_event_ns = max(self.latest_event_ns or NO_TIME, newest)
            self._apply_records(records, batch.pids)
        for pid, items in batch.texts:
            self._apply_texts(pid, items)
        samples = list(samples)
        if samples:
            self._apply_samples(samples)
        states = list(states)
        if states:
            self.thread_states.extend(states)
        self._changed()

    def _lane_for(self, pid: int, thread: int) -> int:
        key = (pid, thread)
        index = self._lane_of.get(key)
        if index is not None:
            return index
        index = len(self.lanes)
        if pid == self.driver_pid and thread == 0:
            role, number, label = "main", 0, f"Main · PID {pid}"
        elif pid == self.driver_pid:
            number = sum(1 for lane in self.lanes if lane.role == "thread") + 1
            role, label = "thread", f"Thread {number} · PID {pid}"
        else:
            number = sum(1 for lane in self.lanes if lane.role == "worker") + 1
            role, label = "worker", f"Worker {number} · PID {pid}"
        self.lanes.append(Lane(index, pid, thread, role, label, number))
        self._lane_of[key] = index
        return index

    def _apply_records(self, rec: np.ndarray, pid: np.ndarray) -> None:
        kind = rec["kind"]
        # Lanes are made in the order their processes and threads said they were ready,
        # before the vectorised steps below make any (those go by pid).
        ready = np.flatnonzero(kind == _READY)
        for row in ready.tolist():
            self._lane_for(int(pid[row]), int(rec["lane"][row]))
        # Task starts and ends are the bulk: handle them vectorised.
        started = kind == _STARTED
        if started.any():
            self._apply_starts(rec[started], pid[started])
        finished = kind == _FINISHED
        if finished.any():
            rows = rec[finished]
            tasks = rows["task"]
            valid = (tasks >= 0) & (tasks < self.n_tasks)
            rows, tasks = rows[valid], tasks[valid]
            was_done = self.task_status[tasks] == DONE
            self.task_end[tasks] = rows["t"]
            self.task_status[tasks] = DONE
            self.task_value[tasks] = np.where(rows["flags"] == 0, rows["value"], np.nan)
            began = self.task_cpu[tasks]
            measured = (began != NO_TIME) & (rows["aux"] > 0)  # the probe read its CPU clock
            self.task_cpu[tasks] = np.where(measured, np.maximum(rows["aux"] - began, 0), NO_TIME)
            self.n_done += int(np.count_nonzero(~was_done))
        talk = (kind >= _SENT) & (kind <= _WAIT)
        if talk.any():
            rows = rec[talk]
            lanes = self._lane_indices(pid[talk], rows["lane"])
            self.messages.add_records(rows, lanes, _SENT, _WAIT)
            self.latest_event_ns = max(
                self.latest_event_ns or NO_TIME,
                int(rows["aux"][rows["kind"] == _WAIT].max(initial=NO_TIME)),
            )
        rare = ~(started | finished | talk)
        if rare.any():
            for row, row_pid in zip(rec[rare].tolist(), pid[rare].tolist(), strict=True):
                self._apply_rare(row, row_pid)

    def _lane_indices(self, pids: np.ndarray, threads: np.ndarray) -> np.ndarray:
        """The lane index of each (pid, thread) pair, making lanes as needed."""
        keys = pids.astype(np.int64) << 16 | threads.astype(np.int64)
        known, lanes = self._lane_table
        if len(known):  # the usual tick: every pair has its lane already (no sort)
            at = np.minimum(np.searchsorted(known, keys), len(known) - 1)
            if bool((known[at] == keys).all()):
                found: np.ndarray = lanes[at]
                return found
        unique, inverse = np.unique(keys, return_inverse=True)
        table = np.array([self._lane_for(int(k >> 16), int(k & 0xFFFF)) for k in unique], np.int32)
        indices: np.ndarray = table[inverse.reshape(-1)]
        order = sorted((pid << 16 | thread, lane) for (pid, thread), lane in self._lane_of.items())
        self._lane_table = (
            np.array([key for key, _ in order], np.int64),
            np.array([index for _, index in order], np.int32),
        )
        return indices

    def _apply_starts(self, rows: np.ndarray, pids: np.ndarray) -> None:
        tasks = rows["task"]
        valid = (tasks >= 0) & (tasks < self.n_tasks)
        rows, pids, tasks = rows[valid], pids[valid], tasks[valid]
        lane_index = self._lane_indices(pids, rows["lane"])
        fresh = self.task_status[tasks] == PENDING
        self.task_lane[tasks] = lane_index
        self.task_start[tasks] = rows["t"]
        self.task_cpu[tasks] = np.where(rows["aux"] > 0, rows["aux"], NO_TIME)
        self.task_status[tasks] = np.where(fresh, RUNNING, self.task_status[tasks])
        self.n_started += int(np.count_nonzero(fresh))
        order = np.argsort(rows["t"], kind="stable")
        for index in np.flatnonzero(np.bincount(lane_index)).tolist():
            in_lane = order[lane_index[order] == index]
            self.lanes[index].tasks.extend(tasks[in_lane])

    def _apply_rare(self, row: tuple[Any, ...], pid: int) -> None:
        kind, flags, thread, task, t, value, aux = row
        if kind == Kind.RUN_STARTED:
            self.run_started_ns = t
            self.state = RUN_RUNNING
        elif kind == Kind.WORKERS_REQUESTED:
            if task >= 0:
                self.requests_by_task[task] = t
            else:
                self.pending_request_ns = t
            # Frames of different processes may arrive in any order: a worker that said
            # it was ready before its request arrived gets its start-up now.
            for index, lane_task in list(self._unrequested.items()):
                lane = self.lanes[index]
                if lane_task == task and t <= lane.ready_ns:
                    lane.requested_ns = t
                    del self._unrequested[index]
        elif kind == Kind.WORKER_READY:
            index = self._lane_for(pid, thread)
            lane = self.lanes[index]
            lane.ready_ns = t
            if thread:
                lane.native_id = aux
            requested = (
                self.requests_by_task.get(task, NO_TIME) if task >= 0 else (self.pending_request_ns)
            )
            if requested != NO_TIME and requested <= t:
                lane.requested_ns = requested
            else:
                lane.requested_ns = t
                self._unrequested[index] = task
        elif kind == Kind.WORKER_DONE:
            lane = self.lanes[self._lane_for(pid, thread)]
            lane.done_ns = t
            lane.cpu_seconds = value
            lane.qt_loaded = bool(flags & 1)
        elif kind == Kind.WORKER_EXITED:
            exited = self.lane(aux, 0)
            if exited is not None:
                exited.exited_ns = t
                exited.exit_code = int(value)
                if self.failure is not None and self.failure.pid == aux:
                    self._mark_worker_death(self.failure, t)
        elif kind == Kind.TASKS_SUBMITTED:
            first, count = max(task, 0), int(value)
            self.task_submitted[first : min(first + count, self.n_tasks)] = t

    def _apply_texts(self, pid: int, items: list[Any]) -> None:
        for item in items:
            if not isinstance(item, list) or len(item) != 6:
                self.bad_frames += 1
                continue
            kind, thread, task, t, _value, text = item
            if kind in (Kind.STDOUT, Kind.STDERR):
                lane = self._lane_for(pid, thread)
                self.texts.append(TextLine(t, lane, task, kind, text))
            elif kind == Kind.TASK_FAILED:
                lane = self._lane_for(pid, thread)
                if 0 <= task < self.n_tasks:
                    if self.task_status[task] != FAILED:
                        self.n_failed += 1
                    self.task_status[task] = FAILED
                    self.task_end[task] = t
                    self.task_errors[task] = text
                    if _value == 1:  # the task called sys.exit()
                        self._exited_tasks.add(task)
                self.texts.append(TextLine(t, lane, task, kind, text))
            elif kind == Kind.RESULT:
                if 0 <= task < self.n_tasks:
                    self.task_text[task] = text
            elif kind == Kind.LOG:
                self.logs.append(text)
            elif kind == Kind.CHANNEL_INFO:
                self.messages.name_channel(text)
            elif kind == Kind.LANE_INFO:
                self._name_lane(pid, thread, text)
            elif kind == Kind.HOST_METRICS:
                if not self.hosts.add_text(text):
                    self.bad_frames += 1
            elif kind == Kind.RUN_FINISHED:
                self.run_finished_ns = t
                self._apply_status(text)

    def _name_lane(self, pid: int, thread: int, text: str) -> None:
        """A cluster's worker names its lane (``label``) and its machine (``host``)."""
        try:
            info = json.loads(text)
        except ValueError:
            info = None
        if not isinstance(info, dict):
            self.bad_frames += 1
            return
        lane = self.lanes[self._lane_for(pid, thread)]
        label, host = info.get("label"), info.get("host")
        if isinstance(label, str) and label:
            lane.label = label
        if isinstance(host, str):
            lane.host = host
        native = info.get("native_id")
        if type(native) is int and native > 0:  # the thread that runs its tasks
            lane.native_id = native

    def _apply_status(self, text: str) -> None:
        try:
            status = json.loads(text)
        except ValueError:
            status = None
        if not isinstance(status, dict):
            status = {"state": RUN_FAILED, "message": text}
        state = run_state(status.get("state", RUN_FAILED))
        self.state = state if state in END_STATES else RUN_FAILED
        self.message = str(status.get("message", ""))
        self.result_text = str(status.get("result", ""))
        failure = Failure.from_dict(status.get("failure"))
        if failure is None:
            return
        error = self.task_errors.get(failure.task, "") if failure.task >= 0 else ""
        if failure.kind in (TASK_RAISED, TASK_EXITED) and error:
            # The task's own exception says more than the experiment's reaction to it
            # (one Process per task: the driver saw only an exit code).
            first = error.split("\n", 1)[0]
            exited = failure.task in self._exited_tasks and first.startswith(EXIT_PREFIX)
            failure = replace(
                failure,
                kind=TASK_EXITED if exited else TASK_RAISED,
                error=first.removeprefix(EXIT_PREFIX) if exited else first,
                user_line=user_line(error) or failure.user_line,
            )
        self.failure = failure
        self.message = self.describe_failure()
        if failure.kind == WORKER_DIED:
            lane = self.lane(failure.pid, 0)
            died = lane.exited_ns if lane is not None else NO_TIME
            if died == NO_TIME:
                died = failure.died_ns or self.run_finished_ns
            self._mark_worker_death(failure, died)

    def describe_failure(self) -> str:
        """The failure's sentence, naming the worker as the timeline does ('' if none)."""
        failure = self.failure
        if failure is None:
            return ""
        lane = self.lane(failure.pid, failure.lane) if failure.pid else None
        return failure.describe(lane.label if lane is not None else "")

    def _mark_worker_death(self, failure: Failure, died_ns: int) -> None:
        """The task whose worker died failed, and its bar ends at that death."""
        task = failure.task
        if failure.kind != WORKER_DIED or not 0 <= task < self.n_tasks or died_ns == NO_TIME:
            return
        if self.task_status[task] == DONE:  # it had returned: the worker died afterwards
            return
        if self.task_status[task] != FAILED:
            self.n_failed += 1
        self.task_status[task] = FAILED
        start = int(self.task_start[task])
        self.task_end[task] = max(died_ns, start) if start != NO_TIME else died_ns
        self.task_errors.setdefault(task, self.describe_failure())

    def _apply_samples(self, samples: list[Sample]) -> None:
        width = self.cpu_percore.view().shape[1] if len(self.cpu_percore) else max(self.cores, 1)
        rows = []
        for sample in samples:
            percore = list(sample.percore)[:width]
            rows.append(percore + [0.0] * (width - len(percore)))
        self.cpu_t.extend([s.t for s in samples])
        self.cpu_percore.extend(np.asarray(rows, np.float32))
        shares = []
        for sample in samples:
            share = list(sample.experiment_percore or [])[:width]
            shares.append(share + [math.nan] * (width - len(share)))
        self.cpu_experiment.extend(np.asarray(shares, np.float32))
        self.cpu_experiment_total.extend([s.experiment for s in samples])
        self.cpu_app.extend([s.app for s in samples])
        procs = [(s.t, *p) for s in samples for p in s.procs]
        if procs:
            self.proc_samples.extend(np.array(procs, dtype=self.proc_samples.view().dtype))

    # -- the end ----------------------------------------------------------------------------
    def finish(
        self, state: str, message: str, end_ns: int, produced: dict[int, int] | None = None
    ) -> None:
        """Close the run: the app knows it is over (all its processes are gone).

        ``state``/``message`` are used only when the driver did not already report an end
        (a Stop, or a driver that died); tasks still running become *interrupted*.
        """
        if self.state not in END_STATES:
            self.state = run_state(state) or RUN_FAILED
            self.message = message
        self.end_ns = end_ns
        if produced is not None:
            self.produced = produced
        running = self.task_status == RUNNING
        self.task_status[running] = INTERRUPTED
        self._changed()

    def describe_loss(self) -> str:
        """A sentence about events lost, naming the workers that lost them."""
        lost = self.lost_by_pid()
        if not lost:
            return "no events lost" if self.produced is not None else "loss not known"
        parts = []
        for pid, count in sorted(lost.items()):
            lane = self.lane(pid)
            name = lane.label if lane else f"PID {pid}"
            if lane is not None and lane.exit_code is not None and lane.exit_code < 0:
                # Its last batch was still in the process when the signal ended it.
                name += f", ended by {signal_name(-lane.exit_code)} before sending them"
            parts.append(f"{count} from {name}")
        return f"{sum(lost.values())} events lost ({'; '.join(parts)})"
