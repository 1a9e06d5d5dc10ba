"""Run history: kept across restarts, capped, and intact after a writer is killed mid-write."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coreography.model.experiment import Experiment
from coreography.model.history import History, default_history_path
from coreography.model.recording import run_to_dict, save_run
from coreography.model.run import FINISHED, Run
from tests.model.fakes import DRIVER, MS


def synthetic_run(tasks: int = 3, title: str = "") -> Run:
    run = Run(Experiment(tasks=tasks, title=title), cores=2, t0=1_000 * MS)
    run.set_driver(DRIVER)
    run.finish(FINISHED, "finished", 1_500 * MS, {})
    return run


def test_default_path_is_in_the_user_data_folder():
    path = default_history_path()
    assert path.name == "history.sqlite3" and "coreography" in str(path).lower()


def test_add_list_load_delete_clear(tmp_path):
    with History(tmp_path / "h.sqlite3") as history:
        first = history.add(synthetic_run(title="first"))
        second = history.add(synthetic_run(tasks=5))
        entries = history.list()
        assert [e.id for e in entries] == [second, first]  # newest first
        assert entries[1].title == "first"
        assert entries[0].title == "pool-map, 2 workers, 5 tasks"
        assert (entries[0].model, entries[0].workers, entries[0].tasks) == ("pool-map", 2, 5)
        assert entries[0].state == FINISHED and entries[0].created > 0
        loaded = history.load(second)
        assert run_to_dict(loaded) == run_to_dict(synthetic_run(tasks=5))
        assert history.delete(first) and not history.delete(first)
        with pytest.raises(KeyError):
            history.load(first)
        history.clear()
        assert len(history) == 0


def test_survives_a_restart(tmp_path):
    path = tmp_path / "h.sqlite3"
    with History(path) as history:
        kept = history.add(synthetic_run(title="kept"))
    with History(path) as reopened:
        assert [e.title for e in reopened.list()] == ["kept"]
        assert reopened.load(kept).experiment.title == "kept"


def test_capped_oldest_dropped(tmp_path):
    with History(tmp_path / "h.sqlite3", max_runs=3) as history:
        ids = [history.add(synthetic_run(title=str(i))) for i in range(5)]
        assert [e.id for e in history.list()] == ids[:1:-1]
        history.set_max_runs(1)
        assert [e.id for e in history.list()] == [ids[-1]]
        with pytest.raises(ValueError, match="max_runs"):
            history.set_max_runs(0)


WRITER = """
import sys
from coreography.model.history import History
from coreography.model.recording import load_run
run = load_run(sys.argv[2])
history = History(sys.argv[1], max_runs=25)
while True:
    history.add(run)
"""


@pytest.mark.slow
def test_killed_mid_write_leaves_a_consistent_database(tmp_path):
    recording = tmp_path / "run.coreo.json"
    save_run(synthetic_run(tasks=2000), recording)  # big enough that writes take a while
    path = tmp_path / "h.sqlite3"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), str(recording)],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")},
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _count(path) < 30:
            time.sleep(0.05)  # enough writes to be trimming as well as adding
        time.sleep(0.05)
        written = _count(path)
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(10)
    assert writer.returncode == -signal.SIGKILL
    assert written >= 30, "the writer did not get going"
    with History(path, max_runs=25) as history:
        assert history._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        entries = history.list()
        assert 0 < len(entries) <= 25
        for entry in entries:  # every summary row has its whole recording
            assert history.load(entry.id).n_tasks == 2000
        history.add(synthetic_run())  # and it can be written to again


def _count(path: Path) -> int:
    try:
        with sqlite3.connect(path, timeout=1) as db:
            return db.execute("SELECT MAX(id) FROM runs").fetchone()[0] or 0
    except sqlite3.Error:
        return 0
