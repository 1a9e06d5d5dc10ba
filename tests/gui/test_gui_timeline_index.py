"""The timeline's per-lane index: merged levels draw exactly what the bars draw."""

from __future__ import annotations

import math

import numpy as np
import pytest

from coreography.gui.widgets.timeline_index import (
    OPEN,
    LaneBars,
    busy_columns,
    level_for,
)


def _lane(seed: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Back-to-back bars with gaps spanning five orders of magnitude."""
    rng = np.random.default_rng(seed)
    durations = rng.exponential(2e-4, count)
    gaps = rng.choice([0.0, 1e-6, 3e-5, 4e-4, 2e-2, 0.5], size=count)
    starts = np.cumsum(gaps + np.concatenate(([0.0], durations[:-1])))
    return starts, starts + durations


@pytest.mark.parametrize("pixel_s", [2e-5, 1e-4, 7e-4, 3e-3, 0.05, 0.4])
def test_levels_paint_the_same_columns_as_the_bars(pixel_s):
    starts, ends = _lane(1, 20_000)
    bars = LaneBars()
    bars.append(np.arange(len(starts), dtype=np.int32), starts, ends)
    k = level_for(pixel_s)
    assert k is not None
    run_starts, run_ends = bars.level(k)
    assert len(run_starts) < len(starts)
    edges = np.arange(0.0, ends[-1] + pixel_s, pixel_s)
    assert np.array_equal(
        busy_columns(starts, ends, edges), busy_columns(run_starts, run_ends, edges)
    )


def test_levels_follow_appends_and_running_bars():
    starts, ends = _lane(2, 6_000)
    live = LaneBars()
    live.append(np.arange(3000, dtype=np.int32), starts[:3000], ends[:3000])
    for k in (0, 3, 6):
        live.level(k)  # built now, then kept up to date
    # A running bar (open end), then it ends, then more bars arrive.
    live.append(np.array([3000], np.int32), starts[3000:3001], np.array([OPEN]))
    assert math.isinf(live.level(3)[1][-1])
    live.set_end(3000, ends[3000])
    live.append(np.arange(3001, 6000, dtype=np.int32), starts[3001:], ends[3001:])
    fresh = LaneBars()
    fresh.append(np.arange(6000, dtype=np.int32), starts, ends)
    for k in (0, 3, 6):
        for got, want in zip(live.level(k), fresh.level(k), strict=True):
            assert np.array_equal(got, want), k


def test_no_level_below_the_finest_gap():
    assert level_for(1e-6) is None
    assert level_for(1e-3) is not None
