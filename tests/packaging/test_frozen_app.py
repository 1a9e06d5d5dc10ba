"""The frozen app (``make package-test`` points COREOGRAPHY_FROZEN_APP at it).

Without ``freeze_support()`` working, every process multiprocessing starts from a frozen
app runs the app's ``main()`` again: a second window per worker (a fork bomb). These
tests count how often ``main()`` was entered and look for app processes left behind.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import psutil
import pytest

FROZEN_APP = os.environ.get("COREOGRAPHY_FROZEN_APP", "")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (FROZEN_APP and Path(FROZEN_APP).is_file()),
        reason="no frozen app: run `make package-test` (sets COREOGRAPHY_FROZEN_APP)",
    ),
]


def _app_processes(app: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["exe"]):
        try:
            if proc.info["exe"] and Path(proc.info["exe"]).resolve() == app:
                found.append(proc)
        except (psutil.Error, OSError):
            pass
    return found


def test_workers_and_helpers_never_enter_main(tmp_path):
    app = Path(FROZEN_APP).resolve()
    entries = tmp_path / "entries"
    result = subprocess.run(
        [str(app), "--self-test"],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "COREOGRAPHY_ENTRY_LOG": str(entries)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    # The self-test started ~35 experiment processes (and a resource tracker and a
    # forkserver) from the frozen executable; only the app itself may reach main().
    assert "(frozen)" in result.stdout
    lines = entries.read_text().splitlines()
    assert len(lines) == 1, lines


def test_no_app_process_outlives_the_self_test():
    app = Path(FROZEN_APP).resolve()
    before = {p.pid for p in _app_processes(app)}
    subprocess.run(
        [str(app), "--self-test"],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        timeout=600,
        check=True,
    )
    deadline = time.monotonic() + 5
    left = [p for p in _app_processes(app) if p.pid not in before]
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = [p for p in _app_processes(app) if p.pid not in before and p.is_running()]
    assert not left, [" ".join(p.cmdline()) for p in left]


PROGRAMS = Path(__file__).resolve().parents[1] / "engine" / "trace_programs"


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_the_frozen_app_traces_a_program_with_the_systems_python(tmp_path, method):
    """A frozen app has no Python of its own to lend: the program runs with python3 from
    PATH, as the user's own ``python3 script.py`` would, and is traced all the same."""
    import shutil

    from coreography.model.recording import load_run

    python = shutil.which("python3")
    if python is None:
        pytest.skip("no python3 on PATH")
    program = PROGRAMS / "pool_squares.py"
    env = {k: v for k, v in os.environ.items() if not k.startswith("COREOGRAPHY_")}
    expected = subprocess.run(
        [python, str(program), method], capture_output=True, text=True, timeout=120, env=env
    )
    out = tmp_path / "run.coreo.json"
    got = subprocess.run(
        [
            *(str(Path(FROZEN_APP).resolve()), "trace", "--quiet", "--out", str(out)),
            *(str(program), method),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert got.returncode == expected.returncode == 0, got.stderr[-2000:]
    assert got.stdout == expected.stdout == "[0, 1, 4, 9, 16, 25, 36, 49, 64, 81]\n"
    assert "tracing is off" not in got.stderr, got.stderr
    run = load_run(out)
    assert run.n_tasks == 10 and run.n_failed == 0
    workers = [lane for lane in run.lanes if "PoolWorker" in lane.label]
    assert len(workers) == 4, [lane.label for lane in run.lanes]
    assert sum(len(lane.tasks) for lane in workers) == 10


def test_the_frozen_app_runs_a_dask_map_on_a_local_cluster(tmp_path):
    """distributed is bundled: the frozen app starts a LocalCluster (its worker
    processes are the frozen executable again), runs the tasks there, and closes it."""
    from coreography.model.recording import load_run

    app = Path(FROZEN_APP).resolve()
    before = {p.pid for p in _app_processes(app)}
    out = tmp_path / "run.coreo.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("COREOGRAPHY_")}
    result = subprocess.run(
        [
            *(str(app), "run", "--model", "dask-map", "--workers", "2", "--tasks", "6"),
            *("--task", "square", "--out", str(out)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, (result.stdout[-2000:], result.stderr[-2000:])
    run = load_run(out)
    assert run.state == "finished", run.message
    assert run.results() == [i * i for i in range(6)]
    workers = [lane for lane in run.lanes if lane.label.startswith("Dask worker")]
    assert len(workers) == 2, [lane.label for lane in run.lanes]
    assert sum(len(lane.tasks) for lane in workers) == 6
    deadline = time.monotonic() + 10
    left = [p for p in _app_processes(app) if p.pid not in before]
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = [p for p in _app_processes(app) if p.pid not in before and p.is_running()]
    assert not left, [" ".join(p.cmdline()) for p in left]
