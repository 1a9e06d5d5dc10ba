"""A series of runs (a lesson's experiments, a sweep's points), each point repeated: the
median and the range of its figures, every speedup against the series' one baseline."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from coreography.model.experiment import Experiment
from coreography.model.metrics import RunMetrics, compute_metrics
from coreography.model.repeats import DEFAULT_REPEATS, MAX_REPEATS, repeat_runs
from coreography.model.run import FINISHED, Run
from coreography.model.speedup import (
    Baseline,
    Speedup,
    own_baseline,
    series_baselines,
    speedup_against,
    unmeasurable,
    work_key,
)

__all__ = [
    "DEFAULT_REPEATS",
    "MAX_REPEATS",
    "PointSummary",
    "Spread",
    "repeat_runs",
    "run_speedup",
    "summarize",
]

#: The unit after a number ("ms", " %", "×").
_UNIT = re.compile(r"[\d.,]+(\D*)$")


@dataclass(frozen=True)
class Spread:
    """The median of a point's repeats and their range."""

    median: float
    low: float
    high: float
    count: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread | None:
        """None when there is nothing to summarise."""
        data = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=float)
        if data.size == 0:
            return None
        return cls(float(np.median(data)), float(data.min()), float(data.max()), int(data.size))

    def text(self, fmt: Callable[[float], str]) -> str:
        """``1.52× (1.40–1.61)``, ``41.4 ms (40.3–48.0)``: the range without the unit when
        it is the median's; a single value or no spread prints the value alone."""
        shown = fmt(self.median)
        low, high = fmt(self.low), fmt(self.high)
        if self.count < 2 or low == high:
            return shown
        unit = _UNIT.search(shown)
        suffix = unit.group(1) if unit else ""
        if suffix and low.endswith(suffix) and high.endswith(suffix):
            low, high = low.removesuffix(suffix), high.removesuffix(suffix)
        return f"{shown} ({low}–{high})"


@dataclass(frozen=True)
class PointSummary:
    """One point of a series: its finished repeats and their figures."""

    label: str
    experiment: Experiment
    runs: tuple[Run, ...]  # every repeat, in order, whatever its end
    metrics: tuple[RunMetrics, ...]  # of each run
    wall: Spread | None  # of the finished repeats
    speedup: Spread | None
    efficiency: Spread | None
    baseline: Baseline | None
    others_share: float | None  # the largest of the repeats
    machine_busy: bool  # any repeat

    @property
    def finished(self) -> tuple[Run, ...]:
        return tuple(r for r in self.runs if r.state == FINISHED)

    @property
    def representative(self) -> Run:
        """The repeat to draw: the finished one whose wall time is nearest the median."""
        pairs = [(r, m) for r, m in zip(self.runs, self.metrics, strict=True)]
        done = [(r, m) for r, m in pairs if r.state == FINISHED] or pairs
        if self.wall is None:
            return done[-1][0]
        return min(done, key=lambda p: abs(p[1].wall_s - self.wall.median))[0]

    @property
    def estimated(self) -> bool:
        return self.baseline is None or self.baseline.estimated


def summarize(entries: Sequence[tuple[str, Run]]) -> list[PointSummary]:
    """Group a series' runs by label (repeats share one) and summarise each point.

    Parameters
    ----------
    entries
        ``(label, run)`` in the order run.

    Returns
    -------
    list of PointSummary
        In order of each label's first run. Speedup and efficiency of every finished run
        are against its work's baseline in this series (:func:`series_baselines`).
    """
    computed = [(label, run, compute_metrics(run)) for label, run in entries]
    finished = [(r.experiment, m) for _l, r, m in computed if r.state == FINISHED]
    baselines = series_baselines(finished)
    order: dict[str, list[tuple[Run, RunMetrics]]] = {}
    for label, run, metrics in computed:
        order.setdefault(label, []).append((run, metrics))
    points = []
    for label, members in order.items():
        experiment = members[0][0].experiment
        baseline = baselines.get(work_key(experiment))
        done = [(r, m) for r, m in members if r.state == FINISHED]
        wall = Spread.of([m.wall_s for _r, m in done])
        speedup, efficiency = _derived(wall, experiment.parallel_workers, baseline)
        shares = [m.others_share for _r, m in members if m.others_share is not None]
        points.append(
            PointSummary(
                label=label,
                experiment=experiment,
                runs=tuple(r for r, _m in members),
                metrics=tuple(m for _r, m in members),
                wall=wall,
                speedup=speedup,
                efficiency=efficiency,
                baseline=baseline,
                others_share=max(shares) if shares else None,
                machine_busy=any(m.machine_busy for _r, m in members),
            )
        )
    return points


def _derived(
    wall: Spread | None, parallel: int, baseline: Baseline | None
) -> tuple[Spread | None, Spread | None]:
    """Speedup and efficiency of a point from its wall times: the speedup *of the median
    wall time* (for an even count too), so that two points' speedups differ exactly as
    their median wall times do; the range from the slowest and fastest run."""
    if wall is None or unmeasurable(wall.median, baseline):
        return None, None  # too little work: the runs' fixed costs are all a quotient shows
    middle, fast, slow = (
        speedup_against(w, parallel, baseline) for w in (wall.median, wall.low, wall.high)
    )
    if middle.value is None:
        return None, None
    speedup = Spread(middle.value, slow.value, fast.value, wall.count)
    efficiency = Spread(middle.efficiency, slow.efficiency, fast.efficiency, wall.count)
    return speedup, efficiency


def run_speedup(run: Run, baseline: Baseline | None = None) -> Speedup:
    """One run's speedup: against ``baseline`` (its series'), else its own estimate."""
    metrics = compute_metrics(run)
    base = baseline if baseline is not None else own_baseline(run, metrics.sequential_s)
    return speedup_against(metrics.wall_s, metrics.parallel_workers, base)
