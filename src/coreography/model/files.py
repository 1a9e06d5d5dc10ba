"""Reading and writing user files safely: regular files only, bounded, never half-written."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # Windows has no FIFOs to block on
_BINARY = getattr(os, "O_BINARY", 0)


class FileRefused(OSError):
    """The path is not something to read (a FIFO, a device, a folder) or is too large."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def open_regular(path: str | os.PathLike[str], limit: int) -> BinaryIO:
    """Open ``path`` for reading if it is a regular file of at most ``limit`` bytes.

    The file's kind is checked before opening, and the open itself never waits (a FIFO
    swapped in between is opened non-blocking and refused), so nothing here can hang.

    Raises
    ------
    FileRefused
        The path names a FIFO, device, socket or folder, or a file larger than ``limit``.
    OSError
        The file cannot be opened (missing, no permission ...).
    """
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise FileRefused(f"{_kind(info.st_mode)}, not a file")
    descriptor = os.open(path, os.O_RDONLY | _NONBLOCK | _BINARY)
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused(f"{_kind(info.st_mode)}, not a file")
        if info.st_size > limit:
            raise FileRefused(f"{info.st_size / 1024**2:,.1f} MiB is more than {_size(limit)}")
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def read_regular(path: str | os.PathLike[str], limit: int) -> bytes:
    """The whole of a regular file of at most ``limit`` bytes (see :func:`open_regular`)."""
    with open_regular(path, limit) as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:  # it grew after the check
        raise FileRefused(f"more than {_size(limit)}")
    return data


def write_atomic(path: str | os.PathLike[str], write: Callable[[BinaryIO], object]) -> None:
    """Write a file whole or not at all: into a temporary file beside it, then rename.

    A full disk, a crash or an error in ``write`` leaves the old file (or none) under
    ``path``, never a truncated one; the temporary file is removed on failure.
    """
    path = Path(path)
    partial = path.with_name(f".{path.name}.{os.urandom(4).hex()}.partial")
    # 0o666 and the umask, as an ordinary open() would give (mkstemp gives 0o600).
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())  # the data is on disk before the name points to it
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _size(limit: int) -> str:
    return f"{limit / 1024**2:,.0f} MiB" if limit >= 1024**2 else f"{limit / 1024:,.0f} KiB"
