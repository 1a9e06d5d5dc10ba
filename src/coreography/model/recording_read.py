"""Reading a recording back: rebuild a Run from its JSON data, checking every value."""

from __future__ import annotations

import platform
import sys
import weakref
from typing import Any

import numpy as np

from coreography.model.events import Kind
from coreography.model.failure import KINDS as FAILURE_KINDS
from coreography.model.failure import Failure
from coreography.model.host_metrics import HostMetrics
from coreography.model.messages_recording import messages_from_dict
from coreography.model.recording_checks import (
    MAX_NS,
    check_experiment,
    check_pairs,
    expect,
    fail,
    flag,
    float_column,
    int_column,
    integer,
    length,
    number,
    text,
    text_list,
    time_column,
)
from coreography.model.run import (
    ENDED_BY,
    NO_TIME,
    RUN_RUNNING,
    STARTING,
    STATUS_NAMES,
    GrowArray,
    Lane,
    Run,
    TextLine,
)
from coreography.model.states import END_STATES, RunState
from coreography.model.thread_states import N_STATES, SOURCES

FORMAT = "coreography-recording"
VERSION = 1
# Limits of what one recording may hold (documented in the README's "Recordings"; tasks
# are limited by the experiment, at most 1,000,000). Far above any run's; refused above.
MAX_LANES = 100_000
MAX_TEXTS = 2_000_000  # printed lines and log lines
MAX_CPU_SAMPLES = 1_000_000  # a day of per-core samples at 10 Hz
MAX_PROC_SAMPLES = 5_000_000  # per-process samples (one per process per tick)
MAX_ROWS = MAX_PROC_SAMPLES  # the most of any one kind of row
PID = (0, 2**31 - 1)
COUNT = (0, MAX_NS)
RUN_STATES = (STARTING, RUN_RUNNING, *sorted(END_STATES))
ROLES = ("main", "worker", "thread")
TIME_FIELDS = ("requested_ns", "ready_ns", "done_ns", "exited_ns")

# Hosts of loaded runs, so that saving a loaded run again keeps where it was made.
_hosts: weakref.WeakKeyDictionary[Run, dict[str, Any]] = weakref.WeakKeyDictionary()


def recorded_host(run: Run) -> dict[str, Any]:
    """Where ``run`` was made: cores, platform, python (this machine for a live run)."""
    host = _hosts.get(run)
    if host is not None:
        return dict(host)
    return {"cores": run.cores, "platform": platform.platform(), "python": sys.version.split()[0]}


