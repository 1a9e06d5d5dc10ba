"""Run.apply on frames packed as the probe packs them: lanes, tasks, texts, accounting."""

from __future__ import annotations

import json

import numpy as np

from coreography.model.events import HEADER, MAGIC, PROTOCOL_VERSION, RECORD, FrameType, Kind
from coreography.model.run import (
    DONE,
    FAILED,
    FINISHED,
    INTERRUPTED,
    NO_TIME,
    PENDING,
    RECORD_DTYPE,
    RUN_FAILED,
    RUNNING,
    STOPPED,
    Run,
    Sample,
)
from tests.model.fakes import DRIVER, MS, FakeProcess, experiment, full_run, header, thread_run


def fresh(**changes) -> Run:
    run = Run(experiment(**changes), cores=2, t0=0)
    run.set_driver(DRIVER)
    return run


def test_the_numpy_layout_matches_the_wire_struct():
    assert RECORD_DTYPE.itemsize == RECORD.size
    packed = RECORD.pack(Kind.TASK_FINISHED, 2, 3, 41, 123_456_789, 2.5, -7)
    row = np.frombuffer(packed, RECORD_DTYPE)[0]
    assert row.tolist() == (Kind.TASK_FINISHED, 2, 3, 41, 123_456_789, 2.5, -7)


def test_lanes_appear_in_order_with_labels():
    run = full_run()
    assert [(lane.role, lane.label, lane.number) for lane in run.lanes] == [
        ("main", "Main · PID 1000", 0),
        ("worker", "Worker 1 · PID 2001", 1),
        ("worker", "Worker 2 · PID 2002", 2),
    ]
    assert run.lane(2002).index == 2 and run.lane(4242) is None
    assert [lane.pid for lane in run.worker_lanes()] == [2001, 2002]


def test_a_process_first_heard_of_mid_run_gets_its_lane_and_the_rest_keep_theirs():
    t0 = 5_000 * MS
    run = Run(experiment(tasks=9), cores=2, t0=t0)
    run.set_driver(DRIVER)
    first, second, late = FakeProcess(2001), FakeProcess(2002), FakeProcess(2003)
    for task, worker in enumerate([first, second, first, second]):
        worker.emit(Kind.TASK_STARTED, t0 + task * MS, task=task)
    run.apply(first.frames() + second.frames())
    # A later tick: the known two again, then a process never heard of (no "ready" from
    # it: its first event is a task), then the known ones once more.
    first.emit(Kind.TASK_STARTED, t0 + 10 * MS, task=4)
    late.emit(Kind.TASK_STARTED, t0 + 11 * MS, task=5)
    late.emit(Kind.TASK_STARTED, t0 + 12 * MS, task=6, lane=3)  # a thread of it
    second.emit(Kind.TASK_STARTED, t0 + 13 * MS, task=7)
    run.apply(first.frames() + late.frames() + second.frames())
    second.emit(Kind.TASK_STARTED, t0 + 14 * MS, task=8)
    run.apply(second.frames())
    assert [(lane.pid, lane.thread) for lane in run.lanes] == [
        (DRIVER, 0),
        (2001, 0),
        (2002, 0),
        (2003, 0),
        (2003, 3),
    ]
    np.testing.assert_array_equal(run.task_lane, [1, 2, 1, 2, 1, 3, 4, 2, 2])
    np.testing.assert_array_equal(run.lanes[2].task_ids(), [1, 3, 7, 8])


def test_worker_start_up_and_end_are_recorded():
    run = full_run()
    first, second = run.worker_lanes()
    assert first.requested_ns - run.t0 == 2 * MS  # WORKERS_REQUESTED before the pool
    assert (first.ready_ns - run.t0, second.ready_ns - run.t0) == (6 * MS, 7 * MS)
    assert (first.done_ns - run.t0, first.cpu_seconds) == (30 * MS, 0.25)
    assert (first.exit_code, second.exit_code) == (0, -9)
    assert second.exited_ns - run.t0 == 34 * MS


def test_thread_lanes_belong_to_the_driver():
    run = thread_run()
    assert [(lane.role, lane.thread, lane.native_id) for lane in run.lanes] == [
        ("main", 0, 0),
        ("thread", 1, 50_001),
        ("thread", 2, 50_002),
    ]
    assert run.lanes[1].label == "Thread 1 · PID 1000"
    np.testing.assert_array_equal(run.lanes[1].task_ids(), [0, 2])


def test_task_starts_ends_values_and_cpu():
    run = full_run()
    np.testing.assert_array_equal(run.task_lane, [1, 2, 1, 2, 1, 2])
    np.testing.assert_array_equal(run.task_start - run.t0, np.array([10, 10, 16, 16, 22, 22]) * MS)
    np.testing.assert_array_equal(run.task_end - run.t0, np.array([15, 15, 21, 21, 27, 27]) * MS)
    np.testing.assert_array_equal(run.task_submitted - run.t0, [8 * MS] * 6)
    np.testing.assert_array_equal(run.task_status, [DONE, DONE, DONE, FAILED, DONE, DONE])
    assert run.task_cpu[0] == 4 * MS  # thread CPU at the end minus at the start
    assert run.results() == [0, 1, 4, None, "'sixteen'", 25]
    assert run.task_errors[3].startswith("ValueError: bad")
    assert (run.n_started, run.n_done, run.n_failed) == (6, 5, 1)
    np.testing.assert_array_equal(run.lanes[1].task_ids(), [0, 2, 4])


