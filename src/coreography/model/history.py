"""Run history: every run kept in an SQLite file across restarts, crash-safe and capped."""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from coreography.model import history_repair
from coreography.model.recording_checks import RecordingError
from coreography.model.run import Run

if TYPE_CHECKING:  # what stores and rebuilds a run loads with the first one
    from coreography.model.metrics import RunMetrics

DEFAULT_MAX_RUNS = 200
SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created REAL NOT NULL,
    title TEXT NOT NULL,
    model TEXT NOT NULL,
    workers INTEGER NOT NULL,
    tasks INTEGER NOT NULL,
    state TEXT NOT NULL,
    wall_s REAL NOT NULL,
    speedup REAL,
    recording BLOB NOT NULL
)
"""
_COLUMNS = "id, created, title, model, workers, tasks, state, wall_s, speedup"


def default_history_path() -> Path:
    """``history.sqlite3`` in the platform's user data folder for Coreography."""
    return Path(platformdirs.user_data_dir("coreography", appauthor=False)) / "history.sqlite3"


@dataclass(frozen=True)
class Entry:
    """A run ready to be stored: its summary columns and its compressed recording."""

    row: tuple[Any, ...]


def encode_run(run: Run, metrics: RunMetrics | None = None, title: str = "") -> Entry:
    """The history's entry for ``run``: what :meth:`History.add` stores. Pure, and safe
    in another thread than the history's (a big run's recording takes a while)."""
    from coreography.model.metrics import compute_metrics
    from coreography.model.recording import run_to_dict

    metrics = metrics or compute_metrics(run)
    exp = run.experiment
    title = title or exp.title or f"{exp.model}, {exp.workers} workers, {exp.tasks} tasks"
    blob = gzip.compress(
        json.dumps(run_to_dict(run), separators=(",", ":"), allow_nan=False).encode(),
        compresslevel=5,
        mtime=0,
    )
    row = (
        time.time(),
        title,
        exp.model,
        exp.workers,
        exp.tasks,
        run.state,
        metrics.wall_s,
        metrics.speedup,
        blob,
    )
    return Entry(row)


@dataclass(frozen=True)
class HistoryEntry:
    """The summary of one stored run (the recording itself is loaded on demand)."""

    id: int
    created: float  # seconds since the epoch
    title: str
    model: str
    workers: int
    tasks: int
    state: str
    wall_s: float
    speedup: float | None


class History:
    """The run history database.

    Each run is added in one transaction (the summary row and its gzip-compressed
    recording together), and the oldest runs beyond ``max_runs`` go in the same
    transaction, so a crash at any moment leaves either the old or the new state.

    Parameters
    ----------
    path
        The database file; default :func:`default_history_path`. Its folder is made.
    max_runs
        How many runs to keep (at least 1).
    """

    def __init__(
        self, path: str | os.PathLike[str] | None = None, max_runs: int = DEFAULT_MAX_RUNS
    ):
        self.path = Path(path) if path is not None else default_history_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.max_runs = _check_max(max_runs)
        #: Where a damaged database was moved before starting fresh (None: it was sound).
        self.set_aside: Path | None = None
        try:
            self._open()
        except history_repair.DAMAGE as exc:
            if hasattr(self, "_db"):
                self._db.close()
            if isinstance(exc, sqlite3.OperationalError):
                raise  # locked, read-only, not a file: not damage, so nothing is moved
            rows = history_repair.salvage(self.path)
            self.set_aside = history_repair.set_aside(self.path)
            self._open()
            with self._transaction():
                self._db.executemany(
                    f"INSERT INTO runs ({_COLUMNS}, recording) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    rows,
                )
                self._trim()
        #: How many runs were kept from a damaged database.
        self.salvaged = len(self) if self.set_aside is not None else 0

    def _open(self) -> None:
        """Connect and check the file; raise :data:`history_repair.DAMAGE` if it is not sound."""
        # Autocommit mode: transactions are explicit (BEGIN IMMEDIATE ... COMMIT).
        self._db = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
        # Checked before anything is written: a damaged file is set aside as it was found.
        history_repair.check(self._db, _COLUMNS)
        self._db.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
        self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL survives a crash
        with self._transaction():
            self._db.execute(_SCHEMA)
            self._db.execute("CREATE INDEX IF NOT EXISTS runs_created ON runs(created)")
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    # -- writing -------------------------------------------------------------------------
    def add(self, run: Run, metrics: RunMetrics | None = None, title: str = "") -> int:
        """Store ``run`` (its full recording and a summary); return its id.

        Parameters
        ----------
        run
            A run, normally over.
        metrics
            Its metrics if already computed.
        title
            Shown in the list; default: the experiment's title, or a description.
        """
        return self.insert(encode_run(run, metrics, title))

    def insert(self, entry: Entry) -> int:
        """Store an entry :func:`encode_run` made (in any thread); return its id."""
        with self._transaction():
            cursor = self._db.execute(
                "INSERT INTO runs (created, title, model, workers, tasks, state, wall_s, "
                "speedup, recording) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                entry.row,
            )
            self._trim()
        assert cursor.lastrowid is not None  # an INSERT always has one
        return cursor.lastrowid

    def set_max_runs(self, max_runs: int) -> None:
        """Change the cap; runs beyond it (the oldest) are dropped now."""
        self.max_runs = _check_max(max_runs)
        with self._transaction():
            self._trim()

    def delete(self, run_id: int) -> bool:
        """Remove one run; False if there was none with this id."""
        with self._transaction():
            return self._db.execute("DELETE FROM runs WHERE id = ?", (run_id,)).rowcount > 0

    def clear(self) -> None:
        """Remove every run."""
        with self._transaction():
            self._db.execute("DELETE FROM runs")

    # -- reading -------------------------------------------------------------------------
    def list(self) -> list[HistoryEntry]:
        """Every stored run, newest first."""
        rows = self._db.execute(f"SELECT {_COLUMNS} FROM runs ORDER BY id DESC").fetchall()
        # A row of the wrong types (written by something else) is skipped, never shown.
        return [HistoryEntry(*row) for row in rows if history_repair.row_is_sound(row)]

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM runs").fetchone()[0])

    def load(self, run_id: int) -> Run:
        """The stored run with this id, rebuilt from its recording.

        Raises
        ------
        KeyError
            No run has this id.
        RecordingError
            The stored recording is damaged.
        """
        from coreography.model.recording import run_from_dict, unpack

        row = self._db.execute("SELECT recording FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise KeyError(f"no run {run_id} in the history")
        if not isinstance(row[0], bytes):
            raise RecordingError(f"history run {run_id}: damaged recording (not bytes)")
        try:
            data = json.loads(unpack(row[0]))  # bounded, as a recording file is
        except RecordingError as exc:
            raise RecordingError(f"history run {run_id}: {exc}") from None
        except (ValueError, RecursionError) as exc:
            raise RecordingError(f"history run {run_id}: damaged recording ({exc})") from None
        return run_from_dict(data)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals -----------------------------------------------------------------------
    def _trim(self) -> None:
        self._db.execute(
            "DELETE FROM runs WHERE id NOT IN (SELECT id FROM runs ORDER BY id DESC LIMIT ?)",
            (self.max_runs,),
        )

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error (the old state stays)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *rest: object) -> None:
        self._db.execute("ROLLBACK" if kind is not None else "COMMIT")


def _check_max(max_runs: int) -> int:
    if isinstance(max_runs, bool) or not isinstance(max_runs, int) or max_runs < 1:
        raise ValueError(f"max_runs: {max_runs!r} is not allowed; expected a whole number >= 1")
    return max_runs
