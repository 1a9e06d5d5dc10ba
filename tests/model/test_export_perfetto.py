"""The Perfetto protobuf export, read back with Perfetto's own schema (``perfetto_trace_pb2``
of the ``perfetto`` package) and replayed as Perfetto reads track events (interned names,
a stack of open slices per track, flows): it must say what the Chrome trace says."""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from typing import Any

import numpy as np
import pytest
from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as pb

from coreography.model import export_perfetto
from coreography.model.events import WAIT_QUEUE, Kind
from coreography.model.export import chrome_trace
from coreography.model.export_perfetto import export_perfetto as write_perfetto
from coreography.model.recording import RecordingError
from coreography.model.run import NO_TIME, Run
from coreography.model.states import TaskState
from tests.model.fakes import DRIVER, MS, FakeProcess, big_run, experiment, full_run, thread_run

Event = dict[str, Any]


def _value(annotation: Any) -> Any:
    kind = annotation.WhichOneof("value")
    return getattr(annotation, kind)


def _replay(data: bytes) -> dict[str, Any]:
    """What Perfetto would make of the trace: tracks, slices, instants, counters, flows."""
    trace = pb.Trace.FromString(data)
    tracks: dict[int, Any] = {}
    annotation_names: dict[int, str] = {}
    event_names: dict[int, str] = {}
    open_slices: dict[int, list[Event]] = defaultdict(list)
    out: dict[str, Any] = {"slices": [], "instants": [], "counters": [], "tracks": tracks}
    cleared = False
    packets = sorted(  # the trace processor sorts by time; a stable sort keeps file order
        enumerate(trace.packet), key=lambda item: (item[1].timestamp, item[0])
    )
    for _, packet in packets:
        if packet.HasField("interned_data"):
            assert packet.sequence_flags & 1, "interned names need the state cleared first"
            cleared = True
            for entry in packet.interned_data.debug_annotation_names:
                annotation_names[entry.iid] = entry.name
            for entry in packet.interned_data.event_names:
                event_names[entry.iid] = entry.name
        if packet.HasField("track_descriptor"):
            tracks[packet.track_descriptor.uuid] = packet.track_descriptor
        if not packet.HasField("track_event"):
            continue
        event = packet.track_event
        assert event.track_uuid in tracks, "every event is on a described track"
        uses_interned = event.HasField("name_iid") or any(
            a.HasField("name_iid") for a in event.debug_annotations
        )
        if uses_interned:
            assert cleared and packet.sequence_flags & 2
        args = {
            annotation_names[a.name_iid] if a.HasField("name_iid") else a.name: _value(a)
            for a in event.debug_annotations
        }
        name = event_names[event.name_iid] if event.HasField("name_iid") else event.name
        item = {
            "track": event.track_uuid,
            "ts": packet.timestamp,
            "name": name,
            "args": args,
            "flows": list(event.flow_ids),
            "ends_flows": list(event.terminating_flow_ids),
        }
        if event.type == pb.TrackEvent.TYPE_SLICE_BEGIN:
            open_slices[event.track_uuid].append(item)
        elif event.type == pb.TrackEvent.TYPE_SLICE_END:
            begun = open_slices[event.track_uuid].pop()
            out["slices"].append({**begun, "dur": packet.timestamp - begun["ts"]})
        elif event.type == pb.TrackEvent.TYPE_INSTANT:
            out["instants"].append(item)
        elif event.type == pb.TrackEvent.TYPE_COUNTER:
            out["counters"].append({**item, "value": event.double_counter_value})
    assert not any(open_slices.values()), "every slice begun is ended"
    return out


def _read(tmp_path, run: Run, name: str = "trace.pftrace") -> dict[str, Any]:
    path = tmp_path / name
    write_perfetto(run, path)
    data = path.read_bytes()
    return _replay(gzip.decompress(data) if name.endswith(".gz") else data)


def _thread_of(tracks: dict[int, Any], uuid: int) -> tuple[int, int]:
    thread = tracks[uuid].thread
    return thread.pid, thread.tid


def _us(run: Run, ts: int) -> float:
    return (ts + export_perfetto._base(run) - run.t0) / 1e3


def _chrome(run: Run, ph: str, cat: str | None = None) -> list[Event]:
    return [
        e
        for e in chrome_trace(run)["traceEvents"]
        if e["ph"] == ph and (cat is None or e.get("cat") == cat)
    ]


def _key(event: Event) -> str:
    return json.dumps(event, sort_keys=True)


