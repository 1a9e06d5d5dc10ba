"""A run's failure as fields: read from the driver's status, worded once, kept in recordings."""

from __future__ import annotations

import json

import pytest

from coreography.model.codegen import generate
from coreography.model.diagnosis import diagnose
from coreography.model.experiment import Experiment, Fault
from coreography.model.failure import (
    TASK_RAISED,
    WORKER_DIED,
    Failure,
    describe_exit,
    user_line,
)
from coreography.model.metrics import compute_metrics, format_table
from coreography.model.recording import load_run, run_from_dict, run_to_dict, save_run
from coreography.model.run import (
    FAILED,
    INTERRUPTED,
    NO_TIME,
    RUN_FAILED,
    Run,
)
from tests.model.fakes import DRIVER, MS, FakeProcess, experiment, full_run

T0 = 5_000 * MS
WORKERS = (2001, 2002)


def _dying_run(status: dict, exited_at: int | None = 40 * MS) -> Run:
    """Two workers; task 2 starts on the first at 20 ms and its worker dies; task 3 is
    still running on the second when the run ends."""
    run = Run(experiment(fault=Fault("kill", 2)), cores=2, t0=T0)
    run.set_driver(DRIVER)
    driver, first, second = FakeProcess(DRIVER), *(FakeProcess(p) for p in WORKERS)
    driver.emit(1, T0 + MS, value=6)  # RUN_STARTED
    for worker in (first, second):
        worker.emit(3, T0 + 5 * MS, aux=worker.pid)  # WORKER_READY
    first.emit(7, T0 + 10 * MS, 0)
    first.emit(8, T0 + 19 * MS, 0, 5.0)
    first.emit(7, T0 + 20 * MS, 2)
    second.emit(7, T0 + 10 * MS, 1)
    second.emit(8, T0 + 19 * MS, 1, 5.0)
    second.emit(7, T0 + 21 * MS, 3)
    if exited_at is not None:
        driver.emit(5, T0 + exited_at, value=-9, aux=first.pid)  # WORKER_EXITED
    driver.text(12, T0 + 60 * MS, json.dumps(status))  # RUN_FINISHED
    run.apply([f for p in (driver, first, second) for f in p.frames()])
    run.finish(RUN_FAILED, "", T0 + 70 * MS, {DRIVER: 2, 2001: 5, 2002: 4})
    return run


KILLED = {
    "state": "failed",
    "message": "ignored: the fields say it",
    "failure": {"kind": WORKER_DIED, "pid": 2001, "task": 2, "exit_code": -9, "lane": 0},
}


def test_a_dead_workers_task_fails_at_the_death_and_is_worded_from_fields():
    run = _dying_run(KILLED)
    failure = run.failure
    assert failure is not None and (failure.kind, failure.task, failure.signal) == (
        WORKER_DIED,
        2,
        "SIGKILL",
    )
    assert run.message == (
        "Worker 1 · PID 2001 was killed by signal 9 (SIGKILL) while running task 2"
    )
    assert run.task_status[2] == FAILED and run.n_failed == 1
    assert run.task_end[2] == T0 + 40 * MS  # the worker's exit, not the run's end (70 ms)
    assert "killed by signal 9" in run.task_errors[2]
    assert run.task_status[3] == INTERRUPTED and run.task_end[3] == NO_TIME
    metrics = compute_metrics(run)
    assert (metrics.tasks_failed, metrics.tasks_interrupted) == (1, 1)
    assert "2 done, 1 failed, 1 interrupted, of 6" in format_table(metrics)
    first = diagnose(run, metrics)[0]
    assert first.id == "failure"
    assert first.text.startswith("Worker 1 · PID 2001 was killed by signal 9 (SIGKILL)")
    assert "deliberate fault (--fault kill:2)" in first.text
    assert "1 running task was interrupted" in first.text


def test_without_an_exit_event_the_death_is_when_the_driver_saw_it():
    died = T0 + 33 * MS
    status = {**KILLED, "failure": {**KILLED["failure"], "died_ns": died}}
    run = _dying_run(status, exited_at=None)
    assert run.task_end[2] == died


