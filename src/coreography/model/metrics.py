"""The numbers that matter for one run: wall and CPU time, speedup, per-lane busy/idle."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from coreography.model.interference import measure_interference
from coreography.model.run import DONE, FAILED, INTERRUPTED, NO_TIME, Run
from coreography.model.speedup import (
    CPU_WORKLOADS,
    ESTIMATED,
    Baseline,
    Speedup,
    own_baseline,
    sequential_estimate,
    unmeasurable,
)
from coreography.model.speedup import speedup_against as _speedup_against
from coreography.model.thread_states import ThreadState, lane_states

__all__ = ["CPU_WORKLOADS", "LaneMetrics", "RunMetrics", "compute_metrics", "format_table"]


@dataclass(frozen=True)
class LaneMetrics:
    """What one lane (a process, or a thread of the driver) did."""

    label: str
    role: str
    pid: int
    tasks: int
    busy_s: float
    idle_s: float
    utilization: float | None  # busy / life, None when the lane has no life yet
    startup_s: float | None  # start requested -> ready
    cpu_s: float | None
    #: Share of its sampled task time the lane was on a CPU (None: no thread states).
    on_cpu_share: float | None = None


@dataclass(frozen=True)
class RunMetrics:
    """Whole-run figures; ``None`` means not known (yet)."""

    state: str
    wall_s: float
    cpu_s: float | None  # None: nothing measured it (yet)
    sequential_s: float
    speedup: float | None
    efficiency: float | None
    parallel_workers: int
    startup_mean_s: float | None
    startup_max_s: float | None
    tasks_done: int
    tasks_failed: int
    tasks_total: int
    events_received: int
    events_expected: int | None
    events_lost: int | None
    lost: str
    lanes: tuple[LaneMetrics, ...]
    #: Other programs' share of the machine during the run (None: not measured) and
    #: whether that makes speedup and efficiency unreliable (model.interference).
    others_share: float | None = None
    machine_busy: bool = False
    app_share: float | None = None
    #: Tasks a run's end cut short (a Stop, or another worker's failure).
    tasks_interrupted: int = 0
    #: Why speedup/efficiency are missing, when they are ('' otherwise).
    speedup_note: str = ""


def compute_metrics(run: Run) -> RunMetrics:
    """Summarise ``run``, finished or still running (open tasks count up to now).

    Parameters
    ----------
    run
        The run, live or loaded from a recording.

    Returns
    -------
    RunMetrics
        Times in seconds. ``cpu_s`` is each process's own CPU time where it reported
        one (a worker's goodbye), otherwise the CPU its tasks used where measured.
        ``sequential_s`` estimates a one-worker run of the finished tasks
        (:func:`coreography.model.speedup.sequential_estimate`); ``speedup`` and
        ``efficiency`` are against that estimate (a lesson or sweep with a measured
        baseline recomputes them with :mod:`coreography.model.series`).
    """
    now = run.last_time()
    start = run.run_started_ns if run.run_started_ns != NO_TIME else run.t0
    finish = run.run_finished_ns if run.run_finished_ns != NO_TIME else now
    wall_s = max(finish - start, 0) / 1e9

    status, lane_of = run.task_status, run.task_lane
    started = run.task_start != NO_TIME
    # A task without an end is still running (or was cut short): it counts up to now.
    ends = np.where(run.task_end != NO_TIME, run.task_end, now)
    durations = np.where(started, np.maximum(ends - run.task_start, 0), 0)
    done = status == DONE
    cpu_known = done & (run.task_cpu != NO_TIME)
    task_cpu = np.where(cpu_known, run.task_cpu, 0)

    sequential_s = sequential_estimate(run)

    n_lanes = len(run.lanes)
    in_lane = started & (lane_of >= 0) & (lane_of < n_lanes)
    lanes_idx = lane_of[in_lane]
    counts = np.bincount(lanes_idx, minlength=n_lanes)
    busy = np.bincount(lanes_idx, weights=durations[in_lane], minlength=n_lanes) / 1e9
    lane_cpu = np.bincount(lanes_idx, weights=task_cpu[in_lane], minlength=n_lanes) / 1e9
    cpu_measured = np.bincount(lanes_idx[cpu_known[in_lane]], minlength=n_lanes)
    first_start = np.full(n_lanes, np.iinfo(np.int64).max)
    np.minimum.at(first_start, lanes_idx, run.task_start[in_lane])

    lanes, startups = [], []
    sampled = _sampled_cpu(run)  # a process's CPU as the sampler saw it (no goodbye yet)
    process_cpu: dict[int, float] = {}
    task_cpu_by_pid: dict[int, float] = {}
    for lane in run.lanes:
        i = lane.index
        life_start = _first_known(
            lane.ready_ns, int(first_start[i]) if counts[i] else NO_TIME, start
        )
        life_end = _first_known(lane.end_ns(), run.end_ns, now)
        life = max(life_end - life_start, 0) / 1e9
        startup = None
        if lane.role != "main" and NO_TIME not in (lane.requested_ns, lane.ready_ns):
            startup = max(lane.ready_ns - lane.requested_ns, 0) / 1e9
            startups.append(startup)
        own_cpu = lane.cpu_seconds if math.isfinite(lane.cpu_seconds) else None
        if own_cpu is not None and lane.thread == 0:
            process_cpu[lane.pid] = own_cpu
        task_cpu_by_pid[lane.pid] = task_cpu_by_pid.get(lane.pid, 0.0) + float(lane_cpu[i])
        lanes.append(
            LaneMetrics(
                label=lane.label,
                role=lane.role,
                pid=lane.pid,
                tasks=int(counts[i]),
                busy_s=float(busy[i]),
                idle_s=max(life - float(busy[i]), 0.0),
                utilization=min(float(busy[i]) / life, 1.0) if life > 0 else None,
                startup_s=startup,
                cpu_s=_lane_cpu(
                    own_cpu,
                    float(lane_cpu[i]) if cpu_measured[i] else None,
                    sampled.get(lane.pid) if lane.thread == 0 else None,
                ),
            )
        )
    cpu_s = _total_cpu(sampled, process_cpu, task_cpu_by_pid, bool(np.count_nonzero(cpu_known)))
    lanes = _with_states(run, lanes)

    parallel = run.experiment.parallel_workers
    baseline = own_baseline(run, sequential_s)
    estimated = _speedup_against(wall_s, parallel, baseline)
    speedup, efficiency = estimated.value, estimated.efficiency
    speedup_note = unmeasurable(wall_s, baseline)
    if speedup_note:
        speedup = efficiency = None
    expected: int | None = None
    produced = run.produced
    if produced is not None:  # a cluster's workers count what they sent, in their frames
        expected = sum(produced.values()) + sum(
            run.reported_sent.get(lane.pid, 0)
            for lane in run.lanes
            if lane.host and lane.thread == 0 and lane.pid not in produced
        )
    interference = measure_interference(run)
    return RunMetrics(
        state=run.state,
        wall_s=wall_s,
        cpu_s=cpu_s,
        sequential_s=sequential_s,
        speedup=speedup,
        efficiency=efficiency,
        parallel_workers=parallel,
        startup_mean_s=sum(startups) / len(startups) if startups else None,
        startup_max_s=max(startups) if startups else None,
        tasks_done=int(np.count_nonzero(done)),
        tasks_failed=int(np.count_nonzero(status == FAILED)),
        tasks_interrupted=int(np.count_nonzero(status == INTERRUPTED)),
        speedup_note=speedup_note,
        tasks_total=run.n_tasks,
        events_received=run.events_received(),
        events_expected=expected,
        events_lost=run.events_lost(),
        lost=run.describe_loss(),
        lanes=tuple(lanes),
        others_share=interference.others if interference else None,
        machine_busy=interference.busy if interference else False,
        app_share=interference.app if interference else None,
    )


def _with_states(run: Run, lanes: list[LaneMetrics]) -> list[LaneMetrics]:
    """With sampled thread states, a lane's utilization is its time on a CPU over its
    life (not "a task was open"), and its on-CPU share of the task time is known."""
    states = lane_states(run)
    if states is None:
        return lanes
    out = []
    for lane, mine in zip(lanes, states, strict=True):
        share = mine.share(ThreadState.ON_CPU)
        if share is None:
            out.append(lane)
            continue
        life = lane.busy_s + lane.idle_s
        on_cpu = share * lane.busy_s
        utilization = min(on_cpu / life, 1.0) if life > 0 else lane.utilization
        out.append(replace(lane, on_cpu_share=share, utilization=utilization))
    return out


def own_baseline_of(metrics: RunMetrics) -> Baseline | None:
    """The estimated baseline behind ``metrics.speedup``."""
    if metrics.sequential_s <= 0:
        return None
    return Baseline(metrics.sequential_s, ESTIMATED, "sequential estimate")


def _lane_cpu(own: float | None, tasks: float | None, sampled: float | None) -> float | None:
    """A lane's CPU: its process's goodbye figure, else what its tasks used, else (a
    process's main thread) what the sampler saw the process use."""
    return next((value for value in (own, tasks, sampled) if value is not None), None)


def _total_cpu(
    sampled: dict[int, float],
    goodbyes: dict[int, float],
    from_tasks: dict[int, float],
    tasks_known: bool,
) -> float | None:
    """CPU seconds of the experiment's processes, from the best source each has.

    A process's own figure (its goodbye) covers all of its threads and its start-up. A
    process that has not said goodbye (still running, or killed) is charged what the
    sampler saw it use; failing that, what its tasks used. None when nothing measured
    any of it (a run that has not started, or an older recording without samples).
    """
    pids = set(from_tasks) | set(goodbyes)
    if not pids and not sampled:
        return None
    total, known = 0.0, tasks_known or bool(goodbyes)
    for pid in pids | set(sampled):
        if pid in goodbyes:
            total += goodbyes[pid]
        elif pid in sampled:
            total += max(sampled[pid], from_tasks.get(pid, 0.0))
            known = True
        else:
            total += from_tasks.get(pid, 0.0)
    return total if known else None


def _sampled_cpu(run: Run) -> dict[int, float]:
    """CPU seconds per process integrated from the sampler's readings (each is a rate
    over the time since that process's previous reading; its first is meaningless)."""
    samples = run.proc_samples.view()
    if len(samples) < 2:
        return {}
    order = np.lexsort((samples["t"], samples["pid"]))
    pid, t, cpu = samples["pid"][order], samples["t"][order], samples["cpu"][order]
    same = pid[1:] == pid[:-1]
    used = np.where(same, cpu[1:].astype(np.float64) / 100.0 * np.diff(t) / 1e9, 0.0)
    pids = np.unique(pid)
    totals = np.bincount(np.searchsorted(pids, pid[1:]), weights=used, minlength=len(pids))
    return dict(zip(pids.tolist(), totals.tolist(), strict=True))


def _first_known(*times: int) -> int:
    return next((t for t in times if t != NO_TIME), NO_TIME)


def format_table(metrics: RunMetrics, speedup: Speedup | None = None) -> str:
    """The summary the CLI prints: whole-run figures, then one row per lane.

    Parameters
    ----------
    metrics
        What :func:`compute_metrics` returned.
    speedup
        The run's speedup against its lesson's or sweep's baseline, if it has one
        (:func:`coreography.model.series.run_speedup`); default: against its own estimate.

    Returns
    -------
    str
        Plain text, no trailing newline, at most about 80 columns wide.
    """
    m = metrics
    started = sum(1 for lane in m.lanes if lane.startup_s is not None)
    events = f"{m.events_received:,} received"
    if m.events_expected is not None:
        events += f" of {m.events_expected:,} expected"
    unreliable = " (unreliable: busy machine)" if m.machine_busy else ""
    if speedup is None:
        speedup = _speedup_against(m.wall_s, m.parallel_workers, own_baseline_of(m))
    if m.speedup_note and (speedup.baseline is None or speedup.baseline.estimated):
        speedup = Speedup(None, None, speedup.baseline, m.speedup_note)
    against = speedup.baseline.describe() if speedup.baseline is not None else ""
    rows = [
        ("State", m.state),
        ("Wall time", _seconds(m.wall_s)),
        ("CPU time", _seconds(m.cpu_s)),
        ("Sequential estimate", _seconds(m.sequential_s)),
        (
            "Speedup",
            (speedup.note or "—")
            if speedup.value is None
            else f"{speedup.value:.2f}× {against}{unreliable}",
        ),
        (
            "Efficiency",
            "—"
            if speedup.efficiency is None
            else f"{speedup.efficiency:.0%} of {m.parallel_workers} parallel workers{unreliable}",
        ),
        ("Other programs", _others(m)),
        (
            "Worker start-up",
            "—"
            if m.startup_mean_s is None
            else f"mean {_ms(m.startup_mean_s)}, max {_ms(m.startup_max_s)} over {started} lanes",
        ),
        ("Tasks", _tasks(m)),
        ("Events", f"{events}; {m.lost}"),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [f"{name:<{width}}  {value}" for name, value in rows]
    head: tuple[str, ...] = ("Lane", "Tasks", "Busy", "Idle", "Util", "Start-up", "CPU")
    table = [head] + [
        (
            lane.label,
            f"{lane.tasks:,}",
            _seconds(lane.busy_s),
            _seconds(lane.idle_s),
            "—" if lane.utilization is None else f"{lane.utilization:.0%}",
            "—" if lane.startup_s is None else _ms(lane.startup_s),
            "—" if lane.cpu_s is None else _seconds(lane.cpu_s),
        )
        for lane in m.lanes
    ]
    if any(lane.on_cpu_share is not None for lane in m.lanes):
        table = [(*table[0], "On CPU")] + [
            (*row, "—" if lane.on_cpu_share is None else f"{lane.on_cpu_share:.0%}")
            for row, lane in zip(table[1:], m.lanes, strict=True)
        ]
        head = table[0]
    widths = [max(len(row[c]) for row in table) for c in range(len(head))]
    lines.append("")
    for row in table:
        cells = [row[0].ljust(widths[0])] + [
            v.rjust(w) for v, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _tasks(m: RunMetrics) -> str:
    interrupted = f"{m.tasks_interrupted:,} interrupted, " if m.tasks_interrupted else ""
    return f"{m.tasks_done:,} done, {m.tasks_failed:,} failed, {interrupted}of {m.tasks_total:,}"


def _others(m: RunMetrics) -> str:
    if m.others_share is None:
        return "not measured"
    text = f"{m.others_share:.0%} of the machine"
    if m.app_share is not None:
        text += f" (this app: {m.app_share:.0%})"
    return text + (": busy machine" if m.machine_busy else "")


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f} s"


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value * 1000:.1f} ms"
