"""What observing a Dask run costs: the same client.map over 2,000 tasks of ~10 ms, plain
and observed, on one LocalCluster of 2 single-threaded worker processes.

Observed is the app's own runner (``engine/backends/dask.py``: the worker plugin, the
event topic, the forwarder writing frames to a pipe that a thread drains); plain is
``client.map`` of the same calibrated workload and ``gather``. Rounds alternate which
goes first; prints each one's median and range, the ratio of medians (goal: at most
1.05x) and the difference per task.

    .venv/bin/python bench/dask_overhead.py [ROUNDS]
"""

from __future__ import annotations

import logging
import multiprocessing
import statistics
import sys
import threading
import time
from functools import partial
from types import SimpleNamespace

from distributed import Client, LocalCluster

from coreography.engine import dask_worker as dask_worker_mod
from coreography.engine import probe as probe_mod
from coreography.engine.backends import dask as dask_backend
from coreography.engine.calibration import load_or_measure
from coreography.engine.workloads import run_workload
from coreography.model.experiment import Experiment

TASKS, TASK_MS, WORKERS = 2000, 10.0, 2


def _drain(conn) -> None:
    try:
        while True:
            conn.recv_bytes()
    except (EOFError, OSError):
        pass


def _time_hooks(dask_worker, run_id: str, n: int) -> float:
    """On a worker: ns per task of what observing adds to it: the task's start noted in
    its thread, and the plugin's two transitions (into executing, out of it)."""
    plugin = dask_worker.plugins[f"coreography-{run_id}"]
    prefix = dask_worker_mod.key_prefix(run_id)
    state = plugin.state
    start = time.perf_counter_ns()
    for i in range(n):
        key = f"{prefix}{i}"
        plugin.transition(key, "ready", "executing")
        dask_worker_mod.note_start(state, i)
        plugin.transition(key, "executing", "memory")
    return (time.perf_counter_ns() - start) / n


def hook_cost(client: Client, calibration) -> list[float]:
    """The real plugin on the real workers, its hooks called directly: ns per task."""
    run_id = "bench-hooks"
    config = dask_worker_mod.TaskConfig(run_id, "cpu", calibration)
    client.register_plugin(dask_worker_mod.Observer(config, "coreography-bench-hooks"))
    try:
        found = client.run(_time_hooks, run_id=run_id, n=20_000)
    finally:
        client.unregister_worker_plugin(f"coreography-{run_id}")
    return sorted(found.values())


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    calibration = load_or_measure().calibration()
    reader, writer = multiprocessing.Pipe(duplex=False)
    threading.Thread(target=_drain, args=(reader,), daemon=True).start()
    with (
        LocalCluster(
            n_workers=WORKERS,
            threads_per_worker=1,
            processes=True,
            dashboard_address="127.0.0.1:0",
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        experiment = Experiment(
            model="dask-map",
            workers=WORKERS,
            tasks=TASKS,
            size=TASK_MS,
            scheduler=cluster.scheduler_address,
        ).validate()
        spec = probe_mod.ProbeSpec(writer, "cpu", calibration, is_driver=True)
        probe = probe_mod.install(spec)
        driver = SimpleNamespace(
            experiment=experiment,
            spec=spec,
            worker_spec=spec,
            probe=probe,
            requested=lambda task, count: None,
            mark_collected=lambda: None,
        )
        items = list(enumerate(experiment.task_args()))

        def plain() -> float:
            start = time.perf_counter()
            # Importable, like the observed task function: pickled by reference.
            task = partial(run_workload, "cpu", calibration=calibration)
            futures = client.map(task, [arg for _, arg in items], pure=False)
            client.gather(futures)
            return time.perf_counter() - start

        def observed() -> float:
            start = time.perf_counter()
            dask_backend.run_map(driver, items)
            return time.perf_counter() - start

        plain()  # warm both paths: imports on the workers, the first pickles
        observed()
        hooks = hook_cost(client, calibration)
        times: dict[str, list[float]] = {"plain": [], "observed": []}
        for n in range(rounds):
            order = (plain, observed) if n % 2 == 0 else (observed, plain)
            for fn in order:
                times[fn.__name__].append(fn())
            print(
                f"round {n + 1}/{rounds}: plain {times['plain'][-1]:.3f} s, "
                f"observed {times['observed'][-1]:.3f} s",
                file=sys.__stderr__,
            )
    out = sys.__stdout__  # the probe captures sys.stdout, as it does in a driver
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(
        f"client.map over {TASKS} tasks of {TASK_MS:g} ms, {WORKERS} workers, {rounds} rounds",
        file=out,
    )
    for name, values in times.items():
        print(
            f"  {name:9s} median {medians[name]:.3f} s  "
            f"range {min(values):.3f}–{max(values):.3f} s",
            file=out,
        )
    ratio = medians["observed"] / medians["plain"]
    per_task_us = (medians["observed"] - medians["plain"]) * WORKERS / TASKS * 1e6
    print(f"  observed / plain: {ratio:.3f}x (goal ≤ 1.05x)", file=out)
    print(f"  difference per task on its worker: {per_task_us:+.0f} µs", file=out)
    shown = ", ".join(f"{ns / 1000:.1f}" for ns in hooks)
    print(f"  the plugin's hooks alone, per task, on each worker: {shown} µs", file=out)


if __name__ == "__main__":
    main()
