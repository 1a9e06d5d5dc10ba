"""The driver: the experiment's ``if __name__ == "__main__":``, in its own process.

Started by the controller with the ``spawn`` method; it has no Qt, so it may use any
start method for its own workers. It leads its own process group, watches its parent
(an orphaned experiment must not outlive the app) and its workers (``Pool`` hangs
forever when a worker dies; the driver notices, reports and ends the run).
"""

from __future__ import annotations

import importlib
import json
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
import time
import warnings
from typing import Any

from coreography.engine import backends
from coreography.engine import probe as probe_mod
from coreography.engine.launch import RUN_MARKER
from coreography.engine.probe import ProbeSpec, describe_exception
from coreography.engine.worker_watch import created as _created
from coreography.engine.worker_watch import on_created as _on_created
from coreography.engine.workloads import Calibration
from coreography.model.accounting import Accounting
from coreography.model.events import HEADER, MAX_FRAME, MAX_TEXT, Kind, clip_text
from coreography.model.experiment import TIMED_WORKLOADS, Experiment
from coreography.model.failure import (
    EXPERIMENT_RAISED,
    LOAD_ERROR,
    TASK_EXITED,
    TASK_RAISED,
    WORKER_DIED,
    Failure,
    describe_exit,
    signal_name,
    user_line,
)

WATCH_PERIOD = 0.02  # seconds between looks at the workers
#: Before a failure ends the others, they get this long to send what they have buffered
#: (each probe's flusher looks every FLUSHER_PERIOD_S): a task another worker had just
#: started then shows as interrupted, instead of as never started.
LAST_WORDS_S = probe_mod.FLUSHER_PERIOD_S + 0.03
FORKSERVER_READ_DELAY = 0.25  # see Driver._exit_code


def _measured_calibration() -> Calibration:
    """None cached yet: measure here (not in the app's window thread) and cache it."""
    from coreography.engine.calibration import load_or_measure

    return load_or_measure().calibration()


__all__ = ["Driver", "describe_exit", "driver_main", "signal_name", "standby_main"]
#: The end-of-run status must reach the app whole (one text event of valid JSON): an
#: exception's first line is clipped to this many characters (its traceback travels with
#: the task), and every text shortened further if the status would still not fit.
STATUS_TEXT_LIMIT = 600


