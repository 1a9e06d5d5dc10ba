"""A model registered from outside the package is offered, checked, written and run."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys

import pytest

from coreography.cli import build_parser
from coreography.engine import backends
from coreography.model import models
from coreography.model.codegen import generate
from coreography.model.experiment import Experiment, ExperimentError
from coreography.model.run import DONE, FINISHED

from .helpers import alive, experiment_pids, run_experiment

PLUGIN = "tests.engine.queue_threads_model"
SQUARES = [i * i for i in range(12)]


@pytest.fixture
def plugin():
    module = importlib.import_module(PLUGIN)
    yield module
    models.unregister(module.NAME)
    backends.unregister(module.NAME)
    sys.modules.pop(PLUGIN, None)


def test_the_registry_validation_and_cli_know_the_new_model(plugin):
    assert plugin.NAME in models.names()
    exp = Experiment(model=plugin.NAME, workers=3, tasks=12, workload="square").validate()
    assert exp.parallel_workers == 3
    with pytest.raises(ExperimentError, match=r"tasks: 1001 .*1 to 1000"):
        exp.replace(tasks=1001).validate()
    with pytest.raises(ExperimentError, match="needs a process model"):
        exp.replace(fault=exp.fault.parse("kill:1")).validate()
    parser = build_parser()
    args = parser.parse_args(["run", "--model", plugin.NAME])
    assert args.model == plugin.NAME
    assert plugin.NAME in parser._subparsers._group_actions[0].choices["run"].epilog


def test_without_its_record_the_model_is_refused():
    assert "queue-threads" not in models.names()
    with pytest.raises(ExperimentError, match="model: 'queue-threads'"):
        Experiment(model="queue-threads").validate()


def test_its_generated_program_runs_with_plain_python(plugin, tmp_path):
    exp = Experiment(model=plugin.NAME, workers=3, tasks=12, workload="square")
    path = tmp_path / "program.py"
    path.write_text(generate(exp))
    done = subprocess.run(
        [sys.executable, "-I", str(path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "import queue" in path.read_text()
    assert ast.literal_eval(done.stdout.strip().splitlines()[-1]) == SQUARES


def test_the_real_driver_runs_it_through_its_backend(plugin):
    run, _ = run_experiment(model=plugin.NAME, workers=3, tasks=12, workload="square")
    assert run.state == FINISHED, run.message
    assert run.results() == SQUARES
    assert (run.task_status == DONE).all()
    lanes = run.worker_lanes()
    assert len(lanes) == 3, [lane.label for lane in run.lanes]
    assert {lane.pid for lane in lanes} == {run.driver_pid}  # threads of the driver
    assert not alive(experiment_pids(run))
