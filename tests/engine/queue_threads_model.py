"""A model added from outside the package: worker threads taking tasks from a Queue.

One metadata record and one runner, in one module, and nothing else: the test of the
extension point. The driver imports this module by the record's ``backend`` name.
"""

from __future__ import annotations

import queue
import threading
from typing import Any

from coreography.engine import backends
from coreography.engine import probe as probe_mod
from coreography.model import models
from coreography.model.events import Kind

NAME = "queue-threads"


def _code(exp: Any, fn: str) -> models.Code:
    return models.Code(
        modules=frozenset({"queue", "threading"}),
        body=(
            "todo = queue.Queue()",
            "for i, x in enumerate(args):",
            "    todo.put((i, x))",
            "results = [None] * len(args)",
            "",
            "def work():",
            "    while True:",
            "        try:",
            "            i, x = todo.get_nowait()",
            "        except queue.Empty:",
            "            return",
            f"        results[i] = {fn}(x)",
            "",
            f"threads = [threading.Thread(target=work) for _ in range({exp.workers})]",
            "for thread in threads:",
            "    thread.start()",
            "for thread in threads:",
            "    thread.join()",
        ),
    )


RECORD = models.register(
    models.ExecutionModel(
        NAME,
        "Worker threads taking tasks from a queue.Queue",
        "thread",
        __name__,
        _code,
        max_tasks=1000,
    )
)


@backends.register(NAME)
def run_queue_threads(driver: Any, items: list[tuple[int, Any]]) -> list[Any]:
    todo: queue.SimpleQueue[tuple[int, Any]] = queue.SimpleQueue()
    for item in items:
        todo.put(item)
    results: list[Any] = [None] * len(items)
    errors: list[BaseException] = []

    def work() -> None:
        probe = probe_mod.current()
        if probe is not None:
            probe.lane()  # the thread's lane exists before its first task
        while True:
            try:
                item = todo.get_nowait()
            except queue.Empty:
                return
            try:
                results[item[0]] = probe_mod.call(item)
            except BaseException as exc:
                errors.append(exc)
                return

    workers = driver.experiment.workers
    driver.requested(-1, float(workers))
    driver.probe.emit(Kind.TASKS_SUBMITTED, 0, 0, float(len(items)))
    threads = [threading.Thread(target=work, name=f"queue-worker-{n}") for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results
