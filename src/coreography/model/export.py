"""Exporters: a run as a Chrome Trace Event file (Perfetto, chrome://tracing) or as CSV."""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from coreography.model import export_rows
from coreography.model.events import Kind
from coreography.model.files import write_atomic
from coreography.model.messages_trace import message_events
from coreography.model.recording import RecordingError
from coreography.model.run import DONE, NO_TIME, Lane, Run
from coreography.model.states import task_state_name
from coreography.model.thread_states import lock_is_gil, state_label

CSV_COLUMNS = (
    "task",
    "lane",
    "pid",
    "status",
    "submitted_s",
    "start_s",
    "end_s",
    "duration_ms",
    "cpu_ms",
    "result",
    "error",
)
#: Longest printed line put into a trace event's name (the whole line is in its args).
NAME_CHARS = 80


def chrome_trace(run: Run) -> dict[str, Any]:
    """The Chrome Trace Event document for ``run``, as plain data.

    One process per lane's PID and one thread track per lane; one complete ("X") slice
    per started task, with its result or error and CPU time in ``args``; an instant
    ("i") event per printed line; one counter ("C") track per core for CPU %.
    Times are microseconds since ``run.t0``. :func:`export_chrome_trace` writes the same
    events without building this document (a big run's would take gigabytes).
    """
    tids = [_tid(lane) for lane in run.lanes]
    events = [
        *_lane_events(run, tids),
        *_task_events(run, tids, _started(run), run.last_time()),
        *_other_events(run, tids),
    ]
    return {"traceEvents": events, **_trace_tail(run)}


def _started(run: Run) -> np.ndarray:
    return np.flatnonzero((run.task_start != NO_TIME) & (run.task_lane >= 0))


def _trace_tail(run: Run) -> dict[str, Any]:
    return {
        "displayTimeUnit": "ms",
        "otherData": {
            "experiment": run.experiment.to_dict(),
            "state": run.state,
            "message": run.message,
        },
    }


def _lane_events(run: Run, tids: list[int]) -> Iterator[dict[str, Any]]:
    seen_pids: set[int] = set()
    for lane, tid in zip(run.lanes, tids, strict=True):
        if lane.pid not in seen_pids:
            seen_pids.add(lane.pid)
            name = lane.label if lane.thread == 0 else f"Main · PID {lane.pid}"
            yield _meta("process_name", lane.pid, tid, {"name": name})
            yield _meta("process_sort_index", lane.pid, tid, {"sort_index": lane.index})
        yield _meta("thread_name", lane.pid, tid, {"name": lane.label})
        yield _meta("thread_sort_index", lane.pid, tid, {"sort_index": lane.index})


def _task_events(
    run: Run, tids: list[int], tasks: np.ndarray, now: int
) -> Iterator[dict[str, Any]]:
    """One complete slice per task of ``tasks`` (started, with a lane), one by one."""
    ends = run.task_end[tasks]
    ends = np.where(ends != NO_TIME, ends, now)
    for task, lane_index, start, end, status, cpu in zip(
        tasks.tolist(),
        run.task_lane[tasks].tolist(),
        run.task_start[tasks].tolist(),
        ends.tolist(),
        run.task_status[tasks].tolist(),
        run.task_cpu[tasks].tolist(),
        strict=True,
    ):
        lane = run.lanes[lane_index]
        args: dict[str, Any] = {"task": task, "status": task_state_name(status)}
        result = run.result(task)
        if result is not None:
            args["result"] = _plain(result)
        if task in run.task_errors:
            args["error"] = run.task_errors[task]
        if status == DONE and cpu != NO_TIME:
            args["cpu_ms"] = cpu / 1e6
        yield {
            "name": f"task {task}",
            "cat": "task",
            "ph": "X",
            "pid": lane.pid,
            "tid": tids[lane_index],
            "ts": (start - run.t0) / 1e3,
            "dur": max(end - start, 0) / 1e3,
            "args": args,
        }