def run_from_dict(data: Any) -> Run:
    """Rebuild a run from :func:`run_to_dict` data, refusing anything out of shape.

    Parameters
    ----------
    data
        Parsed JSON.

    Returns
    -------
    Run
        A finished-or-not run, ready for views, metrics and exporters.

    Raises
    ------
    RecordingError
        Naming the first field that is wrong, its value and what was expected.
    """
    expect(isinstance(data, dict), "not a recording: expected a JSON object at the top")
    expect(
        data.get("format") == FORMAT,
        f"not a recording: format is {data.get('format')!r:.60}, expected {FORMAT!r}",
    )
    version = data.get("version")
    expect(type(version) is int, f"version: expected a whole number, got {version!r:.40}")
    expect(
        version <= VERSION,
        f"version {version} is newer than this Coreography reads "
        f"(up to {VERSION}); update Coreography",
    )
    expect(version >= 1, f"version: {version} is not a known recording version")
    experiment = check_experiment(data.get("experiment"))
    host = _section(data, "host")
    cores = integer(host.get("cores"), "host.cores", 1, 65_536)
    host_info = {
        "cores": cores,
        "platform": text(host.get("platform"), "host.platform"),
        "python": text(host.get("python"), "host.python"),
    }
    t0 = integer(data.get("t0"), "t0", 0, MAX_NS)
    run = Run(experiment, cores=cores, t0=t0)
    n = run.n_tasks

    def abs_time(value: Any, where: str, nullable: bool = True) -> int:
        if value is None and nullable:
            return NO_TIME
        return t0 + integer(value, where, -t0, MAX_NS - t0)

    info = _section(data, "run")
    state = info.get("state")
    expect(state in RUN_STATES, f"run.state: {state!r:.40} is not one of {RUN_STATES}")
    run.state = RunState(str(state))
    run.message = text(info.get("message"), "run.message")
    run.result_text = text(info.get("result_text"), "run.result_text")
    run.run_started_ns = abs_time(info.get("run_started"), "run.run_started")
    run.run_finished_ns = abs_time(info.get("run_finished"), "run.run_finished")
    run.end_ns = abs_time(info.get("end"), "run.end")
    run.pending_request_ns = abs_time(info.get("pending_request"), "run.pending_request")
    run.driver_pid = integer(info.get("driver_pid"), "run.driver_pid", *PID)
    run.bad_frames = integer(info.get("bad_frames"), "run.bad_frames", *COUNT)
    for name in ("n_done", "n_failed", "n_started"):
        setattr(run, name, integer(info.get(name), f"run.{name}", 0, n))
    run.failure = _failure(info.get("failure"), n)

    lanes = data.get("lanes")
    expect(isinstance(lanes, list), "lanes: expected a list")
    expect(len(lanes) <= MAX_LANES, f"lanes: {len(lanes):,} lanes is more than {MAX_LANES:,}")
    for index, item in enumerate(lanes):
        lane = _lane(item, index, abs_time)
        expect(
            (lane.pid, lane.thread) not in run._lane_of,
            f"lanes[{index}]: a second lane for PID {lane.pid} thread {lane.thread}",
        )
        run.lanes.append(lane)
        run._lane_of[(lane.pid, lane.thread)] = index

    tasks = _section(data, "tasks")
    run.task_lane[:] = int_column(tasks.get("lane"), "tasks.lane", n, -1, len(lanes) - 1)
    run.task_start[:] = time_column(tasks.get("start"), "tasks.start", n, t0)
    run.task_end[:] = time_column(tasks.get("end"), "tasks.end", n, t0)
    run.task_submitted[:] = time_column(tasks.get("submitted"), "tasks.submitted", n, t0)
    run.task_status[:] = int_column(tasks.get("status"), "tasks.status", n, 0, max(STATUS_NAMES))
    run.task_value[:] = float_column(tasks.get("value"), "tasks.value", n, -np.inf, np.inf)
    run.task_cpu[:] = int_column(tasks.get("cpu"), "tasks.cpu", n, *COUNT, null=NO_TIME)
    orphan = np.flatnonzero((run.task_lane >= 0) & (run.task_start == NO_TIME))
    expect(not len(orphan), f"tasks: task {orphan[:1].tolist()} has a lane but no start")
    _rebuild_lane_tasks(run)

    run.task_text = _task_table(data.get("task_text"), "task_text", n)
    run.task_errors = _task_table(data.get("task_errors"), "task_errors", n)
    if data.get("task_labels") is not None:  # traced programs: what each task called
        run.task_labels = _task_table(data.get("task_labels"), "task_labels", n)
    run.requests_by_task = {
        task: abs_time(t, "requests_by_task", False)
        for task, t in check_pairs(
            data.get("requests_by_task"), "requests_by_task", (0, n - 1), (-t0, MAX_NS - t0), n
        )
    }
    run.messages = messages_from_dict(data.get("messages"), t0, len(lanes))
    try:
        run.hosts = HostMetrics.from_dict(data.get("hosts"), t0)
    except ValueError as exc:
        fail(str(exc))
    _texts(run, _section(data, "texts"), abs_time)
    run.logs = text_list(data.get("logs"), "logs", MAX_TEXTS)
    _samples(run, data, cores)
    _thread_states(run, data.get("thread_states"))
    run.calibration = _calibration(data.get("calibration"))
    accounting = _section(data, "accounting")
    run.received = dict(
        check_pairs(accounting.get("received"), "accounting.received", PID, COUNT, MAX_LANES)
    )
    run.reported_sent = dict(
        check_pairs(
            accounting.get("reported_sent"), "accounting.reported_sent", PID, COUNT, MAX_LANES
        )
    )
    produced = accounting.get("produced")
    run.produced = (
        None
        if produced is None
        else dict(check_pairs(produced, "accounting.produced", PID, COUNT, MAX_LANES))
    )
    _hosts[run] = host_info
    return run


def _failure(value: Any, n: int) -> Failure | None:
    """``run.failure``: null (no failure, or an older recording) or its fields."""
    if value is None:
        return None
    where = "run.failure"
    expect(isinstance(value, dict), f"{where}: expected an object or null")
    kind = value.get("kind")
    expect(
        kind in FAILURE_KINDS, f"{where}.kind: {kind!r:.40} is not one of {sorted(FAILURE_KINDS)}"
    )
    exit_code, line = value.get("exit_code"), value.get("user_line")
    return Failure(
        kind=kind,
        pid=integer(value.get("pid"), f"{where}.pid", *PID),
        lane=integer(value.get("lane"), f"{where}.lane", 0, 65_535),
        task=integer(value.get("task"), f"{where}.task", -1, n - 1),
        exit_code=None
        if exit_code is None
        else integer(exit_code, f"{where}.exit_code", -(2**31), 2**32),
        error=text(value.get("error"), f"{where}.error"),
        user_line=None if line is None else integer(line, f"{where}.user_line", 1, 2**31),
    )


