"""Build realistic runs without processes, by packing the engine's event frames."""

from __future__ import annotations

import json
import time

import numpy as np

from coreography.model import wire
from coreography.model.events import Kind
from coreography.model.experiment import Experiment
from coreography.model.run import RECORD_DTYPE, Run


def binary_frame(pid: int, rows: list[tuple]) -> bytes:
    """rows: (kind, flags, lane, task, t, value, aux)."""
    return wire.records_frame(pid, 0, np.array(rows, dtype=RECORD_DTYPE))


def text_frame(pid: int, items: list[list]) -> bytes:
    """items: [kind, lane, task, t, value, text]."""
    return wire.text_frame(pid, 0, items)


def make_run(
    workers: int = 2,
    tasks: int = 10,
    task_ms: float = 5.0,
    prints: bool = True,
    fail: int = -1,
    running: int = 0,
    finish: bool = True,
) -> Run:
    """A pool-map run: ``workers`` lanes, tasks dealt round-robin, each ``task_ms`` long.

    ``running`` leaves the last that many tasks started but not finished.
    """
    experiment = Experiment(workers=workers, tasks=tasks, workload="print-number")
    ms = 1_000_000
    # Times end about now, so that "now" (the live edge) is later than every event.
    t0 = time.perf_counter_ns() - int((60 + task_ms * 1.1 * (tasks / workers + 1)) * ms)
    run = Run(experiment, cores=2, t0=t0)
    driver = 1000
    run.set_driver(driver)
    frames = [
        binary_frame(
            driver,
            [
                (Kind.RUN_STARTED, 0, 0, -1, t0 + ms, tasks, 0),
                (Kind.WORKERS_REQUESTED, 0, 0, -1, t0 + 2 * ms, workers, 0),
            ],
        )
    ]
    pids = [2000 + w for w in range(workers)]
    for w, pid in enumerate(pids):
        frames.append(
            binary_frame(pid, [(Kind.WORKER_READY, 0, 0, -1, t0 + (40 + w) * ms, 0, pid)])
        )
    clock = [t0 + (50 + w) * ms for w in range(workers)]
    per_worker: list[list[tuple]] = [[] for _ in range(workers)]
    texts: list[list[list]] = [[] for _ in range(workers)]
    length = int(task_ms * ms)
    for task in range(tasks):
        w = task % workers
        start = clock[w]
        per_worker[w].append((Kind.TASK_STARTED, 0, 0, task, start, 0.0, 0))
        if prints:
            texts[w].append(
                [
                    int(Kind.STDOUT),
                    0,
                    task,
                    start + length // 2,
                    0.0,
                    f"Process ID: {pids[w]} - Number: {task}",
                ]
            )
        if task >= tasks - running:
            continue
        if task == fail:
            texts[w].append(
                [
                    int(Kind.TASK_FAILED),
                    0,
                    task,
                    start + length,
                    0.0,
                    "RuntimeError: deliberate failure\nTraceback ...",
                ]
            )
        else:
            per_worker[w].append(
                (Kind.TASK_FINISHED, 0, 0, task, start + length, float(task), length)
            )
        clock[w] = start + length + ms // 10
    for w, pid in enumerate(pids):
        if per_worker[w]:
            frames.append(binary_frame(pid, per_worker[w]))
        if texts[w]:
            frames.append(text_frame(pid, texts[w]))
    run.apply(frames)
    if finish:
        end = max(clock) + ms
        status = json.dumps({"state": "finished", "message": "all tasks done"})
        run.apply([text_frame(driver, [[int(Kind.RUN_FINISHED), 0, -1, end, 0.0, status]])])
        run.finish("finished", "", end + ms)
    return run
