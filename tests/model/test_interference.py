"""Interference from samples: shares of the machine, the threshold, the sentence."""

from __future__ import annotations

import math

import pytest

from coreography.model.diagnosis import diagnose
from coreography.model.experiment import Experiment
from coreography.model.interference import BUSY_SHARE, machine_busy, measure_interference
from coreography.model.metrics import compute_metrics, format_table
from coreography.model.recording import run_from_dict, run_to_dict
from coreography.model.run import Run, Sample


def _run(machine: float, experiment: float, app: float, samples: int = 10) -> Run:
    """A 2-core run whose every sample says: machine ``machine`` % busy per core, the
    experiment ``experiment`` % and the app ``app`` % of one core."""
    run = Run(Experiment(model="pool-map", workers=2, tasks=2), cores=2, t0=0)
    run.apply(
        [],
        [
            Sample(
                t=(i + 1) * 100_000_000,
                percore=[machine, machine],
                procs=[],
                experiment_percore=[experiment / 2, experiment / 2],
                experiment=experiment,
                app=app,
            )
            for i in range(samples)
        ],
    )
    return run


def test_others_are_the_machine_minus_the_experiment_and_the_app():
    found = measure_interference(_run(machine=80.0, experiment=100.0, app=10.0))
    assert found is not None
    assert found.machine == pytest.approx(0.80)
    assert found.experiment == pytest.approx(0.50)
    assert found.app == pytest.approx(0.05)
    assert found.others == pytest.approx(0.25)
    assert found.busy
    assert found.statement() == (
        "Other programs used 25% of the machine during this run; "
        "speedup and efficiency are not reliable."
    )


def test_below_the_threshold_is_not_busy():
    run = _run(machine=60.0, experiment=100.0, app=4.0)
    others, busy = machine_busy(run)
    assert others == pytest.approx(0.08) and others < BUSY_SHARE and not busy
    assert measure_interference(run).statement().endswith("during this run.")
    assert all(f.id != "busy-machine" for f in diagnose(run))
    assert not compute_metrics(run).machine_busy


def test_a_busy_run_is_said_first_and_marks_speedup_unreliable():
    run = _run(machine=95.0, experiment=60.0, app=4.0)
    assert diagnose(run)[0].id == "busy-machine"
    metrics = compute_metrics(run)
    assert metrics.machine_busy and metrics.others_share == pytest.approx(0.63)
    assert "Other programs       63% of the machine (this app: 2%): busy machine" in (
        format_table(metrics)
    )


def test_unmeasured_runs_say_nothing():
    run = _run(machine=90.0, experiment=math.nan, app=math.nan)
    assert measure_interference(run) is None
    assert machine_busy(run) == (None, False)
    assert compute_metrics(run).others_share is None
    assert "not measured" in format_table(compute_metrics(run))
    assert measure_interference(_run(90.0, 10.0, 1.0, samples=1)) is None


def test_the_split_survives_a_recording():
    run = _run(machine=80.0, experiment=100.0, app=10.0)
    run.calibration = {
        "loops_per_ms": 25000.5,
        "blocks_per_ms": 27.1,
        "key": "cpu | cpython",
        "machine_busy_percent": 3.0,
        "busy": False,
    }
    loaded = run_from_dict(run_to_dict(run))
    assert measure_interference(loaded) == measure_interference(run)
    assert loaded.calibration == run.calibration
