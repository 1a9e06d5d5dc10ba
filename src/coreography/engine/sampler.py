"""psutil sampling, app side: per-core CPU, every experiment process, and who else used CPU.

Every figure of one sample covers the same interval, taken from CPU *times* (not psutil's
``cpu_percent`` state, which any other caller in this process would disturb):

- per core: the machine's busy share (everything that ran on it);
- the experiment: the CPU time of the driver and its descendants, including the final
  time of processes that ended and were reaped (their parent's ``children_*`` times), so
  a worker that lived between two samples is not mistaken for another program;
- the app's own process (it is not "another program", but it competes for the cores).

Other programs' CPU is what remains of the machine's busy time (model.interference).
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import deque
from typing import Any

import psutil

from coreography.model.run import Sample

HAS_CPU_NUM = hasattr(psutil.Process, "cpu_num")
#: A drop of the experiment's CPU total (a process gone before its parent's ``children``
#: times show it) is carried to the next samples; not repaid after this many, it is
#: forgotten (its parent was not watched, e.g. the app reaped the driver).
DEBT_SAMPLES = 3


def _busy_idle(times: Any) -> tuple[float, float]:
    """Busy and total seconds of one ``cpu_times`` row; guest time is inside user time."""
    total = sum(times) - getattr(times, "guest", 0.0) - getattr(times, "guest_nice", 0.0)
    idle = times.idle + getattr(times, "iowait", 0.0)
    return total - idle, total


def _own(times: Any) -> float:
    return float(times.user + times.system)


def _reaped(times: Any) -> float:
    return getattr(times, "children_user", 0.0) + getattr(times, "children_system", 0.0)


class Sampler:
    """Reads the machine, ``root_pid`` and its descendants, and the app (``app_pid``).

    psutil's per-process ``cpu_percent(interval=None)`` compares with the previous call,
    so the first reading of each process is meaningless: a process appears from its
    second.
    """

    def __init__(self, root_pid: int | None = None, app_pid: int | None = None) -> None:
        self.root_pid = root_pid
        self._procs: dict[int, psutil.Process] = {}
        self._last_cores = [_busy_idle(row) for row in psutil.cpu_times(percpu=True)]
        self._app = psutil.Process(app_pid or os.getpid())
        self._app_last = self._app_cpu()
        self._tree_last = 0.0  # CPU seconds of the experiment's live processes, last time
        self._carry = 0.0  # experiment seconds not yet placed in an interval (see below)
        self._carry_age = 0

    def _app_cpu(self) -> float:
        try:
            return _own(self._app.cpu_times())
        except psutil.Error:
            return math.nan

    def sample(self) -> Sample:
        t = time.perf_counter_ns()
        cores_now = [_busy_idle(row) for row in psutil.cpu_times(percpu=True)]
        busy_s, span_s = [], []
        for (busy0, total0), (busy1, total1) in zip(self._last_cores, cores_now, strict=False):
            span_s.append(max(total1 - total0, 0.0))
            busy_s.append(min(max(busy1 - busy0, 0.0), span_s[-1]))
        self._last_cores = cores_now
        percore = [100.0 * b / s if s > 0 else 0.0 for b, s in zip(busy_s, span_s, strict=True)]

        procs: list[tuple[int, float, int, int]] = []
        tree_now = 0.0
        by_core = [0.0] * len(busy_s)  # experiment CPU seconds attributed to each core
        for proc in self._tree():
            try:
                with proc.oneshot():
                    fresh = not hasattr(proc, "_coreography_seen")
                    cpu = proc.cpu_percent(None)
                    core = proc.cpu_num() if HAS_CPU_NUM else -1
                    rss = proc.memory_info().rss
                    times = proc.cpu_times()
                proc._coreography_seen = True  # type: ignore[attr-defined]
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                self._procs.pop(proc.pid, None)
                continue
            tree_now += _own(times) + _reaped(times)
            # Estimate of the per-core split: the process's CPU since the last sample is
            # charged to the core it was on when sampled (psutil's cpu_num: its last core).
            # A process that moved between cores is charged to one of them; the excess
            # over a core's measured busy time is spread below.
            own_delta = _own(times) - getattr(proc, "_coreography_own", 0.0)
            proc._coreography_own = _own(times)  # type: ignore[attr-defined]
            if 0 <= core < len(by_core):
                by_core[core] += max(own_delta, 0.0)
            if not fresh:  # a first reading compares with nothing: leave it out
                procs.append((proc.pid, cpu, core, rss))

        experiment_s = self._experiment_delta(tree_now, sum(busy_s))
        app_now = self._app_cpu()
        app_s = max(app_now - self._app_last, 0.0) if math.isfinite(app_now) else math.nan
        self._app_last = app_now
        span = max(sum(span_s) / max(len(span_s), 1), 1e-9)  # the interval, in seconds
        shares = _spread(by_core, busy_s)
        return Sample(
            t,
            percore,
            procs,
            experiment_percore=[100.0 * s / span for s in shares],
            experiment=100.0 * experiment_s / span,
            app=100.0 * app_s / span if math.isfinite(app_s) else math.nan,
        )

    def _experiment_delta(self, tree_now: float, machine_busy_s: float) -> float:
        """The experiment's CPU seconds since the last sample, at most the machine's busy
        time. A drop (a process gone before its parent's ``children`` times show it) or
        an excess is carried to the next samples, so the run's total stays right; one not
        settled within DEBT_SAMPLES is forgotten (its parent was not watched)."""
        delta = tree_now - self._tree_last + self._carry
        self._tree_last = tree_now
        used = min(max(delta, 0.0), machine_busy_s)
        self._carry = delta - used
        self._carry_age = self._carry_age + 1 if abs(self._carry) > 1e-6 else 0
        if self._carry_age > DEBT_SAMPLES:
            self._carry, self._carry_age = 0.0, 0
        return used

    def _tree(self) -> list[psutil.Process]:
        if self.root_pid is None:
            return []
        try:
            root = self._procs.get(self.root_pid) or psutil.Process(self.root_pid)
            below = _descendant_pids(root.pid)
            if below is None:  # no children files here: psutil reads every process
                members = [root, *root.children(recursive=True)]
            else:
                members = [root]
                for pid in below:
                    proc = self._procs.get(pid)
                    if proc is None:
                        try:
                            proc = psutil.Process(pid)
                        except psutil.Error:
                            continue
                    members.append(proc)
        except psutil.Error:
            return []
        known = []
        for proc in members:
            cached = self._procs.setdefault(proc.pid, proc)
            known.append(cached)
        return known


def _descendant_pids(pid: int) -> list[int] | None:
    """Every process below ``pid``, from Linux's per-thread ``children`` files: a walk of
    the tree alone, where psutil reads every process on the machine (milliseconds on a
    busy one, ten times a second). None where the files do not exist."""
    found: list[int] = []
    parents = [pid]
    while parents:
        parent = parents.pop()
        try:
            threads = os.listdir(f"/proc/{parent}/task")
        except OSError:
            if parent == pid:
                return None
            continue  # it has just ended
        for tid in threads:
            try:
                with open(f"/proc/{parent}/task/{tid}/children", "rb") as file:
                    kids = [int(k) for k in file.read().split()]
            except FileNotFoundError:
                if parent == pid:
                    return None  # the kernel keeps no such file
                continue
            except (OSError, ValueError):
                continue
            found += kids
            parents += kids
    return found


def _spread(charged: list[float], busy: list[float]) -> list[float]:
    """Per-core experiment seconds, none above its core's busy time: the excess (charged
    to a core the process had left) goes to the cores with busy time not yet explained."""
    shares = [min(c, b) for c, b in zip(charged, busy, strict=True)]
    excess = sum(charged) - sum(shares)
    for core in sorted(range(len(busy)), key=lambda i: shares[i] - busy[i]):
        if excess <= 0:
            break
        room = busy[core] - shares[core]
        give = min(room, excess)
        shares[core] += give
        excess -= give
    return shares


class SamplerThread:
    """Runs a :class:`Sampler` at ``hz`` in a background thread; :meth:`take` drains."""

    def __init__(self, root_pid: int, hz: float = 10.0) -> None:
        if not 0.5 <= hz <= 50:
            raise ValueError(f"sample rate: {hz} Hz is not allowed; expected 0.5 to 50")
        self._sampler = Sampler(root_pid)
        self._period = 1.0 / hz
        self._samples: deque[Sample] = deque()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="coreography-sampler", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self._period):
            self._samples.append(self._sampler.sample())

    def take(self) -> list[Sample]:
        out = []
        while self._samples:
            out.append(self._samples.popleft())
        return out

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