def _section(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name)
    expect(isinstance(value, dict), f"{name}: expected an object, got {_kind(value)}")
    section: dict[str, Any] = value or {}  # a dict: checked above
    return section


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__


def _lane(item: Any, index: int, abs_time: Any) -> Lane:
    where = f"lanes[{index}]"
    expect(isinstance(item, dict), f"{where}: expected an object, got {_kind(item)}")
    expect(
        item.get("index") == index and type(item.get("index")) is int,
        f"{where}.index: expected {index}, got {item.get('index')!r:.40}",
    )
    role = item.get("role")
    expect(role in ROLES, f"{where}.role: {role!r:.40} is not one of {ROLES}")
    exit_code = item.get("exit_code")
    cpu = item.get("cpu_seconds")
    requested, ready, done, exited = (abs_time(item.get(n), f"{where}.{n}") for n in TIME_FIELDS)
    lane = Lane(
        index,
        integer(item.get("pid"), f"{where}.pid", *PID),
        integer(item.get("thread"), f"{where}.thread", 0, 65_535),
        role,
        text(item.get("label"), f"{where}.label"),
        integer(item.get("number"), f"{where}.number", 0, MAX_ROWS),
        requested,
        ready,
        done,
        exited,
        exit_code=None
        if exit_code is None
        else integer(exit_code, f"{where}.exit_code", -(2**31), 2**32),
        cpu_seconds=np.nan if cpu is None else number(cpu, f"{where}.cpu_seconds", 0, 1e12),
        native_id=integer(item.get("native_id"), f"{where}.native_id", 0, 2**63 - 1),
        # Absent in files written before workers reported it.
        qt_loaded=flag(item.get("qt_loaded", False), f"{where}.qt_loaded"),
        # A cluster's worker only.
        host=text(item.get("host", ""), f"{where}.host"),
    )
    ended_by = item.get("ended_by", "")  # absent: not ended by its pool (or older files)
    expect(ended_by in ENDED_BY, f"{where}.ended_by: {ended_by!r:.40} is not one of {ENDED_BY}")
    lane.ended_by = ended_by
    return lane


def _rebuild_lane_tasks(run: Run) -> None:
    """Each lane's tasks in the order they started (ties by task id)."""
    has_lane = np.flatnonzero(run.task_lane >= 0)
    order = has_lane[np.lexsort((has_lane, run.task_start[has_lane], run.task_lane[has_lane]))]
    bounds = np.searchsorted(run.task_lane[order], np.arange(len(run.lanes) + 1))
    for lane in run.lanes:
        lane.tasks = GrowArray(
            np.int32, capacity=max(int(bounds[lane.index + 1] - bounds[lane.index]), 1)
        )
        lane.tasks.extend(order[bounds[lane.index] : bounds[lane.index + 1]])


def _task_table(value: Any, where: str, n: int) -> dict[int, str]:
    expect(isinstance(value, dict), f"{where}: expected an object, got {_kind(value)}")
    tasks = value.get("task")
    count = length(tasks)
    ids = int_column(tasks, f"{where}.task", count, 0, n - 1)
    texts = text_list(value.get("text"), f"{where}.text", count, exact=True)
    expect(len(set(ids.tolist())) == count, f"{where}.task: a task appears twice")
    return dict(zip(ids.tolist(), texts, strict=True))


def _texts(run: Run, value: dict[str, Any], abs_time: Any) -> None:
    texts = value.get("text")
    count = len(texts) if isinstance(texts, list) else 0
    expect(count <= MAX_TEXTS, f"texts: {count:,} lines is more than {MAX_TEXTS:,}")
    times = time_column(value.get("t"), "texts.t", count, run.t0, nullable=False)
    lanes = int_column(value.get("lane"), "texts.lane", count, -1, len(run.lanes) - 1)
    tasks = int_column(value.get("task"), "texts.task", count, -(2**31), 2**31 - 1)
    kinds = int_column(value.get("kind"), "texts.kind", count, min(Kind), max(Kind))
    lines = text_list(texts, "texts.text", count, exact=True)
    run.texts = [
        TextLine(*row)
        for row in zip(
            times.tolist(), lanes.tolist(), tasks.tolist(), kinds.tolist(), lines, strict=True
        )
    ]