def test_a_task_still_running_is_interrupted_by_a_stop():
    run = full_run(finish=False)
    assert run.task_status[5] == RUNNING and run.task_end[5] == NO_TIME
    assert run.state == "running" and not run.is_over
    run.finish(STOPPED, "stopped by the user", run.last_time() + MS)
    assert run.task_status[5] == INTERRUPTED
    assert (run.state, run.message) == (STOPPED, "stopped by the user")
    assert run.is_over


def test_printed_lines_and_logs():
    run = full_run()
    assert sorted(run.stdout_lines()) == sorted(f"Number: {n}" for n in (0, 1, 2, 4, 5))
    line = next(t for t in run.texts if t.text == "Number: 2")
    assert (line.lane, line.task, line.t - run.t0) == (1, 2, 18 * MS)
    assert run.logs == ["pool closed"]
    assert (run.state, run.message, run.result_text) == (FINISHED, "done", "[0, 1, 4]")


def test_accounting_counts_every_event_per_process():
    run = full_run()
    assert run.received == {DRIVER: 7, 2001: 12, 2002: 10}
    assert run.reported_sent == run.received
    assert run.events_received() == 29
    assert run.events_lost() == 0 and run.describe_loss() == "no events lost"


def test_lost_events_are_reported_by_worker():
    run = full_run()
    run.finish(FINISHED, "", run.end_ns, produced={DRIVER: 7, 2001: 12, 2002: 13})
    assert run.events_lost() == 3
    assert run.lost_by_pid() == {2002: 3}
    # Worker 2 was killed (exit -9): its last batch died with it, and the sentence says so.
    assert run.describe_loss() == (
        "3 events lost (3 from Worker 2 · PID 2002, ended by SIGKILL before sending them)"
    )


def test_unknown_loss_is_said_so():
    run = full_run(finish=False)
    assert run.events_lost() is None and run.describe_loss() == "loss not known"


def test_bad_frames_are_counted_and_the_rest_applied():
    run = fresh()
    good = FakeProcess(2001)
    good.emit(Kind.TASK_STARTED, 5 * MS, 0)
    good.emit(Kind.TASK_FINISHED, 6 * MS, 0, 9.0)
    body = RECORD.pack(Kind.TASK_STARTED, 0, 0, 1, MS, 0.0, 0)
    bad = [
        b"\x01\x02",  # shorter than a header
        HEADER.pack(0xBEEF, PROTOCOL_VERSION, FrameType.BINARY, 2001, 1) + body,
        HEADER.pack(MAGIC, PROTOCOL_VERSION + 1, FrameType.BINARY, 2001, 1) + body,
        HEADER.pack(MAGIC, PROTOCOL_VERSION, 9, 2001, 1) + body,
        header(2001, FrameType.TEXT, 1) + b"[not json",
        header(2001, FrameType.TEXT, 2) + json.dumps([[10, 0, 1]]).encode(),  # item too short
    ]
    run.apply([*bad[:3], *good.frames(), *bad[3:]])
    assert run.bad_frames == 6
    assert run.task_status[0] == DONE and run.task_value[0] == 9.0
    assert run.task_status[1] == PENDING  # the frames that carried it were refused


def test_task_ids_out_of_range_are_ignored():
    run = fresh(tasks=3)
    worker = FakeProcess(2001)
    for task in (-5, 3, 1_000_000):
        worker.emit(Kind.TASK_STARTED, MS, task)
        worker.emit(Kind.TASK_FINISHED, 2 * MS, task, 1.0)
    worker.text(Kind.TASK_FAILED, 3 * MS, "Boom", task=7)
    run.apply(worker.frames())
    assert (run.n_started, run.n_done, run.n_failed) == (0, 0, 0)
    assert run.received == {2001: 7}


def test_a_run_finished_document_that_is_not_json_fails_the_run():
    run = fresh()
    driver = FakeProcess(DRIVER)
    driver.text(Kind.RUN_FINISHED, MS, "driver crashed")
    run.apply(driver.frames())
    assert (run.state, run.message) == (RUN_FAILED, "driver crashed")


def test_samples_fill_per_core_rows_padded_to_the_core_count():
    run = fresh()
    run.apply([], [Sample(MS, [10.0], [(2001, 50.0, 1, 1000)]), Sample(2 * MS, [1, 2, 3], [])])
    np.testing.assert_array_equal(run.cpu_t.view(), [MS, 2 * MS])
    np.testing.assert_array_equal(run.cpu_percore.view(), [[10.0, 0.0], [1.0, 2.0]])
    assert run.proc_samples.view()[0].tolist() == (MS, 2001, 50.0, 1, 1000)


def test_listeners_hear_once_per_batch():
    run = fresh()
    heard = []
    run.subscribe(heard.append)
    worker = FakeProcess(2001)
    for task in range(5):
        worker.emit(Kind.TASK_STARTED, MS + task, task)
    run.apply(worker.frames())
    assert heard == [run]
    run.unsubscribe(heard.append)
    run.apply([])
    assert heard == [run]


def test_many_frames_in_one_batch_are_all_counted():
    run = fresh(tasks=10_000, workers=2)
    workers = [FakeProcess(2001), FakeProcess(2002)]
    for task in range(10_000):
        worker = workers[task % 2]
        worker.emit(Kind.TASK_STARTED, task * 1000, task)
        worker.emit(Kind.TASK_FINISHED, task * 1000 + 500, task, float(task))
    frames = [f for w in workers for f in w.frames()]
    run.apply(frames)
    assert run.events_received() == 20_000 and run.n_done == 10_000
    assert run.reported_sent == {2001: 10_000, 2002: 10_000}
    assert run.results() == list(range(10_000))
    np.testing.assert_array_equal(run.lanes[2].task_ids(), np.arange(1, 10_000, 2))
