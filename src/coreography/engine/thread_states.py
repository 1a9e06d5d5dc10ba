"""The state sampler, app side: why each lane's thread is or is not on a CPU, from the kernel.

Never inside the experiment: the app reads, for every lane's thread (PID, TID),

- ``/proc/PID/task/TID/schedstat``: nanoseconds on a CPU and nanoseconds runnable but
  waiting for one, since the thread began (exact: the scheduler's own accounting);
- ``/proc/PID/task/TID/syscall``, where the kernel lets the app read it (the
  experiment's processes are its descendants): ``running``, or the system call the
  thread waits in. A futex is the GIL or a lock; anything else (read, poll, select,
  nanosleep, clock_nanosleep, wait4, …) is I/O or a sleep;
- ``/proc/PID/task/TID/stat`` (its state letter) only where ``syscall`` is not readable:
  ``D`` is I/O; a plain sleep then has no known reason.

Between two readings the time not on a CPU and not waiting for one was spent blocked; it
is put down to the reason seen at either reading (the newer first). Files stay open and
are re-read with ``pread``: one system call per file per sample.

A lane's thread is sampled from its birth, not from when the app heard of it: the
kernel's accounting counts from the thread's start, and ``stat`` gives that start (in
clock ticks since boot), so the first reading also covers the stretch before it. Its
blocked part is put down to the reason seen at that reading (not known, when the thread
was then running).

Elsewhere (macOS, Windows) psutil's per-thread CPU times tell on a CPU from not, nothing
more (:data:`~coreography.model.thread_states.SOURCE_PSUTIL`).
"""

from __future__ import annotations

import os
import platform
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import psutil

from coreography.model.thread_states import (
    DEFAULT_HZ,
    HZ_RANGE,
    SOURCE_LINUX,
    SOURCE_PSUTIL,
    ThreadState,
)

#: futex and futex_waitv, per machine (the syscall numbers differ between architectures).
FUTEX_SYSCALLS = {
    "x86_64": frozenset({202, 449}),
    "amd64": frozenset({202, 449}),
    "aarch64": frozenset({98, 449}),
    "arm64": frozenset({98, 449}),
}
_FUTEX = FUTEX_SYSCALLS.get(platform.machine().lower(), frozenset({202, 98, 449}))

Row = tuple[int, int, int, int]  # (lane, start_ns, end_ns, state)


def linux_available() -> bool:
    """Whether this system has the per-thread scheduler files."""
    return sys.platform.startswith("linux") and os.path.exists("/proc/self/schedstat")


def blocked_reason(syscall: bytes) -> ThreadState | None:
    """The reason in a ``syscall`` file's text; None while the thread runs (or unknown)."""
    head = syscall.split(b" ", 1)[0].strip()
    if not head or head == b"running":
        return None
    try:
        number = int(head)
    except ValueError:
        return None
    if number < 0:  # blocked in the kernel, not in a system call (e.g. a page fault)
        return ThreadState.BLOCKED_IO
    return ThreadState.BLOCKED_LOCK if number in _FUTEX else ThreadState.BLOCKED_IO


def parse_schedstat(text: bytes) -> tuple[int, int]:
    """(ns on a CPU, ns waiting for one) from a ``schedstat`` file's text."""
    on_cpu, waiting, *_ = text.split()
    return int(on_cpu), int(waiting)


@dataclass
class _Watched:
    lane: int
    pid: int
    tid: int
    schedstat: int = -1  # open file descriptors (-1: none)
    syscall: int = -1
    stat: int = -1
    last_ns: int = 0  # time of the previous reading (0: none yet)
    on_cpu: int = 0
    waiting: int = 0
    last_reason: ThreadState = ThreadState.OFF_CPU
    seen: ThreadState = ThreadState.ON_CPU  # what the previous reading saw
    cpu_s: float = 0.0  # psutil: the thread's CPU seconds at the previous reading
    born_ns: int = 0  # the thread's start on the perf_counter clock (0: not known)
    #: The life before the first reading, while its blocked part awaits a reason (the
    #: thread ran at that reading): (start_ns, ns on a CPU, ns waiting for a core).
    before_first: tuple[int, int, int] | None = None


