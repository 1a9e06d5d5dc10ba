"""The one speedup definition on real runs: a plain loop reads 1.00×, and a sweep's
repeats give one run per repeat and point."""

from __future__ import annotations

import pytest

from coreography.engine.controller import RunController
from coreography.engine.sweep import Sweep
from coreography.model.experiment import Experiment
from coreography.model.metrics import compute_metrics
from coreography.model.run import DONE, FINISHED

from .helpers import run_experiment

pytestmark = pytest.mark.slow

#: "Within a few %": the run's own start and end (milliseconds) against 0.4 s of work.
TOLERANCE = 0.05


def test_a_sequential_run_reads_one_when_the_machine_is_quiet():
    run, _elapsed = run_experiment(model="sequential", tasks=4, workload="cpu", size=100.0)
    assert run.state == FINISHED, run.message
    metrics = compute_metrics(run)
    # The estimate is the CPU the tasks themselves measured, whatever the machine did.
    cpu = run.task_cpu[run.task_status == DONE]
    assert metrics.sequential_s == pytest.approx(cpu.sum() / 1e9)
    if metrics.others_share is None or metrics.machine_busy:
        share = metrics.others_share or 0.0
        pytest.skip(f"other programs used {share:.0%} of the machine: speed says nothing")
    assert metrics.speedup == pytest.approx(1.0, abs=TOLERANCE)


def test_repeats_give_each_point_its_runs_median_and_range():
    base = Experiment(model="pool-map", workers=1, tasks=2, workload="cpu", size=10.0)
    sweep = Sweep.over(base, "workers", [1, 2], controller=RunController(sample_hz=20), repeats=3)
    try:
        points = sweep.run_all(timeout=120)
    finally:
        sweep.controller.shutdown()
    assert [(p.experiment.workers, p.repeat) for p in points] == [
        (1, 1),
        (2, 1),
        (1, 2),
        (2, 2),
        (1, 3),
        (2, 3),
    ]
    assert all(p.finished for p in points)
    one, two = sweep.summary()
    for summary, workers in ((one, 1), (two, 2)):
        walls = sorted(
            compute_metrics(p.run).wall_s for p in points if p.experiment.workers == workers
        )
        assert len(summary.runs) == 3
        assert (summary.wall.low, summary.wall.median, summary.wall.high) == pytest.approx(walls)
    assert one.baseline.kind == "measured" and one.speedup.median == pytest.approx(1.0)