def _samples(run: Run, data: dict[str, Any], cores: int) -> None:
    cpu = _section(data, "cpu_samples")
    width = max(cores, 1)
    rows: Any = cpu.get("percore")  # a list: checked next
    expect(isinstance(rows, list), "cpu_samples.percore: expected a list of rows")
    expect(
        len(rows) <= MAX_CPU_SAMPLES,
        f"cpu_samples: {len(rows):,} samples is more than {MAX_CPU_SAMPLES:,}",
    )
    times = time_column(cpu.get("t"), "cpu_samples.t", len(rows), run.t0, nullable=False)
    expect(
        all(isinstance(row, list) and len(row) == width for row in rows),
        f"cpu_samples.percore: every row must hold {width} numbers (one per core)",
    )
    flat = float_column(
        [v for row in rows for v in row],
        "cpu_samples.percore",
        len(rows) * width,
        0.0,
        1e4,
        nullable=False,
    )
    run.cpu_t = GrowArray(np.int64, capacity=max(len(rows), 1))
    run.cpu_t.extend(times)
    run.cpu_percore = GrowArray(np.float32, width=width, capacity=max(len(rows), 1))
    run.cpu_percore.extend(flat.reshape(len(rows), width))
    _experiment_samples(run, cpu, len(rows), width)
    procs = _section(data, "proc_samples")
    count = length(procs.get("t"))
    expect(
        count <= MAX_PROC_SAMPLES,
        f"proc_samples: {count:,} samples is more than {MAX_PROC_SAMPLES:,}",
    )
    table = np.empty(count, run.proc_samples.view().dtype)
    table["t"] = time_column(procs.get("t"), "proc_samples.t", count, run.t0, nullable=False)
    table["pid"] = int_column(procs.get("pid"), "proc_samples.pid", count, *PID)
    table["cpu"] = float_column(
        procs.get("cpu"), "proc_samples.cpu", count, 0.0, 1e6, nullable=False
    )
    table["core"] = int_column(procs.get("core"), "proc_samples.core", count, -1, 32_767)
    table["rss"] = int_column(procs.get("rss"), "proc_samples.rss", count, *COUNT)
    run.proc_samples = GrowArray(table.dtype, capacity=max(count, 1))
    run.proc_samples.extend(table)


def _experiment_samples(run: Run, cpu: dict[str, Any], count: int, width: int) -> None:
    """The experiment's and the app's CPU per sample; absent in older recordings (NaN)."""
    shares = np.full((count, width), np.nan)
    rows = cpu.get("experiment")
    if rows is not None:
        expect(
            isinstance(rows, list)
            and len(rows) == count
            and all(isinstance(row, list) and len(row) == width for row in rows),
            f"cpu_samples.experiment: expected {count} rows of {width} numbers or null",
        )
        flat = [v for row in rows for v in row]
        shares = float_column(flat, "cpu_samples.experiment", count * width, 0.0, 1e4)
    run.cpu_experiment = GrowArray(np.float32, width=width, capacity=max(count, 1))
    run.cpu_experiment.extend(np.reshape(shares, (count, width)))
    for name, attr in (("experiment_total", "cpu_experiment_total"), ("app", "cpu_app")):
        values = cpu.get(name)
        column = (
            np.full(count, np.nan)
            if values is None
            else float_column(values, f"cpu_samples.{name}", count, 0.0, 1e6)
        )
        array = GrowArray(np.float32, capacity=max(count, 1))
        array.extend(column)
        setattr(run, attr, array)


def _thread_states(run: Run, value: Any) -> None:
    """Sampled thread states (optional: absent in older recordings and unsampled runs)."""
    if value is None:
        return
    expect(isinstance(value, dict), "thread_states: expected an object or null")
    source = value.get("source", "")
    expect(source in SOURCES, f"thread_states.source: {source!r:.40} is not one of {SOURCES}")
    lanes = value.get("lane")
    count = length(lanes)
    expect(count <= MAX_PROC_SAMPLES, f"thread_states: {count:,} rows is more than allowed")
    lane = int_column(lanes, "thread_states.lane", count, 0, max(len(run.lanes) - 1, 0))
    start = time_column(value.get("start"), "thread_states.start", count, run.t0, nullable=False)
    end = time_column(value.get("end"), "thread_states.end", count, run.t0, nullable=False)
    state = int_column(value.get("state"), "thread_states.state", count, 0, N_STATES - 1)
    expect(bool(np.all(end >= start)), "thread_states: a row ends before it starts")
    run.thread_states.source = source
    run.thread_states.extend(
        zip(lane.tolist(), start.tolist(), end.tolist(), state.tolist(), strict=True)
    )


def _calibration(value: Any) -> dict[str, Any] | None:
    """The loop counts a run used (optional): two positive numbers and what was known."""
    if value is None:
        return None
    expect(isinstance(value, dict), "calibration: expected an object or null")
    out: dict[str, Any] = {}
    for name in ("loops_per_ms", "blocks_per_ms"):
        out[name] = number(value.get(name), f"calibration.{name}", 1e-9, 1e12)
    out["key"] = text(value.get("key", ""), "calibration.key")
    out["machine_busy_percent"] = number(
        value.get("machine_busy_percent", 0.0), "calibration.machine_busy_percent", 0.0, 100.0
    )
    out["busy"] = flag(value.get("busy", False), "calibration.busy")
    return out
