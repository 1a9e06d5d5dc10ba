"""The probe inside each process of a traced program: events, frames, captured output.

Standard library only (a traced program must not pay for numpy or Qt). Every process
writes whole frames of at most 4,096 bytes to one named pipe (a FIFO), so writes of
different processes never interleave; a shared accounting file says how many events
each process produced, so the app can tell what was lost.
"""

from __future__ import annotations

import atexit
import fcntl
import itertools
import json
import mmap
import os
import reprlib
import struct
import sys
import threading
import time
import traceback
from typing import Any

from coreography.model import accounting, wire
from coreography.model.events import RECORDS_PER_FRAME, Kind, clip_text

FLUSH_NS = 10_000_000
FLUSHER_PERIOD_S = 0.05
#: Accounting file layout (see :mod:`coreography.model.accounting`): int64 words; word 0
#: hands out slots, then (produced, pid) each from slot 1 on.
SLOT_WORDS = accounting.TRACE_WIDTH
ACCOUNTING_SLOTS = 4096
LENGTH = struct.Struct("!i")  # multiprocessing.Connection's length prefix
LABEL_LIMIT = 80
_now = time.perf_counter_ns
_QT_MODULES = frozenset({"PySide6", "PyQt5", "PyQt6", "PySide2", "pyqtgraph", "shiboken6"})
_STARTED, _FINISHED = int(Kind.TASK_STARTED), int(Kind.TASK_FINISHED)
_LABEL, _INFO = int(Kind.TASK_LABEL), int(Kind.LANE_INFO)
_short_repr = reprlib.Repr()
_short_repr.maxstring = 30
_short_repr.maxother = 30
_short_repr.maxlist = _short_repr.maxtuple = _short_repr.maxdict = _short_repr.maxset = 4
_short_repr.maxlevel = 2


def short(value: Any) -> str:
    """A short repr that is cheap for the common argument types and bounded for any."""
    kind = type(value)
    if kind is int or kind is float or kind is bool or value is None:
        return repr(value)
    try:
        return _short_repr.repr(value)
    except Exception:
        return f"<{kind.__name__}>"


def label(fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any] | None = None) -> str:
    """``name(arg, …)``, at most :data:`LABEL_LIMIT` characters."""
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None)
    if not isinstance(name, str):
        name = type(fn).__name__
    parts = [short(a) for a in args]
    if kwargs:
        parts += [f"{k}={short(v)}" for k, v in kwargs.items()]
    text = f"{name}({', '.join(parts)})"
    return text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 1] + "…"


