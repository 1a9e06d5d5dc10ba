"""In-worker instrumentation: wraps each task, batches events, captures print().

Runs inside experiment processes (the driver, pool workers, plain Processes), so it is
kept light: standard library only, no numpy, no Qt. Events are appended to a list
without a lock (``list.append`` is atomic under the GIL) and sent in frames of at most
:data:`~coreography.model.events.MAX_FRAME` bytes: by a task thread when a frame is full
or the last send is :data:`FLUSH_NS` old (always outside the task's two timestamps), by
a pool worker before it waits for its next task, and by a small flusher thread, so that
a long task shows up at once.

A task's bar is what timing the call with two clock reads around it would show: its
start is read after the probe's own work before the call, its end straight after the
call returns, and the few instructions of the probe that remain between them (storing
the start record, counting it) are measured once per process at start-up
(:meth:`Probe.measure_inner_ns`) and taken off each end.
"""

from __future__ import annotations

import ctypes
import itertools
import os
import pickle
import re
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from coreography.engine.launch import ProbeSpec as ProbeSpec  # where it is made
from coreography.engine.workloads import workload_function
from coreography.model import accounting, wire
from coreography.model.events import RECORDS_PER_FRAME, Kind, clip_text
from coreography.model.failure import EXIT_PREFIX, exit_call
from coreography.model.user_code import load_task

#: The oldest a buffered event gets before its task thread sends it (at its next task's
#: start or end): half the wait before a bar can be on screen, at one send per 5 ms (a
#: frame is ~4 KiB, so a stream of tiny tasks sends on a full frame long before).
FLUSH_NS = 5_000_000  # 5 ms
#: A task that starts after a quiet spell has its start sent by the flusher thread once it
#: has run this long (a shorter task sends its own record when it ends): its bar appears
#: while it runs, and no short task has the flusher's send inside its bar.
EAGER_S = 0.002
#: How often the flusher thread looks. Each look takes the GIL from a busy task (measured:
#: a 10 ms period cost a CPU-bound worker ~1.2 % of its time, 50 ms ~0.2 %); tasks flush
#: for themselves every FLUSH_NS, so the flusher only matters for a long task that started
#: just after a flush: it then shows up within 50 ms instead of at its end.
FLUSHER_PERIOD_S = 0.05
#: Flags of TASK_FINISHED: how to read ``value``.
VALUE_NUMBER, VALUE_NONE, VALUE_IN_TEXT = 0, 1, 2
#: Words per slot of the shared accounting array (see :mod:`coreography.model.accounting`).
SLOT_FIELDS = accounting.RUN_WIDTH

_QT_MODULES = frozenset({"PySide6", "PyQt5", "PyQt6", "PySide2", "pyqtgraph", "shiboken6"})

_now = time.perf_counter_ns
_cpu = time.thread_time_ns
#: Workloads whose tasks always report the CPU they used (the sequential estimate's
#: measure of their work, model/speedup.py).
CPU_MEASURED = frozenset({"cpu", "nogil", "primes"})
#: Any other task's CPU time is measured (two reads of the thread's CPU clock, ~0.3-0.6 µs
#: each) when the thread's previous task took at least this long: there it costs under
#: 0.1 %, while a stream of microsecond tasks keeps the probe's lean hot path.
CPU_FROM_NS = 1_000_000
#: Runs of an empty task measuring the probe's own time between a task's two stamps.
INNER_SAMPLES = 300
_STARTED, _FINISHED = int(Kind.TASK_STARTED), int(Kind.TASK_FINISHED)
#: A task's start flushes first when the buffer could not take its two records.
_ROOM = RECORDS_PER_FRAME - 2
_INT_LIMIT = 2**53


class _ThreadState:
    """What the hot path keeps per thread: its lane, its task, whether to read its CPU."""

    __slots__ = ("lane", "main", "measure_cpu", "task")

    def __init__(self, lane: int) -> None:
        self.lane = lane
        self.main = lane == 0
        self.task = -1
        self.measure_cpu = True


