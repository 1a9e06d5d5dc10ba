"""The Dask execution models: the same tasks on a ``distributed`` cluster.

``dask-map`` hands every task to ``client.map`` and collects them with ``gather``;
``dask-submit`` submits one future per task and takes results as they complete. Both
start a ``LocalCluster`` of ``workers`` worker processes of ``threads_per_worker`` threads
each (one by default), or use the
cluster at the experiment's ``scheduler`` address. ``distributed`` is the optional extra
``coreography[dask]``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from coreography.model.models import Code, ExecutionModel, register

if TYPE_CHECKING:
    from coreography.model.experiment import Experiment

BACKEND = "coreography.engine.backends.dask"
INSTALL_HINT = "pip install 'coreography[dask]' (in a checkout, make install brings it)"


def _client(exp: Experiment) -> tuple[str, ...]:
    """The lines that open a client: on the given scheduler, or on a fresh LocalCluster."""
    if exp.scheduler:
        return (f"with Client({exp.scheduler!r}) as client:  # a cluster already running",)
    return (
        f"with LocalCluster(n_workers={exp.workers}, threads_per_worker={exp.threads_each}, "
        "processes=True) as cluster, \\",
        "        Client(cluster) as client:",
    )


def _imports(exp: Experiment, *more: str) -> tuple[str, ...]:
    names = ["Client", *([] if exp.scheduler else ["LocalCluster"]), *more]
    return (f"from dask.distributed import {', '.join(sorted(names))}",)


def _dask_map(exp: Experiment, fn: str) -> Code:
    return Code(
        imports=_imports(exp),
        body=(
            *_client(exp),
            f"    futures = client.map({fn}, args, pure=False)",
            "    results = client.gather(futures)",
        ),
    )


def _dask_submit(exp: Experiment, fn: str) -> Code:
    return Code(
        imports=_imports(exp, "as_completed"),
        body=(
            *_client(exp),
            f"    futures = [client.submit({fn}, x, pure=False) for x in args]",
            "    index = {future.key: i for i, future in enumerate(futures)}",
            "    results = [None] * len(args)",
            "    for future in as_completed(futures):  # in the order they finish",
            "        results[index[future.key]] = future.result()",
        ),
    )


def _dask_model(name: str, description: str, code: Callable[[Experiment, str], Code]) -> None:
    register(
        ExecutionModel(
            name,
            description,
            "process",
            BACKEND,
            code,
            cluster=True,
            requires=("distributed",),
            install_hint=INSTALL_HINT,
        )
    )


_dask_model("dask-map", "Dask: client.map over a cluster, then gather", _dask_map)
_dask_model("dask-submit", "Dask: one client.submit per task, results as_completed", _dask_submit)
