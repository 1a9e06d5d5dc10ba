"""The command line's conventions, run as a user runs it: where errors go, exit codes,
progress only on a terminal, Ctrl-C, unknown commands, recordings of lessons."""

from __future__ import annotations

import json
import os
import pty
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from coreography.cli_progress import elapsed_s
from coreography.cli_series import numbered
from coreography.model.run import NO_TIME

DEADLINE_S = 90  # a busy 2-core machine: generous, never a measure of speed
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}


def coreography(*args: str, timeout: float = DEADLINE_S) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "coreography", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        env=ENV,
    )


def test_an_unknown_command_is_a_usage_error_not_a_file_to_open():
    result = coreography("bogus")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "unknown command 'bogus'" in result.stderr and "usage:" in result.stderr
    close = coreography("sumary", "x.coreo.json")
    assert close.returncode == 2 and "did you mean 'summary'?" in close.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="offscreen Qt, signals")
def test_a_recording_named_on_the_command_line_still_opens_the_window(tmp_path):
    """``coreography file.coreo.json`` is the window, not a command: it stays up until
    Ctrl-C closes it (130), where an unknown command would have exited 2 at once."""
    from coreography.model.recording import save_run
    from tests.model.fakes import full_run

    path = tmp_path / "sent.coreo.json"
    save_run(full_run(), path)
    env = {
        **ENV,
        "QT_QPA_PLATFORM": "offscreen",
        "COREOGRAPHY_NEW_INSTANCE": "1",
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    child = subprocess.Popen(
        [sys.executable, "-m", "coreography", str(path)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        log = tmp_path / "state"
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline and child.poll() is None:
            if any("window starting" in p.read_text() for p in log.rglob("*.log")):
                break
            time.sleep(0.2)
        time.sleep(2.0)  # the window is up and has opened the file
        assert child.poll() is None, child.communicate()
        child.send_signal(signal.SIGINT)
        try:
            _out, err = child.communicate(timeout=10)
        except subprocess.TimeoutExpired:  # it asked something: a second Ctrl-C quits
            child.send_signal(signal.SIGINT)
            _out, err = child.communicate(timeout=DEADLINE_S)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
    assert child.returncode == 130, err
    assert b"unknown command" not in err


def test_bad_values_and_failed_runs_go_to_stderr_with_their_exit_codes(tmp_path):
    bad = coreography("run", "--workers", "0")
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.startswith("coreography: error: workers: 0")
    failed = coreography("run", "--tasks", "4", "--task", "square", "--fault", "raise:2", "-q")
    assert failed.returncode == 1, failed.stderr
    assert "Run failed: " in failed.stderr and "Run failed" not in failed.stdout
    assert "Tasks" in failed.stdout  # the summary table itself stays on stdout
    assert failed.stderr.strip().splitlines()[-1].startswith("Run failed: ")


def test_timeout_says_it_timed_out_not_that_the_user_stopped_it():
    result = coreography("run", "--tasks", "2", "--task", "io:30000ms", "--timeout", "1.5")
    assert result.returncode == 1, result.stderr
    assert "Run stopped: timed out after 1.5 s" in result.stderr
    assert "by the user" not in result.stderr + result.stdout


def test_quiet_prints_no_progress_and_redirected_progress_has_no_frames():
    quiet = coreography("run", "--tasks", "3", "--task", "square", "-q")
    assert quiet.returncode == 0 and quiet.stderr == ""
    plain = coreography("run", "--tasks", "3", "--task", "square")
    assert plain.returncode == 0, plain.stderr
    assert "\r" not in plain.stderr and "█" not in plain.stderr
    assert re.fullmatch(r"3/3 tasks +\d+\.\d\d s  finished\n", plain.stderr), plain.stderr


@pytest.mark.skipif(not hasattr(pty, "openpty"), reason="needs a pseudo-terminal")
def test_progress_on_a_terminal_is_redrawn_and_never_negative():
    """On a terminal the bar is redrawn with \\r. Its last frames came between the
    driver's "finished" and the app's end of the run, when the end time is not yet
    known: they once printed times like -324.29 s."""
    for _ in range(3):  # the window for the wrong frame is short: look at several runs
        leader, follower = pty.openpty()
        try:
            child = subprocess.Popen(
                [sys.executable, "-m", "coreography", "run", "--tasks", "20", "--task", "io:20ms"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=follower,
                env=ENV,
            )
            os.close(follower)
            chunks = []
            while True:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # the terminal's other end closed: the child has gone
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            assert child.wait(DEADLINE_S) == 0
        finally:
            os.close(leader)
        text = b"".join(chunks).decode("utf-8", "replace")
        assert text.count("\r") >= 2, repr(text)
        times = [float(t) for t in re.findall(r"(-?\d+\.\d\d) s", text)]
        assert times and min(times) >= 0, times
        assert "20/20 tasks" in text


def test_elapsed_time_is_never_negative_before_the_end_is_known():
    class Over:  # the driver said "finished"; the app has not closed the run yet
        t0 = time.perf_counter_ns() - 2_000_000_000
        end_ns = NO_TIME

    assert 1.9 < elapsed_s(Over()) < 60
    Over.end_ns = Over.t0 + 500_000_000
    assert elapsed_s(Over()) == pytest.approx(0.5)
    Over.end_ns = Over.t0 - 5  # clocks of a damaged recording
    assert elapsed_s(Over()) == 0.0


def _experiment_pids(parent: int) -> set[int]:
    try:
        return {p.pid for p in psutil.Process(parent).children(recursive=True)}
    except psutil.Error:
        return set()


def _alive(pids: set[int]) -> set[int]:
    living = set()
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                living.add(pid)
        except psutil.Error:
            pass
    return living


def test_ctrl_c_stops_the_run_ends_its_processes_and_exits_130(tmp_path):
    started = tmp_path / "started"
    code = tmp_path / "slow.py"
    code.write_text(
        "import pathlib, time\n\n\ndef task(x):\n"
        f"    pathlib.Path({str(started)!r}).touch()\n    time.sleep(30)\n    return x\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-m", "coreography", "run", "--code", str(code), "--tasks", "4"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    try:
        deadline = time.monotonic() + DEADLINE_S
        while not started.exists() and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.05)
        assert started.exists(), child.communicate(timeout=5)
        pids = _experiment_pids(child.pid)
        assert pids  # the driver and its workers
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=DEADLINE_S)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
    assert child.returncode == 130, err
    assert "Run stopped: interrupted (Ctrl-C)" in err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert "Tasks" in out  # what ran so far is still summed up
    deadline = time.monotonic() + 10
    while _alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pids)


def test_a_lesson_with_out_writes_one_recording_per_run_and_says_so(tmp_path):
    out = tmp_path / "lesson.coreo.json"
    result = coreography(
        "run", "--lesson", "start-methods", "--repeats", "1", "-q", "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    written = re.findall(r"recording written to (\S+) \((.+)\)", result.stdout)
    assert [label for _p, label in written] == ["fork", "spawn", "forkserver"]
    for path, label in written:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        assert data["experiment"]["start_method"] == label
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "lesson-1.coreo.json",
        "lesson-2.coreo.json",
        "lesson-3.coreo.json",
    ]
    single = tmp_path / "one.coreo.json.gz"
    result = coreography("run", "--lesson", "1", "-q", "--out", str(single))
    assert result.returncode == 0, result.stderr
    assert f"recording written to {single} " in result.stdout and single.exists()


def test_numbered_names_keep_the_recording_ending(tmp_path):
    assert numbered(tmp_path / "a.coreo.json.gz", 2).name == "a-2.coreo.json.gz"
    assert numbered(tmp_path / "a.coreo.json", 1).name == "a-1.coreo.json"
    assert numbered(tmp_path / "plain", 3).name == "plain-3"


def test_workers_given_to_a_thread_per_task_model_is_said_not_ignored():
    result = coreography(
        "run", "--model", "threads", "--workers", "4", "--tasks", "8", "--task", "io:10ms", "-q"
    )
    assert result.returncode == 0, result.stderr
    assert "--workers 4 is not used by 'threads', which starts one thread per task" in (
        result.stderr
    )
    assert len(_thread_lanes(result.stdout)) == 8  # what ran, as the note says
    pooled = coreography(
        "run", "--model", "thread-pool", "--workers", "4", "--tasks", "8", "--task", "io:10ms", "-q"
    )
    assert pooled.returncode == 0 and pooled.stderr == ""
    assert len(_thread_lanes(pooled.stdout)) == 4


def _thread_lanes(report: str) -> list[str]:
    """The thread rows of the report's table of lanes (the table of thread states that
    follows when the sampler caught a thread in a state has rows of its own)."""
    for block in report.split("\n\n"):
        lines = block.splitlines()
        if lines and lines[0].startswith("Lane ") and "Tasks" in lines[0]:
            return [line for line in lines[1:] if line.startswith("Thread ")]
    return []
