"""A driver started ahead of time runs the next experiment and never outlives its
controller."""

from __future__ import annotations

import psutil

from coreography.engine.controller import RunController
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