def _same(arg: Any) -> Any:
    return arg


class Probe:
    """One per process: the event buffer and the frame writer."""

    def __init__(self, spec: ProbeSpec) -> None:
        self.spec = spec  # also sets the deliberate fault's task
        self.pid = os.getpid()
        self.events: list[tuple[Any, ...]] = []
        self.texts: list[tuple[Any, ...]] = []
        #: Records already packed (``RECORD.pack``) by the channels' hot paths
        #: (engine/channels.py): one small bytes object each, nothing to pack at a flush.
        self.packed: list[bytes] = []
        self.sent = 0
        self._due = _now() + FLUSH_NS  # when the buffer must go at the latest
        self._flush_lock = threading.Lock()
        self._stop = threading.Event()
        self._poke = threading.Event()  # a task started after a flush: watch it
        self._watched: tuple[_ThreadState, int] | None = None
        self._local = threading.local()
        self._lanes = itertools.count(1)
        self._main = threading.main_thread()
        self.broken = False
        self.slot = self._take_slot()
        # The counters in shared memory, as a view the hot path writes without ctypes;
        # a process without accounting counts into words of its own.
        if self.slot >= 0:
            self._words = memoryview(spec.shared).cast("B").cast("q")
            self._produced_at = self.slot * SLOT_FIELDS + accounting.PRODUCED
            self._task_at = self.slot * SLOT_FIELDS + accounting.TASK
        else:
            self._words = memoryview(bytearray(8 * SLOT_FIELDS)).cast("q")
            self._produced_at, self._task_at = accounting.PRODUCED, accounting.TASK
        self._task_fn: Callable[[Any], Any] | None = None
        self._fn: Callable[[Any], Any] = workload_function(spec.workload, spec.calibration)
        self.load_error = ""
        self.measure_cpu = spec.workload in CPU_MEASURED
        if spec.workload == "custom" and spec.code:
            try:
                self.task_fn = load_task(spec.code)
            except BaseException as exc:  # the user's imports or top-level code failed
                self.load_error = describe_exception(exc)
                self.task_fn = _raise_load_error(exc)
            else:
                if not spec.is_driver:  # results travel back pickled: say so plainly if not
                    self.task_fn = _result_must_pickle(self.task_fn)
        #: The probe's own nanoseconds between a task's two stamps, taken off each end.
        self.inner_ns = 0
        self.inner_ns = self.measure_inner_ns()
        self._flusher = threading.Thread(
            target=self._flush_loop, name="coreography-flush", daemon=True
        )
        self._flusher.start()

    @property
    def spec(self) -> ProbeSpec:
        """What this process reports with; the driver replaces it once it knows more."""
        return self._spec

    @spec.setter
    def spec(self, spec: ProbeSpec) -> None:
        self._spec = spec
        self._fault_task = spec.fault_task

    @property
    def task_fn(self) -> Callable[[Any], Any] | None:
        """The user's task function (None: the workload's own)."""
        return self._task_fn

    @task_fn.setter
    def task_fn(self, function: Callable[[Any], Any] | None) -> None:
        self._task_fn = function
        spec = self.spec
        self._fn = function or workload_function(spec.workload, spec.calibration)

    @property
    def last_flush(self) -> int:
        """When the buffer was last sent (ns); setting it moves the next timed flush."""
        return self._due - FLUSH_NS

    @last_flush.setter
    def last_flush(self, t: int) -> None:
        self._due = t + FLUSH_NS

    @property
    def produced(self) -> int:
        """Events this process produced so far."""
        return int(self._words[self._produced_at])

    def measure_inner_ns(self, samples: int = INNER_SAMPLES) -> int:
        """The probe's own time inside a task's bar: the least bar of an empty task run
        through :meth:`run_task`, less the least time two bare clock reads around the
        same empty call take. Nothing is sent or counted meanwhile."""
        bare = min(_bare_gap(_same) for _ in range(samples))
        saved = self.events, self._words, self._fn, self._due, self.measure_cpu, self.inner_ns
        scratch: list[tuple[Any, ...]] = []
        self.events = scratch
        self._words = memoryview(bytearray(self._words.nbytes)).cast("q")
        self._fn, self._due, self.measure_cpu, self.inner_ns = _same, 1 << 62, False, 0
        state = self._thread_state()
        cpu_flag, state.measure_cpu = state.measure_cpu, False
        least = 1 << 62
        try:
            for _ in range(samples):
                self.run_task(-2, 0)  # no task's id: never the deliberate fault
                least = min(least, scratch[1][4] - scratch[0][4])
                scratch.clear()
        finally:
            self.events, self._words, self._fn, self._due, self.measure_cpu, self.inner_ns = saved
            state.measure_cpu = cpu_flag
        return max(0, least - bare)

    # -- accounting -------------------------------------------------------------------
    def _take_slot(self) -> int:
        spec = self.spec
        if spec.shared is None:
            return -1
        if spec.is_driver:
            slot = 0
        else:
            with spec.next_slot.get_lock():
                slot = spec.next_slot.value
                spec.next_slot.value += 1
        if not accounting.Accounting(spec.shared).claim(slot, self.pid):
            return -1
        return slot

    def _count(self, n: int = 1) -> None:
        self._words[self._produced_at] += n

    # -- lanes (threads) ----------------------------------------------------------------
    def lane(self) -> int:
        """0 for a process's main thread; 1, 2, … for other threads, in order of first use."""
        try:
            return int(self._local.state.lane)
        except AttributeError:
            return int(self._thread_state().lane)

    def _thread_state(self) -> _ThreadState:
        try:
            state: _ThreadState = self._local.state
            return state
        except AttributeError:
            pass
        if threading.current_thread() is self._main:
            state = _ThreadState(0)
        else:
            state = _ThreadState(next(self._lanes))
            self.emit(Kind.WORKER_READY, state.lane, -1, 0.0, threading.get_native_id())
        self._local.state = state
        return state

    # -- emitting -----------------------------------------------------------------------
    def emit(
        self,
        kind: int,
        lane: int,
        task: int,
        value: float = 0.0,
        aux: int = 0,
        flags: int = 0,
        t: int | None = None,
    ) -> None:
        """Buffer one event; ``t`` when it happened, if not now (a death seen earlier)."""
        now = _now()
        self.events.append((kind, flags, lane, task, now if t is None else t, value, aux))
        self._words[self._produced_at] += 1
        if len(self.events) >= RECORDS_PER_FRAME or now >= self._due:
            self.flush()

    def text(self, kind: int, lane: int, task: int, text: str, value: float = 0.0) -> None:
        now = _now()
        self.texts.append((int(kind), lane, task, now, value, clip_text(text)))
        self._words[self._produced_at] += 1
        if len(self.texts) >= 64 or now >= self._due:
            self.flush()

    def flush(self) -> None:
        """Send everything buffered, in frames that each fit one atomic pipe write."""
        with self._flush_lock:
            n_events, n_texts, n_packed = len(self.events), len(self.texts), len(self.packed)
            if not (n_events or n_texts or n_packed) or self.broken:
                return
            events = self.events[:n_events]
            del self.events[:n_events]
            texts = self.texts[:n_texts]
            del self.texts[:n_texts]
            packed = self.packed[:n_packed]
            del self.packed[:n_packed]
            frames, self.sent = wire.encode_frames(self.pid, self.sent, events, texts, packed)
            self._send(frames)
            self._due = _now() + FLUSH_NS

    def _send(self, frames: list[bytes]) -> None:
        lock = self.spec.write_lock
        try:
            if lock is None:
                for frame in frames:
                    self.spec.conn.send_bytes(frame)
            else:
                with lock:
                    for frame in frames:
                        self.spec.conn.send_bytes(frame)
        except (BrokenPipeError, OSError):
            # The app is gone; the driver's parent watch ends this process tree.
            self.broken = True

    def _flush_loop(self) -> None:
        while True:
            poked = self._poke.wait(FLUSHER_PERIOD_S)
            if self._stop.is_set():
                return
            if poked:
                self._poke.clear()
                watched, self._watched = self._watched, None
                if self._stop.wait(EAGER_S):
                    return
                if watched is not None and watched[0].task == watched[1] and self.events:
                    self.flush()  # the task is still running: show it now
                    continue
            if (self.events or self.texts or self.packed) and _now() >= self._due:
                self.flush()

    def close(self, cpu_seconds: float | None = None) -> None:
        """Say goodbye (with this process's CPU time) and send everything left."""
        if self._stop.is_set():
            return
        if cpu_seconds is None:
            times = os.times()
            cpu_seconds = times.user + times.system
        # flags=1: this process loaded Qt (it must not: a worker pays for every import).
        qt_loaded = any(name.split(".")[0] in _QT_MODULES for name in list(sys.modules))
        self.emit(Kind.WORKER_DONE, 0, -1, cpu_seconds, self.pid, flags=int(qt_loaded))
        self._stop.set()
        self._poke.set()  # the flusher leaves now
        self.flush()

    # -- tasks --------------------------------------------------------------------------
    def run_task(self, task_id: int, arg: Any) -> Any:
        """Run one task between two stamps, with its start and end records.

        The hot path. Everything the probe does for a task happens before the start stamp
        or after the end stamp, except storing and counting the start record (measured
        once, :attr:`inner_ns`, and taken off the end)."""
        try:
            state = self._local.state
        except AttributeError:
            state = self._thread_state()
        fn = self._fn if task_id != self._fault_task else self._faulty(task_id)
        lane = state.lane
        state.task = task_id
        words = self._words
        if state.main:
            words[self._task_at] = task_id
        events = self.events
        measure = state.measure_cpu or self.measure_cpu
        cpu = _cpu() if measure else 0
        t = _now()
        if t >= self._due or len(events) > _ROOM:
            # Sent before the start stamp, so that the send is not inside the bar; the
            # start itself follows from the flusher if the task runs long.
            self.flush()
            self._watched = (state, task_id)
            self._poke.set()
            t = _now()
        events.append((_STARTED, 0, lane, task_id, t, 0.0, cpu))
        words[self._produced_at] += 1
        try:
            result = fn(arg)
        except BaseException as exc:
            self._task_failed(task_id, lane, exc)
            if isinstance(exc, Exception):
                raise
            # SystemExit, KeyboardInterrupt: a pool worker would end without reporting
            # the task, and its pool would wait for it forever; as an Exception it
            # travels back to the main process like any error.
            raise _as_exception(exc, task_id, self.pid, lane) from None
        end = _now()
        used = _cpu() if measure else 0
        if type(result) is int and -_INT_LIMIT <= result <= _INT_LIMIT:  # the common case
            value, flags = float(result), VALUE_NUMBER
        else:
            value, flags = _numeric(result)
        events.append((_FINISHED, flags, lane, task_id, max(t, end - self.inner_ns), value, used))
        words[self._produced_at] += 1
        if state.main:
            words[self._task_at] = -1
        state.measure_cpu = end - t >= CPU_FROM_NS
        if flags == VALUE_IN_TEXT:
            self.text(Kind.RESULT, lane, task_id, _safe_repr(result))
        state.task = -1
        if end >= self._due or len(events) >= RECORDS_PER_FRAME:
            self.flush()
        return result

    def _faulty(self, task_id: int) -> Callable[[Any], Any]:
        """The task function with the experiment's deliberate fault before it."""
        fn = self._fn

        def faulty(arg: Any) -> Any:
            self._inject_fault(task_id)
            return fn(arg)

        return faulty

    def _task_failed(self, task_id: int, lane: int, exc: BaseException) -> None:
        """Report the task's exception (``value`` 1: it called sys.exit()) and mark it with
        the task, process and thread, which travel with it back to the driver."""
        try:  # in the exception's __dict__, pickled with it
            exc.coreography_task = task_id  # type: ignore[attr-defined]
            exc.coreography_pid = self.pid  # type: ignore[attr-defined]
            exc.coreography_lane = lane  # type: ignore[attr-defined]
        except AttributeError:
            pass
        exited = isinstance(exc, SystemExit)
        first = f"{EXIT_PREFIX}{exit_call(exc.code)}" if isinstance(exc, SystemExit) else None
        text = describe_exception(exc, first)
        self.text(Kind.TASK_FAILED, lane, task_id, text, float(exited))
        self.flush()
        self._thread_state().task = -1
        if lane == 0:
            self._words[self._task_at] = -1  # no longer running it

    def current_task(self) -> int:
        """The task the calling thread runs, or -1."""
        try:
            return int(self._local.state.task)
        except AttributeError:
            return -1

    def _inject_fault(self, task_id: int) -> None:
        inject_fault(self.spec.fault_kind, task_id, before_dying=self.flush)