def _other_events(run: Run, tids: list[int]) -> Iterator[dict[str, Any]]:
    """Printed lines, thread states, CPU counters and messages."""
    t0 = run.t0
    for line in run.texts:
        if line.kind != Kind.STDOUT or not 0 <= line.lane < len(run.lanes):
            continue
        lane = run.lanes[line.lane]
        yield {
            "name": _short(line.text),
            "cat": "print",
            "ph": "i",
            "s": "t",
            "pid": lane.pid,
            "tid": tids[line.lane],
            "ts": (line.t - t0) / 1e3,
            "args": {"text": line.text, "task": line.task},
        }
    yield from _state_slices(run, tids)
    pids = {lane.pid for lane in run.lanes}
    if len(run.cpu_t):
        cpu_pid = max(pids, default=0) + 1  # a track of its own, not any lane's process
        yield _meta("process_name", cpu_pid, 0, {"name": "CPU cores"})
        yield _meta("process_sort_index", cpu_pid, 0, {"sort_index": -1})
        times = ((run.cpu_t.view() - t0) / 1e3).tolist()
        percore = run.cpu_percore.view()
        for core in range(percore.shape[1]):
            name = f"CPU {core} %"
            for ts, value in zip(times, percore[:, core].tolist(), strict=True):
                yield {
                    "name": name,
                    "ph": "C",
                    "pid": cpu_pid,
                    "tid": 0,
                    "ts": ts,
                    "args": {"busy": round(value, 2)},
                }
    if run.messages:
        queues_pid = max(pids, default=0) + 2
        yield _meta("process_name", queues_pid, 0, {"name": "Queues and pipes"})
        yield from message_events(run, tids, queues_pid)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _write_trace(run: Run, write: Callable[[bytes], object]) -> None:
    """The document :func:`chrome_trace` builds, written a block of events at a time."""
    tids = [_tid(lane) for lane in run.lanes]
    now = run.last_time()
    wrote = False

    def put(blob: bytes) -> None:
        nonlocal wrote
        if blob:
            write(b"," + blob if wrote else blob)
            wrote = True

    def put_events(events: Iterable[dict[str, Any]]) -> None:
        batch: list[str] = []
        for event in events:
            batch.append(_dumps(event))
            if len(batch) == 4096:
                put(",".join(batch).encode("utf-8"))
                batch = []
        put(",".join(batch).encode("utf-8"))

    write(b'{"traceEvents":[')
    put_events(_lane_events(run, tids))
    tables = export_rows.Tables(run, tids)
    started = _started(run)
    for first in range(0, len(started), export_rows.BLOCK):
        block = started[first : first + export_rows.BLOCK]
        blob = export_rows.task_slices(run, tables, block, now)
        if blob is None:
            put_events(_task_events(run, tids, block, now))
        else:
            put(blob)
    put_events(_other_events(run, tids))
    write(b"]," + _dumps(_trace_tail(run))[1:].encode("utf-8"))


def export_chrome_trace(run: Run, path: str | os.PathLike[str]) -> None:
    """Write ``run`` as a Chrome Trace Event JSON file (gzip when the name ends in .gz).

    Parameters
    ----------
    run
        The run, live or loaded.
    path
        Where to write; Perfetto (ui.perfetto.dev) and chrome://tracing open it. The
        events are written a block at a time: memory stays small however big the run.
    """
    _write(Path(path), lambda write: _write_trace(run, write))


def export_csv(run: Run, path: str | os.PathLike[str]) -> None:
    """Write one row per task: times in seconds since the start, durations in ms.

    Parameters
    ----------
    run
        The run, live or loaded.
    path
        Where to write. Columns: see :data:`CSV_COLUMNS`; unknown values are empty.
    """
    tables = export_rows.Tables(run, [_tid(lane) for lane in run.lanes])

    def write_rows(write: Callable[[bytes], object]) -> None:
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(CSV_COLUMNS)
        write(text.getvalue().encode("utf-8"))
        for first in range(0, run.n_tasks, export_rows.BLOCK):
            block = np.arange(first, min(first + export_rows.BLOCK, run.n_tasks))
            blob = export_rows.csv_rows(run, tables, block)
            if blob is None:
                text = io.StringIO()
                csv.writer(text).writerows(_csv_rows(run, block))
                blob = text.getvalue().encode("utf-8")
            write(blob)

    _write(Path(path), write_rows)


