"""One calibration per machine and interpreter: cached, reused, recorded, re-measured."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from coreography.engine import calibration
from coreography.model.recording import load_run, save_run

from .helpers import run_experiment


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    """Each test gets an empty cache directory of its own (platformdirs reads XDG)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_the_cache_survives_a_fresh_process():
    first = calibration.load_or_measure()
    assert calibration.cache_path().is_file()
    code = (
        "import json; from coreography.engine.calibration import load_or_measure as m; "
        "r = m(); print(json.dumps([r.loops_per_ms, r.measured_at]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=os.environ, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == [first.loops_per_ms, first.measured_at]


@pytest.mark.parametrize("garbage", ["{not json", "[]", '{"loops_per_ms": "many"}', ""])
def test_a_corrupt_cache_file_is_ignored_and_measured_again(garbage):
    path = calibration.cache_path()
    path.parent.mkdir(parents=True)
    path.write_text(garbage)
    record = calibration.load_or_measure()
    assert record.loops_per_ms > 0 and record.blocks_per_ms > 0
    assert json.loads(path.read_text())["loops_per_ms"] == record.loops_per_ms


def test_another_cpu_or_python_means_another_calibration():
    record = calibration.load_or_measure()
    path = calibration.cache_path()
    stale = json.loads(path.read_text())
    stale.update(key="another CPU | cpython 2.7", loops_per_ms=1.0, measured_at=0.0)
    path.write_text(json.dumps(stale))
    fresh = calibration.load_or_measure()
    assert fresh.key == calibration.cache_key() == record.key
    assert fresh.loops_per_ms != 1.0 and fresh.measured_at > 0


def test_remeasure_replaces_the_cached_calibration():
    first = calibration.load_or_measure()
    again = calibration.load_or_measure(remeasure=True)
    assert again.measured_at > first.measured_at
    assert calibration.load_or_measure() == again


def test_two_runs_of_one_cpu_experiment_record_identical_loop_counts(tmp_path):
    settings = dict(model="pool-map", workers=2, tasks=4, workload="cpu", size=20.0)
    first, _ = run_experiment(**settings)
    second, _ = run_experiment(**settings)
    assert first.state == second.state == "finished"
    assert first.calibration is not None
    assert first.calibration["loops_per_ms"] == second.calibration["loops_per_ms"]
    assert first.calibration["blocks_per_ms"] == second.calibration["blocks_per_ms"]
    # ... and the recording keeps them.
    save_run(second, tmp_path / "run.coreo.json")
    loaded = load_run(tmp_path / "run.coreo.json")
    assert loaded.calibration == second.calibration
    cached = calibration.load_or_measure()
    assert loaded.calibration["loops_per_ms"] == cached.loops_per_ms


def test_the_code_view_constant_is_the_runs_loop_count():
    assert calibration.loops_per_ms() == int(calibration.load_or_measure().loops_per_ms)


def test_without_a_cache_the_driver_measures_and_the_run_records_it():
    """The app never spins to calibrate (its window would freeze): the driver does."""
    assert calibration.cached() is None
    run, _ = run_experiment(model="sequential", tasks=2, workload="cpu", size=10.0)
    assert run.state == "finished"
    record = calibration.cached()
    assert record is not None and run.calibration == calibration.as_recorded(record)
