"""Processes never outlive what started them; start/stop cycles leak nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import psutil
import pytest

from coreography.engine.controller import RunController
from coreography.model.experiment import Experiment

from .helpers import alive


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


ORPHAN_SCRIPT = textwrap.dedent("""
    import sys, time
    from coreography.engine.controller import RunController
    from coreography.model.experiment import Experiment
    if __name__ == "__main__":
        controller = RunController()
        run = controller.start(Experiment(model=sys.argv[1], workers=2, tasks=50,
                                          workload="io", size=1000,
                                          start_method=sys.argv[2]))
        while len(run.worker_lanes()) < 2:
            controller.poll()
            time.sleep(0.02)
        print("ready", flush=True)
        time.sleep(600)
""")


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process groups, /proc")
@pytest.mark.parametrize(
    ("model", "method"),
    [
        ("pool-map", "fork"),
        ("processes", "spawn"),
        ("process-pool", "forkserver"),
    ],
)
def test_no_experiment_process_outlives_a_killed_app(tmp_path, model, method):
    script = tmp_path / "app.py"
    script.write_text(ORPHAN_SCRIPT)
    app = subprocess.Popen(
        [sys.executable, str(script), model, method],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    with app:
        _kill_app_and_check(app)


def _kill_app_and_check(app: subprocess.Popen) -> None:
    try:
        assert app.stdout.readline().strip() == "ready"
        tree = {p.pid for p in psutil.Process(app.pid).children(recursive=True)}
        assert len(tree) >= 3  # the driver and its workers
        os.kill(app.pid, signal.SIGKILL)
        app.wait(5)
        time.sleep(3)
        assert not alive(tree), "experiment processes outlived the app by 3 s"
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()


@pytest.mark.slow
def test_hundred_start_stop_cycles_leave_nothing_behind():
    controller = RunController()
    before_fds = _fds()
    seen: set[int] = set()
    for cycle in range(100):
        run = controller.start(
            Experiment(
                model="pool-map", workers=2, tasks=20, workload="io", size=50, start_method="fork"
            )
        )
        if cycle % 10 == 0:  # now and then, let it get properly going before the Stop
            while not run.worker_lanes():
                controller.poll()
                time.sleep(0.01)
        controller.stop()
        assert controller.wait(timeout=10)
        seen |= {lane.pid for lane in run.lanes}
    controller.shutdown()
    assert not alive(seen)
    assert not psutil.Process().children(recursive=True) or all(
        "resource_tracker" in " ".join(p.cmdline()) for p in psutil.Process().children()
    )
    assert _fds() <= before_fds + 2, f"open files grew from {before_fds} to {_fds()}"
