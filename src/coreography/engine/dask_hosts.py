"""The driver's side of per-host metrics: ask the scheduler for the run's workers' own
readings (``scheduler_info()``, the metrics of each worker's last heartbeat) and send one
``HOST_METRICS`` text per host that has a newer reading (:mod:`coreography.model.host_metrics`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from coreography.model.events import Kind

#: How often the scheduler is asked: its workers' heartbeats come every 0.5 s (up to 10
#: workers), each carrying their monitor's last reading (taken every 0.5 s).
POLL_S = 0.5


def host_readings(
    workers_info: dict[str, Any], known: dict[str, Any], shift: Callable[[Any], int]
) -> list[dict[str, Any]]:
    """One reading per host from ``scheduler_info()["workers"]``.

    Parameters
    ----------
    workers_info
        The scheduler's view of each worker, by address (its ``metrics`` are the worker's
        own: ``cpu`` % of one core, ``memory`` bytes, ``time`` its wall clock, seconds).
    known
        The run's workers by address (they said hello): only these are counted; each has
        ``cores`` and ``memory_total`` of its host.
    shift
        A known worker -> ns to add to its wall-clock ns to put them on this machine's
        ``perf_counter`` clock.

    Returns
    -------
    Per host: the sums over its workers, stamped with the oldest of their readings.
    """
    hosts: dict[str, dict[str, Any]] = {}
    for address, info in workers_info.items():
        worker = known.get(address)
        metrics = info.get("metrics") or {}
        when = metrics.get("time")
        if worker is None or not isinstance(when, int | float):
            continue
        t = int(when * 1e9) + shift(worker)
        host = hosts.setdefault(
            worker.host,
            {
                "host": worker.host,
                "t": t,
                "cpu": 0.0,
                "memory": 0.0,
                "memory_limit": 0,
                "threads": 0,
                "workers": 0,
                "cores": int(worker.cores),
                "memory_total": int(worker.memory_total),
            },
        )
        host["t"] = min(host["t"], t)
        host["cpu"] += float(metrics.get("cpu", 0.0) or 0.0)
        host["memory"] += float(metrics.get("memory", 0.0) or 0.0)
        host["memory_limit"] += int(info.get("memory_limit") or 0)
        host["threads"] += int(info.get("nthreads") or 0)
        host["workers"] += 1
    return list(hosts.values())


class HostWatch(threading.Thread):
    """Polls the scheduler every :data:`POLL_S` until :meth:`stop`; sends what is new."""

    def __init__(self, client: Any, forwarder: Any, probe: Any) -> None:
        super().__init__(name="coreography-dask-hosts", daemon=True)
        self.client = client
        self.forwarder = forwarder
        self.probe = probe
        self.finished = threading.Event()
        self.sent: dict[str, int] = {}  # host -> time of the last reading sent
        self.polls = 0

    def run(self) -> None:
        # At once: the scheduler holds the readings the workers sent when they joined.
        while not self.finished.is_set():
            try:
                self.poll()
            except Exception:  # the client is closing, or the scheduler is gone
                if self.finished.is_set():
                    return
            self.finished.wait(POLL_S)

    def poll(self) -> None:
        info = self.client.scheduler_info(n_workers=-1)
        self.polls += 1
        with self.forwarder.lock:
            known = dict(self.forwarder.workers)
        known = {address: w for address, w in known.items() if not w.gone}
        new = False
        for reading in host_readings(info.get("workers", {}), known, self.forwarder.shift):
            if reading["t"] <= self.sent.get(reading["host"], -1):
                continue  # no worker of that host has reported since
            self.sent[reading["host"]] = reading["t"]
            self.probe.text(Kind.HOST_METRICS, 0, -1, json.dumps(reading))
            new = True
        if new:
            self.probe.flush()

    def stop(self, last: bool = False) -> None:
        """End the polling; ``last``: ask once more (the readings up to the run's end)."""
        self.finished.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout=2 * POLL_S + 5)
        if last:
            try:
                self.poll()
            except Exception:
                pass
