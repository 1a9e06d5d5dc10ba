"""A damaged run history: tell it apart, keep what can still be read, move the file aside."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

#: What a damaged database raises (plus :class:`DamagedHistory`, for rows of wrong types).
DAMAGE = (sqlite3.DatabaseError,)
_NUMBER = (int, float)
# id, created, title, model, workers, tasks, state, wall_s, speedup
_ROW_TYPES: tuple[type | tuple[type, ...], ...] = (
    int,
    _NUMBER,
    str,
    str,
    int,
    int,
    str,
    _NUMBER,
    (*_NUMBER, type(None)),
)
_RECORDING = 9  # index of the recording in a salvaged row


class DamagedHistory(sqlite3.DatabaseError):
    """The file is a database, but its runs table holds values of the wrong types."""


def check(db: sqlite3.Connection, columns: str) -> None:
    """Raise a :data:`DAMAGE` error unless every page and every summary row is sound.

    ``PRAGMA quick_check`` reads every page, so a garbled page anywhere is found now,
    at start-up, rather than by whichever later query first touches it.
    """
    verdict = db.execute("PRAGMA quick_check").fetchall()
    if verdict != [("ok",)]:
        raise sqlite3.DatabaseError(f"damaged: {verdict[0][0]}")
    tables = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    if ("runs",) not in tables:
        return  # a new file: the table is made next
    for row in db.execute(f"SELECT {columns} FROM runs"):
        if not row_is_sound(row):
            raise DamagedHistory(f"run {row[0]!r:.20} has values of the wrong types")


def row_is_sound(row: tuple[Any, ...]) -> bool:
    """True if a summary row (``id`` to ``speedup``) holds what the schema promises."""
    return len(row) >= 9 and all(
        isinstance(value, kind) and type(value) is not bool
        for value, kind in zip(row, _ROW_TYPES, strict=False)
    )


def salvage(path: Path) -> list[tuple[Any, ...]]:
    """Every run that can still be read whole from a damaged database, oldest first.

    Rows are read one by one, so a garbled page loses only the runs stored on it.
    """
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return []
    rows = []
    try:
        for run_id in _ids(db):
            try:
                row = db.execute(
                    "SELECT id, created, title, model, workers, tasks, state, wall_s, speedup, "
                    "recording FROM runs WHERE id = ?",
                    (run_id,),
                ).fetchone()
            except sqlite3.Error:
                continue
            if row is not None and row_is_sound(row) and isinstance(row[_RECORDING], bytes):
                rows.append(row)
    finally:
        db.close()
    return rows


def _ids(db: sqlite3.Connection) -> list[int]:
    """The run ids the table still yields, read from both ends past any garbled page."""
    ids: set[int] = set()
    for order in ("ASC", "DESC"):
        with contextlib.suppress(sqlite3.Error):
            for (run_id,) in db.execute(f"SELECT id FROM runs ORDER BY id {order}"):
                if type(run_id) is int:
                    ids.add(run_id)
    return sorted(ids)


def set_aside(path: Path) -> Path:
    """Rename the damaged file (and its WAL companions) to ``NAME.damaged-TIMESTAMP``."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    number = 1
    while target.exists():
        number += 1
        target = path.with_name(f"{path.name}.damaged-{stamp}-{number}")
    os.replace(path, target)
    for suffix in ("-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            os.replace(companion, target.with_name(target.name + suffix))
    return target
