"""Models built on communication: a Queue of tasks, a Pipe, a Lock around a shared Value.

Each worker is a ``multiprocessing.Process`` whose target installs the probe, runs its
tasks inside ``Probe.run_task`` (so lanes and bars are as for any model) and talks
through the traced channels of :mod:`coreography.engine.channels`, whose messages and
waits the timeline draws.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from coreography.engine import probe as probe_mod
from coreography.engine.backends import register
from coreography.engine.channels import TracedLock, TracedQueue, traced_pipe
from coreography.engine.workloads import run_workload
from coreography.model.accounting import Accounting
from coreography.model.builtin_models import INCREMENTS_PER_TASK
from coreography.model.events import Kind

Items = list[tuple[int, Any]]


def _start_workers(
    driver: Any, target: Callable[..., None], args: list[tuple[Any, ...]]
) -> list[Any]:
    processes: list[Any] = []
    driver.watch(lambda: processes)
    driver.requested(-1, float(len(args)))
    for n, extra in enumerate(args):
        process = driver.ctx.Process(
            target=target, args=(driver.worker_spec, *extra), name=f"worker-{n + 1}"
        )
        process.start()
        processes.append(process)
    return processes


def _join(driver: Any, processes: list[Any]) -> None:
    for process in processes:
        process.join()
    driver.mark_collected()


def _end_workers(driver: Any, processes: list[Any]) -> None:
    """The run failed: end the workers (ours, not a fault), so none waits forever."""
    driver.mark_terminating()
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(5)


class TaskError:
    """A task raised in a worker: sent back in place of its result, so the driver
    raises it and the run fails naming the task (plain data: it always pickles)."""

    def __init__(self, exc: BaseException) -> None:
        self.text = f"{type(exc).__name__}: {exc}"
        self.task = getattr(exc, "coreography_task", -1)
        self.pid = getattr(exc, "coreography_pid", 0)
        self.lane = getattr(exc, "coreography_lane", 0)

    def exception(self) -> RuntimeError:
        error = RuntimeError(self.text)
        error.coreography_task = self.task  # type: ignore[attr-defined]
        error.coreography_pid = self.pid  # type: ignore[attr-defined]
        error.coreography_lane = self.lane  # type: ignore[attr-defined]
        return error


def _run_or_error(probe: Any, task_id: int, arg: Any) -> Any:
    try:
        return probe.run_task(task_id, arg)
    except Exception as exc:
        return TaskError(exc)


def _checked(result: Any) -> Any:
    if isinstance(result, TaskError):
        raise result.exception()
    return result


# -- queue-workers ----------------------------------------------------------------------------
def queue_worker(spec: Any, tasks: TracedQueue, results: TracedQueue) -> None:
    """Take ``(task_id, arg)`` from ``tasks`` until the sentinel ``None``; put results."""
    probe = probe_mod.install(spec)
    try:
        while (item := tasks.get()) is not None:
            task_id, arg = item
            result = _run_or_error(probe, task_id, arg)
            results.put((task_id, result))
            if isinstance(result, TaskError):
                break
    finally:
        probe_mod.shutdown()


@register("queue-workers")
def run_queue_workers(driver: Any, items: Items) -> list[Any]:
    ctx = driver.ctx
    tasks = TracedQueue(ctx, 1, "tasks")
    results_queue = TracedQueue(ctx, 2, "results")
    workers = driver.experiment.workers
    processes = _start_workers(driver, queue_worker, [(tasks, results_queue)] * workers)
    try:
        driver.probe.emit(Kind.TASKS_SUBMITTED, 0, 0, float(len(items)))
        for item in items:
            tasks.put(item)
        for _ in processes:
            tasks.put(None)  # one sentinel per worker: "no more work"
        results: list[Any] = [None] * len(items)
        for _ in items:
            task_id, result = results_queue.get()
            results[task_id] = _checked(result)
    except BaseException:
        _end_workers(driver, processes)
        raise
    _join(driver, processes)
    return results


# -- pipe-pair ------------------------------------------------------------------------------
def pipe_partner(spec: Any, end: Any) -> None:
    """Receive ``(task_id, arg)``, run it, send the result back; stop at ``None``."""
    probe = probe_mod.install(spec)
    try:
        while (item := end.recv()) is not None:
            task_id, arg = item
            result = _run_or_error(probe, task_id, arg)
            end.send(result)
            if isinstance(result, TaskError):
                break
    finally:
        probe_mod.shutdown()


@register("pipe-pair")
def run_pipe_pair(driver: Any, items: Items) -> list[Any]:
    mine, theirs = traced_pipe(driver.ctx, 1, "pipe")
    processes = _start_workers(driver, pipe_partner, [(theirs,)])
    driver.probe.emit(Kind.TASKS_SUBMITTED, 0, 0, float(len(items)))
    results = []
    try:
        for item in items:  # ping: one task over; pong: its result back
            mine.send(item)
            results.append(_checked(mine.recv()))
        mine.send(None)
    except BaseException:
        _end_workers(driver, processes)
        raise
    _join(driver, processes)
    return results


# -- lock-counter -----------------------------------------------------------------------------
def counting_worker(spec: Any, items: Items, counter: Any, lock: TracedLock | None) -> None:
    """Run each task, then add one to ``counter`` INCREMENTS_PER_TASK times (under
    ``lock`` if there is one), all inside the task's bar."""
    probe = probe_mod.install(spec)
    work = probe.task_fn or (lambda arg: run_workload(spec.workload, arg, spec.calibration))

    def task(arg: Any) -> Any:
        result = work(arg)
        if lock is None:
            for _ in range(INCREMENTS_PER_TASK):
                counter.value += 1  # read, then write: another process may write between
        else:
            for _ in range(INCREMENTS_PER_TASK):
                with lock:
                    counter.value += 1
        return result

    probe.task_fn = task
    try:
        for task_id, arg in items:
            probe.run_task(task_id, arg)
    except Exception:
        probe_mod.shutdown()
        sys.exit(1)  # the probe has reported the task; the driver names it
    probe_mod.shutdown()


