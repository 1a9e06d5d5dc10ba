"""Recording files: limits, FIFOs and other non-files, gzip bombs, and full disks."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import time
import zlib

import pytest

from coreography.model import recording, recording_read
from coreography.model.experiment import Experiment
from coreography.model.experiment_file import (
    ExperimentFileError,
    load_experiment,
    save_experiment,
)
from coreography.model.export import export_chrome_trace, export_csv
from coreography.model.recording import (
    MAX_BYTES,
    RecordingError,
    load_run,
    run_to_dict,
    save_run,
)
from tests.model.fakes import assert_runs_equal, big_run, full_run

DEADLINE_S = 20


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "coreography", *args],
        capture_output=True,
        text=True,
        timeout=DEADLINE_S,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )


def _refused_in_one_line(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode == 2, result
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_is_refused_at_once_by_summary_export_and_experiments(tmp_path):
    """Opening a FIFO for reading waits for a writer forever; it must not be opened."""
    fifo = tmp_path / "run.coreo.json"
    os.mkfifo(fifo)
    began = time.monotonic()
    _refused_in_one_line(_cli("summary", str(fifo)), "FIFO")
    _refused_in_one_line(_cli("export", str(fifo), "--csv", str(tmp_path / "o.csv")), "FIFO")
    toml = tmp_path / "exp.toml"
    os.mkfifo(toml)
    _refused_in_one_line(_cli("run", "--experiment", str(toml)), "FIFO")
    assert time.monotonic() - began < 3 * DEADLINE_S
    with pytest.raises(RecordingError, match="FIFO"):
        load_run(fifo)
    with pytest.raises(ExperimentFileError, match="FIFO"):
        load_experiment(toml)


def test_folders_and_devices_are_refused(tmp_path):
    folder = tmp_path / "folder.coreo.json"
    folder.mkdir()
    with pytest.raises(RecordingError, match="folder"):
        load_run(folder)
    if os.path.exists(os.devnull) and sys.platform != "win32":
        device = tmp_path / "zero.coreo.json"
        device.symlink_to("/dev/zero")  # endless: reading it would never end
        with pytest.raises(RecordingError, match="device"):
            load_run(device)


def _gzip_bomb(path, inflated: int) -> None:
    """A valid gzip stream of a JSON text of ``inflated`` bytes, almost all zeros."""
    packer = zlib.compressobj(1, zlib.DEFLATED, 31)  # fast to make
    chunk = b"0" * 1024**2
    with open(path, "wb") as out:
        out.write(packer.compress(b'{"format": "coreography-recording", "pad": "'))
        for _ in range(inflated // len(chunk)):
            out.write(packer.compress(chunk))
        out.write(packer.compress(b'"}') + packer.flush())


#: Runs the CLI, then reports the process's peak memory (VmHWM, KiB) on its last line:
#: its own mapping's, unlike rusage, which on Linux keeps the forking parent's peak.
_MEASURED = """
import sys
from coreography.cli import main
code = main(sys.argv[1:])
status = open("/proc/self/status").read()
print(status.split("VmHWM:")[1].split()[0], file=sys.stderr)
sys.exit(code)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_a_gzip_bomb_is_refused_quickly_in_bounded_memory(tmp_path):
    bomb = tmp_path / "bomb.coreo.json.gz"
    _gzip_bomb(bomb, 300 * 1024**2)  # 300 MiB of JSON in 1.3 MB
    assert bomb.stat().st_size < 2 * 1024**2
    began = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", _MEASURED, "summary", str(bomb)],
        capture_output=True,
        text=True,
        timeout=DEADLINE_S * 3,  # generous: the machine may be busy
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    elapsed = time.monotonic() - began
    refusal, peak_kib = result.stderr.strip().splitlines()
    assert result.returncode == 2 and "MiB" in refusal, result.stderr
    assert elapsed < DEADLINE_S * 3
    peak_mib = int(peak_kib) / 1024
    assert peak_mib < 2 * MAX_BYTES / 1024**2 + 200, f"peak {peak_mib:,.0f} MiB"


