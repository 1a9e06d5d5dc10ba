"""Faults never hang a run: each ends within 2 s with a status naming the cause."""

from __future__ import annotations

import time

import pytest

from coreography.engine.controller import RunController
from coreography.model.experiment import Experiment, Fault
from coreography.model.run import RUN_FAILED, STOPPED

from .helpers import alive, experiment_pids, run_experiment

METHODS = ["spawn", "fork", "forkserver"]


def _fault_run(model, method, fault, tasks=12, size=20.0):
    # Each task takes 20 ms: the fault hits task 4, so a hang would show as a long run.
    return run_experiment(
        timeout=30,
        model=model,
        workers=2,
        tasks=tasks,
        workload="cpu",
        size=size,
        start_method=method,
        fault=Fault.parse(fault),
    )


def _elapsed_after_fault(run) -> float:
    """Seconds from the start of the faulty task to the end of the run."""
    start = run.task_start[4]
    assert start > 0, "the faulty task never started"
    return (run.end_ns - start) / 1e9


@pytest.mark.slow
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    ("model", "fault", "cause"),
    [
        ("pool-map", "kill:4", "killed by signal 9 (SIGKILL) while running task 4"),
        ("pool-map", "segv:4", "killed by signal 11 (SIGSEGV) while running task 4"),
        ("pool-map", "exit:4", "exited with code 3 while running task 4"),
        ("pool-imap", "kill:4", "killed by signal 9 (SIGKILL) while running task 4"),
        ("pool-apply-async", "segv:4", "killed by signal 11 (SIGSEGV) while running task 4"),
        ("process-pool", "kill:4", "killed by signal 9 (SIGKILL) while running task 4"),
        ("processes", "exit:4", "exited with code 3 while running task 4"),
    ],
)
def test_dead_worker_ends_run_and_is_named(model, method, fault, cause):
    run, _ = _fault_run(model, method, fault)
    assert run.state == RUN_FAILED
    assert cause in run.message
    assert run.message.startswith("Worker ")  # the lane's own name, as the timeline shows it
    assert _elapsed_after_fault(run) < 2.0
    assert not alive(experiment_pids(run))


@pytest.mark.slow
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "model", ["pool-map", "process-pool", "processes", "threads", "sequential"]
)
def test_task_exception_is_reported_with_its_task(model, method):
    run, _ = _fault_run(model, method, "raise:4")
    assert run.state == RUN_FAILED
    assert "task 4 raised RuntimeError: deliberate failure in task 4" in run.message
    assert "Traceback" in run.task_errors[4]
    assert _elapsed_after_fault(run) < 2.0
    assert not alive(experiment_pids(run))


@pytest.mark.slow
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("model", ["pool-map", "processes", "process-pool", "threads"])
def test_hung_task_is_ended_by_stop(model, method):
    controller = RunController()
    run = controller.start(
        Experiment(
            model=model,
            workers=2,
            tasks=6,
            workload="io",
            size=10,
            start_method=method,
            fault=Fault("hang", 1),
        )
    )
    deadline = time.monotonic() + 20
    while run.task_start[1] <= 0 and time.monotonic() < deadline:
        controller.poll()
        time.sleep(0.02)
    assert run.task_start[1] > 0
    pids = experiment_pids(run) | {p.pid for p in _tree(run.driver_pid)}
    began = time.monotonic()
    controller.stop()
    assert controller.wait(timeout=5)
    assert time.monotonic() - began < 2.0
    assert run.state == STOPPED
    assert "stopped" in run.message
    assert not alive(pids)


def _tree(pid):
    import psutil

    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


EXIT_AT_SHUTDOWN = (
    "import os\nfrom multiprocessing import util\n\n"
    "util.Finalize(None, os._exit, (5,), exitpriority=1)  # runs as the worker leaves\n\n\n"
    "def task(x):\n    return x * x\n"
)


@pytest.mark.slow
@pytest.mark.parametrize("model", ["pool-map", "process-pool"])
def test_a_worker_dying_after_every_result_is_logged_not_failed(model):
    run, _ = run_experiment(
        model=model,
        workers=2,
        tasks=6,
        workload="custom",
        code=EXIT_AT_SHUTDOWN,
        start_method="spawn",
    )
    assert run.state == "finished", run.message
    assert run.results() == [x * x for x in range(6)]
    assert any(
        "after every result had arrived" in log and "exited with code 5" in log for log in run.logs
    ), run.logs
