"""Interference measured on real processes: busy programs of the test's own are seen."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from coreography.engine.calibration import machine_load
from coreography.engine.sampler import Sampler
from coreography.model.diagnosis import diagnose
from coreography.model.interference import BUSY_SHARE, measure_interference
from coreography.model.metrics import compute_metrics, format_table

from .helpers import run_experiment

BUSY_LOOP = [sys.executable, "-c", "while 1: pass"]
#: Machine-wide CPU (% of all cores) above which the machine is too busy for a "quiet"
#: run: other programs would be seen, rightly.
QUIET_PERCENT = 10.0
SETTINGS = dict(model="pool-map", workers=2, tasks=4, workload="cpu", size=250.0)


def _skip_if_busy() -> None:
    load = machine_load(1.0)
    if load > QUIET_PERCENT:
        pytest.skip(f"the machine is already busy ({load:.0f} % of its CPU): cannot test")


def _spinners(count: int) -> list[subprocess.Popen]:
    return [subprocess.Popen(BUSY_LOOP) for _ in range(count)]


def _end(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        proc.kill()
    for proc in procs:
        proc.wait(10)


def test_two_busy_programs_make_a_run_report_interference():
    _skip_if_busy()
    spinners = _spinners(2)
    try:
        time.sleep(0.3)  # let them reach full speed
        run, _ = run_experiment(**SETTINGS)
    finally:
        _end(spinners)
    assert run.state == "finished"
    found = measure_interference(run)
    assert found is not None and found.busy, found
    assert found.others > BUSY_SHARE
    metrics = compute_metrics(run)
    assert metrics.machine_busy and metrics.others_share == pytest.approx(found.others)
    findings = diagnose(run, metrics)
    assert findings[0].id == "busy-machine"
    assert findings[0].text.startswith(f"Other programs used {found.others:.0%} of the machine")
    assert "not reliable" in findings[0].text
    assert "unreliable: busy machine" in format_table(metrics)


def test_a_run_on_a_quiet_machine_reports_none():
    _skip_if_busy()
    run, _ = run_experiment(**SETTINGS)
    found = measure_interference(run)
    assert found is not None
    if found.busy and machine_load(1.0) > QUIET_PERCENT:
        pytest.skip("another program became busy during the run")
    assert not found.busy, found
    assert found.experiment > 0.5  # two CPU-bound workers on this machine's cores
    assert not compute_metrics(run).machine_busy
    assert all(finding.id != "busy-machine" for finding in diagnose(run))


def test_the_sampler_counts_processes_that_lived_between_two_samples():
    """A child that starts, spins ~0.3 s and is reaped between two samples is the
    experiment's CPU (its parent's children times), not another program's."""
    code = (
        "import subprocess, sys\n"
        "spin = 'import time\\nt = time.process_time()\\n'\n"
        "spin += 'while time.process_time() - t < 0.3: pass'\n"
        "for _ in range(3): subprocess.run([sys.executable, '-c', spin])\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code])
    try:
        sampler = Sampler(parent.pid)
        total, last = 0.0, time.perf_counter_ns()
        deadline = time.monotonic() + 30
        while parent.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)  # longer than most children live: many are never seen alive
            sample = sampler.sample()
            total += sample.experiment / 100.0 * (sample.t - last) / 1e9
            last = sample.t
    finally:
        parent.kill()
        parent.wait(10)
    # Three children of 0.3 s CPU each (plus interpreter start-ups): at least ~0.9 s.
    assert total >= 0.8, total
