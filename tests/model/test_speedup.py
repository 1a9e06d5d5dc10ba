"""The one speedup definition, on constructed runs: the estimate, the baselines of a
series, repeats' median and range, and the Amdahl headline against the drawn curve."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from coreography.model.metrics import compute_metrics, format_table
from coreography.model.repeats import repeat_runs
from coreography.model.run import NO_TIME
from coreography.model.scaling import fit_amdahl, fit_series, scaling_series
from coreography.model.series import Spread, run_speedup, summarize
from coreography.model.speedup import (
    ESTIMATED,
    MEASURED,
    Baseline,
    sequential_estimate,
    series_baselines,
    speedup_against,
)
from tests.model.fakes import MS, big_run, full_run, thread_run


def with_wall(run, wall_ms: float):
    """``run`` with its end moved so that its wall time is ``wall_ms``."""
    run.run_finished_ns = run.run_started_ns + int(wall_ms * MS)
    return run


def test_the_estimate_is_the_work_the_tasks_measured():
    run = full_run()  # five cpu tasks done, each nominally 5 ms, each used 4 ms of CPU
    assert sequential_estimate(run) == pytest.approx(5 * 0.004)
    run.task_cpu[:] = NO_TIME  # not measured: the nominal size stands in
    assert sequential_estimate(run) == pytest.approx(5 * 0.005)
    run.experiment = run.experiment.replace(workload="custom", code="def task(x):\n    return x\n")
    assert sequential_estimate(run) == pytest.approx(5 * 0.005)  # durations
    assert sequential_estimate(thread_run()) == pytest.approx(4 * 0.010)  # io: the waits


def test_a_run_that_does_its_tasks_back_to_back_reads_one():
    # One worker, its tasks' CPU equal to their durations (a quiet machine): the run's
    # wall time is the work plus its own start and end, and its speedup reads 1.00.
    run = big_run(200, workers=1, task_ns=5 * MS)
    run.task_cpu[:] = run.task_end - run.task_start
    metrics = compute_metrics(run)
    assert metrics.speedup == pytest.approx(1.0, abs=0.02)
    assert "vs sequential estimate (sum of task times)" in format_table(metrics)


def test_speedup_against_a_baseline():
    baseline = Baseline(2.0, MEASURED, "one-worker run", 3)
    result = speedup_against(0.5, 2, baseline)
    assert result.value == 4.0 and result.efficiency == 1.0  # clipped: noise, not magic
    assert result.text() == "4.00×"
    assert speedup_against(1.0, 4, baseline).efficiency == 0.5
    estimated = speedup_against(1.0, 1, Baseline(0.5, ESTIMATED, "sequential estimate"))
    assert estimated.text() == "0.50× (estimated)"
    assert speedup_against(0.0, 2, baseline).value is None
    assert speedup_against(1.0, 2, None).text() == "—"
    assert baseline.describe() == "vs one-worker run (measured, median of 3)"


def test_a_series_divides_every_run_of_one_work_into_one_baseline():
    one = with_wall(big_run(8, workers=1), 40)
    two = with_wall(big_run(8, workers=2), 25)
    other_work = with_wall(big_run(16, workers=2), 30)
    entries = [(r.experiment, compute_metrics(r)) for r in (one, two, other_work)]
    baselines = series_baselines(entries)
    measured = baselines[_key(one)]
    assert measured.kind == MEASURED and measured.seconds == pytest.approx(0.040)
    assert measured.source == "one-worker run"
    estimated = baselines[_key(other_work)]  # no one-lane run of 16 tasks: its estimate
    assert estimated.kind == ESTIMATED
    assert estimated.seconds == pytest.approx(compute_metrics(other_work).sequential_s)
    # A sequential run of the same work is preferred to a one-worker pool.
    plain = with_wall(big_run(8, workers=1), 36)
    plain.experiment = plain.experiment.replace(model="sequential")
    entries.append((plain.experiment, compute_metrics(plain)))
    assert series_baselines(entries)[_key(one)].source == "sequential run"


def _key(run):
    from coreography.model.speedup import work_key

    return work_key(run.experiment)


def test_repeats_give_median_and_range_and_consistent_speedups():
    walls = {"one worker": [40, 44, 41], "two workers": [22, 30, 25]}
    entries = []
    for index in range(3):
        entries.append(("one worker", with_wall(big_run(8, workers=1), walls["one worker"][index])))
        entries.append(
            ("two workers", with_wall(big_run(8, workers=2), walls["two workers"][index]))
        )
    one, two = summarize(entries)
    assert (one.label, len(one.runs), len(two.runs)) == ("one worker", 3, 3)
    assert one.wall == Spread(0.041, 0.040, 0.044, 3)
    assert one.baseline.kind == MEASURED and one.baseline.seconds == pytest.approx(0.041)
    assert one.speedup.median == pytest.approx(1.0)  # the baseline against itself
    assert two.speedup.median == pytest.approx(0.041 / 0.025)
    assert (two.speedup.low, two.speedup.high) == pytest.approx((0.041 / 0.030, 0.041 / 0.022))
    assert two.representative is entries[5][1]  # the run nearest the median (25 ms)
    assert two.speedup.text(lambda v: f"{v:.2f}×") == "1.64× (1.37–1.86)"
    # The same figure as one run's own speedup against that baseline.
    assert run_speedup(entries[5][1], two.baseline).value == pytest.approx(two.speedup.median)


def test_an_even_count_keeps_speedups_in_the_ratio_of_wall_times():
    entries = [
        (label, with_wall(big_run(50, workers=2), wall))
        for label, wall in [("a", 237), ("b", 40), ("a", 200), ("b", 39)]
    ]
    a, b = summarize(entries)
    assert a.baseline == b.baseline and a.baseline.estimated
    assert a.speedup.median / b.speedup.median == pytest.approx(b.wall.median / a.wall.median)


def test_repeat_runs_goes_round_by_round():
    assert repeat_runs(["a", "b"], 3) == ["a", "b", "a", "b", "a", "b"]
    assert repeat_runs(["a"], 0) == ["a"]


def test_scaling_points_carry_their_range():
    points = [(1, 2.0), (1, 2.2), (1, 2.1), (2, 1.2), (2, 1.0), (2, 1.1)]
    one, two = scaling_series(points)
    assert one.speedup == pytest.approx(1.0) and one.repeats == 3
    assert two.speedup == pytest.approx(2.1 / 1.1)
    assert (two.low, two.high) == pytest.approx((2.1 / 1.2, 2.1 / 1.0))


def test_the_amdahl_headline_is_the_drawn_curve():
    # A sweep on 2 cores where 4 workers measured more than the fit draws (1.8×).
    series = scaling_series([(1, 2.0), (2, 1.6), (3, 1.5), (4, 2.0 / 1.8)])
    fit = fit_series(series, cores=2)
    curve = np.linspace(1.0, 4.0, 200)
    drawn = fit.speedup(curve)
    assert fit.plateau == pytest.approx(float(drawn.max()))
    assert f"levels off at {drawn.max():.2f}×" in fit.headline()
    assert fit.plateau <= fit.max_speedup  # 1/s is for unlimited cores, said as such
    assert "no number of workers can beat" not in fit.headline()
    unknown = fit_amdahl([1, 2], [1.0, 1.5])
    assert f"{unknown.max_speedup:.2f}×" in unknown.headline()


def test_spread_text():
    assert Spread.of([]) is None
    assert Spread.of([1.0]).text(str) == "1.0"
    assert Spread.of([1.0, 3.0, 2.0]).text(lambda v: f"{v:.1f}") == "2.0 (1.0–3.0)"
    assert dataclasses.replace(Spread.of([2.0]), count=3).text(lambda v: f"{v:.1f}") == "2.0"
