"""Failures told truthfully, with real processes: the task whose worker died is failed with
its cause and ends at that death; tasks the run's end cut short are interrupted."""

from __future__ import annotations

import csv
import dataclasses

import pytest

from coreography.model.diagnosis import diagnose
from coreography.model.experiment import Fault
from coreography.model.export import export_csv
from coreography.model.failure import TASK_RAISED, WORKER_DIED
from coreography.model.metrics import compute_metrics, format_table
from coreography.model.recording import load_run, save_run
from coreography.model.run import DONE, FAILED, INTERRUPTED, NO_TIME, PENDING, RUN_FAILED, RUNNING

from .helpers import alive, experiment_pids, run_experiment

METHODS = ["spawn", "fork", "forkserver"]
FAULT_TASK = 5
#: The task's end and the worker's exit, as the run saw them, may differ by at most this.
DEATH_TOLERANCE_NS = 50_000_000


def _dead_worker_run(method: str, fault: str):
    # Sleeping tasks of 300 ms: when task 5 starts (and dies at once), the other worker
    # is always in the middle of a task, which the run's end must then interrupt.
    run, _ = run_experiment(
        timeout=60,
        model="pool-map",
        workers=2,
        tasks=12,
        workload="io",
        size=300.0,
        chunksize=1,
        start_method=method,
        fault=Fault.parse(f"{fault}:{FAULT_TASK}"),
    )
    return run


@pytest.mark.slow
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    ("fault", "exit_code", "signal", "words"),
    [
        ("kill", -9, "SIGKILL", "was killed by signal 9 (SIGKILL)"),
        ("segv", -11, "SIGSEGV", "was killed by signal 11 (SIGSEGV)"),
        ("exit", 3, None, "exited with code 3"),
    ],
)
def test_the_task_of_a_dead_worker_failed_and_ends_at_its_death(
    method, fault, exit_code, signal, words, tmp_path
):
    run = _dead_worker_run(method, fault)
    metrics = compute_metrics(run)
    assert run.state == RUN_FAILED
    # The cause, as fields: which worker, which task, what ended it.
    failure = run.failure
    assert failure is not None and failure.kind == WORKER_DIED
    assert (failure.task, failure.exit_code, failure.signal) == (FAULT_TASK, exit_code, signal)
    lane = run.lane(failure.pid)
    assert lane is not None and lane.role == "worker"
    assert int(run.task_lane[FAULT_TASK]) == lane.index  # the worker that ran it
    assert run.message == f"{lane.label} {words} while running task {FAULT_TASK}"
    # That task failed, with its cause, and its bar ends at its worker's exit.
    assert run.task_status[FAULT_TASK] == FAILED
    assert words in run.task_errors[FAULT_TASK]
    assert lane.exit_code == exit_code and lane.exited_ns != NO_TIME
    end, start = int(run.task_end[FAULT_TASK]), int(run.task_start[FAULT_TASK])
    assert abs(end - lane.exited_ns) <= DEATH_TOLERANCE_NS
    assert start <= end < run.end_ns
    # Failed counts it; the in-flight task of the other worker was interrupted, not failed.
    assert metrics.tasks_failed == 1 and run.n_failed == 1
    status = run.task_status
    assert not (status == RUNNING).any()
    interrupted = set((status == INTERRUPTED).nonzero()[0].tolist())
    cut_short = {
        t
        for t in range(run.n_tasks)
        if run.task_start[t] != NO_TIME and status[t] not in (DONE, FAILED)
    }
    assert interrupted == cut_short and len(interrupted) >= 1
    assert metrics.tasks_interrupted == len(interrupted)
    assert all(
        status[t] in (DONE, PENDING, INTERRUPTED) for t in range(run.n_tasks) if t != FAULT_TASK
    )
    # Every summary says so, and the Findings lead with the failure and its cause.
    table = format_table(metrics)
    assert "1 failed" in table and f"{len(interrupted)} interrupted" in table
    findings = diagnose(run, metrics)
    assert findings[0].id == "failure"
    assert words in findings[0].text and f"task {FAULT_TASK}" in findings[0].text
    assert not any(f.id == "oversubscribed" for f in findings)
    # A recording keeps the cause's fields.
    save_run(run, tmp_path / "run.coreo.json")
    loaded = load_run(tmp_path / "run.coreo.json")
    assert loaded.failure == dataclasses.replace(failure, died_ns=None)
    assert compute_metrics(loaded).tasks_failed == 1
    assert not alive(experiment_pids(run))


ZERO_DIVISION = "def task(x):\n    y = x - x\n    return 1 / y\n"


@pytest.mark.slow
@pytest.mark.parametrize("model", ["pool-map", "processes", "process-pool", "sequential"])
def test_an_exception_is_drawn_at_its_real_duration_and_reaches_the_findings(model, tmp_path):
    run, _ = run_experiment(
        timeout=60, model=model, workers=2, tasks=4, workload="custom", code=ZERO_DIVISION
    )
    assert run.state == RUN_FAILED
    failure = run.failure
    assert failure is not None and failure.kind == TASK_RAISED
    assert failure.error == "ZeroDivisionError: division by zero"
    assert failure.user_line == 3  # the line of the user's own code that raised
    assert "ZeroDivisionError: division by zero at line 3 of your code" in run.message
    failed = (run.task_status == FAILED).nonzero()[0]
    assert len(failed) >= 1 and failure.task in failed.tolist()
    for task in failed.tolist():
        # A division that fails at once is a short bar, never one running on to the end.
        duration_s = (int(run.task_end[task]) - int(run.task_start[task])) / 1e9
        assert 0 <= duration_s < 0.5, (task, duration_s)
        assert int(run.task_end[task]) < run.end_ns
    findings = diagnose(run)
    assert findings[0].id == "failure"
    assert "ZeroDivisionError: division by zero at line 3 of your code" in findings[0].text
    assert compute_metrics(run).tasks_failed == len(failed)
    # Nothing is lost that the run does not account for, worker by worker.
    lost = run.events_lost()
    assert lost is not None
    if lost:
        assert "ended by SIG" in run.describe_loss(), run.describe_loss()
    export_csv(run, tmp_path / "tasks.csv")
    assert "ZeroDivisionError" in (tmp_path / "tasks.csv").read_text()


@pytest.mark.slow
def test_a_long_status_still_arrives_whole():
    # A process-pool's exception carries a long chained traceback; the status that ends
    # the run must still be read as fields, not as raw text.
    run, _ = run_experiment(
        timeout=60, model="process-pool", workers=2, tasks=4, workload="custom", code=ZERO_DIVISION
    )
    assert run.failure is not None
    assert not run.message.startswith("{"), run.message[:80]


@pytest.mark.slow
def test_tasks_longer_than_a_millisecond_carry_their_cpu_time(tmp_path):
    run, _ = run_experiment(
        timeout=60, model="pool-map", workers=2, tasks=6, workload="cpu", size=20.0
    )
    assert run.state == "finished", run.message
    # Each worker's first task is measured, and each after a task of at least 1 ms.
    cpu = run.task_cpu[run.task_status == DONE]
    assert (cpu != NO_TIME).all(), cpu
    assert (cpu > 0).all()
    export_csv(run, tmp_path / "tasks.csv")
    with open(tmp_path / "tasks.csv", newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 6 and all(float(row["cpu_ms"]) > 0 for row in rows)
