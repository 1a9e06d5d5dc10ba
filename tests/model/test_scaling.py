"""Scaling series and the Amdahl fit, on synthetic runs with a known serial fraction."""

from __future__ import annotations

import numpy as np
import pytest

from coreography.model.metrics import RunMetrics
from coreography.model.scaling import (
    amdahl_speedup,
    fit_amdahl,
    fit_series,
    ideal_speedup,
    scaling_series,
)


def walls_for(serial_fraction: float, workers: list[int], one_worker_s: float = 2.0) -> list:
    """Wall times an Amdahl machine would give."""
    return [(n, one_worker_s * (serial_fraction + (1 - serial_fraction) / n)) for n in workers]


@pytest.mark.parametrize("serial_fraction", [0.0, 0.05, 0.2, 0.5, 0.9, 1.0])
def test_exact_series_recovers_the_serial_fraction(serial_fraction):
    series = scaling_series(walls_for(serial_fraction, [1, 2, 3, 4, 6, 8]))
    assert series[0].speedup == pytest.approx(1.0)
    fit = fit_series(series)
    assert fit is not None
    assert fit.serial_fraction == pytest.approx(serial_fraction, abs=1e-4)
    assert fit.rms_error < 1e-3


@pytest.mark.parametrize("serial_fraction", [0.1, 0.3])
def test_noisy_series_recovers_the_serial_fraction_within_tolerance(serial_fraction):
    rng = np.random.default_rng(7)
    workers = [1, 2, 3, 4, 5, 6, 7, 8] * 3
    points = [(n, wall * rng.normal(1.0, 0.03)) for n, wall in walls_for(serial_fraction, workers)]
    fit = fit_series(scaling_series(points))
    assert fit.serial_fraction == pytest.approx(serial_fraction, abs=0.05)


def test_speedup_above_ideal_clips_to_zero_and_slowdown_to_one():
    assert fit_amdahl([1, 2, 4], [1.0, 2.5, 5.0]).serial_fraction == 0.0
    assert fit_amdahl([1, 2, 4], [1.0, 0.6, 0.4]).serial_fraction == 1.0


def test_efficiency_ideal_line_and_curve():
    series = scaling_series(walls_for(0.25, [4, 1, 2]))
    assert [p.workers for p in series] == [1, 2, 4]
    for point in series:
        assert point.efficiency == pytest.approx(point.speedup / point.workers)
    assert ideal_speedup([1, 2, 4]).tolist() == [1.0, 2.0, 4.0]
    assert amdahl_speedup(0.25, [1, 1000])[1] < 4.0
    fit = fit_series(series)
    assert fit.max_speedup == pytest.approx(4.0, rel=1e-3)
    assert fit.speedup([2]) == pytest.approx(amdahl_speedup(0.25, [2]))


def test_without_one_worker_point_the_runs_share_one_estimate():
    def metrics(wall: float, estimate: float) -> RunMetrics:
        return RunMetrics(
            "finished",
            wall,
            0.0,
            estimate,
            estimate / wall,
            None,
            1,
            None,
            None,
            0,
            0,
            0,
            0,
            None,
            None,
            "",
            (),
        )

    # Estimates 1.7 and 1.9 s: both runs are divided into their median, 1.8 s, so that
    # the speedups differ exactly as the wall times do.
    series = scaling_series([(2, metrics(1.0, 1.7)), (4, metrics(0.6, 1.9))])
    assert [p.speedup for p in series] == pytest.approx([1.8, 3.0])
    assert all(p.estimated for p in series)
    assert scaling_series([]) == [] and fit_series([]) is None
    with pytest.raises(ValueError):
        fit_amdahl([1, 2], [1.0])


def test_past_the_core_count_workers_are_fitted_as_cores():
    # A machine with 2 cores and serial fraction 0.2: 3 and 4 workers run no faster.
    cores, s = 2, 0.2
    points = [(n, 2.0 * (s + (1 - s) / min(n, cores))) for n in (1, 2, 3, 4)]
    series = scaling_series(points)
    assert fit_series(series, cores).serial_fraction == pytest.approx(s, abs=1e-4)
    assert fit_series(series).serial_fraction > s + 0.1  # what ignoring the cores would say
    assert fit_series(series, cores).speedup([4])[0] == pytest.approx(series[-1].speedup)
