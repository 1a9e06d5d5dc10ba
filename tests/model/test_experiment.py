"""Experiment validation: every field refused out of range, naming field, value and range."""

from __future__ import annotations

import math

import pytest

from coreography.model import models
from coreography.model.experiment import (
    LIMITS,
    WORKLOADS,
    Experiment,
    ExperimentError,
    Fault,
    available_start_methods,
    parse_task,
)
from coreography.model.user_code import EXAMPLE


def make(**changes) -> Experiment:
    return Experiment(start_method=available_start_methods()[0]).replace(**changes)


def test_defaults_are_valid():
    assert Experiment().validate() == Experiment()


@pytest.mark.parametrize("model", models.choices())
@pytest.mark.parametrize("workload", sorted(WORKLOADS))
def test_every_model_and_workload_is_accepted(model, workload):
    code = EXAMPLE if workload == "custom" else ""
    make(model=model, workload=workload, tasks=4, code=code).validate()


@pytest.mark.parametrize("method", available_start_methods())
def test_every_start_method_this_system_offers_is_accepted(method):
    assert make(start_method=method).validate().start_method == method


BAD = [
    ("model", "pool-mapp", "choose one of"),
    ("workload", "gpu", "choose one of"),
    ("distribution", "normal", "choose one of"),
    ("start_method", "teleport", "choose one of"),
    ("workers", 0, "from 1 to 64"),
    ("workers", 65, "from 1 to 64"),
    ("workers", 2.5, "whole number"),
    ("workers", True, "whole number"),
    ("tasks", 0, "from 1 to 1,000,000"),
    ("tasks", 1_000_001, "from 1 to 1,000,000"),
    ("chunksize", -1, "from 0 to 100,000"),
    ("chunksize", 100_001, "from 0 to 100,000"),
    ("seed", -1, "from 0 to 2,147,483,647"),
    ("seed", 2**31, "from 0 to 2,147,483,647"),
    ("size", -0.5, "from 0 to 600000"),
    ("size", 600_001.0, "from 0 to 600000"),
    ("size", math.nan, "from 0 to 600000"),
    ("size", math.inf, "from 0 to 600000"),
    ("size", "5", "number"),
    ("speed", 0.5, "from 1 to 100"),
    ("speed", 101.0, "from 1 to 100"),
    ("speed", False, "number"),
    ("fault", "kill", "expected a Fault"),
]


@pytest.mark.parametrize(("name", "value", "allowed"), BAD)
def test_out_of_range_values_name_field_value_and_range(name, value, allowed):
    with pytest.raises(ExperimentError) as caught:
        make(**{name: value}).validate()
    message = str(caught.value)
    assert caught.value.field == name
    assert message.startswith(f"{name}: {value!r}")
    assert allowed in message, message
    assert "\n" not in message


def test_one_process_or_thread_per_task_is_capped():
    make(model="processes", tasks=256).validate()
    with pytest.raises(ExperimentError, match=r"tasks: 257 .*'processes'.*1 to 256"):
        make(model="processes", tasks=257).validate()
    with pytest.raises(ExperimentError, match=r"tasks: 4097 .*1 to 4096"):
        make(model="threads", tasks=4097).validate()


def test_faults_must_name_a_task_of_the_run_and_fit_the_model():
    make(fault=Fault("kill", 9), tasks=10).validate()
    with pytest.raises(ExperimentError, match=r"fault: 'explode' .*choose one of: none, raise"):
        make(fault=Fault("explode", 0)).validate()
    with pytest.raises(ExperimentError, match=r"fault: 'kill:10' .*0 to 9"):
        make(fault=Fault("kill", 10), tasks=10).validate()
    with pytest.raises(ExperimentError, match="needs a process model"):
        make(model="threads", fault=Fault("segv", 0)).validate()
    make(model="threads", fault=Fault("raise", 0)).validate()


def test_fault_text_is_parsed():
    assert Fault.parse("kill:3") == Fault("kill", 3)
    assert Fault.parse("hang") == Fault("hang", 0)
    with pytest.raises(ExperimentError, match="fault: 'kill:x'"):
        Fault.parse("kill:x")


def test_plain_data_round_trip():
    experiment = make(
        model="pool-imap",
        workers=3,
        tasks=50,
        workload="io",
        size=2.5,
        distribution="straggler",
        chunksize=4,
        seed=7,
        fault=Fault("raise", 2),
        speed=3.0,
        title="demo",
    )
    data = experiment.to_dict()
    assert data["fault"] == "raise:2"
    assert Experiment.from_dict(data) == experiment


def test_from_dict_refuses_unknown_keys_and_wrong_types():
    with pytest.raises(ExperimentError, match="colour"):
        Experiment.from_dict({"colour": "red"})
    with pytest.raises(ExperimentError, match="experiment"):
        Experiment.from_dict(["workers", 2])  # type: ignore[arg-type]
    with pytest.raises(ExperimentError, match="workers: True"):
        Experiment.from_dict({"workers": True})
    with pytest.raises(ExperimentError, match="model: 3"):
        Experiment.from_dict({"model": 3})
    with pytest.raises(ExperimentError, match="workers: '4'"):
        Experiment.from_dict({"workers": "4"})
    # Whole floats and ints are what JSON and TOML give; they are taken as meant.
    assert Experiment.from_dict({"workers": 4.0, "size": 3}).workers == 4


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cpu:5ms", ("cpu", 5.0)),
        ("io:2s", ("io", 2000.0)),
        ("nogil:500us", ("nogil", 0.5)),
        ("primes:20000", ("primes", 20000.0)),
        ("square", ("square", 0.0)),
        (" cpu : 7 ", ("cpu", 7.0)),
    ],
)
def test_task_text_is_parsed(text, expected):
    assert parse_task(text) == expected


@pytest.mark.parametrize("text", ["gpu:5ms", "cpu:fast", "cpu:5min", ""])
def test_bad_task_text_is_refused(text):
    with pytest.raises(ExperimentError, match="task: "):
        parse_task(text)


def test_task_sizes_are_reproducible_by_seed():
    uniform = make(tasks=100, distribution="uniform", size=10.0, seed=3)
    assert uniform.task_sizes() == uniform.task_sizes()
    assert uniform.task_sizes() != uniform.replace(seed=4).task_sizes()
    assert all(5.0 <= s <= 15.0 for s in uniform.task_sizes())
    straggler = make(tasks=20, distribution="straggler", size=2.0).task_sizes()
    assert sorted(straggler)[-1] == 20.0 and sorted(straggler)[-2] == 2.0
    assert make(tasks=5, workload="io", size=2.0, speed=3.0).task_sizes() == [6.0] * 5
    assert make(tasks=4, workload="square").task_args() == [0, 1, 2, 3]


def test_parallel_workers_follows_the_model():
    assert make(model="sequential", workers=8).parallel_workers == 1
    assert make(model="processes", tasks=12).parallel_workers == 12
    assert make(model="pool-map", workers=8, tasks=3).parallel_workers == 3
    assert make(model="pool-map", workers=4, tasks=30).parallel_workers == 4


def test_limits_cover_every_numeric_field():
    assert set(LIMITS) == {
        "workers",
        "tasks",
        "chunksize",
        "size",
        "seed",
        "speed",
        "array_mb",
        "threads_per_worker",
    }
