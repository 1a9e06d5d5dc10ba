"""multiprocessing.Pool, through map, imap, imap_unordered, starmap or apply_async."""

from __future__ import annotations

from typing import Any

from coreography.engine import probe as probe_mod
from coreography.engine.backends import register
from coreography.engine.worker_watch import WatchedPool
from coreography.model.events import Kind


@register("pool-map", "pool-imap", "pool-imap-unordered", "pool-apply-async", "pool-starmap")
def run_pool(driver: Any, items: list[tuple[int, Any]]) -> list[Any]:
    exp = driver.experiment
    probe = driver.probe
    chunksize = exp.chunksize or None
    driver.requested(-1, float(exp.workers))
    pool = WatchedPool(
        exp.workers,
        initializer=probe_mod.install,
        initargs=(driver.worker_spec,),
        context=driver.ctx,
    )
    driver.watch(lambda: pool._pool)  # type: ignore[attr-defined]  # its worker list
    try:
        if exp.model == "pool-apply-async":
            handles = []
            for task_id, arg in items:
                probe.emit(Kind.TASKS_SUBMITTED, 0, task_id, 1.0)
                handles.append(pool.apply_async(probe_mod.call_star, (task_id, arg)))
            results = [handle.get() for handle in handles]
        else:
            probe.emit(Kind.TASKS_SUBMITTED, 0, 0, float(len(items)))
            if exp.model == "pool-map":
                results = pool.map(probe_mod.call, items, chunksize)
            elif exp.model == "pool-imap":
                results = list(pool.imap(probe_mod.call, items, chunksize or 1))
            elif exp.model == "pool-imap-unordered":
                results = list(pool.imap_unordered(probe_mod.call, items, chunksize or 1))
            else:
                results = pool.starmap(probe_mod.call_star, items, chunksize)
    except BaseException:
        driver.mark_terminating()  # the SIGTERMs that follow are ours, not a fault
        pool.terminate()
        raise
    driver.mark_collected()
    pool.close()
    pool.join()
    return results
