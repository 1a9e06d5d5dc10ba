"""Scaling charts' data: speedup and efficiency per worker count, and an Amdahl's-law fit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from coreography.model.metrics import RunMetrics, compute_metrics
from coreography.model.run import Run

#: Serial fractions tried before the fine search (a grid cannot miss the basin: the
#: squared error is smooth in s).
_GRID = np.linspace(0.0, 1.0, 2001)


@dataclass(frozen=True)
class ScalingPoint:
    """One measured point of a sweep."""

    workers: int
    wall_s: float
    speedup: float
    efficiency: float


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
        """The fitted curve at these worker counts."""
        return amdahl_speedup(self.serial_fraction, _usable(workers, self.cores))


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
    """Speedup and efficiency per worker count, sorted by workers.

    Parameters
    ----------
    points
        ``(workers, run)`` pairs; a run may be given as a :class:`Run`, its
        :class:`RunMetrics` or simply its wall time in seconds. Points with no wall
        time are left out.

    Returns
    -------
    list of ScalingPoint
        Speedup is the one-worker wall time over each point's wall time (the fastest
        one-worker run when there are several). Without a one-worker point, each run's
        speedup over its own sequential estimate is used instead.
    """
    measured: list[tuple[int, float, float | None]] = []
    for workers, item in points:
        if isinstance(item, Run):
            item = compute_metrics(item)
        if isinstance(item, RunMetrics):
            wall, own = item.wall_s, item.speedup
        else:
            wall, own = float(item), None
        if wall > 0 and workers >= 1:
            measured.append((int(workers), wall, own))
    baseline = [wall for workers, wall, _ in measured if workers == 1]
    series = []
    for workers, wall, own in sorted(measured, key=lambda p: (p[0], p[1])):
        if baseline:
            speedup = min(baseline) / wall
        elif own is not None:
            speedup = own
        else:
            continue
        series.append(ScalingPoint(workers, wall, speedup, speedup / workers))
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
    """:func:`fit_amdahl` over a :func:`scaling_series`; None when it is empty."""
    if not series:
        return None
    return fit_amdahl([p.workers for p in series], [p.speedup for p in series], cores)


def _usable(workers: Sequence[float] | np.ndarray, cores: int | None) -> np.ndarray:
    n = np.asarray(workers, dtype=np.float64)
    return np.minimum(n, cores) if cores else n
