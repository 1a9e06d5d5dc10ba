"""Recordings: exact round trips, gzip by content, and hostile files refused in one line."""

from __future__ import annotations

import gzip
import json
import time

import numpy as np
import pytest

from coreography.model import recording_checks, recording_write
from coreography.model.recording import (
    FORMAT,
    VERSION,
    RecordingError,
    load_run,
    recorded_host,
    run_from_dict,
    run_to_dict,
    save_run,
)
from coreography.model.run import NO_TIME, Sample
from tests.model.fakes import assert_runs_equal, big_run, full_run, thread_run


@pytest.fixture
def document() -> dict:
    """A valid recording, as parsed JSON, ready to be spoiled."""
    return json.loads(json.dumps(run_to_dict(full_run())))


@pytest.mark.parametrize("make", [full_run, lambda: full_run(finish=False), thread_run])
@pytest.mark.parametrize("name", ["run.coreo.json", "run.coreo.json.gz"])
def test_round_trip_is_exact(tmp_path, make, name):
    run = make()
    path = tmp_path / name
    save_run(run, path)
    loaded = load_run(path)
    assert_runs_equal(run, loaded)
    assert run_to_dict(loaded) == json.loads(json.dumps(run_to_dict(run)))
    assert loaded.results() == run.results()
    assert loaded.describe_loss() == run.describe_loss()


def test_the_document_names_its_format_and_keeps_times_relative():
    run = full_run()
    data = run_to_dict(run)
    assert (data["format"], data["version"]) == (FORMAT, VERSION)
    assert data["t0"] == run.t0
    assert data["run"]["run_started"] == run.run_started_ns - run.t0
    assert data["tasks"]["value"][3] is None  # a failed task has no value: NaN -> null
    assert set(data["host"]) == {"cores", "platform", "python"}


def test_gzip_is_recognised_by_content_not_name(tmp_path):
    zipped = tmp_path / "a.coreo.json.gz"
    save_run(full_run(), zipped)
    assert zipped.read_bytes()[:2] == b"\x1f\x8b"
    renamed = tmp_path / "b.coreo.json"
    renamed.write_bytes(zipped.read_bytes())
    assert_runs_equal(load_run(renamed), full_run())


def test_saving_a_loaded_run_keeps_its_host(tmp_path, document):
    document["host"] = {"cores": 2, "platform": "Elsewhere-1.0", "python": "3.99.0"}
    run = run_from_dict(document)
    assert recorded_host(run)["platform"] == "Elsewhere-1.0"
    save_run(run, tmp_path / "again.coreo.json")
    assert load_run(tmp_path / "again.coreo.json").experiment == run.experiment
    assert recorded_host(load_run(tmp_path / "again.coreo.json"))["python"] == "3.99.0"


def test_a_start_method_this_system_lacks_still_loads(monkeypatch, document):
    monkeypatch.setattr(recording_checks, "available_start_methods", lambda: ["spawn"])
    document["experiment"]["start_method"] = "fork"
    assert run_from_dict(document).experiment.start_method == "fork"


def test_save_leaves_no_partial_file(tmp_path):
    save_run(full_run(), tmp_path / "r.coreo.json")
    assert [p.name for p in tmp_path.iterdir()] == ["r.coreo.json"]


def _set(path: str, value):
    """A spoiler setting ``path`` (dots and [i]) of the document to ``value``."""

    def spoil(doc):
        *parents, last = path.replace("[", ".").replace("]", "").split(".")
        for key in parents:
            doc = doc[int(key)] if key.isdigit() else doc[key]
        doc[int(last) if last.isdigit() else last] = value

    return spoil


def _drop(section: str, key: str | None = None):
    def spoil(doc):
        del (doc[section] if key else doc)[key or section]

    return spoil


