"""Hostile experiment files: every malformed value is refused in one line, never a traceback."""

from __future__ import annotations

import random

import pytest

from coreography.model.experiment import Experiment, Fault
from coreography.model.experiment_file import (
    ExperimentFileError,
    dumps_experiment,
    loads_experiment,
)

BASE = dumps_experiment(
    Experiment(workload="custom", code="def task(x):\n    return x\n", fault=Fault.parse("raise:1"))
)
KEYS = [line.split(" = ")[0] for line in BASE.splitlines()[5:] if " = " in line]
HOSTILE_VALUES = [
    '"x"', '""', "0", "-1", "1.5", "true", "nan", "inf", "-inf", "1e400", "-1e400",
    "1" + "0" * 30, "1" + "0" * 400, "0x" + "f" * 1000, "9223372036854775807",
    "[]", "[1, 2]", "[[1]]", "{}", '{kind = "kill", task = 1}', '{kind = "kill", task = "x"}',
    "{kind = 3}", '{kind = "kill", task = 1, extra = 2}', "{task = 1}",
    "1979-05-27T07:32:00Z", "07:32:00", '"kill:1e9"', '"kill:-1"', '"kill:"',
    '"raise:99999999999999999999"', '"\\u0000\\u001b[2J"', '"' + "a" * 300_000 + '"',
    "[" * 100_000 + "]" * 100_000, "{a = " * 5_000 + "1" + "}" * 5_000,
]  # fmt: skip


def _outcome(text: str) -> Experiment | None:
    """The experiment read, or None after a clean refusal; anything else fails the test."""
    try:
        return loads_experiment(text, source="hostile.toml")
    except ExperimentFileError as exc:
        message = str(exc)
        assert "\n" not in message and message.startswith("hostile.toml: "), message
        assert len(message) < 400, message[:100]
        return None


def _with_value(key: str, value: str) -> str:
    if key == "code":  # the one multi-line value
        start = BASE.index('code = """')
        return BASE[:start] + f"code = {value}\n"
    return "\n".join(
        f"{key} = {value}" if line.startswith(f"{key} = ") else line for line in BASE.splitlines()
    )


@pytest.mark.parametrize("key", ["format", "version", *KEYS])
def test_every_setting_with_every_hostile_value(key):
    for value in HOSTILE_VALUES:
        experiment = _outcome(_with_value(key, value))
        if experiment is not None:  # accepted: then it is a valid experiment
            assert experiment.validate() is experiment


@pytest.mark.parametrize(
    "text",
    [
        BASE.replace("[experiment]", "experiment = 3"),
        BASE.replace("[experiment]", "[[experiment]]"),
        BASE.replace("[experiment]", "[experiment.fault]\nkind = 'kill'\n[experiment]"),
        BASE.replace("version = 1", "version = 1.0"),
        BASE.replace("version = 1", "version = 1e400"),
        BASE.replace('format = "coreography-experiment"', "format = []"),
        BASE + "unknown = 1\n",
        BASE + "[other]\n" * 2,
        "",
        "\x00\x01",
    ],
)
def test_hostile_structure_is_refused(text):
    assert _outcome(text) is None


def _mutants(seed: int, count: int):
    rng = random.Random(seed)
    data = BASE.encode()
    inserts = [b'"', b"[", b"{", b"9" * 30, b"\\", b"\n", b"=", b".", b"e999", b"-", b"'''"]
    for _ in range(count):
        mutant = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(mutant))
            choice = rng.random()
            if choice < 0.4:
                mutant[at] = rng.randrange(256)
            elif choice < 0.7:
                del mutant[at : at + rng.randint(1, 8)]
            else:
                mutant[at:at] = rng.choice(inserts)
        yield bytes(mutant)


def _check_mutants(seed: int, count: int) -> None:
    for mutant in _mutants(seed, count):
        try:
            text = mutant.decode("utf-8")
        except UnicodeDecodeError:
            continue  # load_experiment refuses these before parsing
        experiment = _outcome(text)
        if experiment is not None:
            assert experiment.validate() is experiment


def test_byte_mutants_load_or_are_refused_in_one_line():
    _check_mutants(seed=18, count=400)


@pytest.mark.slow
def test_many_byte_mutants_load_or_are_refused_in_one_line():
    _check_mutants(seed=1818, count=5_000)