def inject_fault(kind: str, task_id: int, before_dying: Callable[[], None] | None = None) -> None:
    """Do the experiment's deliberate fault ``kind`` in task ``task_id``: raise, exit,
    be killed, crash or hang. ``before_dying`` runs first where the process will not
    come back (the probe sends what it holds)."""
    if kind == "raise":
        raise RuntimeError(f"deliberate failure in task {task_id}")
    if before_dying is not None:
        before_dying()
    if kind == "exit":
        os._exit(3)
    elif kind == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(10)
    elif kind == "segv":
        sys.stderr.flush()
        ctypes.string_at(0)
    elif kind == "hang":
        while True:
            time.sleep(1)


class LineCapture:
    """A stand-in for ``sys.stdout`` that turns each printed line into an event."""

    def __init__(self, probe: Probe, original: Any, echo: bool, kind: int = Kind.STDOUT) -> None:
        self._probe = probe
        self._kind = kind
        self._original = original
        self._echo = echo and original is not None
        self._partial = threading.local()
        self.encoding = "utf-8"
        self.errors = "replace"

    def write(self, text: str) -> int:
        if self._echo:
            self._original.write(text)
        pending = getattr(self._partial, "text", "") + text
        *lines, rest = pending.split("\n")
        self._partial.text = rest
        probe = self._probe
        for line in lines:
            probe.text(self._kind, probe.lane(), probe.current_task(), line)
        if lines and self._kind == Kind.STDERR:
            probe.flush()  # often the last words before a crash: send them now
        return len(text)

    def flush(self) -> None:
        rest = getattr(self._partial, "text", "")
        if rest:
            self._partial.text = ""
            self._probe.text(self._kind, self._probe.lane(), self._probe.current_task(), rest)
        if self._echo:
            self._original.flush()

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError("captured output has no file descriptor")


