"""Runners of the execution models, one module per family, found by model name.

A runner is ``run(driver, items) -> results``: it starts the model's lanes, hands each
``(task_id, argument)`` of ``items`` to :func:`coreography.engine.probe.call` (or its
relatives) and returns the results in task order. It uses the driver's small public
surface: ``experiment``, ``probe``, ``ctx``, ``worker_spec``, ``requested()``,
``watch()``, ``mark_collected()`` and ``mark_terminating()``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from coreography.model import models

Runner = Callable[[Any, list[tuple[int, Any]]], list[Any]]


@dataclass(frozen=True)
class Backend:
    """One model's runner and what the driver's worker watch must know about it."""

    run: Runner
    #: A worker exiting with code 1 is a task that raised (one process per task): the
    #: runner reports it, the watch must not call it a crash.
    task_error_exits_worker: bool = False


_BACKENDS: dict[str, Backend] = {}


def register(*names: str, task_error_exits_worker: bool = False) -> Callable[[Runner], Runner]:
    """Decorator: run the models ``names`` with the decorated function."""

    def add(run: Runner) -> Runner:
        for name in names:
            _BACKENDS[name] = Backend(run, task_error_exits_worker)
        return run

    return add


def unregister(name: str) -> None:
    _BACKENDS.pop(name, None)


def backend_for(name: str) -> Backend:
    """The backend of model ``name``, importing the module its record names."""
    if name not in _BACKENDS:
        importlib.import_module(models.get(name).backend)
    try:
        return _BACKENDS[name]
    except KeyError:
        module = models.get(name).backend
        raise LookupError(f"model {name!r}: module {module} registers no runner for it") from None
