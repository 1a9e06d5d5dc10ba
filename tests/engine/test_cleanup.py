"""After a SIGKILL of the app, the next start removes its logs and forkserver folders."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from coreography.engine.cleanup import OLD_S, remove_stale_files

DEADLINE_S = 30.0


def _env(tmp_path) -> dict[str, str]:
    return {**os.environ, "TMPDIR": str(tmp_path), "PYTHONPATH": os.getcwd()}


def _wait_for(condition, what: str, timeout: float = DEADLINE_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


@pytest.mark.slow
def test_a_killed_cli_run_leaves_nothing_after_the_next_start(tmp_path):
    command = ["run", "--tasks", "400", "--task", "io:50ms", "--start-method", "forkserver"]
    cli = subprocess.Popen(
        [sys.executable, "-m", "coreography", *command, "--quiet"],
        env=_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(lambda: list(tmp_path.glob("pymp-*/listener-*")), "the forkserver")
        _wait_for(lambda: list(tmp_path.glob(f"coreography-{cli.pid}-*.log")), "the run's log")
        family = _descendants(cli.pid)
    finally:
        cli.send_signal(signal.SIGKILL)
        cli.wait()
    # The driver notices its parent is gone and ends its whole group.
    _, alive = psutil.wait_procs(family, timeout=DEADLINE_S)
    assert not alive, f"left running after the SIGKILL: {alive}"
    assert list(tmp_path.glob("coreography-*.log"))  # the killed app could not remove it
    # The forkserver's folder is left unless the driver's own exit removed it in time.
    left_by_driver = list(tmp_path.glob("pymp-*"))

    # The next start (any command) removes the dead app's log at once ...
    subprocess.run(
        [sys.executable, "-m", "coreography", "lessons"],
        env=_env(tmp_path),
        check=True,
        capture_output=True,
        timeout=DEADLINE_S,
    )
    assert not list(tmp_path.glob("coreography-*.log"))
    # ... and the forkserver's folder once it has settled (a minute; not waited here).
    removed = remove_stale_files(tmp_path, settling_s=0)
    if left_by_driver:
        assert [path.name for path in removed if path.name.startswith("pymp-")]
    assert not list(tmp_path.glob("pymp-*"))


LIVE_FORKSERVER = """
import multiprocessing, sys
if __name__ == "__main__":
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([])
    process = ctx.Process(target=int)
    process.start()
    process.join()
    print("ready", flush=True)
    sys.stdin.read()  # live until told to end
"""


def test_a_live_forkserver_and_a_live_apps_log_are_kept(tmp_path):
    script = tmp_path / "serve.py"
    script.write_text(LIVE_FORKSERVER)
    live = tmp_path / "live"
    live.mkdir()
    server = subprocess.Popen(
        [sys.executable, str(script)],
        env=_env(live),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout.readline().strip() == "ready"
        mine = live / f"coreography-{os.getpid()}-abc123.log"
        mine.write_text("")
        assert remove_stale_files(live, settling_s=0) == []
        assert list(live.glob("pymp-*/listener-*")) and mine.exists()
    finally:
        server.stdin.close()
        server.wait(timeout=DEADLINE_S)
        server.stdout.close()
    _wait_for(lambda: not list(live.glob("pymp-*")), "the forkserver to remove its folder")


def test_logs_of_dead_apps_go_others_stay(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(dead.stdout)
    stale = tmp_path / f"coreography-{dead_pid}-x1y2.log"
    old_style = tmp_path / "coreography-k3j4l5m6.log"
    recent_old_style = tmp_path / "coreography-a1b2c3d4.log"
    unrelated = tmp_path / "coreography-notes.txt"
    other_tool = tmp_path / "pymp-notours"
    for path in (stale, old_style, recent_old_style, unrelated):
        path.write_text("")
    other_tool.mkdir()
    (other_tool / "data.bin").write_bytes(b"x")
    long_ago = time.time() - OLD_S - 60
    os.utime(old_style, (long_ago, long_ago))
    os.utime(other_tool, (long_ago, long_ago))
    if psutil.pid_exists(dead_pid):  # reused already: then it is a younger process
        assert psutil.Process(dead_pid).create_time() > stale.stat().st_ctime - 1
    removed = set(remove_stale_files(tmp_path, settling_s=0))
    assert removed == {stale, old_style}
    assert recent_old_style.exists() and unrelated.exists() and other_tool.exists()
