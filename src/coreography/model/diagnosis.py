"""Diagnosis: plain-language findings about a finished run, computed from its model."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coreography.model import state_findings
from coreography.model.failure import LOAD_ERROR, TASK_EXITED, TASK_RAISED, WORKER_DIED
from coreography.model.interference import measure_interference
from coreography.model.metrics import RunMetrics, compute_metrics
from coreography.model.run import DONE, FAILED, NO_TIME, PENDING, RUN_FAILED, STOPPED, Run

#: Workloads that hold the GIL while they work.
GIL_WORKLOADS = frozenset({"cpu", "primes"})
#: Workloads that want a core each (they are not waiting).
CORE_WORKLOADS = frozenset({"cpu", "nogil", "primes"})
#: A process using up to this much CPU (%) used about one core (psutil rates are noisy).
ONE_CORE_PERCENT = 130.0
#: Samples needed before the GIL finding trusts the CPU figures.
MIN_SAMPLES = 2
#: One worker's share of the busy time that counts as imbalance: this many fair shares.
IMBALANCE_FACTOR = 1.5
#: Less busy time than this (s) says nothing about balance.
MIN_BUSY_S = 0.01
#: Start-up above this share of the run is worth saying.
STARTUP_SHARE = 0.25


@dataclass(frozen=True)
class Finding:
    """One thing worth noticing about a run.

    ``id`` is stable (for tests and the GUI's icons), ``severity`` is ``"info"`` or
    ``"warning"``, ``text`` is one or two plain sentences.
    """

    id: str
    severity: str
    text: str


def diagnose(run: Run, metrics: RunMetrics | None = None) -> list[Finding]:
    """Findings about ``run``, most important first (empty when nothing stands out).

    Parameters
    ----------
    run
        A run (live, finished, or loaded from a recording).
    metrics
        Its :func:`compute_metrics`, if already computed.

    Returns
    -------
    list of Finding
    """
    metrics = metrics or compute_metrics(run)
    checks = [_failure, _busy_machine]
    # A run cut short by a failure or a Stop did only part of its work: what its figures
    # would say about balance or overhead is not about the experiment.
    if run.state not in (RUN_FAILED, STOPPED):
        checks += [_gil, _oversubscribed, _dispatch_overhead, _imbalance, _startup]
        checks += [state_findings.gil_turns, state_findings.core_waits]
    return [finding for check in checks if (finding := check(run, metrics)) is not None]


def _failure(run: Run, metrics: RunMetrics) -> Finding | None:
    """First of all: the run failed, and why (which worker, which task, what cause)."""
    failure = run.failure
    failed = np.flatnonzero(run.task_status == FAILED)
    if failure is None and not len(failed):
        return None
    if failure is not None:
        text = run.describe_failure()
        text = text[:1].upper() + text[1:] + "."
    else:  # tasks failed without a reported cause (an older recording, a traced program)
        task = int(failed[0])
        first = run.task_errors.get(task, "").split("\n", 1)[0] or "failed"
        text = f"Task {task} failed: {first}."
    if failure is not None and failure.kind == WORKER_DIED:
        deliberate = run.experiment.fault
        if deliberate.kind in ("kill", "segv", "exit") and deliberate.task == failure.task:
            text += f" That was the deliberate fault (--fault {deliberate.kind}:{deliberate.task})."
        text += (
            " A process that dies takes its task with it: no exception reaches the main "
            "process, so the run had to notice the death and end."
        )
    elif failure is not None and failure.kind in (TASK_RAISED, LOAD_ERROR):
        text += " The exception travelled back to the main process, which stopped the run."
    elif failure is not None and failure.kind == TASK_EXITED:
        text += (
            " sys.exit() raises SystemExit, which a Pool worker does not report: the worker "
            "would end and the pool wait forever for the task. Raise an exception instead."
        )
    named = failure is None or (failure.task >= 0 and run.task_status[failure.task] == FAILED)
    others = metrics.tasks_failed - int(named)
    parts = []
    if others > 0:
        parts.append(f"{others} other task{'s' if others != 1 else ''} failed too")
    if metrics.tasks_interrupted:
        n = metrics.tasks_interrupted
        parts.append(f"{n} running task{'s were' if n != 1 else ' was'} interrupted")
    unstarted = int(np.count_nonzero(run.task_status == PENDING))
    if unstarted and run.is_over:
        parts.append(f"{unstarted} never started")
    if parts:
        text += " " + "; ".join(parts).capitalize() + "."
    return Finding("failure", "warning", text)


def _busy_machine(run: Run, metrics: RunMetrics) -> Finding | None:
    """First when it holds: every figure below it was measured on a shared machine."""
    found = measure_interference(run)
    if found is None or not found.busy:
        return None
    return Finding("busy-machine", "warning", found.statement())


def _gil(run: Run, metrics: RunMetrics) -> Finding | None:
    exp = run.experiment
    if exp.execution_model.lanes != "thread" or exp.workload not in GIL_WORKLOADS:
        return None
    if metrics.parallel_workers < 2 or run.cores < 2:
        return None
    samples = run.proc_samples.view()
    cpu = samples["cpu"][samples["pid"] == run.driver_pid]
    cpu = cpu[1:]  # psutil's first reading of a process is meaningless
    if len(cpu) < MIN_SAMPLES or float(cpu.max()) > ONE_CORE_PERCENT:
        return None
    return Finding(
        "gil",
        "warning",
        f"Threads took turns on the GIL: {metrics.parallel_workers} threads ran, but their "
        f"process never used much more than one core (peak {float(cpu.max()):.0f} % "
        f"of {run.cores} cores).",
    )


def _oversubscribed(run: Run, metrics: RunMetrics) -> Finding | None:
    exp = run.experiment
    lanes = exp.execution_model.lanes
    wants_cores = lanes == "process" or (lanes == "thread" and exp.workload == "nogil")
    workers = metrics.parallel_workers
    if not wants_cores or exp.workload not in CORE_WORKLOADS or workers <= run.cores:
        return None
    return Finding(
        "oversubscribed",
        "warning",
        f"{workers} workers but only {run.cores} cores: oversubscribed. Workers took "
        "turns on the cores, so the extra ones could not make the run faster.",
    )


def _dispatch_overhead(run: Run, metrics: RunMetrics) -> Finding | None:
    done = (run.task_status == DONE) & (run.task_start != NO_TIME) & (run.task_end != NO_TIME)
    if np.count_nonzero(done) < 1:
        return None
    durations = (run.task_end[done] - run.task_start[done]) / 1e9
    median_task = float(np.median(durations))
    gaps = _gaps_between_tasks(run)
    if len(gaps):
        overhead, what = float(np.median(gaps)), "the time between one task and the next"
    else:  # one task per worker: starting the worker is what it cost to hand the task out
        startups = [lane.startup_s for lane in metrics.lanes if lane.startup_s]
        if not startups:
            return None
        overhead, what = float(np.median(startups)), "starting the worker that ran it"
    if median_task >= overhead:
        return None
    return Finding(
        "dispatch-overhead",
        "warning",
        f"Tasks were shorter than the overhead of handing them out: a typical task took "
        f"{_duration(median_task)}, {what} {_duration(overhead)}. Bigger tasks (or a "
        "bigger chunksize) would spend more of the run working.",
    )


def _gaps_between_tasks(run: Run) -> np.ndarray:
    """Idle time between consecutive tasks on the same lane (seconds)."""
    gaps = []
    for lane in run.worker_lanes():
        tasks = lane.task_ids()
        if len(tasks) < 2:
            continue
        starts, ends = run.task_start[tasks], run.task_end[tasks]
        order = np.argsort(starts, kind="stable")
        starts, ends = starts[order], ends[order]
        known = (ends[:-1] != NO_TIME) & (starts[1:] != NO_TIME)
        gaps.append(np.maximum(starts[1:] - ends[:-1], 0)[known] / 1e9)
    return np.concatenate(gaps) if gaps else np.empty(0)


def _imbalance(run: Run, metrics: RunMetrics) -> Finding | None:
    exp = run.experiment
    # One task per lane, or one lane: "balance" means nothing there.
    if exp.execution_model.lane_per_task or exp.execution_model.lanes == "inline":
        return None
    workers = [lane for lane in metrics.lanes if lane.role != "main"]
    total = sum(lane.busy_s for lane in workers)
    fair_count = max(len(workers), metrics.parallel_workers)
    if fair_count < 2 or total < MIN_BUSY_S:
        return None
    busiest = max(workers, key=lambda lane: lane.busy_s)
    share = busiest.busy_s / total
    if share <= min(IMBALANCE_FACTOR / fair_count, 0.9):
        return None
    return Finding(
        "imbalance",
        "warning",
        f"One worker did {share:.0%} of the work ({busiest.label.split(' · ')[0]}; a fair "
        f"share with {fair_count} workers is {1 / fair_count:.0%}): the others waited "
        "for it.",
    )


def _startup(run: Run, metrics: RunMetrics) -> Finding | None:
    spans = sorted(
        (lane.requested_ns, lane.ready_ns)
        for lane in run.worker_lanes()
        if NO_TIME not in (lane.requested_ns, lane.ready_ns) and lane.ready_ns > lane.requested_ns
    )
    if not spans or metrics.wall_s <= 0:
        return None
    starting_ns, (open_start, open_end) = 0, spans[0]
    for start, end in spans[1:]:  # the union of the start-up intervals
        if start > open_end:
            starting_ns += open_end - open_start
            open_start, open_end = start, end
        else:
            open_end = max(open_end, end)
    starting_s = (starting_ns + open_end - open_start) / 1e9
    share = starting_s / metrics.wall_s
    if share < STARTUP_SHARE:
        return None
    exp = run.experiment
    how = (
        "starting threads"
        if exp.execution_model.lanes == "thread"
        else f"starting worker processes with {exp.start_method}"
    )
    return Finding(
        "startup",
        "info",
        f"Start-up took {min(share, 1.0):.0%} of the run ({_duration(starting_s)} {how}); "
        "the tasks had only the rest.",
    )


def _duration(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} µs"
