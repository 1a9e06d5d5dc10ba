"""Long number lists read straight into numpy: the same data and the same refusals as json."""

from __future__ import annotations

import json

import numpy as np
import pytest

from coreography.model import json_columns
from coreography.model.json_columns import Column
from coreography.model.recording import RecordingError, load_run, run_to_dict, save_run
from tests.model.fakes import assert_runs_equal, big_run


def _refuse(name: str) -> None:
    raise ValueError(name)


def _long(items: str) -> str:
    """``items`` repeated into a list body longer than json_columns reads itself."""
    return ",".join([items] * (json_columns.MIN_BYTES // len(items) + 2))


def _loads(text: str):
    holders: list[dict] = []
    return json_columns.loads(text.encode(), _refuse, holders), holders


def _plain(node):
    """The parsed document with every Column as the list json.loads gives."""
    if isinstance(node, Column):
        return node.as_list()
    if isinstance(node, dict):
        return {key: _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(value) for value in node]
    return node


VALID = ["1,2,3", "0,-0,null", "-12,340,null,null", "1.5,2e5,-3E-2,4e+1,0.0e-0", "7,0.25", "0"]
INVALID = [
    "01,2", "1,,2", "1,2,", "-", "1.,2", "1.e5", ".5", "1e", "1e+", "+1", "1-2", "1.5.5",
    "1e5e5", "1e5.5", "nul", "nulll", "1,2n", "--1", "1+2", "5e+-1", "-01", "NaN", "1e5-",
]  # fmt: skip


@pytest.mark.parametrize("items", VALID)
def test_a_long_list_of_numbers_becomes_a_column_with_json_values(items):
    text = f'{{"a":[{_long(items)}],"b":"x"}}'
    data, holders = _loads(text)
    column = data["a"]
    assert isinstance(column, Column) and holders == [data]
    reference = json.loads(text, parse_constant=_refuse)["a"]
    assert column.as_list() == reference
    assert column.integral == all(type(v) is not float for v in reference)
    parsed = column.take(np.int64 if column.integral else np.float64)
    assert parsed.tolist() == [0 if v is None else v for v in reference]
    assert column.nulls.tolist() == [v is None for v in reference]


@pytest.mark.parametrize("items", INVALID)
def test_anything_but_json_numbers_is_left_to_json(items):
    text = f'{{"a":[{_long(items)}]}}'
    try:
        reference = json.loads(text, parse_constant=_refuse)
    except ValueError as exc:
        with pytest.raises(ValueError) as caught:
            _loads(text)
        assert str(caught.value) == str(exc)
        return
    data, _ = _loads(text)
    assert _plain(data) == reference  # not a list of numbers (NaN): whatever json made


@pytest.mark.parametrize(
    "template",
    [
        '{{"s":"[{0}]","a":[{0}]}}',  # the same list inside a string: still text
        '{{"a":[[{0}]]}}',  # a list not held by a key: json's list
        '{{"a":[{0}],"b":[{0}]}}',
        "[[{0}]]",
        '{{"a":[{0}] , "b" : [ {0} ]}}',  # spaces around a list: json's list
    ],
)
def test_every_document_reads_as_json_reads_it(template):
    text = template.format(_long("12,-3,null,4.5"))
    data, _ = _loads(text)
    assert _plain(data) == json.loads(text, parse_constant=_refuse)


def test_a_broken_document_gives_json_s_own_error():
    text = f'{{"a":[{_long("1,2")}],"b":}}'
    with pytest.raises(json.JSONDecodeError) as caught:
        _loads(text)
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(text, parse_constant=_refuse)
    assert str(caught.value) == str(expected.value)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    path = tmp_path_factory.mktemp("columns") / "run.coreo.json"
    run = big_run(20_000)
    save_run(run, path)
    return run, path


def test_a_large_recording_round_trips_through_columns(saved):
    run, path = saved
    holders: list[dict] = []
    data = json_columns.loads(path.read_bytes(), _refuse, holders)
    assert isinstance(data["tasks"]["start"], Column)  # the fast path was taken
    assert_runs_equal(run, load_run(path))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("start", 1.5),
        ("start", "x"),
        ("start", -(2**62)),
        ("lane", 99),
        ("status", None),
        ("value", "x"),
        ("value", 1e308),
        ("cpu", True),
    ],
)
def test_a_bad_value_deep_in_a_column_is_refused_as_before(
    saved, tmp_path, monkeypatch, field, value
):
    run, _ = saved
    document = json.loads(json.dumps(run_to_dict(run)))
    document["tasks"][field][15_000] = value
    if field == "value" and value == 1e308:
        document["tasks"][field][15_000] = 10**400  # an integer too large for a float
    path = tmp_path / "bad.coreo.json"
    path.write_text(json.dumps(document, separators=(",", ":")))
    with pytest.raises(RecordingError) as fast:
        load_run(path)
    monkeypatch.setattr(json_columns, "MIN_BYTES", 10**12)  # json.loads alone
    with pytest.raises(RecordingError) as plain:
        load_run(path)
    assert str(fast.value) == str(plain.value)
    assert "tasks." + field in str(fast.value)
