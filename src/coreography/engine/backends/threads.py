"""One threading.Thread per task, all in the driver's process."""

from __future__ import annotations

import threading
from typing import Any

from coreography.engine import probe as probe_mod
from coreography.engine.backends import register
from coreography.model.events import Kind


@register("threads")
def run_threads(driver: Any, items: list[tuple[int, Any]]) -> list[Any]:
    results: list[Any] = [None] * len(items)
    errors: list[BaseException] = []

    def body(item: tuple[int, Any]) -> None:
        try:
            results[item[0]] = probe_mod.call(item)
        except BaseException as exc:
            errors.append(exc)

    driver.requested(-1, float(len(items)))
    driver.probe.emit(Kind.TASKS_SUBMITTED, 0, 0, float(len(items)))
    threads = [
        threading.Thread(target=body, args=(item,), name=f"task-{item[0]}") for item in items
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results
