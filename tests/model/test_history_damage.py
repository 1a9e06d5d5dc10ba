"""A damaged history file is moved aside whole, and every run still readable is kept."""

from __future__ import annotations

import gzip
import sqlite3

import pytest

from coreography.model.history import History
from coreography.model.recording import RecordingError
from tests.gui.test_damaged_state import _garble_last, _garble_middle, _history_of
from tests.model.test_history import synthetic_run


@pytest.mark.parametrize("damage", [_garble_middle, _garble_last])
def test_a_garbled_page_costs_only_the_runs_on_it(tmp_path, damage):
    path = tmp_path / "history.sqlite3"
    _history_of(path)
    damage(path)
    damaged = path.read_bytes()
    with History(path) as history:
        assert history.set_aside.read_bytes() == damaged  # the user's copy, unchanged
        assert 0 < history.salvaged < 30
        titles = [entry.title for entry in history.list()]
        assert len(set(titles)) == len(titles) == history.salvaged
        for entry in history.list():
            assert history.load(entry.id).experiment.tasks == 200
        assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_read_only_history_is_not_moved(tmp_path):
    path = tmp_path / "history.sqlite3"
    _history_of(path, runs=2)
    path.chmod(0o444)
    tmp_path.chmod(0o555)
    try:
        try:
            with History(path) as history:  # root may still write: then it simply opens
                assert history.set_aside is None and len(history) == 2
        except sqlite3.OperationalError:
            pass  # not damage: "runs are not kept", and nothing is moved
        assert sorted(p.name for p in tmp_path.iterdir())[0] == "history.sqlite3"
        assert not [p for p in tmp_path.iterdir() if ".damaged-" in p.name]
    finally:
        tmp_path.chmod(0o755)


@pytest.mark.parametrize(
    "blob",
    [b"text, not gzip", gzip.compress(b"[" * 100_000), gzip.compress(b" " * (200 * 1024**2))],
    ids=["not gzip", "nested", "bomb"],
)
def test_a_damaged_stored_recording_is_a_recording_error(tmp_path, blob):
    path = tmp_path / "history.sqlite3"
    with History(path) as history:
        run_id = history.add(synthetic_run())
        history._db.execute("UPDATE runs SET recording = ? WHERE id = ?", (blob, run_id))
        with pytest.raises(RecordingError, match=f"history run {run_id}"):
            history.load(run_id)
