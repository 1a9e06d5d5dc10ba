"""Inside a Dask worker: the task wrapper and the plugin that reports what ran.

The app's pipe reaches only processes on its own machine, so a Dask worker reports over
Dask's own channels, wherever it runs: :class:`Observer`, a ``WorkerPlugin``, sees each
of the run's tasks enter ``executing`` (the moment the bar appears) and leave it
(``memory`` or ``error``), buffers one small record per transition, and sends the buffer
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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from coreography.engine.probe import describe_exception, inject_fault
from coreography.engine.workloads import Calibration, run_workload
from coreography.model.events import Kind, clip_text
from coreography.model.failure import EXIT_PREFIX, exit_call
from coreography.model.user_code import load_task

#: Send the buffer when a transition comes this long after the last send.
SEND_NS = 10_000_000
#: And look this often (ms) while the worker is busy with a long task.
PERIOD_MS = 50
#: Records of a batch: ``[kind, task, t_ns, value, aux, flags]``.
STARTED, FINISHED = int(Kind.TASK_STARTED), int(Kind.TASK_FINISHED)
FAILED, STDOUT, RESULT = int(Kind.TASK_FAILED), int(Kind.STDOUT), int(Kind.RESULT)


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
    #: task id -> (end wall ns, thread CPU ns used, result) of tasks that returned.
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
    out = io.StringIO()
    cpu = time.thread_time_ns()
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
    used = time.thread_time_ns() - cpu
    _keep_printed(state, task_id, out)
    state.finished[task_id] = (time.time_ns(), used, result)
    return result


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
        self._hello()
        from tornado.ioloop import PeriodicCallback

        self._timer = PeriodicCallback(self._tick, PERIOD_MS)
        self._timer.start()

    def teardown(self, worker: Any) -> None:
        self._timer.stop()
        self.send()
        _RUNS.pop(self.config.run_id, None)

    def _now(self) -> int:
        return time.time_ns()

    def _hello(self) -> None:
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
                    "task_thread": self._task_thread(),
                },
            },
        )

    def _task_thread(self) -> int:
        """The native id of the thread that runs this worker's tasks (one thread each in
        the clusters a run starts; of several, the first), 0 if not known."""
        try:
            executor = self.worker.executors["default"]
            return int(executor.submit(threading.get_native_id).result(timeout=5))
        except Exception:
            return 0

    def transition(self, key: Any, start: str, finish: str, *args: Any, **kwargs: Any) -> None:
        if type(key) is not str or not key.startswith(self.prefix):
            return
        task = int(key[len(self.prefix) :])
        if finish == "executing":
            self.records.append([STARTED, task, self._now(), 0.0, 0, 0])
        elif start == "executing":
            state = self.state
            for line in state.printed.pop(task, ()):
                self.texts.append([STDOUT, task, self._now(), line])
            if finish == "memory":
                end, used, result = state.finished.pop(task, (time.time_ns(), 0, None))
                value, flags = _numeric(result)
                self.records.append([FINISHED, task, end, value, used, flags])
                if flags == 2:
                    self.texts.append([RESULT, task, end, _safe_repr(result)])
            elif finish == "error":
                text = state.errors.pop(task, "") or self._error_text(key)
                self.texts.append([FAILED, task, self._now(), clip_text(text)])
                self.send()  # often the end of the run: say it now
                return
        if time.time_ns() - self.last_send >= SEND_NS:
            self.send()

    def _error_text(self, key: str) -> str:
        ts = self.worker.state.tasks.get(key)
        if ts is None:
            return "the task failed on the Dask worker"
        return f"{ts.exception_text}\n{ts.traceback_text}"

    def _tick(self) -> None:
        if self.records or self.texts:
            self.send()

    def send(self) -> int:
        """Send what is buffered as one event on the run's topic; returns batches sent."""
        if self.records or self.texts:
            records, self.records = self.records, []
            texts, self.texts = self.texts, []
            self.batches += 1
            self.worker.log_event(
                self.topic,
                {
                    "pid": os.getpid(),
                    "n": self.batches,
                    "delay_s": float(self.worker.scheduler_delay),
                    "records": records,
                    "texts": texts,
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
