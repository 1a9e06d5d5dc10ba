"""Scaling charts' data: speedup and efficiency per worker count, and an Amdahl's-law fit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from coreography.model.metrics import RunMetrics, compute_metrics
from coreography.model.run import Run
from coreography.model.speedup import ESTIMATED, MEASURED, Baseline, speedup_against

#: Serial fractions tried before the fine search (a grid cannot miss the basin: the
#: squared error is smooth in s).
_GRID = np.linspace(0.0, 1.0, 2001)


@dataclass(frozen=True)
class ScalingPoint:
    """One worker count of a sweep: the median of its repeats and the speedups' range."""

    workers: int
    wall_s: float  # median
    speedup: float  # median
    efficiency: float  # median
    low: float | None = None  # the repeats' lowest and highest speedup
    high: float | None = None
    repeats: int = 1
    estimated: bool = False  # against the estimate: the sweep had no one-worker run


@dataclass(frozen=True)
class AmdahlFit:
    """Amdahl's law fitted to measured speedups."""

    serial_fraction: float
    rms_error: float
    cores: int | None = None  # past this many workers, no more run at once

    @property
    def max_speedup(self) -> float:
        """The speedup no number of workers can beat: 1 / s (infinite when s is 0)."""
        return float("inf") if self.serial_fraction <= 0 else 1.0 / self.serial_fraction

    def speedup(self, workers: Sequence[float] | np.ndarray) -> np.ndarray:
        """The fitted curve at these worker counts (what the chart draws)."""
        return amdahl_speedup(self.serial_fraction, _usable(workers, self.cores))

    @property
    def plateau(self) -> float:
        """The highest speedup the fitted curve reaches on this machine: at its core count
        (the curve is flat past it), or :attr:`max_speedup` when the cores are unknown."""
        if self.cores is None:
            return self.max_speedup
        return float(self.speedup([self.cores])[0])

    def headline(self) -> str:
        """The sentence above the chart; its figure is the drawn curve's own plateau."""
        text = f"Fitted serial fraction s = {self.serial_fraction:.1%}"
        if self.cores is None:
            limit = "∞" if self.max_speedup == float("inf") else f"{self.max_speedup:.2f}×"
            return f"{text}: by Amdahl's law no number of workers can beat {limit}."
        unlimited = "∞" if self.max_speedup == float("inf") else f"{self.max_speedup:.2f}×"
        return (
            f"{text}: on this machine's {self.cores} cores the fitted curve levels off at "
            f"{self.plateau:.2f}× (with unlimited cores, Amdahl's law would allow {unlimited}); "
            f"fit error {self.rms_error:.2f}."
        )


def amdahl_speedup(serial_fraction: float, workers: Sequence[float] | np.ndarray) -> np.ndarray:
    """Amdahl's law: 1 / (s + (1 - s) / n).

    Parameters
    ----------
    serial_fraction
        s, the part of the one-worker run that cannot be shared out (0 to 1).
    workers
        Worker counts n.

    Returns
    -------
    numpy.ndarray
        Speedup for each n.
    """
    n = np.asarray(workers, dtype=np.float64)
    return 1.0 / (serial_fraction + (1.0 - serial_fraction) / n)


def ideal_speedup(workers: Sequence[float] | np.ndarray) -> np.ndarray:
    """The ideal line: n workers, n times faster."""
    return np.asarray(workers, dtype=np.float64)