# -- the process-wide probe and the entry points workers call --------------------------
_probe: Probe | None = None


def install(spec: ProbeSpec, task: int = -1) -> Probe:
    """Start reporting from this process (Pool/executor ``initializer``); ``task`` names
    the task a one-task Process was started for."""
    global _probe
    from multiprocessing import util

    _probe = Probe(spec)
    sys.stdout = LineCapture(_probe, sys.__stdout__, spec.echo)
    # What tasks write to stderr (warnings, their own tracebacks) is shown too, and still
    # reaches the real stderr (a log of the run, see the controller).
    sys.stderr = LineCapture(_probe, sys.__stderr__, True, Kind.STDERR)
    if not spec.is_driver:
        _probe.emit(Kind.WORKER_READY, 0, task, 0.0, _probe.pid)
        _probe.flush()
        # Runs on a worker's normal exit, before multiprocessing's os._exit.
        util.Finalize(None, shutdown, exitpriority=100)
    return _probe


def shutdown() -> None:
    """Flush captured output and send the last frame of this process."""
    if _probe is None:
        return
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, LineCapture):
            stream.flush()
    _probe.close()


def current() -> Probe | None:
    return _probe


def call(item: tuple[int, Any]) -> Any:
    """Task entry point for ``map``-like calls: ``item`` is ``(task_id, arg)``."""
    return _probe.run_task(item[0], item[1])  # type: ignore[union-attr]


