"""The one way to reach bundled assets, from a checkout, a wheel or a frozen app alike."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable


def asset(*parts: str) -> Traversable:
    """The asset at ``parts`` under ``resources/`` (e.g. ``asset("lessons", "x.toml")``)."""
    node = resources.files("coreography.resources")
    for part in parts:
        node = node / part
    return node


def read_text(*parts: str) -> str:
    return asset(*parts).read_text(encoding="utf-8")


def list_assets(*parts: str, suffix: str = "") -> list[Traversable]:
    """The files in an asset folder, sorted by name, optionally only those ending in
    ``suffix``."""
    folder = asset(*parts)
    if not folder.is_dir():
        return []
    return sorted((f for f in folder.iterdir() if f.name.endswith(suffix)), key=lambda f: f.name)
