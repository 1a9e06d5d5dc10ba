"""Inside a Dask worker: the task wrapper and the plugin that reports what ran.

The app's pipe reaches only processes on its own machine, so a Dask worker reports over
Dask's own channels, wherever it runs: the task wrapper notes its start in the thread
that runs it (the moment the bar appears; each of a worker's threads is a lane),
:class:`Observer`, a ``WorkerPlugin``, sees each of the run's tasks leave ``executing``
(``memory`` or ``error``), buffers one small record per start and end, and sends the buffer
as one event on the run's topic (``Worker.log_event``) when 10 ms have passed since the
last send, and every 50 ms while a task runs. The scheduler forwards the topic to the
run's client (``Client.subscribe_topic``), where the driver turns the records into the
app's frames (:mod:`coreography.engine.backends.dask`).

Times are the worker's wall clock; each batch also carries Dask's own estimate of how
far that clock is from the scheduler's (``Worker.scheduler_delay``, from its
heartbeats), which the driver applies to a worker on another machine.

:func:`run_task` is what the cluster runs for each task: the workload (or the user's
``task``), the deliberate fault, the task's printed lines, its thread CPU time and its
exception's traceback, kept for the plugin by task id.
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from coreography.engine.probe import describe_exception, inject_fault
from coreography.engine.workloads import Calibration, run_workload
from coreography.model.events import TASK_PHASES, Kind, clip_text
from coreography.model.failure import EXIT_PREFIX, exit_call
from coreography.model.user_code import load_task

#: Send the buffer when a transition comes this long after the last send.
SEND_NS = 10_000_000
#: And look this often (ms) while the worker is busy with a long task.
PERIOD_MS = 50
#: Records of a batch: ``[kind, task, t_ns, value, aux, flags, lane]``; texts:
#: ``[kind, task, t_ns, text, lane]``; the lane is the thread's ordinal in the worker.
STARTED, FINISHED = int(Kind.TASK_STARTED), int(Kind.TASK_FINISHED)
FAILED, STDOUT, RESULT = int(Kind.TASK_FAILED), int(Kind.STDOUT), int(Kind.RESULT)
WAIT = int(Kind.WAIT)
#: Not an event: a task thread's first task, ``[THREAD, lane, native id, t_ns]``.
THREAD = -1


@dataclass(frozen=True)
class TaskConfig:
    """What every task of one run needs, sent once with the plugin."""

    run_id: str
    workload: str
    calibration: Calibration | None
    fault_kind: str = "none"
    fault_task: int = -1
    code: str = ""


@dataclass
class _RunState:
    config: TaskConfig
    task_fn: Callable[[Any], Any] | None = None
    #: Records the task threads made (a task's start, a thread's first task) for the
    #: plugin to send from the event loop: a deque's append and popleft are thread-safe.
    pending: deque[list[Any]] = field(default_factory=deque)
    #: native thread id -> its lane (0: the thread the hello named), in order first seen.
    ordinals: dict[int, int] = field(default_factory=dict)
    ordinal_lock: threading.Lock = field(default_factory=threading.Lock)
    #: task id -> the lane (thread ordinal) that runs it.
    lane_of: dict[int, int] = field(default_factory=dict)
    #: task id -> (end wall ns, the thread's CPU clock then (ns), result) of tasks that
    #: returned.
    finished: dict[int, tuple[int, int, Any]] = field(default_factory=dict)
    #: task id -> ``Type: message`` and the traceback of tasks that raised.
    errors: dict[int, str] = field(default_factory=dict)
    #: task id -> lines the task printed.
    printed: dict[int, list[str]] = field(default_factory=dict)


_RUNS: dict[str, _RunState] = {}


def key_prefix(run_id: str) -> str:
    return f"coreography-{run_id}-"


def task_keys(run_id: str, task_ids: list[int]) -> list[str]:
    """The Dask keys of a run's tasks: the plugin reads the task id back from them."""
    prefix = key_prefix(run_id)
    return [f"{prefix}{task_id}" for task_id in task_ids]