def call_star(task_id: int, arg: Any) -> Any:
    """Task entry point for ``starmap`` and ``apply_async``."""
    return _probe.run_task(task_id, arg)  # type: ignore[union-attr]


def _bare_gap(function: Callable[[Any], Any]) -> int:
    """Two clock reads around a call, as a program timing it itself would read them."""
    t = _now()
    function(0)
    return _now() - t


def process_main(spec: ProbeSpec, task_id: int, arg: Any) -> None:
    """Target of one ``multiprocessing.Process`` running one task."""
    probe = install(spec, task_id)
    try:
        probe.run_task(task_id, arg)
    except Exception:
        shutdown()
        sys.exit(1)
    shutdown()


def _raise_load_error(exc: BaseException) -> Callable[[Any], Any]:
    def failing(arg: Any) -> Any:
        raise RuntimeError(f"your code could not be loaded: {type(exc).__name__}: {exc}")

    return failing


class TaskExit(Exception):
    """A task called sys.exit(): ``str()`` is the call (``sys.exit(2)``)."""


class TaskInterrupted(Exception):
    """A task raised another BaseException (KeyboardInterrupt, …): ``Type: message``."""


def _as_exception(exc: BaseException, task_id: int, pid: int, lane: int) -> Exception:
    """An Exception standing for ``exc``, marked like it, that pickles and unpickles."""
    if isinstance(exc, SystemExit):
        out: Exception = TaskExit(exit_call(exc.code))
    else:
        out = TaskInterrupted(f"{type(exc).__name__}: {exc}")
    out.coreography_task = task_id  # type: ignore[attr-defined]
    out.coreography_pid = pid  # type: ignore[attr-defined]
    out.coreography_lane = lane  # type: ignore[attr-defined]
    return out


