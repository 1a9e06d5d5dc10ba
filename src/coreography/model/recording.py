"""Recordings: a run saved as versioned JSON (optionally gzip) and loaded back, validated."""

from __future__ import annotations

import gzip
import io
import json
import os
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from coreography.model import json_columns, recording_write
from coreography.model.files import FileRefused, open_regular, write_atomic
from coreography.model.messages_recording import messages_to_dict
from coreography.model.recording_checks import RecordingError
from coreography.model.recording_read import (
    FORMAT,
    TIME_FIELDS,
    VERSION,
    recorded_host,
    run_from_dict,
)
from coreography.model.run import NO_TIME, Run

__all__ = [
    "FORMAT",
    "VERSION",
    "RecordingError",
    "load_run",
    "recorded_host",
    "run_from_dict",
    "run_to_dict",
    "save_run",
]

SUFFIX = ".coreo.json"
GZIP_MAGIC = b"\x1f\x8b"
#: Limits of a recording (documented in the README's "Recordings" section). Largest JSON
#: text, after gunzip: twice a 1,000,000-task run (56 MB), and reading it stays within a
#: few GB of memory however hostile; a gzip file stops inflating here.
MAX_BYTES = 128 * 1024**2
#: Largest file on disk (plain or gzip): no recording this size is smaller uncompressed.
MAX_FILE_BYTES = MAX_BYTES


# -- saving ----------------------------------------------------------------------------------
def run_to_dict(run: Run) -> dict[str, Any]:
    """Plain, JSON-ready data for ``run``; times are ns since ``run.t0``, null if unknown.

    Parameters
    ----------
    run
        The run to record (finished or not).

    Returns
    -------
    dict
        The recording document of format :data:`FORMAT`, version :data:`VERSION`.
    """
    return _document(run, _list_column)


def _list_column(values: np.ndarray, t0: int | None, nullable: bool) -> list[Any]:
    return _nullable(values, t0) if nullable else (values - (t0 or 0)).tolist()


def _document(run: Run, column: Any) -> dict[str, Any]:
    """The recording document, each long numpy column made by ``column(values, t0,
    nullable)`` (a list, or a placeholder that :func:`save_run` fills in)."""
    t0 = run.t0

    def rel(t: int) -> int | None:
        return None if t == NO_TIME else int(t) - t0

    lanes = [
        {
            "index": lane.index,
            "pid": lane.pid,
            "thread": lane.thread,
            "role": lane.role,
            "label": lane.label,
            "number": lane.number,
            **{name: rel(getattr(lane, name)) for name in TIME_FIELDS},
            "exit_code": lane.exit_code,
            "cpu_seconds": None if np.isnan(lane.cpu_seconds) else float(lane.cpu_seconds),
            "native_id": lane.native_id,
            "qt_loaded": lane.qt_loaded,
            **({"ended_by": lane.ended_by} if lane.ended_by else {}),
            **({"host": lane.host} if lane.host else {}),
        }
        for lane in run.lanes
    ]
    texts = run.texts
    procs = run.proc_samples.view()
    states = run.thread_states.view()
    return {
        "format": FORMAT,
        "version": VERSION,
        "experiment": run.experiment.to_dict(),
        "host": recorded_host(run),
        "calibration": run.calibration,  # loop counts of timed tasks (optional, may be null)
        "t0": t0,
        "run": {
            "state": run.state,
            "message": run.message,
            "result_text": run.result_text,
            "run_started": rel(run.run_started_ns),
            "run_finished": rel(run.run_finished_ns),
            "end": rel(run.end_ns),
            "driver_pid": run.driver_pid,
            "pending_request": rel(run.pending_request_ns),
            "bad_frames": run.bad_frames,
            "n_done": run.n_done,
            "n_failed": run.n_failed,
            "n_started": run.n_started,
            # why it failed, as fields (optional: older recordings have no such key)
            "failure": run.failure.to_dict() if run.failure is not None else None,
        },
        "lanes": lanes,
        "tasks": {
            "lane": column(run.task_lane, None, False),
            "start": column(run.task_start, t0, True),
            "end": column(run.task_end, t0, True),
            "submitted": column(run.task_submitted, t0, True),
            "status": column(run.task_status, None, False),
            "value": column(run.task_value, None, True),
            "cpu": column(run.task_cpu, None, True),
        },
        "task_text": _table(run.task_text),
        "task_errors": _table(run.task_errors),
        # traced programs only: left out otherwise, so a built-in run saves back as it was
        **({"task_labels": _table(run.task_labels)} if run.task_labels else {}),
        # queues, pipes and locks: left out when the run has none (older recordings neither)
        **({"messages": messages_to_dict(run.messages, t0)} if run.messages else {}),
        # a cluster's hosts, from their workers' own metrics: left out when there are none
        **({"hosts": run.hosts.to_dict(t0)} if run.hosts else {}),
        "requests_by_task": [[task, t - t0] for task, t in sorted(run.requests_by_task.items())],
        "texts": {
            "t": [line.t - t0 for line in texts],
            "lane": [line.lane for line in texts],
            "task": [line.task for line in texts],
            "kind": [line.kind for line in texts],
            "text": [line.text for line in texts],
        },
        "logs": list(run.logs),
        "cpu_samples": _cpu_samples(run, t0),
        "proc_samples": {
            "t": column(procs["t"], t0, False),
            "pid": column(procs["pid"], None, False),
            "cpu": column(procs["cpu"], None, False),
            "core": column(procs["core"], None, False),
            "rss": column(procs["rss"], None, False),
        },
        # sampled thread states (optional: left out when none, as older readers expect)
        **(
            {
                "thread_states": {
                    "source": run.thread_states.source,
                    "lane": column(states["lane"], None, False),
                    "start": column(states["start"], t0, False),
                    "end": column(states["end"], t0, False),
                    "state": column(states["state"], None, False),
                }
            }
            if len(states)
            else {}
        ),
        "accounting": {
            "received": _pairs(run.received),
            "reported_sent": _pairs(run.reported_sent),
            "produced": None if run.produced is None else _pairs(run.produced),
        },
    }