def run_task(run_id: str, task_id: int, arg: Any) -> Any:
    """One task on a Dask worker (the function ``client.map`` and ``submit`` are given)."""
    state = _RUNS.get(run_id)
    if state is None:
        raise RuntimeError("Coreography's worker plugin is not set up on this Dask worker")
    config = state.config
    note_start(state, task_id)
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            if task_id == config.fault_task:
                inject_fault(config.fault_kind, task_id)
            if state.task_fn is not None:
                result = state.task_fn(arg)
            else:
                result = run_workload(config.workload, arg, config.calibration)
    except BaseException as exc:
        _keep_printed(state, task_id, out)
        first = f"{EXIT_PREFIX}{exit_call(exc.code)}" if isinstance(exc, SystemExit) else None
        state.errors[task_id] = describe_exception(exc, first)
        marked = exc if isinstance(exc, Exception) else RuntimeError(f"{type(exc).__name__}")
        try:
            marked.coreography_task = task_id  # type: ignore[attr-defined]
            marked.coreography_pid = os.getpid()  # type: ignore[attr-defined]
        except AttributeError:
            pass
        if marked is exc:
            raise
        raise marked from None
    cpu = time.thread_time_ns()
    _keep_printed(state, task_id, out)
    state.finished[task_id] = (time.time_ns(), cpu, result)
    return result


def note_start(state: _RunState, task_id: int) -> None:
    """The bar begins here, in the thread that runs the task (which is its lane), with
    the thread's CPU clock, as the probe's TASK_STARTED has them."""
    lane = _lane(state, threading.get_native_id())
    state.lane_of[task_id] = lane
    state.pending.append([STARTED, task_id, time.time_ns(), 0.0, time.thread_time_ns(), 0, lane])


def _lane(state: _RunState, native_id: int) -> int:
    """This thread's lane: its ordinal among the worker's task threads. A thread seen
    for the first time is announced with its native id (the thread-state sampler's)."""
    lane = state.ordinals.get(native_id)
    if lane is None:
        with state.ordinal_lock:
            lane = state.ordinals.setdefault(native_id, len(state.ordinals))
        state.pending.append([THREAD, lane, native_id, time.time_ns()])
    return lane


def _memory_total() -> int:
    try:
        import psutil  # distributed's own dependency

        return int(psutil.virtual_memory().total)
    except Exception:
        return 0


def _keep_printed(state: _RunState, task_id: int, out: io.StringIO) -> None:
    text = out.getvalue()
    if text:
        state.printed[task_id] = text.rstrip("\n").split("\n")


def _numeric(result: Any) -> tuple[float, int]:
    """The value a TASK_FINISHED carries: the number, or NaN with how to read it."""
    if isinstance(result, bool | int) and -(2**53) <= result <= 2**53:
        return float(result), 0
    if isinstance(result, float):
        return result, 0
    if result is None:
        return float("nan"), 1
    return float("nan"), 2


def _safe_repr(value: Any) -> str:
    try:
        return clip_text(repr(value), 500)
    except Exception as exc:  # a user's __repr__ may fail
        return f"<unprintable {type(value).__name__}: {exc}>"


