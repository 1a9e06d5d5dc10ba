"""Speedup, defined once: a run's wall time against a sequential baseline.

The baseline is *measured* when the run's lesson or sweep has a run of the same work on
one lane (a sequential run, else a one-worker run): the median of its wall times. Without
one it is *estimated*: the time one worker alone would need for the tasks that finished,
from what those tasks measured themselves (:func:`sequential_estimate`). Every figure
shown (metrics panel, Compare, sweep chart, lesson results, the command line) comes from
:func:`speedup_against` with one of these baselines, and says which kind it used.

Why the estimate is the tasks' own CPU time for CPU work: it is the work done, whatever
stretched the tasks (the GIL, too few cores, other programs). The nominal size (``cpu:500ms``)
is only what the calibration aimed at; measured here, a calibrated task of 500 ms used
640 ms of CPU at another clock speed, and a plain loop then read 0.78× "against itself".
A sequential run's estimate is the sum of its tasks' CPU times, and its wall time is that
sum plus the run's own start and end (milliseconds): it reads 1.00× on a quiet machine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from coreography.model.experiment import Experiment
from coreography.model.run import DONE, NO_TIME, Run

if TYPE_CHECKING:  # metrics imports this module
    from coreography.model.metrics import RunMetrics

MEASURED, ESTIMATED = "measured", "estimated"
#: Sleeping work: a task costs the time it waits, exactly its nominal size.
WAITING_WORKLOADS = frozenset({"io"})
#: Workloads whose one-worker cost is the CPU they burn.
CPU_WORKLOADS = frozenset({"cpu", "nogil", "primes", "square", "print-number", "hello"})
#: Less estimated work than this (s, one worker alone) makes no measurable speedup: a
#: run's fixed costs (starting workers, handing out tasks: tens of ms) dwarf it, and the
#: quotient would read "0.00×", which says nothing about parallelism.
MIN_MEASURABLE_WORK_S = 0.005


@dataclass(frozen=True)
class Baseline:
    """What one worker alone needs for the work: measured, or estimated."""

    seconds: float
    kind: str  # MEASURED or ESTIMATED
    source: str  # "sequential run", "one-worker run" or "sequential estimate"
    runs: int = 1  # runs whose median it is

    @property
    def estimated(self) -> bool:
        return self.kind == ESTIMATED

    def describe(self) -> str:
        """E.g. "vs one-worker run (measured, median of 3)" or "vs sequential estimate (…)"."""
        if self.estimated:
            return "vs sequential estimate (sum of task times)"
        median = f", median of {self.runs}" if self.runs > 1 else ""
        return f"vs {self.source} (measured{median})"


@dataclass(frozen=True)
class Speedup:
    """Baseline ÷ wall time, and that ÷ the workers that could run at once."""

    value: float | None
    efficiency: float | None
    baseline: Baseline | None
    #: Why there is no value, when there is none for a reason worth saying ('' otherwise).
    note: str = ""

    @property
    def estimated(self) -> bool:
        return self.baseline is not None and self.baseline.estimated

    def text(self) -> str:
        """ "1.93× (estimated)", "1.93×" against a measured baseline, "—" when unknown."""
        if self.value is None:
            return "—"
        return f"{self.value:.2f}×" + (" (estimated)" if self.estimated else "")


def sequential_estimate(run: Run) -> float:
    """Seconds one worker alone would need for the tasks of ``run`` that finished.

    Parameters
    ----------
    run
        Live or finished.

    Returns
    -------
    float
        Waiting tasks (io): their nominal size, which a sleep keeps. CPU tasks: the CPU
        time each used on its own thread, where measured, else their nominal size (cpu,
        nogil) or their duration. Anything else (your own code): their duration.
    """
    done = run.task_status == DONE
    if not np.any(done):
        return 0.0
    experiment = run.experiment
    workload = experiment.workload
    if workload in WAITING_WORKLOADS:
        return float(_nominal_ms(experiment)[done].sum()) / 1e3
    ends = np.where(run.task_end != NO_TIME, run.task_end, run.task_start)
    durations = np.maximum(ends - run.task_start, 0)[done].astype(np.float64)
    if workload in CPU_WORKLOADS:
        cpu = run.task_cpu[done]
        known = cpu != NO_TIME
        if workload in ("cpu", "nogil"):
            fallback = _nominal_ms(experiment)[done] * 1e6
        else:
            fallback = durations
        return float(np.where(known, cpu, fallback).sum()) / 1e9
    return float(durations.sum()) / 1e9


def _nominal_ms(experiment: Experiment) -> np.ndarray:
    if experiment.distribution == "fixed":  # the common case, without a million-item list
        return np.full(experiment.tasks, experiment.size * experiment.speed)
    return np.asarray(experiment.task_sizes(), dtype=np.float64)


def unmeasurable(wall_s: float, baseline: Baseline | None) -> str:
    """Why a run alone has no speedup worth showing ('' when it has): an estimated work
    below MIN_MEASURABLE_WORK_S. A series' measured baseline compares like with like."""
    if baseline is None or not baseline.estimated or baseline.seconds <= 0:
        return ""
    if baseline.seconds >= MIN_MEASURABLE_WORK_S or wall_s <= 0:
        return ""
    return (
        f"not measurable: the tasks' own work ({baseline.seconds * 1e3:.2f} ms) is far "
        f"smaller than the run's fixed costs (wall time {wall_s * 1e3:.1f} ms)"
    )