def save_run(run: Run, path: str | os.PathLike[str]) -> None:
    """Write ``run`` to ``path`` (gzip-compressed when the name ends in ``.gz``).

    Parameters
    ----------
    run
        The run to save.
    path
        Conventionally ``*.coreo.json`` or ``*.coreo.json.gz``. Written to a temporary
        file first, so an interrupted save never leaves half a recording under this name.
        The long columns are written a block at a time (numpy formats them), so saving a
        1,000,000-task run needs a few MB beyond the run itself.
    """
    path = Path(path)
    written = 0

    def write_to(stream: BinaryIO) -> None:
        def count(data: bytes) -> None:
            nonlocal written
            written += len(data)
            if written > MAX_BYTES:  # a file that could not be read back is not written
                raise _TooBig
            packed.write(data)

        packed: Any = stream
        if path.name.endswith(".gz"):
            packed = gzip.GzipFile(fileobj=stream, mode="wb", compresslevel=5, mtime=0)
        recording_write.write_document(run, _document, count)
        if packed is not stream:
            packed.close()

    try:
        write_atomic(path, write_to)
    except _TooBig:
        raise RecordingError(
            f"{path}: this run is more than {MAX_BYTES // 1024**2} MiB as a recording, the "
            "most a recording may hold; export it as CSV instead"
        ) from None
    except OSError as exc:
        raise RecordingError(f"{path}: cannot write: {exc.strerror or exc}") from None


class _TooBig(Exception):
    """The recording grew beyond MAX_BYTES while it was written."""


def _table(mapping: dict[int, str]) -> dict[str, list[Any]]:
    tasks = sorted(mapping)
    return {"task": tasks, "text": [mapping[task] for task in tasks]}


def _pairs(mapping: dict[int, int]) -> list[list[int]]:
    return [[key, value] for key, value in sorted(mapping.items())]


def _cpu_samples(run: Run, t0: int) -> dict[str, Any]:
    """Per-core CPU; the split added later (the experiment's share of each core, its and
    the app's CPU in % of one core) is optional on reading: null where not measured, and
    left out when nothing was measured, so an older recording saves back as it was."""
    samples: dict[str, Any] = {
        "t": (run.cpu_t.view() - t0).tolist(),
        "percore": run.cpu_percore.view().tolist(),
    }
    optional = {
        "experiment": [_nullable(row) for row in run.cpu_experiment.view()],
        "experiment_total": _nullable(run.cpu_experiment_total.view()),
        "app": _nullable(run.cpu_app.view()),
    }
    for key, values in optional.items():
        flat = values if key != "experiment" else [v for row in values for v in row]
        if any(v is not None for v in flat):
            samples[key] = values
    return samples


def _nullable(values: np.ndarray, t0: int | None = None) -> list[Any]:
    """``values`` as a list, with None for NO_TIME (ints) or NaN (floats)."""
    missing = np.isnan(values) if values.dtype.kind == "f" else values == NO_TIME
    out: list[Any] = (values - t0 if t0 is not None else values).tolist()
    for i in np.flatnonzero(missing).tolist():
        out[i] = None
    return out


# -- loading ---------------------------------------------------------------------------------
class LoadCancelled(Exception):
    """Reading a recording was cancelled (its ``progress`` callback returned False)."""


#: Bytes read at a time when a caller follows the progress of a load.
READ_BLOCK = 4 * 1024 * 1024


