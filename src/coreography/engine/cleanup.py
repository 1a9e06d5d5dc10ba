"""At start-up, remove temporary files that an app killed earlier (SIGKILL) left behind."""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import time
from pathlib import Path

#: The controller's per-run logs: ``coreography-<app pid>-<random>.log``.
LOG_NAME = re.compile(r"coreography-(\d+)-[A-Za-z0-9_]+\.log")
#: Logs named before they carried the app's pid are removed only when this old.
OLD_S = 24 * 3600
#: A ``pymp-*`` folder younger than this may still be getting its forkserver started.
SETTLING_S = 60
#: How far apart a forkserver's start and its socket's making can be.
SERVER_START_S = 10


def remove_stale_files(
    folder: str | os.PathLike[str] | None = None, settling_s: float = SETTLING_S
) -> list[Path]:
    """Remove what dead Coreography processes left in the temporary folder.

    Only files of this user are touched: per-run logs whose app process is gone, and
    multiprocessing's ``pymp-*`` folders holding only a forkserver's socket whose
    forkserver is gone (an experiment's, when its app was killed). Nothing raises: a
    file that cannot be removed is left.

    Parameters
    ----------
    folder
        Where to look; default: the temporary folder.
    settling_s
        Leave ``pymp-*`` folders younger than this (their forkserver may be starting).

    Returns
    -------
    list[Path]
        What was removed.
    """
    base = Path(folder or tempfile.gettempdir())
    try:
        entries = list(os.scandir(base))
    except OSError:
        return []
    now = time.time()
    servers: list[float] | None = None  # looked up once, only if a pymp-* folder is there
    removed = []
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
            if hasattr(os, "getuid") and info.st_uid != os.getuid():
                continue
            if stat.S_ISREG(info.st_mode) and _stale_log(entry.name, info, now):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
            elif stat.S_ISDIR(info.st_mode) and entry.name.startswith("pymp-"):
                if servers is None:
                    servers = _forkserver_starts()
                if _stale_pymp(Path(entry.path), info, now - settling_s, servers):
                    shutil.rmtree(entry.path)
                    removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


def _stale_log(name: str, info: os.stat_result, now: float) -> bool:
    match = LOG_NAME.fullmatch(name)
    if match is None:
        # An older build's log (coreography-<random>.log) carries no pid: age decides.
        old_style = name.startswith("coreography-") and name.endswith(".log")
        return old_style and now - info.st_mtime > OLD_S
    return not _alive_since(int(match.group(1)), info.st_ctime)


def _alive_since(pid: int, made: float) -> bool:
    """True if process ``pid`` lives and was already running when the file was made
    (a younger process only reuses the pid of the one that made it)."""
    import psutil  # only when a log is there to judge: most starts find none

    try:
        return psutil.Process(pid).create_time() <= made + 1.0
    except (psutil.Error, OverflowError, ValueError):
        return False


def _stale_pymp(folder: Path, info: os.stat_result, settled: float, servers: list[float]) -> bool:
    """A forkserver's folder (only its ``listener-*`` socket inside) whose forkserver is
    gone: settled, and no live forkserver started when its socket was made."""
    if info.st_mtime > settled:
        return False
    children = list(folder.iterdir())
    if not children or not all(
        child.name.startswith("listener-") and stat.S_ISSOCK(child.lstat().st_mode)
        for child in children
    ):
        return False  # not a forkserver's folder, or something was added: not ours to judge
    made = max(child.lstat().st_mtime for child in children)
    # A forkserver is started right after its socket is bound, so its start time is the
    # socket's; any live one near that time may own it.
    return not any(abs(started - made) < SERVER_START_S for started in servers)


def _forkserver_starts() -> list[float]:
    """When each live forkserver process of this user started."""
    import psutil

    starts = []
    for proc in psutil.process_iter(["cmdline", "create_time", "uids"]):
        try:
            if hasattr(os, "getuid") and proc.info["uids"].real != os.getuid():
                continue
            if "multiprocessing.forkserver import main" in " ".join(proc.info["cmdline"] or ()):
                starts.append(proc.info["create_time"])
        except (psutil.Error, AttributeError, TypeError):
            continue
    return starts