#: Results of these exact types always pickle and unpickle: no check needed.
_PLAIN = frozenset({int, float, str, bool, bytes, type(None)})
#: Pickle opcodes that name a global (a class, a function) or an extension code: only a
#: pickle holding one can fail to load. The bytes may also occur inside data; that only
#: costs a load to be sure.
_NAMES_A_GLOBAL = re.compile(b"[\x82-\x84\x93]")


def _result_must_pickle(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def checked(arg: Any) -> Any:
        result = function(arg)
        if type(result) in _PLAIN:
            return result
        try:
            data = pickle.dumps(result)
        except Exception as exc:
            raise TypeError(
                f"task returned a {type(result).__name__}, which cannot be sent back to the "
                f"main process ({exc}); return plain data such as numbers, text, lists or dicts"
            ) from None
        if _NAMES_A_GLOBAL.search(data):
            # A result that pickles but fails to unpickle would kill the pool's result
            # handler in the main process, and the pool would wait forever.
            try:
                pickle.loads(data)
            except Exception as exc:
                raise TypeError(
                    f"task returned a {type(result).__name__}, which pickles but cannot be "
                    f"unpickled in the main process ({type(exc).__name__}: {exc}); return "
                    "plain data such as numbers, text, lists or dicts"
                ) from None
        return result

    return checked


def describe_exception(exc: BaseException, first: str | None = None) -> str:
    """``Type: message`` (or ``first``) then the traceback, as the user would read it."""
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    return f"{first or f'{type(exc).__name__}: {exc}'}\n{''.join(lines)}"


def _numeric(result: Any) -> tuple[float, int]:
    if type(result) is int and -(2**53) <= result <= 2**53:  # the common case, first
        return float(result), VALUE_NUMBER
    if result is None:
        return float("nan"), VALUE_NONE
    if isinstance(result, bool | int) and -(2**53) <= result <= 2**53:
        return float(result), VALUE_NUMBER
    if isinstance(result, float):
        return result, VALUE_NUMBER
    return float("nan"), VALUE_IN_TEXT


def _safe_repr(value: Any) -> str:
    try:
        return clip_text(repr(value), 500)
    except Exception as exc:  # a user's __repr__ may fail
        return f"<unprintable {type(value).__name__}: {exc}>"
