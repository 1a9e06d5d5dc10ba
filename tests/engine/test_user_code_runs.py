"""The user's own function under real processes: results, prints, errors, endless loops."""

from __future__ import annotations

import time

import pytest

from coreography.engine.controller import RunController
from coreography.model.experiment import Experiment
from coreography.model.run import FINISHED, RUN_FAILED, STOPPED

from .helpers import alive, experiment_pids, run_experiment

FACTORIAL = "import math\n\n\ndef task(x):\n    print('task', x)\n    return math.factorial(x)\n"


@pytest.mark.slow
@pytest.mark.parametrize("method", ["spawn", "fork"])
@pytest.mark.parametrize("model", ["pool-map", "process-pool", "threads", "sequential"])
def test_users_function_runs_everywhere(model, method):
    run, _ = run_experiment(
        model=model, workers=2, tasks=6, workload="custom", code=FACTORIAL, start_method=method
    )
    assert run.state == FINISHED, run.message
    assert run.results() == [1, 1, 2, 6, 24, 120]
    assert sorted(run.stdout_lines()) == [f"task {i}" for i in range(6)]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("def task(x):\n    return 1 / (x - 2)\n", "task 2 raised ZeroDivisionError"),
        (
            "import no_such_module_here\n\ndef task(x):\n    return x\n",
            "your code could not be loaded: ModuleNotFoundError",
        ),
        ("def task(x):\n    return lambda: x\n", "cannot be sent back to the main process"),
    ],
)
def test_users_errors_are_explained(code, words):
    run, _ = run_experiment(
        model="pool-map", workers=2, tasks=4, workload="custom", code=code, start_method="spawn"
    )
    assert run.state == RUN_FAILED
    assert words in run.message


@pytest.mark.slow
def test_users_error_traceback_points_at_their_line():
    code = "def task(x):\n    y = 0\n    return x / y\n"
    run, _ = run_experiment(
        model="pool-map", workers=2, tasks=2, workload="custom", code=code, start_method="spawn"
    )
    assert 'File "your_code.py", line 3' in run.task_errors[0]


@pytest.mark.slow
def test_an_endless_loop_is_ended_by_stop():
    code = "def task(x):\n    while True:\n        pass\n"
    controller = RunController()
    run = controller.start(
        Experiment(
            model="pool-map", workers=2, tasks=4, workload="custom", code=code, start_method="spawn"
        )
    )
    deadline = time.monotonic() + 20
    while (run.task_start <= 0).all() and time.monotonic() < deadline:
        controller.poll()
        time.sleep(0.02)
    pids = experiment_pids(run)
    controller.stop()
    assert controller.wait(timeout=5)
    assert run.state == STOPPED
    assert not alive(pids)


@pytest.mark.slow
def test_stderr_lines_are_events_and_a_dying_main_process_leaves_its_last_words():
    code = (
        "import os, sys\n\n\ndef task(x):\n"
        "    print('careful', x, file=sys.stderr)\n"
        "    if x == 2:\n"
        "        sys.__stderr__.write('the main process says goodbye\\n')\n"
        "        sys.__stderr__.flush()\n"
        "        os._exit(7)\n"
        "    return x\n"
    )
    run, _ = run_experiment(model="sequential", tasks=4, workload="custom", code=code)
    assert run.state == RUN_FAILED
    assert "main process exited with code 7 before the end" in run.message
    assert run.message.endswith("the main process says goodbye")
    from coreography.model.events import Kind

    assert [t.text for t in run.texts if t.kind == Kind.STDERR][:2] == ["careful 0", "careful 1"]