class Driver:
    """Runs one experiment and reports everything about it."""

    def __init__(self, experiment: Experiment, spec: ProbeSpec) -> None:
        self.experiment = experiment
        self.spec = spec
        self.ctx = multiprocessing.get_context(experiment.start_method)
        self.backend = backends.backend_for(experiment.model)
        self.probe = probe_mod.install(spec.replace(is_driver=True))
        self.worker_spec = spec
        _on_created.append(lambda: self.requested(-1, 1.0))
        self._end_lock = threading.Lock()
        self._ended = False
        self._processes: dict[int, Any] = {}  # pid -> Process, every worker ever seen
        self._worker_source: Any = None  # callable returning the current worker Processes
        self._done = threading.Event()
        self._terminating = False
        self._collected = False  # every result is in; only the shutdown is left
        self._excused: set[int] = set()  # pids whose exit during shutdown was logged
        self._ready_since: dict[int, float] = {}  # forkserver: when a child's status was due
        self._died_ns: dict[int, int] = {}  # pid -> when the watcher first saw it gone
        self._reported = threading.Event()  # the end's status has been sent

    # -- the end, exactly once --------------------------------------------------------------
    def end(
        self,
        state: str,
        message: str,
        result: str = "",
        failure: Failure | None = None,
        **extra: Any,
    ) -> bool:
        """Report the run's end once: every worker's exit (at the time it was seen), then
        the status, whose ``failure`` carries the cause as fields (pid, lane, task,
        exit code or error) for the app to word."""
        with self._end_lock:
            ended, self._ended = self._ended, True
        if ended:  # another thread is reporting the end: let it finish before going on
            self._reported.wait(5)
            return False
        self._done.set()
        for pid, process in list(self._processes.items()):
            code = process.exitcode
            if code is not None:
                died = self._died_ns.get(pid)
                self.probe.emit(Kind.WORKER_EXITED, 0, -1, float(code), pid, t=died)
        fields: dict[str, Any] = {"state": state, "message": message, "result": result, **extra}
        if failure is not None:
            fields["failure"] = {**failure.to_dict(), "died_ns": failure.died_ns}
        self.probe.text(Kind.RUN_FINISHED, 0, -1, _status_json(fields))
        for stream in (sys.stdout, sys.stderr):
            if isinstance(stream, probe_mod.LineCapture):
                stream.flush()
        self.probe.close()
        self._close_pipe()
        self._reported.set()
        return True

    def _close_pipe(self) -> None:
        """Close this process's end of the event pipe: the status was its last frame.

        The driver holds the pipe's last write end (its workers have exited), so the app's
        reader finds the end of the pipe in the same read as the status, instead of one
        read later, after its nap (about 10 ms more for every run). Nothing is sent after
        the status: anything the probe were asked to send now would be counted as lost.
        """
        try:
            self.spec.conn.close()
        except OSError:
            pass

    def fail_and_exit(self, failure: Failure) -> None:
        """A worker died: report it, end every other process, leave at once."""
        time.sleep(LAST_WORDS_S)
        if self.end("failed", failure.describe(), failure=failure):
            from coreography.engine.process_tree import kill_descendants, kill_own_group

            kill_descendants()
            kill_own_group()
            os._exit(0)

    # -- watching workers ---------------------------------------------------------------------
    def watch(self, source: Any) -> None:
        """Watch the Processes ``source()`` returns, until the run ends."""
        self._worker_source = source
        threading.Thread(target=self._watch_loop, name="coreography-watch", daemon=True).start()

    def _watch_loop(self) -> None:
        while not self._done.wait(WATCH_PERIOD):
            death = self._find_death()
            if death is None:
                continue
            if not self._collected:
                self.fail_and_exit(death)
                return
            self._excuse(death)

    def _excuse(self, death: Failure) -> None:
        """Every result had arrived; the pool was only shutting down. The run is
        complete, so say what happened instead of failing it."""
        self._excused.add(death.pid)
        self.probe.text(Kind.LOG, 0, -1, f"after every result had arrived, {death.describe()}")

    def _find_death(self) -> Failure | None:
        """The first worker that ended abnormally, described, or None."""
        try:
            current = list(self._worker_source() or []) if self._worker_source else []
        except Exception:  # the pool may be changing its list right now
            current = []
        for process in current + _created:
            if process.pid is not None:
                self._processes.setdefault(process.pid, process)
        deaths = []
        for pid, process in list(self._processes.items()):
            code = self._exit_code(pid, process)
            if code == 1 and self.backend.task_error_exits_worker:
                continue  # the task raised; the backend's join loop reports it
            if (code == -signal.SIGTERM and self._terminating) or pid in self._excused:
                continue
            if code not in (None, 0):
                deaths.append((pid, code))
            elif code == 0 and not self._collected and self._task_of(pid) >= 0:
                deaths.append((pid, code))  # a clean exit in the middle of a task: os._exit(0)
        if not deaths:
            return None
        # A pool that notices a death terminates the others: name the first cause.
        pid, code = min(deaths, key=lambda death: death[1] == -signal.SIGTERM)
        return Failure(
            WORKER_DIED,
            pid=pid,
            task=self._task_of(pid),
            exit_code=code,
            died_ns=self._died_ns.get(pid),
        )

    def _exit_code(self, pid: int, process: Any) -> int | None:
        """A worker's exit code, read without racing its pool.

        Under forkserver a child's exit status is one message on a pipe: when the pool's
        own thread and this watcher both read it, the loser gets end-of-file and
        multiprocessing records exit code 255 for a worker that exited cleanly. So the
        watcher leaves the read to the pool for a moment and only then reads itself.
        """
        popen = getattr(process, "_popen", None)
        if popen is None:
            return None
        code: int | None
        if popen.returncode is not None or self.experiment.start_method != "forkserver":
            code = process.exitcode
            if code is not None:
                self._died_ns.setdefault(pid, time.perf_counter_ns())
            return code
        if not multiprocessing.connection.wait([popen.sentinel], 0):
            return None
        # The process is gone now (its sentinel says so), even if its status is read later.
        self._died_ns.setdefault(pid, time.perf_counter_ns())
        ready = self._ready_since.setdefault(pid, time.monotonic())
        if time.monotonic() - ready < FORKSERVER_READ_DELAY:
            return None
        code = process.exitcode
        return code

    def _task_of(self, pid: int) -> int:
        return Accounting(self.spec.shared).task_of(pid)

    # -- running --------------------------------------------------------------------------------
    def run(self) -> None:
        exp = self.experiment
        probe = self.probe
        probe.emit(Kind.RUN_STARTED, 0, -1, float(exp.tasks))
        if probe.load_error:
            first = probe.load_error.split("\n", 1)[0]
            failure = Failure(LOAD_ERROR, error=first, user_line=user_line(probe.load_error))
            self.end("failed", failure.describe(), failure=failure, error=probe.load_error)
            return
        # The app passes the machine's cached calibration: the same work in every run.
        calibration = None
        if exp.workload in TIMED_WORKLOADS:
            calibration = self.spec.calibration or _measured_calibration()
        self.worker_spec = self.spec.replace(
            calibration=calibration,
            fault_kind=exp.fault.kind,
            fault_task=exp.fault.task if exp.fault.kind != "none" else -1,
            is_driver=False,
        )
        probe.spec = probe.spec.replace(
            calibration=calibration,
            fault_kind=self.worker_spec.fault_kind,
            fault_task=self.worker_spec.fault_task,
        )
        items = list(enumerate(exp.task_args()))
        try:
            results = self._execute(items)
        except BaseException as exc:  # the experiment's own failure: report it plainly
            death = self._find_death()  # a broken pool: say which worker died, and how
            deadline = time.monotonic() + 2 * FORKSERVER_READ_DELAY
            while death is None and time.monotonic() < deadline and self._processes:
                time.sleep(WATCH_PERIOD)
                death = self._find_death()
            if death is not None:
                self.fail_and_exit(death)
            failure = _exception_failure(exc)
            self.end("failed", failure.describe(), failure=failure, error=describe_exception(exc))
            return
        while (death := self._find_death()) is not None:  # exits seen only after the join
            if not self._collected:  # e.g. a one-task Process that died: a real failure
                self.fail_and_exit(death)
            self._excuse(death)
        self.end("finished", "finished", result=clip_text(repr(results), 2000))

    def _execute(self, items: list[tuple[int, Any]]) -> list[Any]:
        return self.backend.run(self, items)

    # -- what a backend may use --------------------------------------------------------------
    def requested(self, task: int, count: float) -> None:
        """Workers are about to start: send it now, before they can say they are ready."""
        self.probe.emit(Kind.WORKERS_REQUESTED, 0, task, count)
        self.probe.flush()

    def mark_collected(self) -> None:
        """Every result is in: a worker ending from now on only shut down badly."""
        self._collected = True

    def mark_terminating(self) -> None:
        """The backend is ending its workers: their SIGTERM exits are not faults."""
        self._terminating = True