def scaling_series(
    points: Sequence[tuple[int, Run | RunMetrics | float]],
) -> list[ScalingPoint]:
    """Speedup and efficiency per worker count (median and range of its repeats), sorted.

    Parameters
    ----------
    points
        ``(workers, run)`` pairs, repeats as several pairs with the same workers; a run
        may be given as a :class:`Run`, its :class:`RunMetrics` or simply its wall time
        in seconds. Points with no wall time are left out.

    Returns
    -------
    list of ScalingPoint
        Every speedup is against the sweep's one baseline
        (:func:`coreography.model.speedup.speedup_against`): the median one-worker wall
        time when the sweep has one-worker runs, else the median of the runs' own
        sequential estimates (then ``estimated``); without either, nothing.
    """
    measured: list[tuple[int, float, float]] = []  # workers, wall, own estimate
    for workers, item in points:
        if isinstance(item, Run):
            item = compute_metrics(item)
        if isinstance(item, RunMetrics):
            wall, estimate = item.wall_s, item.sequential_s
        else:
            wall, estimate = float(item), 0.0
        if wall > 0 and workers >= 1:
            measured.append((int(workers), wall, estimate))
    one = [wall for workers, wall, _e in measured if workers == 1]
    estimates = [e for _w, _wall, e in measured if e > 0]
    if one:
        baseline = Baseline(float(np.median(one)), MEASURED, "one-worker run", len(one))
    elif estimates:
        baseline = Baseline(float(np.median(estimates)), ESTIMATED, "sequential estimate")
    else:
        return []
    by_workers: dict[int, list[float]] = {}
    for workers, wall, _e in measured:
        by_workers.setdefault(workers, []).append(wall)
    series = []
    for workers in sorted(by_workers):
        walls = by_workers[workers]
        # The speedup of the median wall time (an even count too), its range from the
        # slowest and the fastest run: as model.series does for every other view.
        wall = float(np.median(walls))
        median, low, high = (
            speedup_against(w, workers, baseline).value for w in (wall, max(walls), min(walls))
        )
        series.append(
            ScalingPoint(
                workers, wall, median, median / workers, low, high, len(walls), baseline.estimated
            )
        )
    return series


def fit_amdahl(
    workers: Sequence[float] | np.ndarray,
    speedups: Sequence[float] | np.ndarray,
    cores: int | None = None,
) -> AmdahlFit:
    """Least-squares serial fraction s for speedup(n) = 1 / (s + (1 - s) / n).

    Parameters
    ----------
    workers, speedups
        Measured pairs (at least one).
    cores
        The machine's cores, if known: n workers on fewer cores are fitted as ``cores``
        workers (Amdahl's law knows nothing of oversubscription, and would blame the
        points past the core count on a larger serial fraction).

    Returns
    -------
    AmdahlFit
        s clipped to [0, 1]: a speedup above the ideal line fits s = 0, one below 1
        (slower with more workers) fits s = 1.
    """
    n = _usable(workers, cores)
    measured = np.asarray(speedups, dtype=np.float64)
    if n.shape != measured.shape or n.size == 0:
        raise ValueError("fit_amdahl needs as many speedups as worker counts, at least one")

    def error(s: float) -> float:
        return float(np.sum((amdahl_speedup(s, n) - measured) ** 2))

    coarse = [error(s) for s in _GRID]
    best = int(np.argmin(coarse))
    low = _GRID[max(best - 1, 0)]
    high = _GRID[min(best + 1, len(_GRID) - 1)]
    # Golden-section search inside the best grid cell's neighbourhood.
    ratio = (np.sqrt(5.0) - 1.0) / 2.0
    a, b = low, high
    for _ in range(60):
        c, d = b - ratio * (b - a), a + ratio * (b - a)
        if error(c) <= error(d):
            b = d
        else:
            a = c
    s = float(np.clip((a + b) / 2.0, 0.0, 1.0))
    if error(_GRID[best]) < error(s):
        s = float(_GRID[best])
    return AmdahlFit(s, float(np.sqrt(error(s) / n.size)), cores)


def fit_series(series: Sequence[ScalingPoint], cores: int | None = None) -> AmdahlFit | None:
    """:func:`fit_amdahl` over a :func:`scaling_series`'s medians; None when it is empty."""
    if not series:
        return None
    return fit_amdahl([p.workers for p in series], [p.speedup for p in series], cores)


def _usable(workers: Sequence[float] | np.ndarray, cores: int | None) -> np.ndarray:
    n = np.asarray(workers, dtype=np.float64)
    return np.minimum(n, cores) if cores else n