class TraceProbe:
    """One per process: buffers events and texts, sends them in atomic frames."""

    def __init__(self, fifo: str, accounting: str, role: str) -> None:
        # Non-blocking open: with the app gone (no reader) it fails at once, never hangs.
        self.fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.set_blocking(self.fd, True)
        self._accounting_path = accounting
        self.role = role
        self._reset()

    def _reset(self) -> None:
        """Start afresh as the current process (also in a forked child)."""
        self.pid = os.getpid()
        self.events: list[tuple[Any, ...]] = []
        #: Records the queue and lock hooks packed themselves (``RECORD.pack``,
        #: engine/trace/comm_hooks.py): nothing to pack at a flush.
        self.packed: list[bytes] = []
        self.texts: list[tuple[Any, ...]] = []
        self.sent = 0
        self.produced = 0
        self.last_flush = _now()
        self.broken = False
        self.closed = False
        self._flush_lock = threading.Lock()
        self._local = threading.local()
        self._lanes = itertools.count(1)
        self._ids = itertools.count()
        self._flusher: threading.Thread | None = None
        self._words, self.slot = self._take_slot()
        self._produced_at = self.slot * SLOT_WORDS + accounting.PRODUCED  # for the hot path

    # -- accounting ---------------------------------------------------------------------
    def _take_slot(self) -> tuple[Any, int]:
        try:
            with open(self._accounting_path, "r+b") as file:
                words = memoryview(mmap.mmap(file.fileno(), 0)).cast("q")
                fcntl.flock(file, fcntl.LOCK_EX)
                try:
                    slot = words[0] + 1
                    words[0] = slot
                finally:
                    fcntl.flock(file, fcntl.LOCK_UN)
        except (OSError, ValueError):
            return None, -1
        if not trace_accounting(words).claim(slot, self.pid):
            return None, -1
        return words, slot

    def _count(self, n: int) -> None:
        self.produced += n
        if self._words is not None:
            self._words[self._produced_at] = self.produced

    # -- lanes ----------------------------------------------------------------------------
    def lane(self) -> int:
        """0 for the main thread, 1, 2, … for other threads in order of first use."""
        lane = getattr(self._local, "lane", None)
        if lane is None:
            lane = self.new_thread_lane(threading.current_thread())
        return lane

    def new_thread_lane(self, thread: threading.Thread) -> int:
        if thread is threading.main_thread():
            lane = 0
        else:
            lane = next(self._lanes)
            self.emit(Kind.WORKER_READY, lane, -1, 0.0, threading.get_native_id())
            self.info(lane, {"event": "thread", "name": thread.name, "daemon": thread.daemon})
        self._local.lane = lane
        return lane

    # -- emitting ---------------------------------------------------------------------------
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
        """Buffer one event; ``t`` when it happened, if not now."""
        self.events.append((int(kind), flags, lane, task, _now() if t is None else t, value, aux))
        self._count(1)
        self._maybe_flush()

    def text(self, kind: int, lane: int, task: int, text: str, value: float = 0.0) -> None:
        self.texts.append((int(kind), lane, task, _now(), value, clip_text(text)))
        self._count(1)
        self._maybe_flush()

    def info(self, lane: int, data: dict[str, Any]) -> None:
        self.text(_INFO, lane, -1, json.dumps(data))

    def started_child(self, t: int, pid: int, name: str, kind: str) -> None:
        """This process started process ``pid`` (asked at ``t``)."""
        self.events.append((int(Kind.WORKERS_REQUESTED), 0, 0, -1, t, 0.0, pid))
        self._count(1)
        self.info(0, {"event": "started", "pid": pid, "name": name, "kind": kind})
        self.flush()

    def add_packed(self, record: bytes, t: int) -> None:
        """Buffer one record packed by the caller (``RECORD.pack``), that happened at ``t``."""
        packed = self.packed
        packed.append(record)
        self.produced += 1
        if self._words is not None:
            self._words[self._produced_at] = self.produced
        if len(packed) >= RECORDS_PER_FRAME or t - self.last_flush >= FLUSH_NS:
            self.flush()

    def _maybe_flush(self) -> None:
        if (
            len(self.events) >= RECORDS_PER_FRAME
            or len(self.texts) >= 64
            or _now() - self.last_flush >= FLUSH_NS
        ):
            self.flush()

    def flush(self, blocking: bool = True) -> None:
        """Send everything buffered, one atomic write per frame."""
        if not self._flush_lock.acquire(blocking):
            return
        try:
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
            self.last_flush = _now()
            try:
                for frame in frames:
                    os.write(self.fd, LENGTH.pack(len(frame)) + frame)
            except OSError:  # the app is gone; its watchdog ends this program
                self.broken = True
        finally:
            self._flush_lock.release()

    def _start_flusher(self) -> None:
        """Tasks flush every 10 ms themselves; this thread shows a long task at once.
        Started with the first task, so a process that runs none has no extra thread."""
        self._flusher = threading.Thread(
            target=self._flush_loop, name="coreography-flush", daemon=True
        )
        self._flusher.start()

    def _flush_loop(self) -> None:
        while not self.closed:
            time.sleep(FLUSHER_PERIOD_S)
            if (self.events or self.texts or self.packed) and _now() - self.last_flush >= FLUSH_NS:
                self.flush()

    def close(self) -> None:
        """Say goodbye with this process's CPU time and send everything left."""
        if self.closed or self.pid != os.getpid():
            return
        for stream in (sys.stdout, sys.stderr):
            if isinstance(stream, OutputTee):
                stream.finish_line()
        times = os.times()
        qt_loaded = any(name.split(".")[0] in _QT_MODULES for name in list(sys.modules))
        self.emit(
            Kind.WORKER_DONE, 0, -1, times.user + times.system, self.pid, flags=int(qt_loaded)
        )
        self.closed = True
        self.flush()

    # -- tasks ----------------------------------------------------------------------------
    def call(
        self,
        fn: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any] | None = None,
        announce: bool = False,
    ) -> Any:
        """Run ``fn(*args, **kwargs)`` as one task, a bar named by :func:`label`;
        ``announce`` sends its start at once (a whole Process.run: it may never end)."""
        # The hot path: appends inline, one shared-memory write, no calls to emit().
        lane = getattr(self._local, "lane", None)
        if lane is None:
            lane = self.lane()
        if self._flusher is None:
            self._start_flusher()
        task = next(self._ids)
        outer = getattr(self._local, "task", -1)
        self._local.task = task
        t = _now()
        self.events.append((_STARTED, 0, lane, task, t, 0.0, 0))
        self.texts.append((_LABEL, lane, task, t, 0.0, label(fn, args, kwargs)))
        self.produced += 2
        if self._words is not None:
            self._words[self._produced_at] = self.produced
        if announce or len(self.texts) >= 64 or t - self.last_flush >= FLUSH_NS:
            self.flush()
        try:
            result = fn(*args, **kwargs) if kwargs else fn(*args)
        except BaseException as exc:
            self._local.task = outer
            if not (isinstance(exc, SystemExit) and exc.code in (0, None)):
                self.text(Kind.TASK_FAILED, lane, task, describe_exception(exc))
                self.flush()
                raise
            self._finish(lane, task)
            raise
        self._local.task = outer
        self._finish(lane, task)
        return result

    def _finish(self, lane: int, task: int) -> None:
        t = _now()
        self.events.append((_FINISHED, 1, lane, task, t, float("nan"), 0))
        self.produced += 1
        if self._words is not None:
            self._words[self._produced_at] = self.produced
        if len(self.events) >= RECORDS_PER_FRAME or t - self.last_flush >= FLUSH_NS:
            self.flush()

    def current_task(self) -> int:
        return getattr(self._local, "task", -1)