def test_a_file_above_the_limit_is_refused_without_reading_it(tmp_path):
    huge = tmp_path / "huge.coreo.json"
    with open(huge, "wb") as out:
        out.truncate(MAX_BYTES + 1)  # sparse: costs no disk
    began = time.monotonic()
    with pytest.raises(RecordingError, match="MiB"):
        load_run(huge)
    assert time.monotonic() - began < 1.0


def test_a_run_too_large_for_a_recording_is_not_written(tmp_path, monkeypatch):
    monkeypatch.setattr(recording, "MAX_BYTES", 2_000)
    target = tmp_path / "big.coreo.json"
    with pytest.raises(RecordingError, match="CSV"):
        save_run(big_run(100), target)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("section", "limit"),
    [("texts", "MAX_TEXTS"), ("cpu_samples", "MAX_CPU_SAMPLES"), ("logs", "MAX_TEXTS")],
)
def test_row_limits_are_refused_naming_the_limit(monkeypatch, section, limit):
    document = json.loads(json.dumps(run_to_dict(full_run())))
    rows = {"texts": len(document["texts"]["text"]), "logs": 3}.get(section)
    if section == "cpu_samples":
        rows = len(document["cpu_samples"]["t"])
    if section == "logs":
        document["logs"] = ["a", "b", "c"]
    assert rows >= 2
    monkeypatch.setattr(recording_read, limit, rows - 1)
    with pytest.raises(RecordingError, match=f"more than {rows - 1}"):
        recording.run_from_dict(document)


# -- a full disk -------------------------------------------------------------------------
@pytest.fixture
def tiny_disk(tmp_path):
    """A 64 KiB tmpfs, or a skip when this machine does not allow mounting one."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root on Linux")
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if made.returncode != 0:
        pytest.skip(f"mount is not permitted here: {made.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def _write_any(kind: str, run, path) -> None:
    {"recording": save_run, "chrome": export_chrome_trace, "csv": export_csv}[kind](run, path)


@pytest.mark.parametrize("kind", ["recording", "chrome", "csv"])
def test_a_full_disk_leaves_the_old_file_whole_and_nothing_else(tiny_disk, kind):
    target = tiny_disk / {"recording": "r.coreo.json", "chrome": "t.json", "csv": "t.csv"}[kind]
    small = full_run()
    _write_any(kind, small, target)
    before = target.read_bytes()
    big = big_run(3_000)
    with pytest.raises(RecordingError, match="cannot write"):
        _write_any(kind, big, target)
    assert target.read_bytes() == before  # the old file, whole
    assert sorted(p.name for p in tiny_disk.iterdir()) == [target.name]  # no partial file
    if kind == "recording":
        assert_runs_equal(small, load_run(target))
    elif kind == "chrome":
        json.loads(before)


def test_a_full_disk_never_leaves_half_an_experiment_file(tiny_disk):
    target = tiny_disk / "exp.toml"
    save_experiment(Experiment(), target)
    before = target.read_bytes()
    code = "def task(x):\n    return x\n" + "# padding\n" * 8_000
    with pytest.raises(ExperimentFileError, match="cannot write"):
        save_experiment(Experiment(workload="custom", code=code), target)
    assert target.read_bytes() == before
    assert [p.name for p in tiny_disk.iterdir()] == ["exp.toml"]


def test_saves_are_whole_even_when_the_name_existed_before(tmp_path):
    target = tmp_path / "r.coreo.json.gz"
    target.write_bytes(b"old")
    run = full_run()
    save_run(run, target)
    assert gzip.decompress(target.read_bytes())
    assert_runs_equal(run, load_run(target))
    assert [p.name for p in tmp_path.iterdir()] == [target.name]