def _status_json(fields: dict[str, Any]) -> str:
    """The status as JSON short enough to travel as one text event unclipped (clipping
    JSON would break it): long texts are shortened until it fits."""
    limit = STATUS_TEXT_LIMIT * 2

    def clipped(value: Any) -> Any:
        if isinstance(value, str):
            return clip_text(value, limit)
        if isinstance(value, dict):
            return {key: clipped(item) for key, item in value.items()}
        return value

    def too_long(text: str) -> bool:  # as the text event, and as the frame carries it
        room = MAX_FRAME - HEADER.size - 100
        return len(text) > MAX_TEXT - 16 or len(json.dumps(text)) > room

    text = json.dumps(fields)
    while too_long(text) and limit > 16:
        limit //= 2
        text = json.dumps(clipped(fields))
    return text


def _exception_failure(exc: BaseException) -> Failure:
    """The cause of a run whose experiment raised: a task's exception (the probe marked
    it with its task, process and thread) or the experiment's own."""
    task = getattr(exc, "coreography_task", None)
    error = clip_text(f"{type(exc).__name__}: {exc}".split("\n", 1)[0], STATUS_TEXT_LIMIT)
    line = user_line(describe_exception(exc))
    if not isinstance(task, int):
        return Failure(EXPERIMENT_RAISED, error=error, user_line=line)
    pid, lane = getattr(exc, "coreography_pid", 0), getattr(exc, "coreography_lane", 0)
    kind = TASK_RAISED
    if isinstance(exc, probe_mod.TaskExit):
        kind, error = TASK_EXITED, clip_text(str(exc), STATUS_TEXT_LIMIT)
    elif isinstance(exc, probe_mod.TaskInterrupted):
        error = clip_text(str(exc).split("\n", 1)[0], STATUS_TEXT_LIMIT)
    return Failure(
        kind,
        pid=pid if isinstance(pid, int) else 0,
        lane=lane if isinstance(lane, int) else 0,
        task=task,
        error=error,
        user_line=line,
    )


