"""The wheel ships every package and asset: pyproject's package list matches the tree."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_folder_is_listed_for_the_wheel():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
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
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
