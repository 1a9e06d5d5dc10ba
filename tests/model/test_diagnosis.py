"""Diagnosis: each finding appears in a real run that has the condition, not in one without."""

from __future__ import annotations

import psutil
import pytest

from coreography.model.diagnosis import Finding, diagnose
from coreography.model.experiment import available_start_methods
from tests.engine.helpers import run_experiment

pytestmark = pytest.mark.slow


def findings(**settings) -> dict[str, Finding]:
    run, _ = run_experiment(**settings)
    assert run.state == "finished", run.message
    found = {finding.id: finding for finding in diagnose(run)}
    for finding in found.values():
        assert finding.severity in ("info", "warning") and finding.text
    return found


@pytest.mark.skipif((psutil.cpu_count() or 1) < 2, reason="needs two cores to show the GIL")
def test_cpu_bound_threads_take_turns_on_the_gil():
    found = findings(model="thread-pool", workers=2, tasks=4, workload="cpu", size=60)
    assert "GIL" in found["gil"].text


def test_processes_and_sleeping_threads_are_not_blamed_on_the_gil():
    assert "gil" not in findings(model="pool-map", workers=2, tasks=4, workload="cpu", size=30)
    assert "gil" not in findings(model="thread-pool", workers=2, tasks=4, workload="io", size=30)


def test_more_workers_than_cores_is_oversubscribed():
    workers = (psutil.cpu_count() or 1) + 1
    found = findings(model="pool-map", workers=workers, tasks=workers, workload="cpu", size=5)
    assert f"{workers} workers" in found["oversubscribed"].text


def test_one_worker_is_not_oversubscribed():
    assert "oversubscribed" not in findings(
        model="pool-map", workers=1, tasks=2, workload="cpu", size=5
    )


def test_tiny_tasks_one_at_a_time_are_shorter_than_dispatch():
    found = findings(model="pool-map", workers=2, tasks=200, workload="square", chunksize=1)
    assert "shorter than the overhead" in found["dispatch-overhead"].text


def test_tasks_of_milliseconds_outweigh_dispatch():
    assert "dispatch-overhead" not in findings(
        model="pool-map", workers=2, tasks=4, workload="cpu", size=20, chunksize=1
    )


def test_a_straggler_makes_one_worker_do_most_of_the_work():
    # Sleeping tasks: their lengths do not depend on how busy the machine is.
    found = findings(
        model="pool-map",
        workers=2,
        tasks=2,
        workload="io",
        size=20,
        distribution="straggler",
        chunksize=1,
    )
    assert "One worker did" in found["imbalance"].text


def test_even_tasks_are_balanced():
    assert "imbalance" not in findings(
        model="pool-map", workers=2, tasks=6, workload="io", size=30, chunksize=1
    )


@pytest.mark.skipif("spawn" not in available_start_methods(), reason="needs spawn")
def test_spawning_workers_for_tiny_work_is_mostly_start_up():
    found = findings(model="pool-map", workers=2, tasks=2, workload="square", start_method="spawn")
    assert "Start-up took" in found["startup"].text


@pytest.mark.skipif("fork" not in available_start_methods(), reason="needs fork")
def test_forked_workers_with_real_work_spend_little_on_start_up():
    assert "startup" not in findings(
        model="pool-map", workers=2, tasks=4, workload="io", size=100, start_method="fork"
    )