def test_a_recording_keeps_the_failure_and_older_ones_have_none(tmp_path):
    run = _dying_run(KILLED)
    save_run(run, tmp_path / "run.coreo.json")
    loaded = load_run(tmp_path / "run.coreo.json")
    assert loaded.failure == Failure(WORKER_DIED, pid=2001, task=2, exit_code=-9)
    assert loaded.message == run.message
    data = run_to_dict(full_run())
    assert data["run"]["failure"] is None
    del data["run"]["failure"]  # a recording made before failures were fields
    assert run_from_dict(data).failure is None
    data["run"]["failure"] = {"kind": "worker-died", "pid": "x", "task": 2, "lane": 0}
    with pytest.raises(ValueError, match=r"run\.failure\.pid"):
        run_from_dict(data)


def test_a_status_that_is_not_json_still_ends_the_run_failed():
    run = Run(experiment(), cores=2, t0=T0)
    run.set_driver(DRIVER)
    driver = FakeProcess(DRIVER)
    driver.text(12, T0 + MS, '{"state": "finished", "message": "cut')
    run.apply(driver.frames())
    assert run.state == RUN_FAILED and run.failure is None


def test_a_task_exception_is_worded_with_the_tasks_own_error_and_the_users_line():
    traceback = (
        "ZeroDivisionError: division by zero\nTraceback (most recent call last):\n"
        '  File "/x/probe.py", line 9, in run_task\n'
        '  File "your_code.py", line 3, in task\nZeroDivisionError: division by zero\n'
    )
    assert user_line(traceback) == 3 and user_line("no frames") is None
    run = Run(experiment(workload="custom", code="def task(x):\n    return 1 / 0\n"), 2, T0)
    run.set_driver(DRIVER)
    driver, worker = FakeProcess(DRIVER), FakeProcess(2001)
    worker.emit(3, T0 + MS, aux=2001)
    worker.emit(7, T0 + 2 * MS, 0)
    worker.text(9, T0 + 2 * MS + 1_000, traceback, 0)  # TASK_FAILED after 1 µs
    status = {
        "state": "failed",
        "failure": {"kind": TASK_RAISED, "pid": 2001, "task": 0, "error": "RuntimeError: 1 of 6"},
    }
    driver.text(12, T0 + 9 * MS, json.dumps(status))
    run.apply([f for p in (worker, driver) for f in p.frames()])
    assert run.message == (
        "task 0 raised ZeroDivisionError: division by zero at line 3 of your code "
        "(in Worker 1 · PID 2001)"
    )
    assert run.task_end[0] - run.task_start[0] == 1_000  # its real duration
    assert diagnose(run)[0].text.startswith("Task 0 raised ZeroDivisionError")


def test_exit_causes_are_worded_plainly():
    assert describe_exit(3) == "exited with code 3"
    assert describe_exit(-11) == "killed by signal 11 (SIGSEGV)"
    assert Failure(WORKER_DIED, pid=7, task=1, exit_code=3).describe() == (
        "worker process PID 7 exited with code 3 while running task 1"
    )
    assert Failure.from_dict({"kind": "nonsense"}) is None
    assert Failure.from_dict("worker died") is None


def test_the_result_is_said_the_same_way_everywhere():
    processes = full_run()
    processes.experiment = processes.experiment.replace(model="processes", workload="square")
    assert processes.result_summary() == "none: a Process throws away what its target returns"
    pool = full_run()
    assert pool.result_summary() == "[0, 1, 4]"  # what the program's results list held
    assert full_run(finish=False).result_summary() == ""


def test_a_run_too_small_to_measure_has_no_speedup_figure():
    run = full_run()
    run.experiment = run.experiment.replace(workload="square")
    run.task_cpu[:] = 20_000  # 20 µs of CPU a task
    metrics = compute_metrics(run)
    assert metrics.speedup is None and metrics.efficiency is None
    assert metrics.speedup_note.startswith("not measurable")
    assert "not measurable" in format_table(metrics) and "0.00×" not in format_table(metrics)


@pytest.mark.parametrize(
    ("workload", "name", "measured", "shown"),
    [("cpu", "LOOPS_PER_MS", 31234.5, "31234"), ("nogil", "BLOCKS_PER_MS", 12.3456, "12.346")],
)
def test_the_program_uses_the_calibrated_constants(workload, name, measured, shown):
    exp = Experiment(model="pool-map", tasks=4, workload=workload, size=100.0)
    calibrated = generate(exp, measured, measured)
    assert f"{name} = {shown}  #" in calibrated and "measured on this machine" in calibrated
    guessed = generate(exp)
    assert "coreography calibrate" in guessed and "measured on this machine" not in guessed