def _run_counter(driver: Any, items: Items, locked: bool) -> list[Any]:
    ctx = driver.ctx
    counter = ctx.Value("q", 0)
    lock = TracedLock(ctx, 1, "counter lock") if locked else None
    workers = min(driver.experiment.workers, len(items))
    shares = [(items[n::workers], counter, lock) for n in range(workers)]
    driver.probe.emit(Kind.TASKS_SUBMITTED, 0, 0, float(len(items)))
    processes = _start_workers(driver, counting_worker, shares)
    _join(driver, processes)
    failed = [p for p in processes if p.exitcode == 1]
    if failed:
        error = RuntimeError(f"a task raised in {len(failed)} of {len(processes)} workers")
        error.coreography_task = Accounting(driver.spec.shared).task_of(failed[0].pid)  # type: ignore[attr-defined]
        error.coreography_pid = failed[0].pid  # type: ignore[attr-defined]
        raise error
    expected = len(items) * INCREMENTS_PER_TASK
    total = int(counter.value)
    print(f"counter.value = {total}")
    lost = expected - total
    if lost:
        verdict = (
            f"lost {lost:,} of {expected:,} increments: "
            "without a lock, updates overwrote each other"
        )
    else:
        verdict = f"all {expected:,} increments counted"
    driver.probe.text(Kind.LOG, 0, -1, verdict)
    return [None] * len(items)


@register("lock-counter", task_error_exits_worker=True)
def run_lock_counter(driver: Any, items: Items) -> list[Any]:
    return _run_counter(driver, items, locked=True)


@register("race-counter", task_error_exits_worker=True)
def run_race_counter(driver: Any, items: Items) -> list[Any]:
    return _run_counter(driver, items, locked=False)
