"""Every execution model under every start method: right results, right lanes, sane times."""

from __future__ import annotations

import numpy as np
import pytest

from coreography.engine import backends
from coreography.model import models
from coreography.model.experiment import available_start_methods
from coreography.model.run import DONE, FINISHED, NO_TIME

from .helpers import alive, experiment_pids, run_experiment

SQUARES = [i * i for i in range(10)]


def _expected_worker_lanes(model: str, workers: int, tasks: int) -> int:
    record = models.get(model)
    if record.lanes == "inline":
        return 0
    return record.parallel_workers(workers, tasks)


def test_the_registry_holds_every_shipped_model_with_its_backend():
    assert models.choices() == [
        "sequential",
        "threads",
        "thread-pool",
        "processes",
        "pool-map",
        "pool-imap",
        "pool-imap-unordered",
        "pool-apply-async",
        "pool-starmap",
        "process-pool",
        "queue-workers",
        "pipe-pair",
        "lock-counter",
        "race-counter",
        "pickled-array",
        "shared-array",
        "dask-map",
        "dask-submit",
    ]
    for name in models.choices():
        assert backends.backend_for(name).run is not None
    assert models.with_lanes("inline") == {"sequential"}
    assert models.with_lanes("thread") == {"threads", "thread-pool"}
    assert backends.backend_for("processes").task_error_exits_worker
    assert not backends.backend_for("pool-map").task_error_exits_worker


def _models_and_start_methods():
    """Every model under every start method; a cluster model once (its cluster, not the
    start method, starts its workers)."""
    for model in models.choices():
        methods = available_start_methods()
        for method in methods[-1:] if models.get(model).cluster else methods:
            yield pytest.param(model, method, id=f"{model}-{method}")


@pytest.mark.slow
@pytest.mark.parametrize(("model", "start_method"), list(_models_and_start_methods()))
def test_model_runs_squares_correctly(model, start_method):
    workers = 3
    run, _ = run_experiment(
        model=model, workers=workers, tasks=10, workload="square", start_method=start_method
    )
    assert run.state == FINISHED, run.message
    assert run.results() == SQUARES  # each task's result, whatever the program keeps
    assert [int(v) for v in run.task_value] == SQUARES
    if model == "pool-imap-unordered":
        assert sorted(eval(run.result_text)) == SQUARES
    elif models.get(model).code(run.experiment, "task").prints_results:
        assert run.result_text == repr(SQUARES)

    # One span per task, every task done once, each on a known lane.
    assert (run.task_status == DONE).all()
    assert sum(len(lane.task_ids()) for lane in run.lanes) == 10
    assert sorted(np.concatenate([lane.task_ids() for lane in run.lanes]).tolist()) == list(
        range(10)
    )

    # One lane per worker (pools may not start a lane for a worker that got no task: a
    # worker lane appears when the worker is ready, whether or not it ran a task).
    worker_lanes = run.worker_lanes()
    expected = _expected_worker_lanes(model, workers, 10)
    if model == "process-pool":
        assert 1 <= len(worker_lanes) <= expected  # the executor starts workers on demand
    elif model == "thread-pool":
        assert 1 <= len(worker_lanes) <= expected
    else:
        assert len(worker_lanes) == expected, [lane.label for lane in run.lanes]
    if models.get(model).lanes == "process":
        assert {lane.role for lane in worker_lanes} == {"worker"}
        assert all(lane.ready_ns >= lane.requested_ns > 0 for lane in worker_lanes)

    # Times: monotonic per lane, inside the run's window.
    assert run.run_started_ns != NO_TIME and run.run_finished_ns != NO_TIME
    assert (run.task_start >= run.run_started_ns).all()
    assert (run.task_end <= run.run_finished_ns).all()
    assert (run.task_end >= run.task_start).all()
    for lane in run.lanes:
        ids = lane.task_ids()
        starts, ends = run.task_start[ids], run.task_end[ids]
        assert (np.diff(starts) >= 0).all()
        if lane.thread == 0 and lane.role != "thread":  # one task at a time per process
            assert (starts[1:] >= ends[:-1]).all()
    assert run.events_lost() == 0
    assert not alive(experiment_pids(run))