def load_run(path: str | os.PathLike[str], progress: Callable[[float], bool] | None = None) -> Run:
    """Read a recording (plain or gzip, told apart by content) and validate all of it.

    Parameters
    ----------
    path
        A file written by :func:`save_run`.
    progress
        Called now and then with the share done (0 to 1); when it returns False, reading
        stops at once with :class:`LoadCancelled`.

    Returns
    -------
    Run
        Equal to the run that was saved.

    Raises
    ------
    RecordingError
        With a one-line message naming the file and what is wrong with it.
    LoadCancelled
        ``progress`` returned False.
    """

    def step(done: float) -> None:
        if progress is not None and not progress(done):
            raise LoadCancelled(str(path))

    try:
        raw = _read(path, step)
        data = _parse_json(unpack(raw), lambda share: step(0.3 + 0.5 * share))
        del raw
        step(0.8)
        run = run_from_dict(data)
        step(1.0)
        return run
    except OSError as exc:
        raise RecordingError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except RecordingError as exc:
        raise RecordingError(f"{path}: {exc}") from None


def _read(path: str | os.PathLike[str], step: Callable[[float], None]) -> bytes | bytearray:
    """The file's bytes, read a block at a time (the first 30 % of the progress)."""
    with open_regular(path, MAX_FILE_BYTES) as stream:
        size = os.fstat(stream.fileno()).st_size
        if size <= READ_BLOCK:
            data: bytes | bytearray = stream.read(MAX_FILE_BYTES + 1)
        else:
            data = bytearray(size + 1)
            view = memoryview(data)
            got = 0
            while True:
                step(0.3 * min(got / size, 1.0))
                count = stream.readinto(view[got : got + READ_BLOCK])  # type: ignore[attr-defined]
                if not count:
                    break
                got += count
                if got > size:  # it grew after the check
                    break
            view.release()
            del data[got:]
    if len(data) > MAX_FILE_BYTES:
        raise FileRefused(f"more than {MAX_FILE_BYTES / 1024**2:,.0f} MiB")
    return data


def unpack(raw: bytes | bytearray) -> bytes | bytearray:
    """The JSON text of a recording's bytes (gunzipped if they are gzip), at most
    :data:`MAX_BYTES`; a gzip stream stops inflating there, so a bomb costs nothing."""
    if raw[:2] == GZIP_MAGIC:
        raw = _gunzip(raw)
    if len(raw) > MAX_BYTES:
        raise RecordingError(
            f"more than {MAX_BYTES // 1024**2:,} MiB of recording (the most one may hold)"
        )
    return raw


def _gunzip(raw: bytes | bytearray) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as stream:
            return stream.read(MAX_BYTES + 1)
    except EOFError:
        raise RecordingError("the gzip data ends early (truncated file)") from None
    except (OSError, zlib.error) as exc:
        raise RecordingError(f"not valid gzip data ({exc})") from None


#: Where a recording's long number lists may stay numpy columns: the fields whose checks
#: take a :class:`~coreography.model.json_columns.Column`; anywhere else they become lists.
COLUMN_FIELDS = {
    "tasks": {"lane", "start", "end", "submitted", "status", "value", "cpu"},
    "texts": {"t", "lane", "task", "kind"},
    "cpu_samples": {"t", "experiment_total", "app"},
    "proc_samples": {"t", "pid", "cpu", "core", "rss"},
    "thread_states": {"lane", "start", "end", "state"},
    "task_text": {"task"},
    "task_errors": {"task"},
    "task_labels": {"task"},
}


def _keep_columns(data: Any, holders: list[dict[str, Any]]) -> None:
    sections = {}
    if isinstance(data, dict):
        sections = {id(data.get(name)): fields for name, fields in COLUMN_FIELDS.items()}
    for holder in holders:
        fields = sections.get(id(holder), set())
        for key, value in holder.items():
            if isinstance(value, json_columns.Column) and key not in fields:
                holder[key] = value.as_list()


def _parse_json(raw: bytes | bytearray, progress: Callable[[float], None] | None = None) -> Any:
    def refuse(name: str) -> None:
        raise RecordingError(f"not valid JSON: {name} is not a number JSON allows")

    try:
        holders: list[dict[str, Any]] = []
        data = json_columns.loads(raw, refuse, holders, progress)
        _keep_columns(data, holders)
        return data
    except RecordingError:
        raise
    except UnicodeDecodeError:
        raise RecordingError("not a recording: the file is not UTF-8 text") from None
    except RecursionError:
        raise RecordingError("not valid JSON: nested too deeply") from None
    except json.JSONDecodeError as exc:
        # Cut short: the text breaks off inside a string, or nothing after the error
        # could close what was opened (e.g. it stops in the middle of ``true``).
        rest = exc.doc[exc.pos :]
        if exc.msg.startswith("Unterminated string") or not any(c in rest for c in ",]}"):
            raise RecordingError("not valid JSON: the file ends early (truncated)") from None
        raise RecordingError(
            f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except ValueError as exc:  # e.g. an integer with thousands of digits
        raise RecordingError(f"not valid JSON: {exc}") from None
