"""A driver started ahead of time runs the next experiment and never outlives its
controller."""

from __future__ import annotations

import os

import psutil

from coreography.engine import standby as standby_module
from coreography.engine.controller import RunController
from coreography.engine.standby import release_early, start_early
from coreography.model.experiment import Experiment
from coreography.model.run import FINISHED

from .helpers import alive


def test_runs_go_through_a_driver_started_ahead_and_each_gets_a_new_one():
    controller = RunController(sample_hz=10, standby=True)
    try:
        assert controller.standby_ready(30)
        waiting = controller._standby.process.pid
        run = controller.start(Experiment(model="pool-map", workers=2, tasks=50, workload="square"))
        assert run.driver_pid == waiting  # the run's main process is the one that waited
        assert controller.wait(60)
        assert run.state == FINISHED and run.results() == [i * i for i in range(50)]
        assert run.events_lost() == 0
        assert controller.standby_ready(30)  # the next run's driver is already waiting
        assert controller._standby.process.pid != waiting
        again = controller.start(Experiment(model="threads", workers=2, tasks=6, workload="square"))
        assert controller.wait(60)
        assert again.state == FINISHED and again.results() == [i * i for i in range(6)]
    finally:
        controller.standby_ready(30)
        standby = controller._standby.process.pid if controller._standby else None
        controller.shutdown()
    assert standby is not None and not alive({standby})


def test_shutdown_ends_a_driver_that_never_ran():
    controller = RunController(standby=True)
    pid = controller._standby.process.pid
    controller.shutdown()
    assert not alive({pid})
    assert pid not in {p.pid for p in psutil.Process().children(recursive=True)}


def test_a_run_started_before_its_driver_was_ready_still_runs():
    controller = RunController(sample_hz=10, standby=True)
    try:
        run = controller.start(Experiment(model="pool-map", workers=1, tasks=3, workload="square"))
        assert controller.wait(60)
        assert run.state == FINISHED and run.results() == [0, 1, 4]
    finally:
        controller.shutdown()


def test_a_driver_started_first_thing_runs_the_first_experiment():
    """The command's (and the window's) early driver is the first run's main process,
    whichever controller starts it."""
    start_early()
    waiting = standby_module._early.process.pid
    controller = RunController(sample_hz=10)  # the command line's: no standby of its own
    try:
        run = controller.start(Experiment(model="pool-map", workers=2, tasks=20, workload="square"))
        assert run.driver_pid == waiting
        assert controller.wait(60)
        assert run.state == FINISHED and run.results() == [i * i for i in range(20)]
        assert standby_module._early is None  # used once
        again = controller.start(
            Experiment(model="pool-map", workers=1, tasks=2, workload="square")
        )
        assert again.driver_pid != waiting and controller.wait(60)
        assert again.state == FINISHED
    finally:
        controller.shutdown()
    assert not alive({waiting})


def test_a_window_controller_takes_the_early_driver_as_its_standby():
    start_early()
    waiting = standby_module._early.process.pid
    controller = RunController(sample_hz=10, standby=True)
    try:
        assert controller._standby is not None and controller._standby.process.pid == waiting
        run = controller.start(Experiment(model="threads", workers=2, tasks=4, workload="square"))
        assert run.driver_pid == waiting and controller.wait(60)
        assert run.state == FINISHED
    finally:
        controller.shutdown()
    assert not alive({waiting})


def test_an_early_driver_nobody_took_is_ended_with_its_log():
    start_early()
    early = standby_module._early
    pid, log = early.process.pid, early.log_path
    start_early()  # once: a second call keeps the one that waits
    assert standby_module._early is early
    release_early()
    assert standby_module._early is None
    assert not alive({pid}) and not os.path.exists(log)


def test_an_early_driver_that_echoes_otherwise_is_not_used():
    start_early(echo=True)
    pid = standby_module._early.process.pid
    controller = RunController(sample_hz=10)
    try:
        run = controller.start(Experiment(model="sequential", tasks=2, workload="square"))
        assert run.driver_pid != pid and controller.wait(60)
        assert run.state == FINISHED
    finally:
        controller.shutdown()
    assert not alive({pid}) and standby_module._early is None


def _fresh(code: str) -> dict:
    """What a fresh interpreter prints as JSON after running ``code``."""
    import json
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_command_starts_its_driver_before_loading_the_probe():
    """Everything loaded before the early driver's spawn delays the command's run."""
    loaded = _fresh(
        "import sys, json\nimport coreography.engine.standby\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    heavy = ("coreography.engine.probe", "dataclasses", "numpy", "psutil")
    assert not [name for name in heavy if name in loaded]


def test_a_driver_says_it_is_ready_without_loading_psutil():
    """What a driver started ahead loads before it waits: psutil only when it must end a
    process tree (a failure, or its app gone)."""
    loaded = _fresh(
        "import sys, json, importlib\nfrom coreography.engine import driver\n"
        "for name in driver._AHEAD: importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    assert "coreography.engine.backends.pool" in loaded
    assert not [name for name in ("psutil", "numpy") if name in loaded]


def test_a_spec_copy_changes_only_what_it_is_told():
    from coreography.engine.launch import ProbeSpec

    spec = ProbeSpec(conn=None, workload="square", calibration=None, echo=True)
    copy = spec.replace(workload="cpu", fault_task=3)
    assert (copy.workload, copy.fault_task, copy.echo) == ("cpu", 3, True)
    assert (spec.workload, spec.fault_task) == ("square", -1)
    try:
        spec.replace(wrokload="cpu")
    except TypeError as exc:
        assert "wrokload" in str(exc)
    else:
        raise AssertionError("an unknown field was accepted")
