"""Faults never hang a run: each ends within 2 s with a status naming the cause.

The matrix below runs every fault under every model and start method it applies to;
by default a subset (the faults that used to hang, under the models they hung), the
whole matrix with ``COREOGRAPHY_FAULT_MATRIX=full``.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass

import pytest

from coreography.engine.controller import RunController
from coreography.model import models
from coreography.model.experiment import Experiment, Fault
from coreography.model.interference import measure_interference
from coreography.model.run import DONE, FAILED, RUN_FAILED, STOPPED

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


# -- the matrix: faults × models × start methods ---------------------------------------
FAULT_TASK = 4
#: Every run ends by then, or it hung (the escaped daemon below lives 30 s).
RUN_DEADLINE_S = 20.0
#: The promise: a fault ends the run within this long of the faulty task's start.
FAULT_ENDS_RUN_S = 2.0

_SLEEP = "import os, sys, time\n\n\ndef task(x):\n    time.sleep(0.02)\n"


@dataclass(frozen=True)
class Case:
    """One fault: how to cause it in task 4, and what the run must then say."""

    name: str
    settings: dict
    cause: str  # a regular expression the run's message must match
    processes_only: bool = False  # it ends or needs a worker process
    fails: bool = True


def _code(body: str) -> dict:
    return {"workload": "custom", "code": _SLEEP + body + "    return x\n"}


UNREADABLE = "class Unreadable:\n    def __reduce__(self):\n        return (int, ('boom',))\n\n\n"
#: Writes the daemon's pid to PIDFILE: the test checks it was ended with the run.
ESCAPE = (
    f"    if x == {FAULT_TASK}:\n"
    "        if os.fork() == 0:\n"
    "            os.setsid()\n"
    "            pid = os.fork()\n"
    "            if pid == 0:\n"
    "                time.sleep(30)\n"
    "                os._exit(0)\n"
    "            with open(PIDFILE, 'w') as out:\n"
    "                out.write(str(pid))\n"
    "            os._exit(0)\n"
    "        time.sleep(0.2)  # the daemon's pid is written by then\n"
)

CASES = {
    case.name: case
    for case in [
        Case("raise", {"fault": Fault("raise", FAULT_TASK)}, r"task 4 raised RuntimeError"),
        Case(
            "exit",
            {"fault": Fault("exit", FAULT_TASK)},
            r"exited with code 3 while running task 4",
            True,
        ),
        Case(
            "kill",
            {"fault": Fault("kill", FAULT_TASK)},
            r"killed by signal 9 \(SIGKILL\) while running task 4",
            True,
        ),
        Case(
            "segv",
            {"fault": Fault("segv", FAULT_TASK)},
            r"killed by signal 11 \(SIGSEGV\) while running task 4",
            True,
        ),
        Case(
            "sys-exit",
            _code(f"    if x == {FAULT_TASK}:\n        sys.exit()\n"),
            r"^task 4 called sys\.exit\(\) at line 7 of your code, in (Worker|Thread|Main)",
        ),
        Case(
            "sys-exit-code",
            _code(f"    if x == {FAULT_TASK}:\n        sys.exit(2)\n"),
            r"^task 4 called sys\.exit\(2\) at line 7 of your code, in ",
        ),
        Case(
            "keyboard-interrupt",
            _code(f"    if x == {FAULT_TASK}:\n        raise KeyboardInterrupt\n"),
            r"^task 4 raised KeyboardInterrupt",
        ),
        Case(
            "os-exit-0",
            _code(f"    if x == {FAULT_TASK}:\n        os._exit(0)\n"),
            r"exited with code 0 while running task 4",
            True,
        ),
        Case(
            "unpicklable-result",
            {
                "workload": "custom",
                "code": UNREADABLE
                + _SLEEP
                + f"    if x == {FAULT_TASK}:\n        return Unreadable()\n    return x\n",
            },
            r"^task 4 raised TypeError: task returned a Unreadable, which pickles but cannot "
            r"be unpickled in the main process \(ValueError: invalid literal",
            True,
        ),
        Case("escaped-daemon", _code(ESCAPE), r"^finished$", fails=False),
    ]
}
PROCESS_MODELS = [m.name for m in models.all_models() if m.uses_processes]
THREAD_MODELS = [m.name for m in models.all_models() if not m.uses_processes]
#: The default subset: the faults that hung, under the models that hung, every start
#: method; and one of each other kind of run.
DEFAULT = {
    *(
        (f, m, s)
        for f in ("sys-exit", "unpicklable-result")
        for m in ("pool-map", "pool-apply-async")
        for s in METHODS
    ),
    ("sys-exit", "processes", "forkserver"),
    ("sys-exit", "threads", "fork"),
    ("keyboard-interrupt", "process-pool", "fork"),
    ("os-exit-0", "pool-imap", "fork"),
    ("escaped-daemon", "pool-map", "fork"),
    ("escaped-daemon", "processes", "spawn"),
    ("escaped-daemon", "sequential", "fork"),
}
FULL = os.environ.get("COREOGRAPHY_FAULT_MATRIX") == "full"


def _matrix():
    for case in CASES.values():
        for model in PROCESS_MODELS + ([] if case.processes_only else THREAD_MODELS):
            # The start method matters only where workers are processes.
            methods = METHODS if model in PROCESS_MODELS else ["fork"]
            for method in methods:
                key = (case.name, model, method)
                if FULL or key in DEFAULT:
                    yield pytest.param(*key, id="-".join(key))


@pytest.mark.slow
@pytest.mark.parametrize(("fault", "model", "method"), list(_matrix()))
def test_fault_matrix(fault, model, method, tmp_path):
    case = CASES[fault]
    pidfile = tmp_path / "daemon.pid"
    settings = dict(case.settings)
    if "PIDFILE" in settings.get("code", ""):
        settings["code"] = f"PIDFILE = {str(pidfile)!r}\n" + settings["code"]
    run, _ = run_experiment(
        timeout=RUN_DEADLINE_S,
        model=model,
        workers=2,
        tasks=10,
        workload=settings.pop("workload", "cpu"),
        size=20.0,
        start_method=method,
        **settings,
    )
    daemon = {int(pidfile.read_text())} if pidfile.exists() else set()
    assert not alive(experiment_pids(run) | daemon), "a process outlived its run"
    assert re.search(case.cause, run.message), run.message
    if case.fails:
        assert run.state == RUN_FAILED, run.message
        assert run.task_status[FAULT_TASK] == FAILED
        assert run.failure is not None and run.failure.task == FAULT_TASK
        # A task that ends its process with os._exit loses its buffered start: then
        # count from the process's death.
        began = max(int(run.task_start[FAULT_TASK]), 0) or int(run.task_end[FAULT_TASK])
    else:
        assert run.state == "finished"
        assert (run.task_status == DONE).all()
        assert daemon, "the task did not start its daemon"
        (pid,) = daemon
        assert any(f"PID {pid}" in log and "escaped" in log for log in run.logs), run.logs
        began = int(run.task_end.max())
    assert began > 0, "the faulty task never started"
    took = (run.end_ns - began) / 1e9
    # The run ended (its deadline above); how fast is asserted on a quiet machine only.
    found = measure_interference(run)
    if found is not None and not found.busy:
        assert took < FAULT_ENDS_RUN_S
