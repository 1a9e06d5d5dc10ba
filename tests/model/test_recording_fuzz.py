"""Mutation fuzzing of recordings: each mutant is refused in one line or loaded faithfully.

Faithfully means: saving the loaded run again gives back the file's own document, except
that keys the format does not know are dropped, optional keys absent from the file come
back as null or their default, ``[key, value]`` pairs come back sorted, a fault comes back
in its one spelling, and per-core and per-process CPU figures are kept as 32-bit floats.
A loaded mutant must also go through everything a user can do with it: the summary, the
diagnosis and both exports.
"""

from __future__ import annotations

import gzip
import json
import math

import pytest

from coreography.model.diagnosis import diagnose
from coreography.model.experiment import Experiment, Fault
from coreography.model.export import chrome_trace, export_csv
from coreography.model.metrics import compute_metrics, format_table
from coreography.model.recording import RecordingError, load_run, run_to_dict
from tests.model.fakes import full_run, thread_run
from tests.model.recording_mutants import mutants

DEFAULTS = Experiment().to_dict()
PAIRS = ("received", "reported_sent", "produced", "requests_by_task")
FLOAT32 = ("percore", "cpu")


@pytest.fixture(scope="module")
def documents() -> list[dict]:
    return [json.loads(json.dumps(run_to_dict(make()))) for make in (full_run, thread_run)]


def _faithful(source, loaded, path: str = "") -> None:
    """Assert that ``loaded`` (the re-saved run) says what ``source`` (the file) said."""
    if isinstance(source, dict) and isinstance(loaded, dict):
        for key, value in loaded.items():
            where = f"{path}.{key}"
            if key in source:
                _faithful(source[key], value, where)
            elif path == ".experiment":
                assert value == DEFAULTS[key], f"{where}: absent, loaded as {value!r}"
            else:
                assert value in (None, False), f"{where}: absent, loaded as {value!r:.40}"
        return
    if isinstance(source, list) and isinstance(loaded, list):
        assert len(source) == len(loaded), f"{path}: {len(source)} entries, loaded {len(loaded)}"
        if path.rsplit(".", 1)[-1] in PAIRS:
            source = sorted(source)
        for index, (a, b) in enumerate(zip(source, loaded, strict=True)):
            _faithful(a, b, f"{path}[{index}]")
        return
    assert (type(source) is bool) == (type(loaded) is bool), f"{path}: {source!r} vs {loaded!r}"
    if isinstance(source, float | int) and isinstance(loaded, float | int):
        single = any(name in path for name in FLOAT32)  # float32: ~7 digits, tiny is 0
        close = math.isclose(
            source, loaded, rel_tol=1e-6 if single else 0.0, abs_tol=1e-37 if single else 0.0
        )
        assert close, f"{path}: {source!r} vs {loaded!r}"
    elif path == ".experiment.fault":  # written in its one spelling ("none:" is "none")
        assert Fault.parse(source) == Fault.parse(loaded), f"{path}: {source!r} vs {loaded!r}"
    else:
        assert source == loaded, f"{path}: {source!r:.40} vs {loaded!r:.40}"


def _use(run, tmp_path) -> None:
    """Everything a user can do with a loaded recording."""
    metrics = compute_metrics(run)
    assert format_table(metrics)
    diagnose(run, metrics)
    json.dumps(chrome_trace(run), allow_nan=False)
    export_csv(run, tmp_path / "tasks.csv")


def _fuzz(documents, tmp_path, seed: int, count: int) -> tuple[int, int]:
    loaded = refused = 0
    path = tmp_path / "mutant.coreo.json"
    for number, document in enumerate(documents):
        for name, data in mutants(document, seed + number, count // len(documents)):
            path.write_bytes(data)
            try:
                run = load_run(path)
            except RecordingError as exc:
                message = str(exc)
                assert "\n" not in message and message.startswith(str(path)), (name, message)
                refused += 1
                continue
            loaded += 1
            text = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
            _faithful(json.loads(text), json.loads(json.dumps(run_to_dict(run))))
            _use(run, tmp_path)
    return loaded, refused


def test_a_few_hundred_mutants_are_refused_cleanly_or_loaded_faithfully(documents, tmp_path):
    loaded, refused = _fuzz(documents, tmp_path, seed=18, count=400)
    assert loaded + refused == 400 and loaded > 0 and refused > 0


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1_000, 2_000, 3_000])
def test_thousands_of_mutants_are_refused_cleanly_or_loaded_faithfully(documents, tmp_path, seed):
    loaded, refused = _fuzz(documents, tmp_path, seed=seed, count=2_000)
    assert loaded + refused == 2_000
