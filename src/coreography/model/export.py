"""Exporters: a run as a Chrome Trace Event file (Perfetto, chrome://tracing) or as CSV."""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

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
    Times are microseconds since ``run.t0``.
    """
    t0, now = run.t0, run.last_time()
    events: list[dict[str, Any]] = []
    seen_pids: set[int] = set()
    tids = [_tid(lane) for lane in run.lanes]
    for lane, tid in zip(run.lanes, tids, strict=True):
        if lane.pid not in seen_pids:
            seen_pids.add(lane.pid)
            name = lane.label if lane.thread == 0 else f"Main · PID {lane.pid}"
            events.append(_meta("process_name", lane.pid, tid, {"name": name}))
            events.append(_meta("process_sort_index", lane.pid, tid, {"sort_index": lane.index}))
        events.append(_meta("thread_name", lane.pid, tid, {"name": lane.label}))
        events.append(_meta("thread_sort_index", lane.pid, tid, {"sort_index": lane.index}))

    results = run.results()
    started = np.flatnonzero((run.task_start != NO_TIME) & (run.task_lane >= 0))
    ends = np.where(run.task_end != NO_TIME, run.task_end, now)
    for task, lane_index, start, end, status, cpu in zip(
        started.tolist(),
        run.task_lane[started].tolist(),
        run.task_start[started].tolist(),
        ends[started].tolist(),
        run.task_status[started].tolist(),
        run.task_cpu[started].tolist(),
        strict=True,
    ):
        lane = run.lanes[lane_index]
        args: dict[str, Any] = {"task": task, "status": task_state_name(status)}
        if results[task] is not None:
            args["result"] = _plain(results[task])
        if task in run.task_errors:
            args["error"] = run.task_errors[task]
        if status == DONE and cpu != NO_TIME:
            args["cpu_ms"] = cpu / 1e6
        events.append(
            {
                "name": f"task {task}",
                "cat": "task",
                "ph": "X",
                "pid": lane.pid,
                "tid": tids[lane_index],
                "ts": (start - t0) / 1e3,
                "dur": max(end - start, 0) / 1e3,
                "args": args,
            }
        )

    for line in run.texts:
        if line.kind != Kind.STDOUT or not 0 <= line.lane < len(run.lanes):
            continue
        lane = run.lanes[line.lane]
        events.append(
            {
                "name": _short(line.text),
                "cat": "print",
                "ph": "i",
                "s": "t",
                "pid": lane.pid,
                "tid": tids[line.lane],
                "ts": (line.t - t0) / 1e3,
                "args": {"text": line.text, "task": line.task},
            }
        )

    events.extend(_state_slices(run, tids))

    if len(run.cpu_t):
        cpu_pid = max(seen_pids, default=0) + 1  # a track of its own, not any lane's process
        events.append(_meta("process_name", cpu_pid, 0, {"name": "CPU cores"}))
        events.append(_meta("process_sort_index", cpu_pid, 0, {"sort_index": -1}))
        times = ((run.cpu_t.view() - t0) / 1e3).tolist()
        percore = run.cpu_percore.view()
        for core in range(percore.shape[1]):
            name = f"CPU {core} %"
            for ts, value in zip(times, percore[:, core].tolist(), strict=True):
                events.append(
                    {
                        "name": name,
                        "ph": "C",
                        "pid": cpu_pid,
                        "tid": 0,
                        "ts": ts,
                        "args": {"busy": round(value, 2)},
                    }
                )
    if run.messages:
        queues_pid = max(seen_pids, default=0) + 2
        events.append(_meta("process_name", queues_pid, 0, {"name": "Queues and pipes"}))
        events += message_events(run, tids, queues_pid)
    return {
        "traceEvents": events,
        "displayTimeUnit": "ms",
        "otherData": {
            "experiment": run.experiment.to_dict(),
            "state": run.state,
            "message": run.message,
        },
    }


def export_chrome_trace(run: Run, path: str | os.PathLike[str]) -> None:
    """Write ``run`` as a Chrome Trace Event JSON file (gzip when the name ends in .gz).

    Parameters
    ----------
    run
        The run, live or loaded.
    path
        Where to write; Perfetto (ui.perfetto.dev) and chrome://tracing open it.
    """
    data = json.dumps(
        chrome_trace(run), ensure_ascii=False, allow_nan=False, separators=(",", ":")
    ).encode("utf-8")
    if str(path).endswith(".gz"):
        data = gzip.compress(data, compresslevel=5, mtime=0)
    _write(Path(path), lambda stream: stream.write(data), binary=True)


def export_csv(run: Run, path: str | os.PathLike[str]) -> None:
    """Write one row per task: times in seconds since the start, durations in ms.

    Parameters
    ----------
    run
        The run, live or loaded.
    path
        Where to write. Columns: see :data:`CSV_COLUMNS`; unknown values are empty.
    """
    t0 = run.t0
    results = run.results()

    def seconds(t: int) -> str:
        return "" if t == NO_TIME else f"{(t - t0) / 1e9:.6f}"

    def rows() -> Iterator[tuple[Any, ...]]:
        yield CSV_COLUMNS
        columns = (
            run.task_lane.tolist(),
            run.task_submitted.tolist(),
            run.task_start.tolist(),
            run.task_end.tolist(),
            run.task_status.tolist(),
            run.task_cpu.tolist(),
        )
        for task, (lane_index, submitted, start, end, status, cpu) in enumerate(
            zip(*columns, strict=True)
        ):
            lane = run.lanes[lane_index] if 0 <= lane_index < len(run.lanes) else None
            both = NO_TIME not in (start, end)
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
                "" if results[task] is None else results[task],
                run.task_errors.get(task, ""),
            )

    _write(Path(path), lambda stream: csv.writer(stream).writerows(rows()), binary=False)


def _write(path: Path, write: Any, binary: bool) -> None:
    def write_to(stream: BinaryIO) -> None:
        if binary:
            write(stream)
        else:
            text_stream = io.TextIOWrapper(stream, encoding="utf-8", newline="")
            write(text_stream)
            text_stream.flush()
            text_stream.detach()  # the bytes stream stays open for write_atomic

    try:
        write_atomic(path, write_to)
    except OSError as exc:
        raise RecordingError(f"{path}: cannot write: {exc.strerror or exc}") from None


#: Track ids of the state tracks: one per lane, beside its thread's task track.
STATE_TID_BASE = 2_000_000_000


def _state_slices(run: Run, tids: list[int]) -> list[dict[str, Any]]:
    """Each lane's thread states as slices on a track of their own beside its thread."""
    rows = run.thread_states.view()
    if not len(rows):
        return []
    gil = lock_is_gil(run.experiment)
    out: list[dict[str, Any]] = []
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
            out.append(_meta("thread_name", lane.pid, tid, {"name": f"{lane.label} · state"}))
            out.append(_meta("thread_sort_index", lane.pid, tid, {"sort_index": lane.index}))
        out.append(
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
    return out


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