HOSTILE = {
    "format": (_set("format", "something-else"), "format"),
    "newer version": (_set("version", VERSION + 1), "newer"),
    "version zero": (_set("version", 0), "version"),
    "version as text": (_set("version", "1"), "version"),
    "version as bool": (_set("version", True), "version"),
    "no experiment": (_drop("experiment"), "experiment"),
    "experiment tasks too many": (_set("experiment.tasks", 2_000_000), "tasks"),
    "experiment unknown key": (_set("experiment.colour", "red"), "colour"),
    "experiment workers text": (_set("experiment.workers", "4"), "workers"),
    "experiment bad fault": (_set("experiment.fault", {"kind": "kill", "oops": 1}), "fault"),
    "experiment start method": (_set("experiment.start_method", "teleport"), "start_method"),
    "host cores zero": (_set("host.cores", 0), "host.cores"),
    "host not an object": (_set("host", [2]), "host"),
    "t0 negative": (_set("t0", -5), "t0"),
    "t0 beyond int64": (_set("t0", 10**30), "t0"),
    "t0 float": (_set("t0", 1.5), "t0"),
    "state unknown": (_set("run.state", "exploded"), "run.state"),
    "message not text": (_set("run.message", 3), "run.message"),
    "bad frames negative": (_set("run.bad_frames", -1), "run.bad_frames"),
    "n_done beyond tasks": (_set("run.n_done", 7), "run.n_done"),
    "run started huge": (_set("run.run_started", 2**63), "run.run_started"),
    "lanes not a list": (_set("lanes", {}), "lanes"),
    "lane index wrong": (_set("lanes[1].index", 5), "lanes[1].index"),
    "lane pid negative": (_set("lanes[1].pid", -3), "lanes[1].pid"),
    "lane role": (_set("lanes[1].role", "boss"), "lanes[1].role"),
    "lane duplicate": (_set("lanes[2].pid", 2001), "lanes[2]"),
    "lane cpu infinite": (_set("lanes[1].cpu_seconds", "@1e999@"), "lanes[1].cpu_seconds"),
    "lane exit code text": (_set("lanes[1].exit_code", "9"), "lanes[1].exit_code"),
    "task column short": (_set("tasks.start", [0, 1]), "tasks.start"),
    "task column not list": (_set("tasks.end", "nope"), "tasks.end"),
    "task start text": (_set("tasks.start[2]", "x"), "tasks.start[2]"),
    "task start bool": (_set("tasks.start[2]", True), "tasks.start[2]"),
    "task start beyond int64": (_set("tasks.start[1]", 2**64), "tasks.start[1]"),
    "task end before time": (_set("tasks.end[1]", -(10**15)), "tasks.end[1]"),
    "task lane out of range": (_set("tasks.lane[0]", 3), "tasks.lane[0]"),
    "task lane too low": (_set("tasks.lane[0]", -2), "tasks.lane[0]"),
    "task lane without start": (_set("tasks.start[0]", None), "task"),
    "task status unknown": (_set("tasks.status[0]", 9), "tasks.status[0]"),
    "task value too big": (_set("tasks.value[0]", 10**400), "tasks.value[0]"),
    "task value infinite": (_set("tasks.value[0]", "@1e999@"), "tasks.value[0]"),
    "task value text": (_set("tasks.value[0]", "1"), "tasks.value[0]"),
    "task cpu negative": (_set("tasks.cpu[0]", -7), "tasks.cpu[0]"),
    "task text out of range": (_set("task_text.task", [6]), "task_text.task"),
    "task text mismatched": (_set("task_errors.text", []), "task_errors.text"),
    "task text repeated": (_set("task_text", {"task": [1, 1], "text": ["a", "b"]}), "twice"),
    "texts length mismatch": (_set("texts.t", [1]), "texts.t"),
    "texts kind unknown": (_set("texts.kind[0]", 99), "texts.kind[0]"),
    "texts lane out of range": (_set("texts.lane[0]", 40), "texts.lane[0]"),
    "texts text not text": (_set("texts.text[0]", 5), "texts.text[0]"),
    "logs not texts": (_set("logs", [1]), "logs[0]"),
    "percore row short": (_set("cpu_samples.percore[0]", [1.0]), "cpu_samples.percore"),
    "percore text": (_set("cpu_samples.percore[0][1]", "50"), "cpu_samples.percore[1]"),
    "percore absurd": (_set("cpu_samples.percore[0][1]", 1e9), "cpu_samples.percore[1]"),
    "proc samples pid": (_set("proc_samples.pid[0]", 2**40), "proc_samples.pid[0]"),
    "proc samples short": (_set("proc_samples.rss", [1]), "proc_samples.rss"),
    "received not pairs": (_set("accounting.received", [[1, 2, 3]]), "accounting.received[0]"),
    "received negative": (_set("accounting.received", [[1, -2]]), "accounting.received[0][1]"),
    "received repeated": (_set("accounting.received", [[1, 2], [1, 3]]), "twice"),
    "produced not a list": (_set("accounting.produced", {"1": 2}), "accounting.produced"),
    "requests bad task": (_set("requests_by_task", [[99, 1]]), "requests_by_task[0][0]"),
    "top level list": (lambda doc: doc.clear() or doc.update({"x": 1}), "not a recording"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_documents_are_refused_naming_what_is_wrong(tmp_path, document, name):
    spoil, fragment = HOSTILE[name]
    spoil(document)
    path = tmp_path / "bad.coreo.json"
    # JSON can spell a number no float holds; json.dumps cannot, so it is put in as text.
    path.write_text(json.dumps(document).replace('"@1e999@"', "1e999"), encoding="utf-8")
    with pytest.raises(RecordingError) as caught:
        load_run(path)
    message = str(caught.value)
    assert "\n" not in message
    assert fragment in message, message
    assert str(path) in message


def _truncated(path):
    save_run(full_run(), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _gzip_truncated(path):
    save_run(full_run(), path)
    data = gzip.compress(path.read_bytes())
    path.write_bytes(data[: len(data) // 2])


BROKEN_FILES = {
    "empty": (lambda p: p.write_bytes(b""), "truncated"),
    "not JSON": (lambda p: p.write_text("hello, world"), "not valid JSON"),
    "binary junk": (lambda p: p.write_bytes(bytes(range(256)) * 4), "not"),
    "truncated": (_truncated, "truncated"),
    "NaN literal": (lambda p: p.write_text('{"format": NaN}'), "NaN"),
    "JSON array": (lambda p: p.write_text("[1, 2]"), "not a recording"),
    "deeply nested": (lambda p: p.write_text("[" * 100_000 + "]" * 100_000), "JSON"),
    "gzip garbage": (lambda p: p.write_bytes(b"\x1f\x8b" + b"garbage" * 20), "gzip"),
    "gzip truncated": (_gzip_truncated, "truncated"),
    "gzip of junk": (lambda p: p.write_bytes(gzip.compress(b"\x00\xff" * 50)), "not"),
    "huge integer": (lambda p: p.write_text('{"t0": ' + "9" * 5000 + "}"), "JSON"),
}


@pytest.mark.parametrize("name", sorted(BROKEN_FILES))
def test_broken_files_are_refused_in_one_line(tmp_path, name):
    make, fragment = BROKEN_FILES[name]
    path = tmp_path / "broken.coreo.json"
    make(path)
    with pytest.raises(RecordingError) as caught:
        load_run(path)
    message = str(caught.value)
    assert "\n" not in message and len(message) < 300, message
    assert fragment in message, message


def test_a_missing_file_is_a_recording_error(tmp_path):
    with pytest.raises(RecordingError, match="cannot read"):
        load_run(tmp_path / "absent.coreo.json")


def test_a_million_tasks_save_and_load_in_seconds(tmp_path):
    run = big_run(1_000_000)
    path = tmp_path / "big.coreo.json.gz"
    began = time.perf_counter()
    save_run(run, path)
    saved = time.perf_counter()
    loaded = load_run(path)
    done = time.perf_counter()
    assert_runs_equal(run, loaded)
    assert saved - began < 10 and done - saved < 10, (saved - began, done - saved)


def _leaves(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list) and node:
        for index, value in enumerate(node):
            yield from _leaves(value, (*path, index))
    else:
        yield path


@pytest.mark.parametrize("replacement", [None, "x", -1, 2**70, 1.5, True, [], {}])
def test_any_value_replaced_by_anything_loads_or_is_refused_cleanly(replacement):
    """Structural fuzzing: no replacement of any single value escapes as another error."""
    original = json.loads(json.dumps(run_to_dict(full_run())))
    for path in _leaves(original):
        document = json.loads(json.dumps(original))
        node = document
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = replacement
        try:
            run_from_dict(document)
        except RecordingError as exc:
            assert "\n" not in str(exc)


def test_every_truncation_is_refused(tmp_path):
    path = tmp_path / "r.coreo.json"
    save_run(full_run(), path)
    data = path.read_bytes()
    for cut in range(0, len(data) - 1, 7):
        path.write_bytes(data[:cut])
        with pytest.raises(RecordingError):
            load_run(path)


def _mixed_run():
    """Blocks of whole results, a fraction, a -0.0, NaN and unknown times; samples."""
    run = big_run(3 * recording_write.BLOCK + 10)
    block = recording_write.BLOCK
    run.task_value[block + 3] = 2.5
    run.task_value[2 * block + 4] = -0.0
    run.task_value[:5] = np.nan
    run.task_end[-4:] = NO_TIME
    run.task_cpu[7] = 123_456_789
    run.apply([], [Sample(run.t0 + 5, [12.5, 1 / 3], [(3000, 33.3, 1, 1 << 20)])])
    run.thread_states.extend([(1, run.t0 + 10, run.t0 + 20, 1), (2, run.t0 + 15, run.t0 + 30, 0)])
    return run


@pytest.mark.parametrize("make", [full_run, lambda: full_run(finish=False), thread_run, _mixed_run])
def test_a_saved_recording_is_the_json_of_its_document(tmp_path, make):
    run = make()
    path = tmp_path / "run.coreo.json"
    save_run(run, path)
    expected = json.dumps(
        run_to_dict(run), ensure_ascii=False, allow_nan=False, separators=(",", ":")
    )
    assert path.read_bytes() == expected.encode("utf-8")
    assert_runs_equal(run, load_run(path))


def test_a_text_that_looks_like_a_column_is_kept(tmp_path):
    run = full_run()
    run.message = '"\x01column-0123456789abcdef:0'
    path = tmp_path / "run.coreo.json"
    save_run(run, path)
    assert load_run(path).message == run.message
