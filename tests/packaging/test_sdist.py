"""The sdist is the whole project: every file git tracks under the folders it needs."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("src", "tests", "resources", "packaging", "bench", ".ci")
TOP_FILES = ("LICENSE", "README.md", "Makefile", "pyproject.toml")


def _tracked() -> set[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout (an unpacked sdist has no history to compare with)")
    out = subprocess.run(
        ["git", "ls-files", "-z", "--", *FOLDERS],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    # A tracked file deleted in the working tree is not the sdist's to carry.
    return {name for name in out.split("\0") if name and (ROOT / name).is_file()}


def _fresh_checkout(dest: Path) -> Path:
    """The working tree's files that git tracks or would track, copied to ``dest``: a
    build here cannot borrow a stale file list from an earlier build's egg-info."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout (an unpacked sdist has no history to compare with)")
    names = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, names.split("\0")):
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    return dest


@pytest.fixture(scope="module")
def sdist_members(tmp_path_factory) -> set[str]:
    tree = _fresh_checkout(tmp_path_factory.mktemp("checkout"))
    out = tmp_path_factory.mktemp("sdist")
    # No isolation: the test extra brings setuptools and build, so nothing is downloaded.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--sdist",
            "--no-isolation",
            "--skip-dependency-check",
            "--outdir",
            str(out),
            str(tree),
        ],
        cwd=tree,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (archive,) = out.glob("coreography-*.tar.gz")
    with tarfile.open(archive) as tar:
        names = [m.name for m in tar.getmembers() if m.isfile()]
    prefix = names[0].split("/", 1)[0] + "/"
    assert all(name.startswith(prefix) for name in names)
    return {name.removeprefix(prefix) for name in names}


def test_the_sdist_holds_every_tracked_file_of_the_project(sdist_members):
    tracked = _tracked()
    assert "tests/conftest.py" in tracked
    missing = sorted(tracked - sdist_members)
    assert not missing, f"missing from the sdist (see MANIFEST.in): {missing}"


def test_the_sdist_holds_the_licence_readme_and_build_files(sdist_members):
    missing = [name for name in TOP_FILES if name not in sdist_members]
    assert not missing, f"missing from the sdist: {missing}"
    assert not [name for name in sdist_members if "__pycache__" in name]