class Observer(WorkerPlugin):
    """Reports one run's task transitions on this worker to the run's topic."""

    idempotent = False

    def __init__(self, config: TaskConfig, topic: str) -> None:
        self.config = config
        self.topic = topic
        self.name = f"coreography-{config.run_id}"

    def setup(self, worker: Any) -> None:
        self.worker = worker
        self.prefix = key_prefix(self.config.run_id)
        self.records: list[list[Any]] = []
        self.texts: list[list[Any]] = []
        self.threads: list[list[int]] = []  # [lane, native id, t] of threads first seen
        self.batches = 0
        self.last_send = time.time_ns()
        state = _RunState(self.config)
        if self.config.workload == "custom" and self.config.code:
            try:
                state.task_fn = load_task(self.config.code)
            except BaseException as exc:  # the user's module failed: every task says why
                message = f"your code could not be loaded: {type(exc).__name__}: {exc}"

                def failing(arg: Any) -> Any:
                    raise RuntimeError(message)

                state.task_fn = failing
        self.state = state
        _RUNS[self.config.run_id] = state
        first = self._task_thread()
        if first:
            state.ordinals[first] = 0
        self._hello(first)
        from tornado.ioloop import PeriodicCallback

        self._timer = PeriodicCallback(self._tick, PERIOD_MS)
        self._timer.start()

    def teardown(self, worker: Any) -> None:
        self._timer.stop()
        self.send()
        _RUNS.pop(self.config.run_id, None)

    def _now(self) -> int:
        return time.time_ns()

    def _hello(self, task_thread: int) -> None:
        worker = self.worker
        self.worker.log_event(
            self.topic,
            {
                "hello": {
                    "pid": os.getpid(),
                    "name": str(worker.name),
                    "address": str(worker.address),
                    "host": str(worker.ip),
                    "hostname": socket.gethostname(),
                    "nthreads": int(worker.state.nthreads),
                    "cpus": os.cpu_count() or 0,
                    "memory_total": _memory_total(),
                    "t": self._now(),
                    "delay_s": float(worker.scheduler_delay),
                    "task_thread": task_thread,
                },
            },
        )

    def _task_thread(self) -> int:
        """The native id of a thread that runs this worker's tasks (with one thread, the
        thread; of several, the one that becomes lane 0), 0 if not known."""
        try:
            executor = self.worker.executors["default"]
            return int(executor.submit(threading.get_native_id).result(timeout=5))
        except Exception:
            return 0

    def transition(self, key: Any, start: str, finish: str, *args: Any, **kwargs: Any) -> None:
        if type(key) is not str or not key.startswith(self.prefix):
            return
        # A task's start is reported by its thread (run_task); its end is when it leaves
        # executing (or long-running: a task that seceded from the thread pool).
        if start not in ("executing", "long-running") or finish == "long-running":
            return
        task = int(key[len(self.prefix) :])
        self._take_pending()  # its start first
        state = self.state
        lane = state.lane_of.pop(task, 0)
        for line in state.printed.pop(task, ()):
            self.texts.append([STDOUT, task, self._now(), line, lane])
        self._phases(key, task, lane)
        if finish == "memory":
            end, cpu, result = state.finished.pop(task, (time.time_ns(), 0, None))
            value, flags = _numeric(result)
            self.records.append([FINISHED, task, end, value, cpu, flags, lane])
            if flags == 2:
                self.texts.append([RESULT, task, end, _safe_repr(result), lane])
        elif finish == "error":
            text = state.errors.pop(task, "") or self._error_text(key)
            self.texts.append([FAILED, task, self._now(), clip_text(text), lane])
            self.send()  # often the end of the run: say it now
            return
        if time.time_ns() - self.last_send >= SEND_NS:
            self.send()

    def _phases(self, key: str, task: int, lane: int) -> None:
        """What Dask reports of the task besides its compute (``startstops``): fetching
        its inputs from other workers, reading them from disk, ... as WAIT spans."""
        ts = self.worker.state.tasks.get(key)
        for step in getattr(ts, "startstops", None) or ():
            flag = TASK_PHASES.get(step.get("action", ""))
            if flag is None:
                continue
            start, stop = float(step["start"]), float(step["stop"])
            if step["action"] == "transfer":  # Dask stamps these on the scheduler's clock
                delay = float(self.worker.scheduler_delay)
                start, stop = start - delay, stop - delay
            begin, end = int(start * 1e9), int(stop * 1e9)
            self.records.append([WAIT, task, begin, 0.0, max(end, begin), flag, lane])

    def _take_pending(self) -> None:
        pending = self.state.pending
        while pending:
            item = pending.popleft()
            if item[0] == THREAD:
                self.threads.append(item[1:])
            else:
                self.records.append(item)

    def _error_text(self, key: str) -> str:
        ts = self.worker.state.tasks.get(key)
        if ts is None:
            return "the task failed on the Dask worker"
        return f"{ts.exception_text}\n{ts.traceback_text}"

    def _tick(self) -> None:
        if self.state.pending or self.records or self.texts:
            self.send()

    def send(self) -> int:
        """Send what is buffered as one event on the run's topic; returns batches sent."""
        self._take_pending()
        if self.records or self.texts or self.threads:
            records, self.records = self.records, []
            texts, self.texts = self.texts, []
            threads, self.threads = self.threads, []
            self.batches += 1
            self.worker.log_event(
                self.topic,
                {
                    "pid": os.getpid(),
                    "n": self.batches,
                    "delay_s": float(self.worker.scheduler_delay),
                    "records": records,
                    "texts": texts,
                    "threads": threads,
                },
            )
        self.last_send = time.time_ns()
        return self.batches


def flush(dask_worker: Any, run_id: str) -> int:
    """Send what the run's plugin holds now (``client.run``); returns its batch count."""
    plugin = dask_worker.plugins.get(f"coreography-{run_id}")
    if not isinstance(plugin, Observer):
        return 0
    return plugin.send()
