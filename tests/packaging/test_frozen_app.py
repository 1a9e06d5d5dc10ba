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
