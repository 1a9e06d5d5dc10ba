"""Finding a run's processes by the mark in their environment, wherever it stands."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest

from coreography.engine.launch import RUN_MARKER
from coreography.engine.process_tree import marked


@pytest.mark.parametrize("first", [True, False])
def test_a_marked_process_is_found_whatever_the_place_of_its_mark(first):
    run_id = uuid.uuid4().hex
    rest = {k: v for k, v in os.environ.items() if k != RUN_MARKER}
    env = {RUN_MARKER: run_id, **rest} if first else {**rest, RUN_MARKER: run_id}
    other = {**rest, RUN_MARKER: run_id + "-other"}
    sleeper = [sys.executable, "-c", "import time; time.sleep(30)"]
    ours = subprocess.Popen(sleeper, env=env)
    theirs = subprocess.Popen(sleeper, env=other)
    try:
        # The environment is readable once the new process has exec'd its program.
        import time

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            found = {p.pid for p in marked(run_id)}
            if ours.pid in found:
                break
            time.sleep(0.05)
        assert ours.pid in found
        assert theirs.pid not in found  # a longer id that starts the same is another run
    finally:
        for proc in (ours, theirs):
            proc.kill()
            proc.wait()
