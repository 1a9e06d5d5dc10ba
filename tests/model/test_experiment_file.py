"""Experiment files: round trip through TOML, exact text kept, bad files refused in one line."""

from __future__ import annotations

import dataclasses
import tomllib

import pytest

from coreography.model.experiment import Experiment, Fault
from coreography.model.experiment_file import (
    ExperimentFileError,
    dumps_experiment,
    load_experiment,
    loads_experiment,
    save_experiment,
)

HAS_CODE = "code" in {f.name for f in dataclasses.fields(Experiment)}
TRICKY = 'A "quoted" \\ back\\slash\ttab, \u00e9t\u00e9, \x01 control, \'single\' """ triple'


def test_round_trip_every_field(tmp_path):
    experiment = Experiment(
        model="pool-imap-unordered",
        workers=3,
        tasks=17,
        workload="io",
        size=12.5,
        distribution="straggler",
        chunksize=4,
        seed=42,
        fault=Fault("raise", 3),
        speed=2.0,
        title=TRICKY,
    ).validate()
    path = tmp_path / "exp.toml"
    save_experiment(experiment, path)
    assert load_experiment(path) == experiment
    assert not list(tmp_path.glob("*.partial"))


def test_titles_with_any_characters_survive():
    for title in (TRICKY, "", "line one\nline two\r\nthree\n", 'ends with quote"', "\\"):
        experiment = Experiment(title=title)
        text = dumps_experiment(experiment)
        tomllib.loads(text)  # valid TOML for any other reader too
        assert loads_experiment(text).title == title


@pytest.mark.skipif(not HAS_CODE, reason="the experiment has no code field yet")
def test_user_code_is_kept_exactly_as_a_multi_line_string():
    code = (
        "import math\n\n"
        "def task(x):\n"
        '    """Doc \\n not a newline, a \t tab."""\n'
        '    return x * 2  # "hi" \\\r\n'
    )
    experiment = Experiment(workload="custom", code=code)  # type: ignore[call-arg]
    text = dumps_experiment(experiment)
    assert '"""\nimport math' in text  # readable: the code sits on its own lines
    assert loads_experiment(text).code == code  # type: ignore[attr-defined]


def test_floats_and_ints_keep_their_types():
    text = dumps_experiment(Experiment(size=1e-5, speed=1.0, workers=1))
    data = tomllib.loads(text)["experiment"]
    assert data["size"] == 1e-5 and isinstance(data["workers"], int)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not toml = = 1", "not valid TOML"),
        ('[experiment]\nmodel = "pool-map"\n', "not a Coreography experiment"),
        ('format = "coreography-experiment"\nversion = 99\n', "version 99 is not supported"),
        ('format = "coreography-experiment"\nversion = 1\n', "[experiment] table is missing"),
        (
            'format = "coreography-experiment"\nversion = 1\n[experiment]\nworkers = 0\n',
            "workers: 0 is not allowed",
        ),
        (
            'format = "coreography-experiment"\nversion = 1\n[experiment]\ncolour = "red"\n',
            "colour",
        ),
        (
            'format = "coreography-experiment"\nversion = 1\n[experiment]\nmodel = 3\n',
            "model: 3",
        ),
    ],
)
def test_bad_text_is_refused_in_one_line(text, message):
    with pytest.raises(ExperimentFileError) as info:
        loads_experiment(text, "x.toml")
    assert message in str(info.value)
    assert str(info.value).startswith("x.toml: ")
    assert "\n" not in str(info.value)


def test_unreadable_files_name_the_path(tmp_path):
    with pytest.raises(ExperimentFileError, match="cannot read"):
        load_experiment(tmp_path / "missing.toml")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ExperimentFileError, match="not UTF-8"):
        load_experiment(binary)
    with pytest.raises(ExperimentFileError, match="cannot write"):
        save_experiment(Experiment(), tmp_path / "no" / "such" / "x.toml")
