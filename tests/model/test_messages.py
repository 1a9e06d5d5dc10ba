"""Messages and waits through the real codec into the run model, recordings and traces."""

from __future__ import annotations

import json

import numpy as np
import pytest

from coreography.model.events import WAIT_QUEUE, Kind
from coreography.model.export import chrome_trace
from coreography.model.messages import NO_TIME
from coreography.model.recording import RecordingError, run_from_dict, run_to_dict
from coreography.model.run import Run

from .fakes import DRIVER, MS, FakeProcess, experiment, full_run

WORKER = 2001


def _talking_run() -> Run:
    """The main process puts 3 messages on queue 1; the worker takes two of them (the
    second after waiting 2 ms) and answers the first on queue 2."""
    t0 = 1_000 * MS
    run = Run(experiment(model="queue-workers"), cores=2, t0=t0)
    run.set_driver(DRIVER)
    main, worker = FakeProcess(DRIVER), FakeProcess(WORKER)
    main.text(Kind.CHANNEL_INFO, t0, json.dumps({"id": 1, "name": "tasks", "kind": "queue"}))
    worker.emit(Kind.WORKER_READY, t0 + MS, aux=WORKER)
    for n in range(3):
        main.emit(Kind.MESSAGE_SENT, t0 + (2 + n) * MS, task=1, value=35.0, aux=DRIVER << 32 | n)
    worker.emit(Kind.MESSAGE_RECEIVED, t0 + 3 * MS, task=1, value=35.0, aux=DRIVER << 32 | 0)
    worker.emit(Kind.MESSAGE_SENT, t0 + 4 * MS, task=2, value=20.0, aux=WORKER << 32 | 1)
    worker.emit(Kind.WAIT, t0 + 5 * MS, task=1, aux=t0 + 7 * MS, flags=WAIT_QUEUE)
    worker.emit(Kind.MESSAGE_RECEIVED, t0 + 7 * MS, task=1, value=35.0, aux=DRIVER << 32 | 2)
    main.emit(Kind.MESSAGE_RECEIVED, t0 + 8 * MS, task=2, value=20.0, aux=WORKER << 32 | 1)
    # Frames of different processes arrive in any order: the worker's first.
    run.apply(worker.frames() + main.frames())
    return run


def test_messages_are_matched_from_put_to_get_by_id():
    run = _talking_run()
    messages = run.messages
    arrows = messages.arrows()
    main, worker = run.lane(DRIVER).index, run.lane(WORKER).index
    assert arrows["from_lane"].tolist() == [main, main, worker, main]
    assert arrows["to_lane"].tolist() == [worker, -1, main, worker]
    assert arrows["received"][1] == NO_TIME
    assert arrows["size"].tolist() == [35, 35, 20, 35]
    assert messages.channel_name(1) == "tasks" and messages.channel_name(2) == "channel 2"
    _t, depth = messages.depth(1)
    assert depth.tolist() == [1, 2, 1, 2, 1]  # puts at 2, 3, 4 ms; gets at 3, 7 ms
    assert depth[-1] == 1  # one message put and never taken
    (wait,) = messages.waits().tolist()
    assert wait == (worker, run.t0 + 5 * MS, run.t0 + 7 * MS, WAIT_QUEUE, 1)
    assert messages.waits_by_channel() == {1: (1, 2 * MS)}


def test_a_recording_keeps_messages_and_leaves_them_out_when_there_are_none():
    run = _talking_run()
    data = json.loads(json.dumps(run_to_dict(run)))
    again = run_from_dict(data)
    assert np.array_equal(again.messages.arrows(), run.messages.arrows())
    assert np.array_equal(again.messages.waits(), run.messages.waits())
    assert again.messages.channels == run.messages.channels
    assert "messages" not in run_to_dict(full_run())
    data["messages"]["sent"]["lane"][0] = 99
    with pytest.raises(RecordingError, match=r"messages\.sent\.lane\[0\]"):
        run_from_dict(data)


def test_the_chrome_trace_joins_each_taken_message_with_a_flow():
    run = _talking_run()
    events = chrome_trace(run)["traceEvents"]
    flows = [e for e in events if e.get("ph") in ("s", "f")]
    assert len(flows) == 2 * 3  # three messages were taken; the fourth has no arrow
    by_id: dict[int, list[str]] = {}
    for event in flows:
        by_id.setdefault(event["id"], []).append(event["ph"])
    assert all(sorted(phases) == ["f", "s"] for phases in by_id.values())
    (wait,) = [e for e in events if e.get("cat") == "wait"]
    assert wait["name"] == "waiting for the queue" and wait["dur"] == 2000.0
    depth = [e["args"]["messages"] for e in events if e.get("name") == "tasks depth"]
    assert depth[-1] == 1


