"""Chrome Trace Event and CSV export of synthetic runs."""

from __future__ import annotations

import csv
import gzip
import io
import json

import numpy as np
import pytest

from coreography.model import export_rows
from coreography.model.export import (
    CSV_COLUMNS,
    _csv_rows,
    chrome_trace,
    export_chrome_trace,
    export_csv,
)
from coreography.model.recording import RecordingError
from coreography.model.run import NO_TIME
from coreography.model.states import TaskState
from tests.model.fakes import big_run, full_run, thread_run


def _trace(tmp_path, run, name="trace.json"):
    path = tmp_path / name
    export_chrome_trace(run, path)
    raw = path.read_bytes()
    return json.loads(gzip.decompress(raw) if name.endswith(".gz") else raw)["traceEvents"]


def test_trace_has_a_named_track_per_lane(tmp_path):
    events = _trace(tmp_path, full_run())
    threads = {
        (e["pid"], e["tid"]): e["args"]["name"]
        for e in events
        if e["ph"] == "M" and e["name"] == "thread_name"
    }
    assert threads == {
        (1000, 1000): "Main · PID 1000",
        (2001, 2001): "Worker 1 · PID 2001",
        (2002, 2002): "Worker 2 · PID 2002",
    }
    processes = {e["pid"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
    assert {1000, 2001, 2002} <= processes


def test_one_slice_per_task_in_microseconds_with_args(tmp_path):
    events = _trace(tmp_path, full_run())
    slices = {e["args"]["task"]: e for e in events if e["ph"] == "X"}
    assert sorted(slices) == list(range(6))
    first = slices[0]
    assert (first["pid"], first["tid"], first["ts"], first["dur"]) == (2001, 2001, 10_000, 5_000)
    assert first["args"] == {"task": 0, "status": "done", "result": 0, "cpu_ms": 4.0}
    assert slices[4]["args"]["result"] == "'sixteen'"
    assert slices[3]["args"]["error"].startswith("ValueError: bad")
    assert "cpu_ms" not in slices[3]["args"]


def test_a_running_task_reaches_the_live_edge(tmp_path):
    run = full_run(finish=False)
    slices = {e["args"]["task"]: e for e in _trace(tmp_path, run) if e["ph"] == "X"}
    running = slices[5]
    assert running["args"]["status"] == "running"
    assert running["ts"] + running["dur"] == pytest.approx((run.last_time() - run.t0) / 1e3)


def test_prints_are_instants_and_cores_are_counters(tmp_path):
    events = _trace(tmp_path, full_run(), "trace.json.gz")
    prints = [e for e in events if e["ph"] == "i"]
    assert sorted(e["args"]["text"] for e in prints) == sorted(
        f"Number: {n}" for n in (0, 1, 2, 4, 5)
    )
    assert all(e["s"] == "t" for e in prints)
    counters = [e for e in events if e["ph"] == "C"]
    assert {e["name"] for e in counters} == {"CPU 0 %", "CPU 1 %"}
    assert [e["args"]["busy"] for e in counters if e["name"] == "CPU 0 %"] == [50, 51, 52, 53]
    assert {e["pid"] for e in counters}.isdisjoint({1000, 2001, 2002})


def test_threads_of_one_process_get_their_own_tracks(tmp_path):
    events = _trace(tmp_path, thread_run())
    tids = {e["tid"] for e in events if e["ph"] == "X"}
    assert tids == {50_001, 50_002}  # the OS thread ids the threads reported
    assert {e["pid"] for e in events if e["ph"] == "X"} == {1000}


def test_every_event_has_what_viewers_need(tmp_path):
    for event in _trace(tmp_path, full_run()):
        assert {"name", "ph", "pid", "tid"} <= set(event)
        if event["ph"] != "M":
            assert isinstance(event["ts"], float) and event["ts"] >= 0


def test_csv_has_one_row_per_task(tmp_path):
    path = tmp_path / "tasks.csv"
    export_csv(full_run(finish=False), path)
    with open(path, newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [row["task"] for row in rows] == [str(n) for n in range(6)]
    first = rows[0]
    assert first == {
        "task": "0",
        "lane": "Worker 1 · PID 2001",
        "pid": "2001",
        "status": "done",
        "submitted_s": "0.008000",
        "start_s": "0.010000",
        "end_s": "0.015000",
        "duration_ms": "5.000",
        "cpu_ms": "4.000",
        "result": "0",
        "error": "",
    }
    assert rows[3]["status"] == "failed" and rows[3]["error"].startswith("ValueError: bad\n")
    assert rows[4]["result"] == "'sixteen'"
    assert (rows[5]["status"], rows[5]["end_s"], rows[5]["duration_ms"]) == ("running", "", "")


def test_csv_quotes_commas_and_quotes(tmp_path):
    run = full_run()
    run.task_text[0] = 'a, "quoted" result'
    path = tmp_path / "tasks.csv"
    export_csv(run, path)
    with open(path, newline="", encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    assert rows[1][9] == 'a, "quoted" result'
    assert all(len(row) == len(CSV_COLUMNS) for row in rows)


def test_an_unwritable_path_is_a_one_line_error(tmp_path):
    with pytest.raises(RecordingError, match="cannot write"):
        export_csv(full_run(), tmp_path / "missing" / "tasks.csv")


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(export_rows, "BLOCK", 2048)


def _mixed_big_run():
    """Four blocks of tasks: whole results, then a text result, an error, a fraction."""
    run = big_run(4 * export_rows.BLOCK)
    run.task_text[export_rows.BLOCK + 5] = 'a, "quoted"\nresult'
    run.task_errors[2 * export_rows.BLOCK + 7] = "ValueError: bad"
    run.task_value[3 * export_rows.BLOCK + 9] = 2.5
    run.task_status[-3:] = TaskState.RUNNING  # still running: they reach the live edge
    run.task_end[-3:] = NO_TIME
    run.task_lane[-1] = -1  # never started
    run.task_start[-1] = NO_TIME
    run.task_cpu[-10:-5] = NO_TIME
    run.task_cpu[:50] = 1_234_567 + np.arange(50)  # CPU times to the ns
    return run


@pytest.mark.parametrize("make", [full_run, lambda: full_run(finish=False), thread_run])
@pytest.mark.parametrize("name", ["trace.json", "trace.json.gz"])
def test_the_written_trace_holds_the_events_of_the_document(tmp_path, make, name):
    run = make()
    written = _trace(tmp_path, run, name)
    assert written == chrome_trace(run)["traceEvents"]


def test_a_big_trace_written_in_blocks_holds_every_event_as_one_by_one(tmp_path, small_blocks):
    run = _mixed_big_run()
    tables = export_rows.Tables(run, [lane.pid for lane in run.lanes])
    assert export_rows.task_slices(run, tables, np.arange(10), run.last_time()) is not None
    assert (
        export_rows.task_slices(
            run, tables, np.arange(export_rows.BLOCK, export_rows.BLOCK + 10), 0
        )
        is None
    )
    path = tmp_path / "trace.json"
    export_chrome_trace(run, path)
    document = json.loads(path.read_bytes())
    expected = chrome_trace(run)
    key = lambda event: json.dumps(event, sort_keys=True)  # noqa: E731
    assert sorted(map(key, document["traceEvents"])) == sorted(map(key, expected["traceEvents"]))
    assert document["otherData"] == expected["otherData"]
    assert len([e for e in document["traceEvents"] if e["ph"] == "X"]) == run.n_tasks - 1


def test_big_csv_rows_in_blocks_are_the_rows_one_by_one(tmp_path, small_blocks):
    run = _mixed_big_run()
    path = tmp_path / "tasks.csv"
    export_csv(run, path)
    expected = io.StringIO()
    writer = csv.writer(expected)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(_csv_rows(run, np.arange(run.n_tasks)))
    assert path.read_bytes().decode("utf-8") == expected.getvalue()
