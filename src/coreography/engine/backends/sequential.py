"""The plain loop: every task in the driver's main thread, one after another."""

from __future__ import annotations

from typing import Any

from coreography.engine import probe as probe_mod
from coreography.engine.backends import register
from coreography.model.events import Kind


@register("sequential")
def run_sequential(driver: Any, items: list[tuple[int, Any]]) -> list[Any]:
    driver.probe.emit(Kind.TASKS_SUBMITTED, 0, 0, float(len(items)))
    return [probe_mod.call(item) for item in items]