def clock_tick_ns() -> int:
    """The unit of ``stat``'s start time (USER_HZ: 10 ms on most systems)."""
    try:
        return 1_000_000_000 // max(int(os.sysconf("SC_CLK_TCK")), 1)
    except (AttributeError, ValueError, OSError):
        return 10_000_000


def thread_birth_ns(pid: int, tid: int) -> int:
    """When thread ``tid`` of ``pid`` started, on the ``perf_counter_ns`` clock
    (CLOCK_MONOTONIC), rounded *up* to the kernel's clock tick so that it is never
    before the thread existed; 0 when not known."""
    try:
        with open(f"/proc/{pid}/task/{tid}/stat", "rb") as file:
            text = file.read()
        ticks = int(text[text.rfind(b")") + 2 :].split()[19])  # field 22: starttime
        # ``starttime`` counts from boot (CLOCK_BOOTTIME), which runs on in a suspend.
        offset = time.clock_gettime_ns(time.CLOCK_BOOTTIME) - time.clock_gettime_ns(
            time.CLOCK_MONOTONIC
        )
    except (OSError, ValueError, IndexError, AttributeError):
        return 0
    tick = clock_tick_ns()
    born = (ticks + 1) * tick - offset
    return born if born > 0 else 0


def _open(path: str) -> int:
    try:
        return os.open(path, os.O_RDONLY)
    except OSError:
        return -1


def _close(watched: _Watched) -> None:
    for fd in (watched.schedstat, watched.syscall, watched.stat):
        if fd >= 0:
            try:
                os.close(fd)
            except OSError:
                pass
    watched.schedstat = watched.syscall = watched.stat = -1


def _order(parts: dict[ThreadState, int], first: ThreadState, last: ThreadState) -> list[Any]:
    """The parts of one interval in a plausible order: what the previous reading saw
    first, what this one saw last (so that neighbouring intervals join up)."""
    keys = sorted(parts, key=lambda s: 0 if s == first else 2 if s == last else 1)
    return [(state, parts[state]) for state in keys if parts[state] > 0]


