"""Execution models: one declarative record per model, in one open registry (no Qt)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from coreography.model.experiment import Experiment

#: Where a model's lanes live: worker processes, threads of the driver, or the driver's
#: own main thread.
Lanes = Literal["process", "thread", "inline"]


@dataclass(frozen=True)
class Code:
    """How a model reads in the Code view: what it imports and what ``__main__`` does."""

    #: Modules imported whole (``import threading``).
    modules: frozenset[str] = frozenset()
    #: Further import lines (``from multiprocessing import Pool``).
    imports: tuple[str, ...] = ()
    #: Top-level functions the body starts processes with (a spawned child imports the
    #: program, so a Process target cannot live inside ``__main__``), unindented.
    functions: tuple[str, ...] = ()
    #: The body of ``if __name__ == "__main__":`` that makes ``results`` (unindented).
    body: tuple[str, ...] = ()
    #: Whether the body leaves a ``results`` list worth printing.
    prints_results: bool = True
    #: Where it does not: why the program has no results (said instead of a result).
    no_results: str = ""


@dataclass(frozen=True)
class ExecutionModel:
    """Everything the app knows about one execution model, except how to run it.

    ``backend`` names the engine module whose runner is registered under ``name``; the
    driver imports it, so a model added from outside the package runs there too.
    ``code(experiment, function_name)`` writes the model's part of the Code view.
    """

    name: str
    description: str
    lanes: Lanes
    backend: str
    code: Callable[[Experiment, str], Code]
    #: The workers option applies (a pool's size); otherwise the model picks its lanes.
    uses_workers: bool = True
    #: The chunksize option applies.
    uses_chunksize: bool = False
    #: The array size option applies (the models that hand tasks a big array).
    uses_array: bool = False
    #: One lane per task (a Process or Thread each), so as many run at once as tasks.
    lane_per_task: bool = False
    #: At most this many tasks (a model starting one lane per task gets out of hand).
    max_tasks: int | None = None
    #: Always this many worker processes, whatever the workers option (a pipe's pair).
    fixed_workers: int | None = None
    #: Offered for new runs (panel, ``run --model``); a traced program's model is not:
    #: its recordings name it, the program decides what runs.
    choosable: bool = True
    #: Runs on a cluster with a scheduler of its own (Dask): a scheduler address applies,
    #: and the cluster, not the experiment's start method, starts the worker processes.
    cluster: bool = False
    #: Modules the model needs that Coreography does not install by default.
    requires: tuple[str, ...] = ()
    #: How to get them, said when one is missing (``pip install 'coreography[dask]'``).
    install_hint: str = ""

    @property
    def uses_processes(self) -> bool:
        return self.lanes == "process"

    @property
    def uses_start_method(self) -> bool:
        """The start method matters only where the experiment starts worker processes."""
        return self.lanes == "process" and not self.cluster

    def missing(self) -> str:
        """What this model needs and is not installed, with how to get it ('' if nothing)."""
        absent = [name for name in self.requires if not _importable(name)]
        if not absent:
            return ""
        hint = f": {self.install_hint}" if self.install_hint else ""
        return f"the {self.name!r} model needs {', '.join(absent)}, which is not installed{hint}"

    @property
    def allows_worker_exit_faults(self) -> bool:
        """Faults that end a worker process (exit, kill, segv) need a worker process."""
        return self.lanes == "process"

    def parallel_workers(self, workers: int, tasks: int) -> int:
        """How many tasks can run at once under this model."""
        if self.lanes == "inline":
            return 1
        if self.lane_per_task:
            return tasks
        if self.fixed_workers is not None:
            return min(self.fixed_workers, tasks)
        return min(workers, tasks)


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


_REGISTRY: dict[str, ExecutionModel] = {}


def register(model: ExecutionModel) -> ExecutionModel:
    """Add ``model`` (or replace the one of that name); returns it."""
    _REGISTRY[model.name] = model
    return model


def unregister(name: str) -> None:
    _REGISTRY.pop(name, None)


def get(name: str) -> ExecutionModel:
    """The model called ``name``; ``KeyError`` if none is registered."""
    return _REGISTRY[name]


def find(name: str) -> ExecutionModel | None:
    return _REGISTRY.get(name)


def names() -> list[str]:
    """Every registered model's name, in registration order."""
    return list(_REGISTRY)


def all_models() -> list[ExecutionModel]:
    return list(_REGISTRY.values())


def choices() -> list[str]:
    """The models offered for a new run, in registration order."""
    return [name for name, model in _REGISTRY.items() if model.choosable]


def descriptions() -> dict[str, str]:
    """``{name: description}`` of the models offered, for help texts and choice lists."""
    return {m.name: m.description for m in _REGISTRY.values() if m.choosable}


def with_lanes(lanes: Lanes) -> frozenset[str]:
    return frozenset(m.name for m in _REGISTRY.values() if m.lanes == lanes)


def task_caps() -> dict[str, int]:
    """``{name: max_tasks}`` of the models that limit their tasks."""
    return {m.name: m.max_tasks for m in _REGISTRY.values() if m.max_tasks is not None}


# Imported last: the built-in records register themselves against this module.
from coreography.model import builtin_models as _builtin_models  # noqa: E402

del _builtin_models
# The Dask models (optional extra ``coreography[dask]``): records of their own module.
from coreography.model import dask_models as _dask_models  # noqa: E402

del _dask_models
