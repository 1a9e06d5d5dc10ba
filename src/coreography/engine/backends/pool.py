"""multiprocessing.Pool, through map, imap, imap_unordered, starmap or apply_async."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from coreography.engine import probe as probe_mod
from coreography.engine.backends import register
from coreography.engine.worker_watch import WatchedPool
from coreography.model.events import Kind

Items = list[tuple[int, Any]]


def _run_on_pool(
    driver: Any,
    items: Items,
    submit: Callable[[Any, Items, Any], list[Any]],
    submitted_at_once: bool = True,
) -> list[Any]:
    """Start a watched pool, let ``submit(pool, items, chunksize)`` hand out the tasks and
    collect their results, then close the pool (terminate it on any failure)."""
    exp = driver.experiment
    driver.requested(-1, float(exp.workers))
    pool = WatchedPool(
        exp.workers,
        initializer=probe_mod.install,
        initargs=(driver.worker_spec,),
        context=driver.ctx,
    )
    driver.watch(lambda: pool._pool)  # type: ignore[attr-defined]  # its worker list
    try:
        if submitted_at_once:
            driver.probe.emit(Kind.TASKS_SUBMITTED, 0, 0, float(len(items)))
        results = submit(pool, items, exp.chunksize or None)
    except BaseException:
        driver.mark_terminating()  # the SIGTERMs that follow are ours, not a fault
        pool.terminate()
        raise
    driver.mark_collected()
    pool.close()
    pool.join()
    return results


@register("pool-map")
def run_map(driver: Any, items: Items) -> list[Any]:
    return _run_on_pool(driver, items, lambda pool, i, c: pool.map(probe_mod.call, i, c))


@register("pool-imap")
def run_imap(driver: Any, items: Items) -> list[Any]:
    return _run_on_pool(
        driver, items, lambda pool, i, c: list(pool.imap(probe_mod.call, i, c or 1))
    )


@register("pool-imap-unordered")
def run_imap_unordered(driver: Any, items: Items) -> list[Any]:
    return _run_on_pool(
        driver, items, lambda pool, i, c: list(pool.imap_unordered(probe_mod.call, i, c or 1))
    )


@register("pool-starmap")
def run_starmap(driver: Any, items: Items) -> list[Any]:
    return _run_on_pool(driver, items, lambda pool, i, c: pool.starmap(probe_mod.call_star, i, c))


@register("pool-apply-async")
def run_apply_async(driver: Any, items: Items) -> list[Any]:
    def submit(pool: Any, items: Items, _chunksize: Any) -> list[Any]:
        handles = []
        for task_id, arg in items:
            driver.probe.emit(Kind.TASKS_SUBMITTED, 0, task_id, 1.0)
            handles.append(pool.apply_async(probe_mod.call_star, (task_id, arg)))
        return [handle.get() for handle in handles]

    return _run_on_pool(driver, items, submit, submitted_at_once=False)
