"""Per-host CPU and memory of a cluster's workers, as the workers themselves measured them.

A Dask worker's system monitor reads its own process's CPU (``cpu``, % of one core) and
memory (``memory``, RSS bytes) about twice a second and sends the latest reading to the
scheduler with each heartbeat. The driver asks the scheduler for them and sends one
``HOST_METRICS`` text per host and reading: the sums over that host's workers of the run,
stamped with the *oldest* of their readings' times (put on this machine's clock), so a
sample never claims to be newer than what it sums. The views draw one strip per host and
say when a host's newest reading is older than :data:`STALE_S`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: A host whose newest reading is older than this (s) is said to be behind: heartbeats
#: come every 0.5 s to a cluster of up to 10 workers, the monitor reads every 0.5 s.
STALE_S = 2.0
_COLUMNS = ("t", "cpu", "memory")
MAX_HOSTS = 1024


@dataclass
class HostSeries:
    """One host's samples (numpy columns, in arrival order) and what is known of it."""

    host: str
    #: Logical CPUs of the host (its workers say so when they start), 0 if not known.
    cores: int = 0
    #: The host's physical memory (bytes), 0 if not known.
    memory_total: int = 0
    #: The sum of its workers' memory limits (Dask's), 0 if none.
    memory_limit: int = 0
    threads: int = 0
    workers: int = 0
    t: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    #: The workers' processes' CPU, % of one core, summed (200 = two cores busy).
    cpu: np.ndarray = field(default_factory=lambda: np.empty(0, np.float64))
    #: The workers' processes' memory (RSS), bytes, summed.
    memory: np.ndarray = field(default_factory=lambda: np.empty(0, np.float64))

    def __len__(self) -> int:
        return len(self.t)

    def newest_ns(self) -> int | None:
        return int(self.t[-1]) if len(self.t) else None

    def cpu_share(self) -> np.ndarray:
        """CPU as % of the host's cores (NaN where the core count is not known)."""
        if self.cores <= 0:
            return np.full(len(self.cpu), math.nan)
        share: np.ndarray = self.cpu / self.cores
        return share

    def age_s(self, now_ns: int) -> float | None:
        """How old the newest reading is at ``now_ns``, None before the first."""
        newest = self.newest_ns()
        return None if newest is None else max(now_ns - newest, 0) / 1e9


class HostMetrics:
    """Every host of a run, in the order they first reported."""

    def __init__(self) -> None:
        self.hosts: dict[str, HostSeries] = {}
        self.version = 0

    def __len__(self) -> int:
        return len(self.hosts)

    def __bool__(self) -> bool:
        return bool(self.hosts)

    def series(self) -> list[HostSeries]:
        return list(self.hosts.values())

    def add(self, info: dict[str, Any]) -> bool:
        """Take one reading ``{host, t, cpu, memory, ...}``; False if it is malformed."""
        host, t = info.get("host"), info.get("t")
        cpu, memory = info.get("cpu"), info.get("memory")
        if not (isinstance(host, str) and host and type(t) is int):
            return False
        if not all(isinstance(v, int | float) and math.isfinite(v) for v in (cpu, memory)):
            return False
        series = self.hosts.get(host)
        if series is None:
            if len(self.hosts) >= MAX_HOSTS:
                return False
            series = self.hosts[host] = HostSeries(host)
        for name in ("cores", "memory_total", "memory_limit", "threads", "workers"):
            value = info.get(name)
            if type(value) is int and value >= 0:
                setattr(series, name, value)
        if len(series.t) and t <= series.t[-1]:
            return True  # not newer than what is known: a repeat
        series.t = np.append(series.t, np.int64(t))
        series.cpu = np.append(series.cpu, float(cpu))  # type: ignore[arg-type]
        series.memory = np.append(series.memory, float(memory))  # type: ignore[arg-type]
        self.version += 1
        return True

    def add_text(self, text: str) -> bool:
        try:
            info = json.loads(text)
        except ValueError:
            return False
        return isinstance(info, dict) and self.add(info)

    # -- recordings -----------------------------------------------------------------------
    def to_dict(self, t0: int) -> list[dict[str, Any]]:
        return [
            {
                "host": s.host,
                "cores": s.cores,
                "memory_total": s.memory_total,
                "memory_limit": s.memory_limit,
                "threads": s.threads,
                "workers": s.workers,
                "t": (s.t - t0).tolist(),
                "cpu": s.cpu.tolist(),
                "memory": s.memory.tolist(),
            }
            for s in self.hosts.values()
        ]

    @classmethod
    def from_dict(cls, data: Any, t0: int) -> HostMetrics:
        """Read :meth:`to_dict`'s list back; raises ValueError naming what is wrong."""
        metrics = cls()
        if data is None:
            return metrics
        if not isinstance(data, list) or len(data) > MAX_HOSTS:
            raise ValueError(f"hosts: expected a list of at most {MAX_HOSTS} hosts")
        for index, item in enumerate(data):
            where = f"hosts[{index}]"
            if not isinstance(item, dict) or not isinstance(item.get("host"), str):
                raise ValueError(f"{where}: expected an object with a host")
            times, cpus, memories = (item.get(name) for name in _COLUMNS)
            if not (isinstance(times, list) and isinstance(cpus, list)):
                raise ValueError(f"{where}: t, cpu and memory must be lists")
            if not isinstance(memories, list):
                raise ValueError(f"{where}: t, cpu and memory must be lists")
            if not len(times) == len(cpus) == len(memories):
                raise ValueError(f"{where}: t, cpu and memory must be of one length")
            for t, cpu, memory in zip(times, cpus, memories, strict=True):
                if type(t) is not int:
                    raise ValueError(f"{where}: a time is not a whole number of ns: {t!r:.40}")
                if not metrics.add({**item, "t": t + t0, "cpu": cpu, "memory": memory}):
                    raise ValueError(f"{where}: a sample is not a reading: {cpu!r:.20}")
            if item["host"] not in metrics.hosts:  # a host that never sent a reading
                metrics.hosts[item["host"]] = HostSeries(item["host"])
        return metrics
