"""Sweeps: a real series of runs, driven blocking or step by step, stoppable midway."""

from __future__ import annotations

import time

import pytest

from coreography.engine.controller import RunController
from coreography.engine.sweep import Sweep
from coreography.model.experiment import Experiment
from coreography.model.scaling import scaling_series
from tests.engine.helpers import alive, experiment_pids

pytestmark = pytest.mark.slow

BASE = Experiment(model="pool-map", workers=1, tasks=4, workload="cpu", size=3)


def test_a_short_sweep_runs_every_point_in_order():
    seen = []
    sweep = Sweep.over(BASE, "workers", [1, 2], on_progress=lambda s: seen.append(len(s.points)))
    points = sweep.run_all(timeout=60)
    assert [p.label for p in points] == ["workers = 1", "workers = 2"]
    assert [p.experiment.workers for p in points] == [1, 2]
    assert all(p.finished for p in points) and sweep.done
    assert seen[:2] == [1, 2]
    series = scaling_series([(p.experiment.workers, p.run) for p in points])
    assert [p.workers for p in series] == [1, 2]
    assert not alive(set().union(*(experiment_pids(p.run) for p in points)))


def test_stepping_from_a_timer_reports_each_run():
    started = []
    controller = RunController(sample_hz=20)
    sweep = Sweep(
        [BASE, BASE.replace(tasks=2)], controller=controller, on_run_started=started.append
    )
    try:
        deadline = time.monotonic() + 60
        while sweep.step() and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        controller.shutdown()
    assert sweep.done and len(sweep.points) == 2 and len(started) == 2
    assert [p.run for p in sweep.points] == started


def test_stop_midway_keeps_what_was_measured_and_leaves_no_process():
    slow = BASE.replace(workload="io", size=2000, tasks=2, workers=2)
    sweep = Sweep([BASE, slow, BASE])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        sweep.step()
        if len(sweep.points) == 1 and sweep.current is not None:
            break
        time.sleep(0.02)
    running = sweep.current
    time.sleep(0.3)  # the slow run is under way
    sweep.stop()
    assert sweep.done and sweep.stopped and not sweep.step()
    assert len(sweep.points) == 1 and sweep.points[0].finished
    assert running is not None and running.state == "stopped"
    assert not alive(experiment_pids(running))


def test_bad_points_are_refused_before_anything_runs():
    with pytest.raises(ValueError):
        Sweep([BASE, BASE.replace(workers=0)])
    with pytest.raises(ValueError, match="one label per experiment"):
        Sweep([BASE], labels=["a", "b"])
