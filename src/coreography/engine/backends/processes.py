"""One multiprocessing.Process per task."""

from __future__ import annotations

from typing import Any

from coreography.engine import probe as probe_mod
from coreography.engine.backends import register
from coreography.model.events import Kind


@register("processes", task_error_exits_worker=True)
def run_processes(driver: Any, items: list[tuple[int, Any]]) -> list[Any]:
    processes: list[Any] = []
    driver.watch(lambda: processes)
    driver.probe.emit(Kind.TASKS_SUBMITTED, 0, 0, float(len(items)))
    for task_id, arg in items:
        driver.requested(task_id, 1.0)
        process = driver.ctx.Process(
            target=probe_mod.process_main,
            args=(driver.worker_spec, task_id, arg),
            name=f"task-{task_id}",
        )
        process.start()
        processes.append(process)
    for process in processes:
        process.join()
    failed = [p for p in processes if p.exitcode == 1]
    if failed:
        first = failed[0]
        error = RuntimeError(f"{len(failed)} of {len(processes)} processes ended with an error")
        error.coreography_task = int(first.name.removeprefix("task-"))  # type: ignore[attr-defined]
        error.coreography_pid = first.pid  # type: ignore[attr-defined]
        raise error
    return [None] * len(processes)
