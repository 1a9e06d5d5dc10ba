"""A disk that fills up in the middle of a save: the old file stays whole, no partial
file is left. The full disk is a real file whose writes stop with ENOSPC after a quota
(mounting a small tmpfs needs root; this runs everywhere)."""

from __future__ import annotations

import errno
import io
import os

import pytest

from coreography.model import files
from coreography.model.experiment import Experiment
from coreography.model.experiment_file import ExperimentFileError, save_experiment
from coreography.model.export import export_chrome_trace, export_csv
from coreography.model.export_perfetto import export_perfetto
from coreography.model.recording import RecordingError, load_run, save_run
from tests.model.fakes import assert_runs_equal, big_run, full_run

QUOTA = 4096  # bytes the disk takes before it is full


class _FullDisk(io.FileIO):
    """A real file on disk that refuses bytes beyond :data:`QUOTA`, as a full disk does."""

    written = 0  # across instances: proves the save really began writing

    def write(self, data) -> int:
        room = QUOTA - _FullDisk.written
        if room <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        part = bytes(memoryview(data)[:room])
        count = super().write(part)
        _FullDisk.written += count
        return count


class _OsWithAFullDisk:
    """``os`` as :mod:`coreography.model.files` sees it, its new files on the full disk."""

    def __getattr__(self, name):
        return getattr(os, name)

    @staticmethod
    def fdopen(descriptor, mode="rb", *args, **kwargs):
        assert "w" in mode
        return io.BufferedWriter(_FullDisk(descriptor, "w"), buffer_size=1024)


@pytest.fixture
def full_disk(monkeypatch):
    _FullDisk.written = 0
    monkeypatch.setattr(files, "os", _OsWithAFullDisk())
    yield
    assert _FullDisk.written == QUOTA  # the save filled the disk: the test exercised it


SAVES = {
    "recording": ("r.coreo.json", save_run, RecordingError),
    "compressed": ("r.coreo.json.gz", save_run, RecordingError),
    "chrome": ("t.json", export_chrome_trace, RecordingError),
    "csv": ("t.csv", export_csv, RecordingError),
    "perfetto": ("t.pftrace", export_perfetto, RecordingError),
}


@pytest.mark.parametrize("kind", sorted(SAVES))
def test_a_disk_full_mid_save_leaves_the_old_file_whole_and_nothing_else(
    tmp_path, monkeypatch, kind
):
    name, save, error = SAVES[kind]
    target = tmp_path / name
    small = full_run()
    save(small, target)  # the old file, written on an ordinary disk
    before = target.read_bytes()
    _FullDisk.written = 0
    monkeypatch.setattr(files, "os", _OsWithAFullDisk())
    with pytest.raises(error, match="cannot write: No space left on device"):
        save(big_run(2_000), target)
    monkeypatch.undo()
    assert _FullDisk.written == QUOTA  # it failed mid-write, not before
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no partial file
    if kind in ("recording", "compressed"):
        assert_runs_equal(small, load_run(target))


def test_a_disk_full_mid_save_of_an_experiment_keeps_the_old_one(tmp_path, full_disk):
    target = tmp_path / "exp.toml"
    target.write_text("old")
    code = "def task(x):\n    return x\n" + "# padding\n" * 2_000
    with pytest.raises(ExperimentFileError, match="cannot write"):
        save_experiment(Experiment(workload="custom", code=code), target)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["exp.toml"]