def _task_slices(run: Run, replayed: dict[str, Any]) -> list[Event]:
    tracks = replayed["tracks"]
    return [
        {
            "name": s["name"],
            "cat": "task",
            "ph": "X",
            "pid": _thread_of(tracks, s["track"])[0],
            "tid": _thread_of(tracks, s["track"])[1],
            "ts": _us(run, s["ts"]),
            "dur": s["dur"] / 1e3,
            "args": s["args"],
        }
        for s in replayed["slices"]
        if s["track"] < export_perfetto._PROCESS_UUID
    ]


def _assert_tasks_as_chrome(run: Run, replayed: dict[str, Any]) -> None:
    mine = sorted(map(_key, _task_slices(run, replayed)))
    chrome = sorted(map(_key, _chrome(run, "X", "task")))
    assert len(mine) == len(chrome)
    for a, b in zip(mine, chrome, strict=True):  # times as floats: equal to the ns
        ea, eb = json.loads(a), json.loads(b)
        assert ea.pop("ts") == pytest.approx(eb.pop("ts"), abs=1e-3)
        assert ea.pop("dur") == pytest.approx(eb.pop("dur"), abs=1e-3)
        assert ea == eb


@pytest.mark.parametrize("make", [full_run, lambda: full_run(finish=False), thread_run])
@pytest.mark.parametrize("name", ["trace.pftrace", "trace.pftrace.gz"])
def test_task_slices_are_the_chrome_traces(tmp_path, make, name):
    run = make()
    replayed = _read(tmp_path, run, name)
    _assert_tasks_as_chrome(run, replayed)


def test_each_lane_is_a_named_thread_of_its_process(tmp_path):
    run = thread_run()
    tracks = _read(tmp_path, run)["tracks"]
    threads = {
        t.thread.thread_name: (t.thread.pid, t.thread.tid)
        for t in tracks.values()
        if t.HasField("thread")
    }
    chrome = {
        e["args"]["name"]: (e["pid"], e["tid"])
        for e in chrome_trace(run)["traceEvents"]
        if e["ph"] == "M" and e["name"] == "thread_name" and e["tid"] < 2_000_000_000
    }
    assert threads == chrome
    processes = {
        t.process.pid: t.process.process_name for t in tracks.values() if t.HasField("process")
    }
    assert processes == {
        e["pid"]: e["args"]["name"]
        for e in chrome_trace(run)["traceEvents"]
        if e["ph"] == "M" and e["name"] == "process_name" and e["args"]["name"] != "CPU cores"
    }


def test_prints_counters_and_states_are_the_chrome_traces(tmp_path):
    run = full_run()
    replayed = _read(tmp_path, run)
    tracks = replayed["tracks"]
    prints = sorted(
        (_thread_of(tracks, i["track"]), round(_us(run, i["ts"]), 3), i["name"], i["args"])
        for i in replayed["instants"]
        if i["track"] < export_perfetto._PROCESS_UUID  # a lane's: not the run's
    )
    chrome_prints = sorted(
        ((e["pid"], e["tid"]), round(e["ts"], 3), e["name"], e["args"]) for e in _chrome(run, "i")
    )
    assert prints and prints == chrome_prints
    counters = sorted(
        (tracks[c["track"]].name, round(_us(run, c["ts"]), 3), c["value"])
        for c in replayed["counters"]
    )
    chrome_counters = sorted(
        (e["name"], round(e["ts"], 3), e["args"]["busy"]) for e in _chrome(run, "C")
    )
    assert counters and counters == chrome_counters
    states = sorted(
        (tracks[s["track"]].name, round(_us(run, s["ts"]), 3), s["dur"], s["name"])
        for s in replayed["slices"]
        if export_perfetto._STATE_UUID <= s["track"] < export_perfetto._WAIT_UUID
    )
    thread_names = {
        (e["pid"], e["tid"]): e["args"]["name"]
        for e in chrome_trace(run)["traceEvents"]
        if e["ph"] == "M" and e["name"] == "thread_name"
    }
    chrome_states = sorted(
        (thread_names[e["pid"], e["tid"]], round(e["ts"], 3), round(e["dur"] * 1e3), e["name"])
        for e in _chrome(run, "X", "thread_state")
    )
    assert states == chrome_states


