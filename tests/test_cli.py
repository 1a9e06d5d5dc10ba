"""The headless command line, run as a user would run it."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys

import pytest


def coreography(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "coreography", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )


@pytest.mark.slow
def test_run_prints_summary_writes_recording_and_exports(tmp_path):
    out = tmp_path / "run.coreo.json"
    result = coreography(
        "run",
        "--model",
        "pool-map",
        "--workers",
        "2",
        "--tasks",
        "40",
        "--task",
        "cpu:5ms",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    for words in ("Wall time", "Speedup", "Efficiency", "start-up", "Events"):
        assert words.lower() in result.stdout.lower(), words
    assert "40/40 tasks" in result.stderr  # the progress bar's last state
    data = json.loads(out.read_text())
    assert data["experiment"]["tasks"] == 40

    trace, table = tmp_path / "trace.json", tmp_path / "tasks.csv"
    native = tmp_path / "run.pftrace"
    result = coreography(
        "export", str(out), "--chrome", str(trace), "--csv", str(table), "--perfetto", str(native)
    )
    assert result.returncode == 0, result.stderr
    events = json.loads(trace.read_text())["traceEvents"]
    assert sum(1 for e in events if e.get("ph") == "X" and e.get("cat") == "task") == 40
    assert len(table.read_text().strip().splitlines()) == 41
    from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as pb

    packets = pb.Trace.FromString(native.read_bytes()).packet
    begins = [p.track_event for p in packets if p.track_event.type == 1]
    names = [event.name for event in begins if event.name]  # states and waits: interned
    assert sorted(names) == sorted(f"task {n}" for n in range(40))


@pytest.mark.slow
def test_run_of_a_crashing_experiment_fails_with_the_cause(tmp_path):
    result = coreography(
        "run",
        "--tasks",
        "8",
        "--task",
        "cpu:10ms",
        "--fault",
        "kill:3",
        "--start-method",
        "spawn",
        "--quiet",
    )
    assert result.returncode == 1
    assert "killed by signal 9 (SIGKILL) while running task 3" in result.stderr  # an error


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--workers", "0"], "workers: 0 is not allowed; expected a whole number from 1 to 64"),
        (["--workers", "65"], "workers: 65"),
        (["--tasks", "2000000"], "tasks: 2000000"),
        (["--task", "warp:5ms"], "task: 'warp:5ms'"),
        (["--model", "nope"], "--model"),
        (["--workers", "two"], "--workers"),
        (["--fault", "kill:99"], "fault: 'kill:99'"),
        (["--model", "processes", "--tasks", "1000"], "tasks: 1000"),
        (["--slow-motion", "0"], "speed: 0.0"),
        (["--threads-per-worker", "2"], "only a cluster model runs several threads"),
        (["--model", "dask-map", "--threads-per-worker", "17"], "threads_per_worker: 17"),
        (["--out", "/no/such/folder/x.coreo.json"], "no such folder"),
    ],
)
def test_invalid_values_give_one_line_and_exit_2(args, words):
    result = coreography("run", *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("coreography: error:")
    assert words in lines[-1]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not json at all",
        b'{"format": "coreography-recording"',
        b"[1, 2, 3]",
        b'{"format": "coreography-recording", "version": 999}',
        b'{"format": "coreography-recording", "version": 1, "experiment": "x"}',
        gzip.compress(b"{broken"),
        b"\x1f\x8b\x08garbage",
    ],
)
def test_malformed_recordings_give_one_line_and_exit_2(tmp_path, content):
    path = tmp_path / "bad.coreo.json"
    path.write_bytes(content)
    result = coreography("export", str(path), "--csv", str(tmp_path / "t.csv"))
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("coreography: error:")
    assert "Traceback" not in result.stderr


def test_missing_recording_is_a_clear_error(tmp_path):
    result = coreography("summary", str(tmp_path / "nope.coreo.json"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_help_documents_every_option_with_range_and_default():
    result = coreography("run", "--help")
    assert result.returncode == 0
    for option in (
        "--model",
        "--workers",
        "--tasks",
        "--task",
        "--distribution",
        "--chunksize",
        "--start-method",
        "--seed",
        "--slow-motion",
        "--fault",
        "--out",
        "--threads-per-worker",
    ):
        assert option in result.stdout
    assert "1 to 64 (default: 2)" in result.stdout
    assert "1 to 1,000,000" in result.stdout


@pytest.mark.slow
def test_run_your_own_code_file(tmp_path):
    code = tmp_path / "mine.py"
    code.write_text(
        "import math\n\n\ndef task(x):\n    print('working on', x)\n    return math.factorial(x)\n"
    )
    result = coreography("run", "--code", str(code), "--tasks", "5", "--show-output", "--quiet")
    assert result.returncode == 0, result.stderr
    assert [f"working on {i}" for i in range(5)] == sorted(
        line for line in result.stdout.splitlines() if line.startswith("working on")
    )


def test_broken_code_file_is_one_line_with_its_line_number(tmp_path):
    code = tmp_path / "broken.py"
    code.write_text("def task(x)\n    return 1\n")
    result = coreography("run", "--code", str(code))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "coreography: error: code: line 1: expected ':' — a def, if, for or while line must "
        "end with ':'"
    )


@pytest.mark.slow
def test_run_a_saved_experiment_file(tmp_path):
    from coreography.model.experiment import Experiment
    from coreography.model.experiment_file import save_experiment

    path = tmp_path / "squares.toml"
    save_experiment(Experiment(model="pool-map", workers=2, tasks=7, workload="square"), path)
    result = coreography("run", "--experiment", str(path), "--quiet", "--show-output")
    assert result.returncode == 0, result.stderr
    assert "7 done" in result.stdout


def test_truncated_and_huge_recordings_are_refused(tmp_path):
    good = tmp_path / "good.coreo.json"
    result = coreography("run", "--tasks", "3", "--task", "square", "--quiet", "--out", str(good))
    assert result.returncode == 0, result.stderr
    text = good.read_text()
    for name, content in {
        "truncated": text[: len(text) // 2],
        "huge": text.replace('"tasks":3', '"tasks":1' + "0" * 30, 1),
    }.items():
        bad = tmp_path / f"{name}.coreo.json"
        bad.write_text(content)
        result = coreography("summary", str(bad))
        assert result.returncode == 2, name
        assert len(result.stderr.strip().splitlines()) == 1, name
        assert "Traceback" not in result.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11/Wayland variables")
def test_no_display_says_so_instead_of_a_qt_abort():
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    done = subprocess.run(
        [sys.executable, "-m", "coreography"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 1
    assert "no display" in done.stderr and "coreography run --help" in done.stderr


def _marked_by(pid: int) -> list[int]:
    """Living processes whose run mark was made by process ``pid`` (Linux)."""
    wanted = f"\0COREOGRAPHY_RUN={pid}-".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as env:
                if wanted in b"\0" + env.read():
                    with open(f"/proc/{entry}/stat", "rb") as stat:
                        if stat.read().split(b") ")[-1][:1] != b"Z":
                            found.append(int(entry))
        except OSError:
            pass
    return found


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")
@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("run", "--tasks", "3", "--task", "square", "-q"), 0),
        (("run", "--workers", "0"), 2),  # refused after the driver was started early
    ],
)
def test_a_run_command_leaves_neither_its_early_driver_nor_its_log(tmp_path, args, code):
    """``run`` starts its driver first thing; used or not, it ends with the command."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "coreography", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "TMPDIR": str(tmp_path)},
    )
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    if code == 0:
        assert b"finished" in out and b"3 done, 0 failed, of 3" in out
    assert not _marked_by(proc.pid)
    assert not list(tmp_path.glob(f"coreography-{proc.pid}-*.log"))


def _fresh_cli(env: dict[str, str]) -> dict:
    """After ``import coreography.cli`` in a fresh interpreter: its threads, and the BLAS
    variables of its environment."""
    code = (
        "import json, os, threading\nimport coreography.cli\n"
        "threads = len(os.listdir('/proc/self/task'))\n"
        "print(json.dumps({'threads': threads, 'numpy': 'numpy' in __import__('sys').modules,"
        " 'env': os.environ.get('OPENBLAS_NUM_THREADS')}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**env, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts threads in /proc")
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="BLAS starts no thread on one core")
def test_the_command_line_loads_numpy_without_blas_threads_and_leaves_the_environment():
    """The command's numpy starts no BLAS thread to spin beside the starting driver; the
    processes it starts later get the user's environment, and a user's setting stays."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    plain = _fresh_cli(env)
    assert plain == {"threads": 1, "numpy": True, "env": None}
    sized = _fresh_cli({**env, "OPENBLAS_NUM_THREADS": "2"})
    assert sized["env"] == "2" and sized["threads"] == 2
