"""A big array sent with every task vs one in shared memory, in real runs: the sending
before each task is drawn for the pickled array and absent for the shared one."""

from __future__ import annotations

import numpy as np
import pytest

from coreography.model.events import BIG_MESSAGE, SENDING
from coreography.model.experiment import Experiment, available_start_methods
from coreography.model.run import FINISHED

from .helpers import alive, experiment_pids, run_experiment

TASKS_CHANNEL = 1
MB = 1.0


def _sendings(run, lane: int) -> np.ndarray:
    waits = run.messages.waits()
    return waits[(waits["on"] == SENDING) & (waits["lane"] == lane)]


@pytest.mark.slow
@pytest.mark.parametrize("start_method", available_start_methods())
@pytest.mark.parametrize("model", ["pickled-array", "shared-array"])
def test_a_pickled_array_is_sent_before_each_task_and_a_shared_one_is_not(model, start_method):
    tasks = 6
    run, _ = run_experiment(
        timeout=90,
        model=model,
        workers=2,
        tasks=tasks,
        workload="square",
        array_mb=MB,
        start_method=start_method,
    )
    assert run.state == FINISHED, run.message
    assert run.results() == [i * i for i in range(tasks)]
    length = Experiment(array_mb=MB).array_length
    assert run.stdout_lines() == [f"sum of the array = {length * (length - 1) // 2}"]
    assert not alive(experiment_pids(run))
    arrows = run.messages.arrows()
    sent = arrows[(arrows["channel"] == TASKS_CHANNEL) & (arrows["size"] > 100)]
    main = next(lane.index for lane in run.lanes if lane.role == "main")
    pickled = model == "pickled-array"
    if pickled:
        # Each task message carries the whole array, from the main lane to a worker's.
        assert len(sent) == tasks and (sent["size"] >= length * 8).all()
        assert (sent["from_lane"] == main).all()
        assert set(sent["to_lane"].tolist()) <= {lane.index for lane in run.worker_lanes()}
        # The queue's feeder thread pickles it, not the main thread: no sending there.
        assert not len(_sendings(run, main))
        said = f"with each of {tasks} tasks"
    else:
        assert (arrows["size"] < BIG_MESSAGE).all()  # only a few numbers travel
        assert not (run.messages.waits()["on"] == SENDING).any()
        said = "into shared memory once"
    assert said in run.logs[-1], run.logs
    for lane in run.worker_lanes():
        ids = lane.task_ids()
        mine = _sendings(run, lane.index)
        if not pickled:
            assert not len(mine)
            continue
        # One sending per task on the worker's lane, each ending before its task starts
        # and after the lane's previous task ended.
        assert len(mine) == len(ids), lane.label
        order = np.argsort(run.task_start[ids])
        starts, ends = run.task_start[ids][order], run.task_end[ids][order]
        spans = np.sort(mine, order="end")
        assert (spans["start"] <= spans["end"]).all()
        assert (spans["end"] <= starts).all()
        assert (spans["end"][1:] >= ends[:-1]).all()
