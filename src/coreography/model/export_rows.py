"""The bulk of an export, formatted a block of tasks at a time with numpy.

:func:`task_slices` gives the Chrome trace's task slices and :func:`csv_rows` the CSV's
rows for a block of tasks, as the text :mod:`coreography.model.export` would write for
them one by one, or None when the block holds something only that path writes (a task
whose result is text or a fraction, a task that failed with an error): the exporter
then writes that block one task at a time.
"""

from __future__ import annotations

import csv
import io

import numpy as np

from coreography.model import ascii_columns as ac
from coreography.model.run import DONE, NO_TIME, Run
from coreography.model.states import task_state_name

#: Tasks per block: big enough for numpy to pay, small enough to bound memory.
BLOCK = 65_536
_WHOLE_LIMIT = 2**53  # a whole result above this is written as a float


class Tables:
    """Per-run lookups shared by every block: each lane's PID and track id as text, each
    status as its word."""

    def __init__(self, run: Run, tids: list[int]) -> None:
        self.pid = ac.integers(np.array([lane.pid for lane in run.lanes] or [0], np.int64))
        self.tid = ac.integers(np.array(tids or [0], np.int64))
        self.status = ac.texts([task_state_name(value - 128) for value in range(256)])
        labels = [_csv_field(lane.label) for lane in run.lanes]
        self.csv_label = ac.texts([*labels, ""])  # the last row: no lane
        self.csv_pid = np.vstack(
            (self.pid, np.zeros((1, self.pid.shape[1]), np.uint8))
        )  # the last row: no lane (empty)
        #: Tasks only the one-by-one path writes: a text result or an error.
        self.special = np.array(sorted(set(run.task_text) | set(run.task_errors)), np.int64)


def _csv_field(text: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([text])
    return buffer.getvalue()


def _whole_results(
    run: Run, tables: Tables, tasks: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """Which of ``tasks`` have a result and that result as int64; None if one of them
    has a result that is not a whole number (text, a fraction, beyond 2**53) or an error."""
    if len(tables.special) and np.isin(tasks, tables.special).any():
        return None
    values = run.task_value[tasks]
    has = (run.task_status[tasks] == DONE) & ~np.isnan(values)
    picked = values[has]
    if np.any(picked != np.floor(picked)) or np.any(np.abs(picked) >= _WHOLE_LIMIT):
        return None
    whole = np.zeros(len(tasks), np.int64)
    whole[has] = picked.astype(np.int64)
    return has, whole


def _status_rows(tables: Tables, status: np.ndarray) -> np.ndarray:
    rows: np.ndarray = tables.status[status.astype(np.int64) + 128]
    return rows


def task_slices(run: Run, tables: Tables, tasks: np.ndarray, now: int) -> bytes | None:
    """Complete ("X") events for ``tasks`` (started, with a lane), comma-separated."""
    results = _whole_results(run, tables, tasks)
    if results is None:
        return None
    has_result, result = results
    count = len(tasks)
    lanes = run.task_lane[tasks]
    start = run.task_start[tasks]
    end = run.task_end[tasks]
    end = np.where(end != NO_TIME, end, now)
    status = run.task_status[tasks]
    cpu = run.task_cpu[tasks]
    has_cpu = (status == DONE) & (cpu != NO_TIME)
    cpu_known = np.where(has_cpu, cpu, 0)
    task_text = ac.integers(tasks)
    parts = [
        b'{"name":"task ',
        task_text,
        b'","cat":"task","ph":"X","pid":',
        tables.pid[lanes],
        b',"tid":',
        tables.tid[lanes],
        b',"ts":',
        ac.decimals(start - run.t0, 3, 3, strip=True),
        b',"dur":',
        ac.decimals(np.maximum(end - start, 0), 3, 3, strip=True),
        b',"args":{"task":',
        task_text,
        b',"status":"',
        _status_rows(tables, status),
        b'"',
        ac.blank(_prefixed(b',"result":', ac.integers(result)), has_result),
        ac.blank(_prefixed(b',"cpu_ms":', ac.decimals(cpu_known, 6, 6, strip=True)), has_cpu),
        b"}},",
    ]
    return ac.join_rows(parts, count)[:-1]


def csv_rows(run: Run, tables: Tables, tasks: np.ndarray) -> bytes | None:
    """CSV rows (``\\r\\n`` after each, as the csv module ends them) for ``tasks``."""
    results = _whole_results(run, tables, tasks)
    if results is None:
        return None
    has_result, result = results
    count = len(tasks)
    n_lanes = len(run.lanes)
    lanes = run.task_lane[tasks].astype(np.int64)
    lanes = np.where((lanes >= 0) & (lanes < n_lanes), lanes, n_lanes)
    submitted, start, end = (
        run.task_submitted[tasks],
        run.task_start[tasks],
        run.task_end[tasks],
    )
    status = run.task_status[tasks]
    cpu = run.task_cpu[tasks]
    has_cpu = (status == DONE) & (cpu != NO_TIME)
    both = (start != NO_TIME) & (end != NO_TIME)

    def seconds(t: np.ndarray) -> np.ndarray:
        known = t != NO_TIME
        return ac.blank(ac.decimals(np.where(known, t - run.t0, 0), 9, 6), known)

    parts: list[np.ndarray | bytes] = [
        ac.integers(tasks),
        b",",
        tables.csv_label[lanes],
        b",",
        tables.csv_pid[lanes],
        b",",
        _status_rows(tables, status),
        b",",
        seconds(submitted),
        b",",
        seconds(start),
        b",",
        seconds(end),
        b",",
        ac.blank(ac.decimals(np.where(both, end - start, 0), 6, 3), both),
        b",",
        ac.blank(ac.decimals(np.where(has_cpu, cpu, 0), 6, 3), has_cpu),
        b",",
        ac.blank(ac.integers(result), has_result),
        b",\r\n",
    ]
    return ac.join_rows(parts, count)


def _prefixed(prefix: bytes, matrix: np.ndarray) -> np.ndarray:
    head = np.broadcast_to(np.frombuffer(prefix, np.uint8), (len(matrix), len(prefix)))
    return np.hstack((head, matrix))