class OutputTee:
    """Stands in for ``sys.stdout``/``sys.stderr``: everything still goes to the real
    stream at once, unchanged; each complete line is also sent as an event."""

    def __init__(self, probe: TraceProbe, stream: Any, kind: int) -> None:
        self._probe = probe
        self._stream = stream
        self._kind = kind
        self._partial = ""

    def write(self, text: str) -> int:
        written: int = self._stream.write(text)
        if "\n" not in text:
            self._partial += text
            return written
        *lines, rest = (self._partial + text).split("\n")
        self._partial = rest
        probe = self._probe
        if probe.pid == os.getpid() and not probe.closed:
            lane, task = probe.lane(), probe.current_task()
            for line in lines:
                probe.text(self._kind, lane, task, line)
            if self._kind == Kind.STDERR:
                probe.flush(blocking=False)  # often the last words before a crash
        return written

    def flush(self) -> None:
        """``print(..., flush=True)``: the lines reach the app now too, not only the stream."""
        self._stream.flush()
        probe = self._probe
        if probe.pid == os.getpid() and not probe.closed:
            probe.flush(blocking=False)

    def finish_line(self) -> None:
        if self._partial and self._probe.pid == os.getpid():
            self._probe.text(self._kind, self._probe.lane(), -1, self._partial)
        self._partial = ""

    def __getattr__(self, name: str) -> Any:  # fileno, isatty, buffer, encoding, flush…
        return getattr(self._stream, name)


_probe: TraceProbe | None = None


def current() -> TraceProbe | None:
    return _probe


def install_from_environment(settings: str) -> None:
    """Install the probe and the hooks in this process, as ``settings`` (JSON) says."""
    global _probe
    config = json.loads(settings)
    argv = " ".join(getattr(sys, "orig_argv", sys.argv))
    if "multiprocessing.resource_tracker" in argv:
        return  # Python's own helper process: not part of the program
    helper = "multiprocessing.forkserver" in argv
    from coreography.engine.trace import hooks

    if helper:
        # The fork server only forks the program's processes: they get the probe.
        hooks.install(None, config)
        return
    root = os.getppid() == config.get("app_pid")
    _probe = TraceProbe(config["fifo"], config["accounting"], "main" if root else "process")
    _announce(_probe, "main" if root else _how_started(argv))
    sys.stdout = OutputTee(_probe, sys.stdout, Kind.STDOUT) if sys.stdout else sys.stdout
    sys.stderr = OutputTee(_probe, sys.stderr, Kind.STDERR) if sys.stderr else sys.stderr
    atexit.register(_at_exit)
    hooks.install(_probe, config)


def reinstall_after_fork(config: dict[str, Any]) -> None:
    """In a forked child: report as a process of its own (or as the first one, when
    forked by the fork server, which has no probe)."""
    global _probe
    if _probe is None:
        _probe = TraceProbe(config["fifo"], config["accounting"], "process")
        sys.stdout = OutputTee(_probe, sys.stdout, Kind.STDOUT) if sys.stdout else sys.stdout
        sys.stderr = OutputTee(_probe, sys.stderr, Kind.STDERR) if sys.stderr else sys.stderr
        atexit.register(_at_exit)
        how = "forkserver"
    else:
        _probe._reset()
        _probe.role = "process"
        how = "fork"
    _announce(_probe, how)


def _announce(probe: TraceProbe, how: str) -> None:
    probe.emit(Kind.WORKER_READY, 0, -1, 0.0, probe.pid)
    info = {"event": "process", "how": how, "ppid": os.getppid()}
    if how in ("main", "exec"):
        info["argv"] = sys.argv
    probe.info(0, info)
    probe.flush()


def _how_started(argv: str) -> str:
    return "spawn" if "--multiprocessing-fork" in argv else "exec"


def _at_exit() -> None:
    if _probe is not None:
        _probe.close()


def describe_exception(exc: BaseException) -> str:
    """``Type: message`` then the traceback, as the user would read it."""
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    return f"{type(exc).__name__}: {exc}\n{''.join(lines)}"


def trace_accounting(words: Any) -> accounting.Accounting:
    """The accounting file's words as slots (slot 0 is the slot counter)."""
    return accounting.Accounting(words, width=SLOT_WORDS, first=1)
