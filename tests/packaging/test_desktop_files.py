"""The desktop files agree: the entry opens exactly the recordings' own MIME types, whose
globs are the suffix recordings are saved with; the notices cover every dependency."""

from __future__ import annotations

import configparser
import fnmatch
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

from coreography.model.recording import SUFFIX

ROOT = Path(__file__).resolve().parents[2]
LINUX = ROOT / "packaging" / "linux"
APP_ID = "io.github.coreography.Coreography"
NS = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}


def _mime_types() -> dict[str, list[str]]:
    tree = ET.parse(LINUX / f"{APP_ID}.mime.xml")
    return {
        node.get("type"): [glob.get("pattern") for glob in node.findall("m:glob", NS)]
        for node in tree.getroot().findall("m:mime-type", NS)
    }


def _desktop_mime_types() -> list[str]:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(LINUX / f"{APP_ID}.desktop", encoding="utf-8")
    return [t for t in entry["Desktop Entry"]["MimeType"].split(";") if t]


def test_the_desktop_entry_opens_only_the_recordings_own_types():
    claimed = _desktop_mime_types()
    assert sorted(claimed) == sorted(_mime_types())
    assert not any(t in ("application/json", "application/gzip") for t in claimed)


def test_recording_globs_match_saved_recordings_and_not_other_json():
    globs = {g: t for t, patterns in _mime_types().items() for g in patterns}
    for name in (f"run{SUFFIX}", f"run{SUFFIX}.gz"):
        assert [g for g in globs if fnmatch.fnmatch(name, g)], name
    for other in ("package.json", "trace.json", "data.json.gz", "tasks.csv"):
        assert not [g for g in globs if fnmatch.fnmatch(other, g)], other
    # The two kinds get different types: a gzip file is no JSON text.
    assert globs[f"*{SUFFIX}"] != globs[f"*{SUFFIX}.gz"]


def test_every_mime_type_has_an_icon_source_and_a_comment():
    assert (ROOT / "resources" / "icons" / "coreography-recording.svg").is_file()
    tree = ET.parse(LINUX / f"{APP_ID}.mime.xml")
    for node in tree.getroot().findall("m:mime-type", NS):
        assert node.find("m:comment", NS) is not None, node.get("type")


def test_the_notices_name_every_runtime_dependency():
    notices = (ROOT / "resources" / "THIRD_PARTY_NOTICES.txt").read_text(encoding="utf-8")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    names = {
        dep.split(";")[0].split(">")[0].split("<")[0].split("=")[0].strip()
        for dep in config["project"]["dependencies"]
    }
    headings = {line.split(" ")[0].lower().replace("_", "-") for line in notices.splitlines()}
    missing = sorted(n for n in names if n.lower() not in headings)
    assert not missing, f"run packaging/write-notices.py: not in the notices: {missing}"
    for licence in ("LGPL-3.0", "PSF-2.0"):
        assert licence in notices
    assert "https://download.qt.io/official_releases/QtForPython/pyside6/" in notices