class ThreadStateSampler:
    """Reads the state of every watched lane's thread; :meth:`sample` returns intervals.

    Parameters
    ----------
    use_proc
        Read the Linux files (default: where they exist); else psutil's thread times.
    """

    def __init__(self, use_proc: bool | None = None, not_before_ns: int = 0) -> None:
        self.use_proc = linux_available() if use_proc is None else use_proc
        self.source = SOURCE_LINUX if self.use_proc else SOURCE_PSUTIL
        #: A thread's first stretch starts no earlier than this (the run's start).
        self.not_before_ns = not_before_ns
        self._watched: dict[int, _Watched] = {}  # by lane
        self._procs: dict[int, psutil.Process] = {}

    def watch(self, lane: int, pid: int, tid: int) -> None:
        """Start reading thread ``tid`` of process ``pid`` for ``lane`` (once)."""
        if lane in self._watched or pid <= 0 or tid <= 0:
            return
        watched = _Watched(lane, pid, tid)
        if self.use_proc:
            base = f"/proc/{pid}/task/{tid}/"
            watched.schedstat = _open(base + "schedstat")
            if watched.schedstat < 0:
                return  # gone already, or not readable: nothing to sample
            watched.syscall = _open(base + "syscall")
            if watched.syscall < 0 or not self._readable(watched.syscall):
                if watched.syscall >= 0:
                    os.close(watched.syscall)
                watched.syscall = -1
                watched.stat = _open(base + "stat")
            watched.born_ns = thread_birth_ns(pid, tid)
        self._watched[lane] = watched

    @staticmethod
    def _readable(fd: int) -> bool:
        try:
            os.pread(fd, 64, 0)
            return True
        except OSError:
            return False

    @property
    def watching(self) -> int:
        return len(self._watched)

    def sample(self, now_ns: int | None = None) -> list[Row]:
        """One reading of every watched thread; intervals since its previous reading."""
        if not self.use_proc:
            return self._sample_psutil()
        rows: list[Row] = []
        gone = []
        for watched in self._watched.values():
            try:
                text = os.pread(watched.schedstat, 128, 0)
                now = time.perf_counter_ns() if now_ns is None else now_ns
                on_cpu, waiting = parse_schedstat(text)
                reason = self._reason(watched)
            except (OSError, ValueError):
                gone.append(watched.lane)  # the thread ended
                self._before_first(watched, ThreadState.OFF_CPU, rows)
                continue
            if watched.before_first is not None:  # ran at the first reading: now a reason
                why = ThreadState.OFF_CPU if reason is None else reason
                self._before_first(watched, why, rows)
            if watched.last_ns:
                self._interval(watched, now, on_cpu, waiting, reason, rows)
            elif watched.born_ns:
                self._since_birth(watched, now, on_cpu, waiting, reason, rows)
            watched.last_ns, watched.on_cpu, watched.waiting = now, on_cpu, waiting
            watched.seen = ThreadState.ON_CPU if reason is None else reason
            if reason is not None:
                watched.last_reason = reason
        for lane in gone:
            _close(self._watched.pop(lane))
        return rows

    def _reason(self, watched: _Watched) -> ThreadState | None:
        if watched.syscall >= 0:
            return blocked_reason(os.pread(watched.syscall, 64, 0))
        if watched.stat >= 0:
            text = os.pread(watched.stat, 512, 0)
            state = text[text.rfind(b")") + 2 :][:1]
            if state == b"D":
                return ThreadState.BLOCKED_IO
            if state in (b"S", b"T", b"t", b"I"):
                return ThreadState.OFF_CPU
        return None

    @staticmethod
    def _interval(
        watched: _Watched,
        now: int,
        on_cpu: int,
        waiting: int,
        reason: ThreadState | None,
        rows: list[Row],
    ) -> None:
        span = now - watched.last_ns
        if span <= 0:
            return
        run = max(on_cpu - watched.on_cpu, 0)
        wait = max(waiting - watched.waiting, 0)
        if run + wait > span:  # the clocks differ by a little: scale to the interval
            run = run * span // (run + wait)
            wait = span - run
        blocked = span - run - wait
        if reason is not None:
            why = reason
        elif watched.seen != ThreadState.ON_CPU:
            why = watched.seen
        else:
            why = watched.last_reason
        parts = {ThreadState.ON_CPU: run, ThreadState.WAITING_FOR_CORE: wait}
        parts[why] = parts.get(why, 0) + blocked
        first = watched.seen
        last = ThreadState.ON_CPU if reason is None else reason
        t = watched.last_ns
        for state, ns in _order(parts, first, last):
            rows.append((watched.lane, t, t + ns, int(state)))
            t += ns

    def _since_birth(
        self,
        watched: _Watched,
        now: int,
        on_cpu: int,
        waiting: int,
        reason: ThreadState | None,
        rows: list[Row],
    ) -> None:
        """The first reading: the thread's life so far, from the kernel's totals. It
        cannot have started later than its time on a CPU and waiting for one allow."""
        start = min(watched.born_ns, now - on_cpu - waiting)
        start = max(start, self.not_before_ns)
        span = now - start
        if span <= 0:
            return
        run, wait = on_cpu, waiting
        if run + wait > span:  # the thread began before the run: only the run's part
            run = run * span // (run + wait)
            wait = span - run
        watched.before_first = (start, run, wait)
        if reason is not None:
            self._before_first(watched, reason, rows, now, last=reason)
        # else: the next reading's reason is the better guess for the blocked part

    @staticmethod
    def _before_first(
        watched: _Watched,
        why: ThreadState,
        rows: list[Row],
        end: int | None = None,
        last: ThreadState = ThreadState.ON_CPU,
    ) -> None:
        """The rows of the life before the first reading (ending at it, where the thread
        was in state ``last``), blocked for ``why``; nothing if they were given already."""
        if watched.before_first is None:
            return
        start, run, wait = watched.before_first
        watched.before_first = None
        end = watched.last_ns if end is None else end
        parts = {ThreadState.ON_CPU: run, ThreadState.WAITING_FOR_CORE: wait}
        parts[why] = parts.get(why, 0) + max(end - start - run - wait, 0)
        t = start
        for state, ns in _order(parts, ThreadState.WAITING_FOR_CORE, last):
            rows.append((watched.lane, t, t + ns, int(state)))
            t += ns

    def _sample_psutil(self) -> list[Row]:
        """Elsewhere: each thread's CPU time from psutil; the rest is 'not on a CPU'."""
        rows: list[Row] = []
        by_pid: dict[int, list[_Watched]] = {}
        for watched in self._watched.values():
            by_pid.setdefault(watched.pid, []).append(watched)
        for pid, lanes in list(by_pid.items()):
            try:
                proc = self._procs.get(pid) or self._procs.setdefault(pid, psutil.Process(pid))
                times = {t.id: t.user_time + t.system_time for t in proc.threads()}
            except psutil.Error:
                for watched in lanes:
                    self._watched.pop(watched.lane, None)
                continue
            now = time.perf_counter_ns()
            for watched in lanes:
                if watched.tid not in times:
                    continue
                cpu_s = times[watched.tid]
                if watched.last_ns:
                    span = now - watched.last_ns
                    run = min(max(int((cpu_s - watched.cpu_s) * 1e9), 0), span)
                    t = watched.last_ns
                    for state, ns in ((ThreadState.ON_CPU, run), (ThreadState.OFF_CPU, span - run)):
                        if ns > 0:
                            rows.append((watched.lane, t, t + ns, int(state)))
                            t += ns
                watched.last_ns, watched.cpu_s = now, cpu_s
        return rows

    def close(self) -> None:
        for watched in self._watched.values():
            _close(watched)
        self._watched.clear()