def test_a_big_run_in_blocks_has_every_task_with_its_result_error_and_cpu(tmp_path, monkeypatch):
    monkeypatch.setattr(export_perfetto, "BLOCK", 1000)
    run = big_run(6000)
    run.task_text[1005] = 'a, "quoted"\nresult'
    run.task_errors[2007] = "ValueError: bad"
    run.task_value[3009] = 2.5
    run.task_value[3010] = -(2.0**40)  # a negative whole number: ten bytes on the wire
    run.task_status[-3:] = TaskState.RUNNING  # still running: they reach the live edge
    run.task_end[-3:] = NO_TIME
    run.task_lane[-1] = -1  # never started
    run.task_start[-1] = NO_TIME
    run.task_cpu[:50] = 1_234_567 + np.arange(50)
    replayed = _read(tmp_path, run)
    _assert_tasks_as_chrome(run, replayed)
    by_task = {s["args"]["task"]: s["args"] for s in replayed["slices"] if "task" in s["args"]}
    assert len(by_task) == run.n_tasks - 1
    assert by_task[1005]["result"] == 'a, "quoted"\nresult'
    assert by_task[2007]["error"] == "ValueError: bad"
    assert by_task[3009]["result"] == 2.5
    assert by_task[3010]["result"] == -(2**40)
    assert by_task[7]["cpu_ms"] == pytest.approx(1.234574)


def _talking_run() -> Run:
    """Queue 1: the main process puts 3 messages, a worker takes two, one after a wait."""
    t0 = 1_000 * MS
    run = Run(experiment(model="queue-workers"), cores=2, t0=t0)
    run.set_driver(DRIVER)
    main, worker = FakeProcess(DRIVER), FakeProcess(2001)
    main.text(Kind.CHANNEL_INFO, t0, json.dumps({"id": 1, "name": "tasks", "kind": "queue"}))
    worker.emit(Kind.WORKER_READY, t0 + MS, aux=2001)
    for n in range(3):
        main.emit(Kind.MESSAGE_SENT, t0 + (2 + n) * MS, task=1, value=35.0, aux=DRIVER << 32 | n)
    worker.emit(Kind.MESSAGE_RECEIVED, t0 + 3 * MS, task=1, value=35.0, aux=DRIVER << 32 | 0)
    worker.emit(Kind.WAIT, t0 + 5 * MS, task=1, aux=t0 + 7 * MS, flags=WAIT_QUEUE)
    worker.emit(Kind.WAIT, t0 + 7 * MS, task=1, aux=t0 + 9 * MS, flags=WAIT_QUEUE)
    worker.emit(Kind.MESSAGE_RECEIVED, t0 + 9 * MS, task=1, value=35.0, aux=DRIVER << 32 | 2)
    run.apply(worker.frames() + main.frames())
    return run


def test_messages_are_joined_by_flows_and_waits_have_a_track_of_their_own(tmp_path):
    run = _talking_run()
    replayed = _read(tmp_path, run)
    tracks = replayed["tracks"]
    puts = [i for i in replayed["instants"] if i["name"].startswith("put")]
    gets = [i for i in replayed["instants"] if i["name"].startswith("get")]
    assert len(puts) == 3 and len(gets) == 2
    joined = {f for i in puts for f in i["flows"]}
    assert {f for i in gets for f in i["ends_flows"]} == joined and len(joined) == 2
    assert sorted(g["args"]["in_flight_us"] for g in gets) == [1000.0, 5000.0]
    waits = [s for s in replayed["slices"] if s["track"] >= export_perfetto._WAIT_UUID]
    # back to back on one track: two slices, neither inside the other
    assert sorted((s["dur"], s["name"]) for s in waits) == [
        (2 * MS, "waiting for the queue"),
        (2 * MS, "waiting for the queue"),
    ]
    assert {tracks[s["track"]].name for s in waits} == {f"{run.lanes[1].label} · waits"}
    depth = [c["value"] for c in sorted(replayed["counters"], key=lambda c: c["ts"])]
    assert depth == [1, 2, 1, 2, 1]  # a put and a get at 3 ms: the put first


def test_the_run_track_carries_the_experiment_its_state_and_message(tmp_path):
    run = full_run()
    run.message = "worker 2 crashed"
    replayed = _read(tmp_path, run)
    (start,) = [i for i in replayed["instants"] if replayed["tracks"][i["track"]].name == "Run"]
    other = chrome_trace(run)["otherData"]
    assert json.loads(start["args"]["experiment"]) == other["experiment"]
    assert (start["args"]["state"], start["args"]["why"]) == (other["state"], other["message"])
    assert _us(run, start["ts"]) == 0


def test_an_unwritable_path_is_a_one_line_error(tmp_path):
    with pytest.raises(RecordingError, match="cannot write"):
        write_perfetto(full_run(), tmp_path / "missing" / "trace.pftrace")
