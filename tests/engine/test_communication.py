"""Queues, pipes and locks of real runs: every message from the right lane to the right
lane, lost updates counted as printed, a killed consumer's queue left visibly full."""

from __future__ import annotations

import re

import numpy as np
import pytest

from coreography.model.experiment import Fault, available_start_methods
from coreography.model.export import chrome_trace
from coreography.model.messages import NO_TIME
from coreography.model.recording import run_from_dict, run_to_dict
from coreography.model.run import FINISHED, RUN_FAILED
from coreography.model.summary_json import summary_dict

from .helpers import alive, experiment_pids, run_experiment

TASKS, RESULTS = 1, 2


def _lane_of(run, label_role="main"):
    return next(lane.index for lane in run.lanes if lane.role == label_role)


@pytest.mark.slow
@pytest.mark.parametrize("start_method", available_start_methods())
def test_every_queue_message_goes_from_the_lane_that_put_it_to_the_lane_that_got_it(
    start_method,
):
    run, _ = run_experiment(
        timeout=60,
        model="queue-workers",
        workers=2,
        tasks=8,
        workload="io",
        size=3.0,
        start_method=start_method,
    )
    assert run.state == FINISHED, run.message
    assert not alive(experiment_pids(run))
    messages = run.messages
    assert {c.name for c in messages.channels.values()} == {"tasks", "results"}
    arrows = messages.arrows()
    main = _lane_of(run)
    workers = [lane.index for lane in run.worker_lanes()]
    tasks = arrows[arrows["channel"] == TASKS]
    results = arrows[arrows["channel"] == RESULTS]
    # 8 tasks and one sentinel per worker, all put by the main process, all taken.
    assert len(tasks) == 8 + 2 and len(results) == 8
    assert (tasks["from_lane"] == main).all() and set(tasks["to_lane"].tolist()) <= set(workers)
    assert (results["to_lane"] == main).all()
    assert (arrows["received"] >= arrows["sent"]).all() and (arrows["size"] > 0).all()
    # On each worker's lane: get a task, run it, put its result, get the next.
    for lane in run.worker_lanes():
        ids = lane.task_ids()
        got = np.sort(tasks["received"][tasks["to_lane"] == lane.index])
        put = np.sort(results["sent"][results["from_lane"] == lane.index])
        assert len(got) == len(ids) + 1  # its tasks, then its sentinel
        assert len(put) == len(ids)
        assert (got[:-1] <= run.task_start[ids]).all()
        assert (run.task_end[ids] <= put).all()
        assert (put <= got[1:]).all()
    # The main process waits for results; the depth of each queue ends at zero.
    assert any(w["channel"] == RESULTS and w["lane"] == main for w in messages.waits())
    for channel in (TASKS, RESULTS):
        assert messages.depth(channel)[1][-1] == 0
    # summary --json counts them per queue.
    counted = {c["name"]: c for c in summary_dict(run)["channels"]}
    assert counted["tasks"]["messages_sent"] == counted["tasks"]["messages_received"] == 10
    assert counted["results"]["messages_sent"] == counted["results"]["messages_received"] == 8
    assert counted["results"]["waits"] == int(np.count_nonzero(messages.waits()["channel"] == 2))

    # A recording keeps them; the Chrome trace has a flow per message and the waits.
    again = run_from_dict(run_to_dict(run))
    assert np.array_equal(again.messages.arrows(), arrows)
    assert np.array_equal(again.messages.waits(), messages.waits())
    trace = chrome_trace(run)["traceEvents"]
    starts = [e for e in trace if e.get("ph") == "s"]
    ends = [e for e in trace if e.get("ph") == "f"]
    assert len(starts) == len(ends) == len(arrows)
    assert sum(1 for e in trace if e.get("cat") == "wait") == len(messages.waits())


@pytest.mark.slow
@pytest.mark.parametrize("start_method", available_start_methods())
def test_pipe_pair_messages_alternate_between_the_two_ends(start_method):
    run, _ = run_experiment(
        timeout=60, model="pipe-pair", tasks=5, workload="square", start_method=start_method
    )
    assert run.state == FINISHED, run.message
    assert run.results() == [i * i for i in range(5)]
    arrows = run.messages.arrows()
    main, worker = _lane_of(run), run.worker_lanes()[0].index
    assert len(arrows) == 5 + 5 + 1  # a task over and its result back, then the end
    expected = [(main, worker), (worker, main)] * 5 + [(main, worker)]
    assert (
        list(zip(arrows["from_lane"].tolist(), arrows["to_lane"].tolist(), strict=True)) == expected
    )
    assert (arrows["sent"][1:] >= arrows["received"][:-1]).all()  # ping, then pong
    assert not alive(experiment_pids(run))


@pytest.mark.slow
@pytest.mark.parametrize("start_method", available_start_methods())
@pytest.mark.parametrize("model", ["race-counter", "lock-counter"])
def test_the_counter_reports_the_lost_updates_its_printed_total_shows(model, start_method):
    run, _ = run_experiment(
        timeout=60, model=model, workers=2, tasks=6, workload="square", start_method=start_method
    )
    assert run.state == FINISHED, run.message
    (printed,) = run.stdout_lines()
    total = int(printed.removeprefix("counter.value = "))
    said = run.logs[-1]
    if match := re.fullmatch(r"lost ([\d,]+) of ([\d,]+) increments: .*", said):
        lost, expected = (int(group.replace(",", "")) for group in match.groups())
        assert lost > 0
    else:
        match = re.fullmatch(r"all ([\d,]+) increments counted", said)
        assert match, said
        lost, expected = 0, int(match.group(1).replace(",", ""))
    assert expected - total == lost
    assert expected == 6 * 2000
    if model == "lock-counter":
        assert lost == 0  # the lock makes every read-add-write whole
        waits = run.messages.waits()
        assert set(waits["on"].tolist()) <= {3}  # only ever waiting for the lock
        (lock,) = summary_dict(run)["channels"]
        assert (lock["kind"], lock["waits"]) == ("lock", len(waits))
    else:
        assert not len(run.messages.waits())
    assert not alive(experiment_pids(run))


@pytest.mark.slow
@pytest.mark.parametrize("start_method", available_start_methods())
def test_a_killed_consumer_leaves_the_queue_full_and_the_run_names_the_cause(start_method):
    run, seconds = run_experiment(
        timeout=60,
        model="queue-workers",
        workers=2,
        tasks=40,
        workload="io",
        size=20.0,
        start_method=start_method,
        fault=Fault("kill", 3),
    )
    assert seconds < 60
    assert run.state == RUN_FAILED
    assert "SIGKILL" in run.message and "task 3" in run.message, run.message
    assert not alive(experiment_pids(run))
    arrows = run.messages.arrows()
    tasks = arrows[arrows["channel"] == TASKS]
    assert len(tasks) == 42  # every task and both sentinels were put
    left = int(np.count_nonzero(tasks["received"] == NO_TIME))
    assert left > 0
    _t, depth = run.messages.depth(TASKS)
    assert depth[-1] == left  # the depth track ends showing what no one took
    (tasks_queue,) = [c for c in summary_dict(run)["channels"] if c["name"] == "tasks"]
    assert tasks_queue["left"] == left