def lanes_to_watch(lanes: Any) -> list[tuple[int, int, int]]:
    """``(lane, pid, tid)`` of every lane whose thread is known: a process's main
    thread has the PID as its TID; another thread reported its native id, and so did a
    cluster's worker, whose tasks run in a thread of their own — never its main thread
    (Dask's event loop): until that thread is known, such a lane is not read."""
    out = []
    for lane in lanes:
        main = lane.thread == 0 and not lane.host
        tid = lane.native_id if lane.native_id > 0 else lane.pid if main else 0
        if tid > 0:
            out.append((lane.index, lane.pid, tid))
    return out


class StateSamplerThread:
    """Runs a :class:`ThreadStateSampler` at ``hz`` in a background thread.

    :meth:`watch` hands it lanes (any thread), :meth:`take` drains the intervals.
    """

    def __init__(
        self, hz: float = DEFAULT_HZ, use_proc: bool | None = None, not_before_ns: int = 0
    ) -> None:
        if not HZ_RANGE[0] <= hz <= HZ_RANGE[1]:
            raise ValueError(
                f"state sample rate: {hz} Hz is not allowed; expected {HZ_RANGE[0]:g} "
                f"to {HZ_RANGE[1]:g}"
            )
        self._sampler = ThreadStateSampler(use_proc, not_before_ns)
        self.source = self._sampler.source
        self._period = 1.0 / hz
        self._rows: deque[list[Row]] = deque()
        self._new: deque[tuple[int, int, int]] = deque()
        self._known: set[int] = set()
        self._stop = threading.Event()
        self._wake = threading.Event()  # a new lane: read it now, not a period later
        self._thread = threading.Thread(
            target=self._loop, name="coreography-state-sampler", daemon=True
        )
        self._thread.start()

    def watch(self, lanes: Any) -> None:
        """Watch every lane of ``lanes`` (Run.lanes) not watched yet whose thread is known."""
        for lane, pid, tid in lanes_to_watch(lanes):
            if lane not in self._known:
                self._known.add(lane)
                self._new.append((lane, pid, tid))
                self._wake.set()

    def _loop(self) -> None:
        try:
            while True:
                while self._new:
                    self._sampler.watch(*self._new.popleft())
                rows = self._sampler.sample()
                if rows:
                    self._rows.append(rows)
                self._wake.wait(self._period)
                self._wake.clear()
                if self._stop.is_set():
                    break
            rows = self._sampler.sample()  # the last stretch up to the stop
            if rows:
                self._rows.append(rows)
        finally:
            self._sampler.close()

    def take(self) -> list[Row]:
        out: list[Row] = []
        while self._rows:
            out.extend(self._rows.popleft())
        return out

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join()
