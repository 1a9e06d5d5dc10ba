"""Layer rules, checked in a fresh interpreter: the core never imports Qt, workers stay light."""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys

import coreography

QT = ("PySide6", "shiboken6", "pyqtgraph", "PyQt5", "PyQt6")


def _modules_after(code: str) -> set[str]:
    program = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def _core_modules() -> list[str]:
    names = []
    for package in ("model", "engine", "lessons"):
        path = os.path.join(os.path.dirname(coreography.__file__), package)
        names += [f"coreography.{package}.{m.name}" for m in pkgutil.iter_modules([path])]
    return [*names, "coreography.cli", "coreography.assets"]


def test_core_packages_never_import_qt():
    imports = "\n".join(f"import {name}" for name in _core_modules())
    loaded = _modules_after(imports)
    assert not [m for m in loaded if m.split(".")[0] in QT]


def test_worker_side_imports_neither_qt_nor_numpy():
    """What a spawned worker imports to run a task: the probe and its workloads."""
    loaded = _modules_after("import coreography.engine.probe")
    assert not [m for m in loaded if m.split(".")[0] in (*QT, "numpy", "psutil")]
