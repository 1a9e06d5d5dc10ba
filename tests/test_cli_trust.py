"""Code from an experiment file someone sent never runs from the command line unasked."""

from __future__ import annotations

import os
import subprocess
import sys

from coreography.model.experiment import Experiment
from coreography.model.experiment_file import save_experiment

DEADLINE_S = 90
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}


def coreography(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "coreography", *args],
        capture_output=True,
        text=True,
        timeout=DEADLINE_S,
        stdin=subprocess.DEVNULL,
        env=ENV,
    )


def _sent_experiment(tmp_path):
    """An experiment file whose task code leaves a marker: at import and in each task."""
    marker = tmp_path / "it-ran"
    code = (
        f"open({str(marker)!r}, 'a').write('imported\\n')\n\n\n"
        "def task(x):\n"
        f"    open({str(marker)!r}, 'a').write('task\\n')\n"
        "    return x\n"
    )
    path = tmp_path / "sent.toml"
    save_experiment(Experiment(workload="custom", code=code, tasks=2, model="sequential"), path)
    return path, marker


def test_run_refuses_an_experiment_files_code_without_trust_code(tmp_path):
    path, marker = _sent_experiment(tmp_path)
    result = coreography("run", "--experiment", str(path), "-q")
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    line = result.stderr.strip()
    assert "\n" not in line and line.startswith("coreography: error: ")
    assert "contains code from someone else" in line and "--trust-code" in line
    assert not marker.exists()  # neither imported nor run
    swept = coreography("sweep", "workers", "1,2", "--experiment", str(path), "-q")
    assert swept.returncode == 2 and "--trust-code" in swept.stderr
    assert not marker.exists()


def test_trust_code_runs_it(tmp_path):
    """The same file with --trust-code: the marker proves the refusal above was real."""
    path, marker = _sent_experiment(tmp_path)
    result = coreography("run", "--experiment", str(path), "--trust-code", "-q")
    assert result.returncode == 0, result.stderr
    assert "task" in marker.read_text().split()


def test_an_experiment_file_without_code_needs_no_trust(tmp_path):
    path = tmp_path / "plain.toml"
    save_experiment(Experiment(workload="square", tasks=3, model="sequential"), path)
    result = coreography("run", "--experiment", str(path), "-q")
    assert result.returncode == 0, result.stderr
