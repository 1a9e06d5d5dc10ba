"""One home per concept: task and run states, a lane's end, a task's result."""

from __future__ import annotations

import json
import math

from coreography.model.metrics import compute_metrics
from coreography.model.recording import run_to_dict
from coreography.model.recording_read import run_from_dict
from coreography.model.run import DONE, FAILED, NO_TIME, STATUS_NAMES
from coreography.model.states import RunState, TaskState, run_state, task_state_name
from tests.model.fakes import MS, full_run


def test_states_are_the_values_recordings_hold():
    assert [int(s) for s in TaskState] == [0, 1, 2, 3, 4]
    assert STATUS_NAMES == {0: "pending", 1: "running", 2: "done", 3: "failed", 4: "interrupted"}
    assert task_state_name(3) == "failed" and task_state_name(42) == "?"
    assert RunState.FINISHED == "finished" and f"{RunState.STOPPED}" == "stopped"
    assert json.dumps({"state": RunState.FAILED}) == '{"state": "failed"}'
    assert run_state("stopped") is RunState.STOPPED and run_state("nonsense") is None
    assert RunState.FINISHED.is_end and not RunState.RUNNING.is_end


def test_a_recording_reads_back_with_enum_states():
    run = full_run()
    again = run_from_dict(json.loads(json.dumps(run_to_dict(run))))
    assert again.state is RunState.FINISHED
    assert again.task_status.tolist() == run.task_status.tolist()


def test_a_lane_ends_at_its_goodbye_else_when_it_was_seen_to_exit():
    run = full_run()
    first, second = run.lanes[1], run.lanes[2]
    assert first.done_ns != NO_TIME and first.exited_ns > first.done_ns
    assert first.end_ns() == first.done_ns
    second.done_ns = NO_TIME  # died without a goodbye
    assert second.end_ns() == second.exited_ns
    second.exited_ns = NO_TIME
    assert second.end_ns() == NO_TIME


def test_metrics_end_a_lane_where_the_lane_says():
    run = full_run()
    lane = run.lanes[1]
    before = compute_metrics(run).lanes[1].idle_s
    lane.done_ns -= 2 * MS  # an earlier goodbye: a shorter life, less idle time
    after = compute_metrics(run).lanes[1].idle_s
    assert math.isclose(before - after, 0.002, abs_tol=1e-9)


def test_a_tasks_result_is_converted_in_one_place():
    run = full_run()
    assert run.task_status[2] == DONE and run.result(2) == 4 and type(run.result(2)) is int
    assert run.result(4) == "'sixteen'"  # a result that is not a number travels as text
    assert run.task_status[3] == FAILED and run.result(3) is None
    run.task_value[1] = 0.5
    assert run.result(1) == 0.5
    assert run.results() == [run.result(task) for task in range(run.n_tasks)]