def test_summary_json_counts_each_channels_messages_and_waits():
    from coreography.model.events import SENDING
    from coreography.model.summary_json import SCHEMA, channel_table, summary_dict

    run = _talking_run()
    lock = FakeProcess(WORKER + 1)
    lock.text(
        Kind.CHANNEL_INFO, run.t0, json.dumps({"id": 3, "name": "counter lock", "kind": "lock"})
    )
    lock.emit(Kind.WORKER_READY, run.t0 + MS, aux=WORKER + 1)
    for n in range(2):  # two contended acquires of 1 ms, one sending of 3 ms on queue 1
        lock.emit(
            Kind.WAIT, run.t0 + (10 + 2 * n) * MS, task=3, aux=run.t0 + (11 + 2 * n) * MS, flags=3
        )
    lock.emit(Kind.WAIT, run.t0 + 20 * MS, task=1, value=1e6, aux=run.t0 + 23 * MS, flags=SENDING)
    run.apply(lock.frames())
    data = json.loads(json.dumps(summary_dict(run), allow_nan=False))
    assert data["schema"] == SCHEMA == "coreography-summary/1"
    channels = {c["name"]: c for c in data["channels"]}
    assert set(channels) == {"tasks", "channel 2", "counter lock"}
    tasks = channels["tasks"]
    assert (tasks["kind"], tasks["messages_sent"], tasks["messages_received"]) == ("queue", 3, 2)
    assert tasks["bytes_sent"] == 105 and tasks["left"] == 1 and tasks["max_depth"] == 2
    assert tasks["waits"] == 1 and tasks["wait_s"] == pytest.approx(0.002)
    assert tasks["sendings"] == 1 and tasks["sending_s"] == pytest.approx(0.003)
    assert channels["channel 2"]["messages_sent"] == 1 and channels["channel 2"]["kind"] == ""
    locked = channels["counter lock"]
    assert (locked["kind"], locked["waits"], locked["messages_sent"]) == ("lock", 2, 0)
    assert locked["wait_s"] == pytest.approx(0.002)
    table = channel_table(run).splitlines()
    assert table[0].split()[:5] == ["Queue,", "pipe,", "lock", "or", "event"]
    assert any(line.startswith("counter lock (lock)") for line in table)
    assert summary_dict(full_run())["channels"] == []


def test_an_event_and_a_condition_are_channels_of_waits_kept_by_recordings_and_traces():
    from coreography.model.events import WAIT_CONDITION, WAIT_EVENT
    from coreography.model.summary_json import channel_table, summary_dict

    run = _talking_run()
    waiter = FakeProcess(WORKER + 1)
    for channel, kind in ((4, "event"), (5, "condition")):
        info = {"id": channel, "name": f"threading.{kind}", "kind": kind}
        waiter.text(Kind.CHANNEL_INFO, run.t0, json.dumps(info))
    waiter.emit(Kind.WORKER_READY, run.t0 + MS, aux=WORKER + 1)
    waiter.emit(Kind.WAIT, run.t0 + 10 * MS, task=4, aux=run.t0 + 14 * MS, flags=WAIT_EVENT)
    waiter.emit(Kind.WAIT, run.t0 + 15 * MS, task=5, aux=run.t0 + 16 * MS, flags=WAIT_CONDITION)
    run.apply(waiter.frames())
    again = run_from_dict(json.loads(json.dumps(run_to_dict(run))))
    assert again.messages.channels == run.messages.channels
    assert np.array_equal(again.messages.waits(), run.messages.waits())
    channels = {c["name"]: c for c in summary_dict(again)["channels"]}
    assert (channels["threading.event"]["kind"], channels["threading.event"]["waits"]) == (
        "event",
        1,
    )
    assert channels["threading.condition"]["wait_s"] == pytest.approx(0.001)
    names = {e["name"] for e in chrome_trace(again)["traceEvents"] if e.get("cat") == "wait"}
    assert {"waiting for the event", "waiting for the condition"} <= names
    row = next(line for line in channel_table(again).splitlines() if "(event)" in line)
    assert row.split()[2:4] == ["—", "—"]  # an event carries no messages
