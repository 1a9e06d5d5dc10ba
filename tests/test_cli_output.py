"""What ``summary`` writes to a terminal: no control sequences from a file, no pipe errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from coreography.cli import printable
from coreography.model.recording import run_to_dict
from tests.model.fakes import full_run

HOSTILE = "\x1b]0;owned\x07\x1b[2J\x1b[31mred\x9b6n\u202eevil\x00"


def _recording(tmp_path, lanes: int | None = None):
    document = json.loads(json.dumps(run_to_dict(full_run())))
    for lane in document["lanes"]:
        lane["label"] = HOSTILE + lane["label"]
    document["run"]["message"] = HOSTILE
    path = tmp_path / "hostile.coreo.json"
    path.write_text(json.dumps(document))
    return path


def _summary(path, **options) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "coreography", "summary", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        **options,
    )


def test_control_characters_from_a_recording_are_shown_escaped(tmp_path):
    child = _summary(_recording(tmp_path))
    stdout, stderr = child.communicate(timeout=60)
    assert child.returncode == 0, stderr
    text = stdout.decode()
    assert not any(ord(c) < 0x20 and c not in "\n" for c in text), repr(text)
    assert "\x9b" not in text and "\u202e" not in text
    assert "\\x1b]0;owned\\x07" in text  # still visible, as text


def test_printable_keeps_ordinary_text_and_layout():
    assert printable("Lane\tTasks\nworker 1 ✓ ×2 — é") == "Lane\tTasks\nworker 1 ✓ ×2 — é"
    assert printable("\x1b[0m\x7f\x85") == "\\x1b[0m\\x7f\\x85"


def test_a_reader_that_leaves_early_gives_no_broken_pipe_error(tmp_path):
    """``summary FILE | head -1``: the reader is gone before anything is written."""
    child = _summary(_recording(tmp_path))
    child.stdout.close()  # as head does after its first line
    stderr = child.stderr.read().decode()
    child.stderr.close()
    child.wait(timeout=60)
    assert "Broken pipe" not in stderr and "BrokenPipeError" not in stderr, stderr
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
