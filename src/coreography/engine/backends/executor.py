"""concurrent.futures executors: ThreadPoolExecutor and ProcessPoolExecutor."""

from __future__ import annotations

import concurrent.futures
from typing import Any

from coreography.engine import probe as probe_mod
from coreography.engine.backends import register
from coreography.engine.worker_watch import RecordingContext
from coreography.model.events import Kind


@register("thread-pool")
def run_thread_pool(driver: Any, items: list[tuple[int, Any]]) -> list[Any]:
    driver.requested(-1, float(driver.experiment.workers))
    with concurrent.futures.ThreadPoolExecutor(
        driver.experiment.workers, initializer=_register_thread
    ) as ex:
        driver.probe.emit(Kind.TASKS_SUBMITTED, 0, 0, float(len(items)))
        return list(ex.map(probe_mod.call, items))


@register("process-pool")
def run_process_pool(driver: Any, items: list[tuple[int, Any]]) -> list[Any]:
    exp = driver.experiment
    driver.requested(-1, float(exp.workers))
    ex = concurrent.futures.ProcessPoolExecutor(  # type: ignore[call-overload]
        exp.workers,
        mp_context=RecordingContext(driver.ctx),
        initializer=probe_mod.install,
        initargs=(driver.worker_spec,),
    )
    driver.watch(lambda: list((ex._processes or {}).values()))
    try:
        driver.probe.emit(Kind.TASKS_SUBMITTED, 0, 0, float(len(items)))
        results = list(ex.map(probe_mod.call, items, chunksize=exp.chunksize or 1))
        driver.mark_collected()
        return results
    except BaseException:
        driver.mark_terminating()
        raise
    finally:
        ex.shutdown(wait=True, cancel_futures=True)


def _register_thread() -> None:
    """Thread-pool initializer: give the thread its lane before its first task."""
    probe = probe_mod.current()
    if probe is not None:
        probe.lane()
