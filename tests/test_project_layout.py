"""The wheel ships every package and asset: pyproject's package list matches the tree."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_folder_is_found_for_the_wheel():
    spec = importlib.util.spec_from_file_location("project_setup", ROOT / "setup.py")
    assert spec is not None and spec.loader is not None
    setup_module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(setup_module)  # not run as __main__: only defines packages()
    listed = set(setup_module.packages())
    found = {
        ".".join(path.parent.relative_to(ROOT / "src").parts)
        for path in (ROOT / "src" / "coreography").rglob("*.py")
        if "__pycache__" not in path.parts
    }
    found |= {
        "coreography.resources"
        + "".join(f".{p}" for p in path.relative_to(ROOT / "resources").parts)
        for path in (ROOT / "resources").rglob("*")
        if path.is_dir() and "__pycache__" not in path.parts
    }
    found.add("coreography.resources")
    assert found <= listed, f"setup.py does not find: {sorted(found - listed)}"
