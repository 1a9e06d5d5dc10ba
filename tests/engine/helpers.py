"""Shared helpers for tests that run real experiments."""

from __future__ import annotations

import time

import psutil

from coreography.engine.controller import RunController
from coreography.model.experiment import Experiment
from coreography.model.run import Run


def run_experiment(timeout: float = 60.0, **settings) -> tuple[Run, float]:
    """Run an experiment to its end through the real controller; return it and seconds."""
    controller = RunController(sample_hz=20)
    start = time.monotonic()
    run = controller.start(Experiment(**settings))
    try:
        assert controller.wait(timeout=timeout), f"run did not end within {timeout} s"
    finally:
        controller.shutdown()
    return run, time.monotonic() - start


def experiment_pids(run: Run) -> set[int]:
    pids = {lane.pid for lane in run.lanes}
    pids |= {int(p) for p in run.proc_samples.view()["pid"]}
    return pids


def alive(pids: set[int]) -> set[int]:
    out = set()
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                out.add(pid)
        except psutil.Error:
            pass
    return out
