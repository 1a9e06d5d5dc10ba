"""psutil sampling of per-core CPU and of every process of a running experiment."""

from __future__ import annotations

import threading
import time
from collections import deque

import psutil

from coreography.model.run import Sample

HAS_CPU_NUM = hasattr(psutil.Process, "cpu_num")


class Sampler:
    """Reads per-core CPU % and, for ``root_pid`` and its descendants, CPU %, core, RSS.

    psutil's ``cpu_percent(interval=None)`` compares with the previous call, so the
    first reading of each process is meaningless: a process appears from its second.
    """

    def __init__(self, root_pid: int | None = None) -> None:
        self.root_pid = root_pid
        self._procs: dict[int, psutil.Process] = {}
        psutil.cpu_percent(percpu=True)  # start the per-core interval

    def sample(self) -> Sample:
        t = time.perf_counter_ns()
        percore = psutil.cpu_percent(percpu=True)
        procs: list[tuple[int, float, int, int]] = []
        for proc in self._tree():
            try:
                with proc.oneshot():
                    fresh = not hasattr(proc, "_coreography_seen")
                    cpu = proc.cpu_percent(None)
                    core = proc.cpu_num() if HAS_CPU_NUM else -1
                    rss = proc.memory_info().rss
                proc._coreography_seen = True  # type: ignore[attr-defined]
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                self._procs.pop(proc.pid, None)
                continue
            if not fresh:  # a first reading compares with nothing: leave it out
                procs.append((proc.pid, cpu, core, rss))
        return Sample(t, percore, procs)

    def _tree(self) -> list[psutil.Process]:
        if self.root_pid is None:
            return []
        try:
            root = self._procs.get(self.root_pid) or psutil.Process(self.root_pid)
            members = [root, *root.children(recursive=True)]
        except psutil.Error:
            return []
        known = []
        for proc in members:
            cached = self._procs.setdefault(proc.pid, proc)
            known.append(cached)
        return known


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