def _watch_parent() -> None:
    """End this whole process group when the app that started it disappears."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def wait() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        # Loaded only now: psutil is not needed to run, and every import before the
        # driver says it is ready delays the first run.
        from coreography.engine.process_tree import kill_descendants, kill_marked, kill_own_group

        kill_descendants()
        kill_marked(os.environ.get(RUN_MARKER, ""))  # those that left the tree too
        kill_own_group()
        os._exit(1)

    threading.Thread(target=wait, name="coreography-parent-watch", daemon=True).start()


def driver_main(
    experiment_data: dict[str, Any],
    spec: ProbeSpec,
    log_path: str = "",
    backend: str = "",
    run_id: str = "",
) -> None:
    """Entry point of the driver process (the target the controller spawns).

    ``log_path``: where this process tree's raw stderr goes (inherited by every worker),
    so that a crash the probe cannot report still leaves its last words for the app.
    ``backend``: the module of the model's runner, imported first: a model registered
    outside the package becomes known in this fresh process that way.
    ``run_id``: marks the environment of this process and of every process it starts
    (:data:`~coreography.engine.process_tree.RUN_MARKER`), so that one that leaves the
    tree is still found and ended.
    """
    _set_up_process(log_path, run_id)
    _run(experiment_data, spec, backend)


def _set_up_process(log_path: str, run_id: str) -> None:
    """What the driver does first: its mark, its log, its own group, its parent watch."""
    if run_id:
        os.environ[RUN_MARKER] = run_id
    if log_path:
        log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.dup2(log, 2)
        os.close(log)
    if hasattr(os, "setpgrp"):
        os.setpgrp()  # Stop can now end the whole tree with one killpg.
    _watch_parent()
    # The driver has no Qt and forks on purpose; its helper threads hold no locks then.
    warnings.filterwarnings("ignore", message=r".*use of fork\(\) may lead to deadlocks")


def _run(experiment_data: dict[str, Any], spec: ProbeSpec, backend: str) -> None:
    if backend:
        importlib.import_module(backend)
    experiment = Experiment.from_dict(experiment_data)
    Driver(experiment, spec).run()
    _leave()


def _leave() -> None:
    """The run is reported: leave at once. The interpreter's own teardown (every module
    and object freed) would keep the app waiting for the end of the event pipe, which
    ends the run, for another 0.1 to 0.3 s; multiprocessing's exit work (finalizers that
    remove the pools' semaphores, joining children) still runs."""
    from multiprocessing import util

    util._exit_function()  # type: ignore[attr-defined]
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(0)


#: What a driver started ahead of time loads while it waits: the runners of the shipped
#: models and what they use, so that a run's start pays for none of it.
_AHEAD = (
    "coreography.engine.backends.pool",
    "coreography.engine.backends.executor",
    "coreography.engine.backends.processes",
    "coreography.engine.backends.threads",
    "coreography.engine.backends.sequential",
    "multiprocessing.pool",
    "concurrent.futures.process",
)


def standby_main(spec: ProbeSpec, log_path: str, run_id: str, orders: Any) -> None:
    """Entry point of a driver started ahead of time (the controller keeps one ready).

    It sets itself up as :func:`driver_main` does, loads what a run needs, says
    ``ready`` on ``orders`` and waits there for one run: ``(experiment_data, fields,
    backend)``, where ``fields`` fill in ``spec`` (workload, code, calibration, echo).
    ``None`` or the end of ``orders`` (the app let it go, or is gone) ends it.
    """
    _set_up_process(log_path, run_id)
    for module in _AHEAD:
        try:
            importlib.import_module(module)
        except ImportError:  # a platform without one of them: loaded when used
            pass
    try:
        orders.send_bytes(b"ready")
    except OSError:
        pass  # its run came before it was ready, and the app closed its end: read on
    try:
        order = orders.recv()
    except (EOFError, OSError):
        return
    if order is None:
        return
    experiment_data, fields, backend = order
    orders.close()
    _run(experiment_data, spec.replace(**fields), backend)