def _csv_rows(run: Run, tasks: np.ndarray) -> Iterator[tuple[Any, ...]]:
    """The CSV rows of ``tasks``, one by one."""
    t0 = run.t0

    def seconds(t: int) -> str:
        return "" if t == NO_TIME else f"{(t - t0) / 1e9:.6f}"

    columns = (
        tasks.tolist(),
        run.task_lane[tasks].tolist(),
        run.task_submitted[tasks].tolist(),
        run.task_start[tasks].tolist(),
        run.task_end[tasks].tolist(),
        run.task_status[tasks].tolist(),
        run.task_cpu[tasks].tolist(),
    )
    for task, lane_index, submitted, start, end, status, cpu in zip(*columns, strict=True):
        lane = run.lanes[lane_index] if 0 <= lane_index < len(run.lanes) else None
        both = NO_TIME not in (start, end)
        result = run.result(task)
        yield (
            task,
            lane.label if lane else "",
            lane.pid if lane else "",
            task_state_name(status),
            seconds(submitted),
            seconds(start),
            seconds(end),
            f"{(end - start) / 1e6:.3f}" if both else "",
            f"{cpu / 1e6:.3f}" if status == DONE and cpu != NO_TIME else "",
            "" if result is None else result,
            run.task_errors.get(task, ""),
        )


def _write(path: Path, write: Callable[[Callable[[bytes], object]], None]) -> None:
    """Write a file whole or not at all, gzip-compressed when its name ends in .gz."""

    def write_to(stream: BinaryIO) -> None:
        if not path.name.endswith(".gz"):
            write(stream.write)
            return
        with gzip.GzipFile(fileobj=stream, mode="wb", compresslevel=5, mtime=0) as packed:
            write(packed.write)

    try:
        write_atomic(path, write_to)
    except OSError as exc:
        raise RecordingError(f"{path}: cannot write: {exc.strerror or exc}") from None


#: Track ids of the state tracks: one per lane, beside its thread's task track.
STATE_TID_BASE = 2_000_000_000


def _state_slices(run: Run, tids: list[int]) -> Iterator[dict[str, Any]]:
    """Each lane's thread states as slices on a track of their own beside its thread."""
    rows = run.thread_states.view()
    if not len(rows):
        return
    gil = lock_is_gil(run.experiment)
    named: set[int] = set()
    for lane_index, start, end, state in zip(
        rows["lane"].tolist(),
        rows["start"].tolist(),
        rows["end"].tolist(),
        rows["state"].tolist(),
        strict=True,
    ):
        if not 0 <= lane_index < len(run.lanes):
            continue
        lane = run.lanes[lane_index]
        tid = STATE_TID_BASE + lane_index
        if lane_index not in named:
            named.add(lane_index)
            yield _meta("thread_name", lane.pid, tid, {"name": f"{lane.label} · state"})
            yield _meta("thread_sort_index", lane.pid, tid, {"sort_index": lane.index})
        yield (
            {
                "name": state_label(state, gil),
                "cat": "thread_state",
                "ph": "X",
                "pid": lane.pid,
                "tid": tid,
                "ts": (start - run.t0) / 1e3,
                "dur": max(end - start, 0) / 1e3,
                "args": {"thread": tids[lane_index]},
            }
        )


def _meta(name: str, pid: int, tid: int, args: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "ph": "M", "pid": pid, "tid": tid, "args": args}


def _tid(lane: Lane) -> int:
    """A track id: the PID for a process's main thread (the usual convention), the OS
    thread id for other threads, or a number no real thread of that process has."""
    if lane.thread == 0:
        return lane.pid
    return lane.native_id or lane.pid * 1000 + lane.thread


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return value


def _short(text: str) -> str:
    return text if len(text) <= NAME_CHARS else text[: NAME_CHARS - 1] + "…"
