"""Models that hand every task a big array: pickled with each task, or in shared memory.

``pickled-array`` puts the whole array on the tasks Queue with every task (as a program
does that passes it as an argument), so each message is pickled, written through the
queue's pipe and unpickled: the sending spans before each task. ``shared-array`` copies it
once into ``multiprocessing.shared_memory``; the workers attach to it by name and only
small numbers travel. Either way task ``i`` sums its own share of the array (so both do
the same work), besides its workload; the run prints the array's total.
"""

from __future__ import annotations

import time
from array import array
from multiprocessing import shared_memory
from typing import Any

from coreography.engine import probe as probe_mod
from coreography.engine.backends import register
from coreography.engine.backends.communication import (
    TaskError,
    _checked,
    _end_workers,
    _join,
    _run_or_error,
    _start_workers,
)
from coreography.engine.channels import TracedQueue
from coreography.engine.workloads import run_workload
from coreography.model.events import Kind

Items = list[tuple[int, Any]]


def _bounds(task: int, tasks: int, length: int) -> tuple[int, int]:
    """The share of an array of ``length`` that task ``task`` of ``tasks`` sums."""
    return task * length // tasks, (task + 1) * length // tasks


def _floats(memory: shared_memory.SharedMemory, length: int) -> memoryview[float]:
    """The first ``length`` 8-byte floats of ``memory`` (its size may be rounded up)."""
    buffer = memory.buf
    assert buffer is not None  # open until closed
    return buffer[: length * 8].cast("d")


def array_worker(
    spec: Any, tasks: TracedQueue, results: TracedQueue, shared_name: str, length: int
) -> None:
    """Take tasks until the sentinel ``None``; put ``(task_id, result, share's sum)``.

    With ``shared_name`` a task is ``(task_id, arg, lo, hi)`` and the array is the shared
    memory of that name; without, a task is ``(task_id, arg, array, lo, hi)``."""
    probe = probe_mod.install(spec)
    work = probe.task_fn or (lambda arg: run_workload(spec.workload, arg, spec.calibration))
    part = [0.0]

    def task(arg: Any) -> Any:
        x, data, lo, hi = arg
        result = work(x)
        part[0] = float(sum(data[lo:hi]))
        return result

    probe.task_fn = task
    memory = view = None
    if shared_name:
        memory = shared_memory.SharedMemory(name=shared_name)
        view = _floats(memory, length)
    try:
        while (item := tasks.get()) is not None:
            if view is not None:
                task_id, x, lo, hi = item
                data: Any = view
            else:
                task_id, x, data, lo, hi = item
            result = _run_or_error(probe, task_id, (x, data, lo, hi))
            del data
            results.put((task_id, result, part[0]))
            if isinstance(result, TaskError):
                break
    finally:
        if view is not None:
            view.release()
        if memory is not None:
            memory.close()
        probe_mod.shutdown()


def _run_array(driver: Any, items: Items, shared: bool) -> list[Any]:
    ctx, experiment = driver.ctx, driver.experiment
    length = experiment.array_length
    megabytes = length * 8 / 2**20
    data = array("d", range(length))
    memory = None
    name = ""
    if shared:
        began = time.perf_counter()
        memory = shared_memory.SharedMemory(create=True, size=length * 8)
        name = memory.name
        view = _floats(memory, length)
        view[:] = data
        view.release()
        copied_ms = (time.perf_counter() - began) * 1e3
        del data
    workers = min(experiment.workers, len(items))
    tasks = TracedQueue(ctx, 1, "tasks", maxsize=workers)
    results_queue = TracedQueue(ctx, 2, "results")
    try:
        processes = _start_workers(
            driver, array_worker, [(tasks, results_queue, name, length)] * workers
        )
        try:
            driver.probe.emit(Kind.TASKS_SUBMITTED, 0, 0, float(len(items)))
            n = len(items)
            for task_id, arg in items:
                lo, hi = _bounds(task_id, n, length)
                tasks.put((task_id, arg, lo, hi) if shared else (task_id, arg, data, lo, hi))
            for _ in processes:
                tasks.put(None)  # one sentinel per worker: "no more work"
            results: list[Any] = [None] * n
            total = 0.0
            for _ in items:
                task_id, result, part = results_queue.get()
                results[task_id] = _checked(result)
                total += part
        except BaseException:
            _end_workers(driver, processes)
            raise
        _join(driver, processes)
    finally:
        if memory is not None:
            memory.close()
            memory.unlink()
    print(f"sum of the array = {total:.0f}")
    if shared:
        said = (
            f"copied the {megabytes:,.2f} MB array into shared memory once "
            f"({copied_ms:.1f} ms); {n} tasks read it in place"
        )
    else:
        said = (
            f"pickled and sent the {megabytes:,.2f} MB array with each of {n} tasks: "
            f"{megabytes * n:,.1f} MB through the queue"
        )
    driver.probe.text(Kind.LOG, 0, -1, said)
    return results


@register("pickled-array")
def run_pickled_array(driver: Any, items: Items) -> list[Any]:
    return _run_array(driver, items, shared=False)


@register("shared-array")
def run_shared_array(driver: Any, items: Items) -> list[Any]:
    return _run_array(driver, items, shared=True)