def own_baseline(run: Run, estimate_s: float | None = None) -> Baseline | None:
    """The run's own estimated baseline (None when nothing finished)."""
    seconds = sequential_estimate(run) if estimate_s is None else estimate_s
    return Baseline(seconds, ESTIMATED, "sequential estimate") if seconds > 0 else None


def speedup_against(wall_s: float, parallel: int, baseline: Baseline | None) -> Speedup:
    """The one definition: ``baseline.seconds / wall_s``; efficiency is that over the
    workers that could run at once, clipped to 0..100 % (noise says no more than 100 %)."""
    if baseline is None or wall_s <= 0 or baseline.seconds <= 0:
        return Speedup(None, None, baseline)
    value = baseline.seconds / wall_s
    efficiency = min(max(value / max(parallel, 1), 0.0), 1.0)
    return Speedup(value, efficiency, baseline)


def work_key(experiment: Experiment) -> tuple:
    """What makes two experiments the same work, however they run it."""
    return (
        experiment.workload,
        experiment.size,
        experiment.tasks,
        experiment.distribution,
        experiment.seed,
        experiment.speed,
        experiment.code,
    )


def one_lane(experiment: Experiment) -> bool:
    """The experiment runs one task at a time: its wall time is a sequential baseline."""
    return experiment.parallel_workers == 1


def series_baselines(
    entries: Sequence[tuple[Experiment, RunMetrics]],
) -> dict[tuple, Baseline]:
    """One baseline per work of a series (lesson or sweep), for every run of that work.

    Parameters
    ----------
    entries
        ``(experiment, metrics)`` of each finished run (repeats included).

    Returns
    -------
    dict
        By :func:`work_key`. Measured when the series ran that work on one lane: the
        median wall time of its sequential runs, else of its one-worker runs. Otherwise
        estimated: the median of the runs' own estimates, so that every run of the same
        work is divided into the same figure (speedups then differ exactly as their wall
        times do).
    """
    groups: dict[tuple, list[tuple[Experiment, RunMetrics]]] = {}
    for experiment, metrics in entries:
        groups.setdefault(work_key(experiment), []).append((experiment, metrics))
    baselines = {}
    for key, members in groups.items():
        sequential = [m.wall_s for e, m in members if e.execution_model.lanes == "inline"]
        single = [m.wall_s for e, m in members if one_lane(e)]
        walls, source = (sequential, "sequential run") if sequential else (single, "one-worker run")
        walls = [w for w in walls if w > 0]
        if walls:
            baselines[key] = Baseline(float(np.median(walls)), MEASURED, source, len(walls))
            continue
        estimates = [m.sequential_s for _e, m in members if m.sequential_s > 0]
        if estimates:
            seconds = float(np.median(estimates))
            baselines[key] = Baseline(seconds, ESTIMATED, "sequential estimate", len(estimates))
    return baselines
