"""The app's log file: standard ``logging`` into the user's state folder (no Qt).

A frozen desktop app has no terminal, so a bug report needs a file to attach:
``<user log dir>/coreography.log``, rotated at 1 MiB with three old copies kept.
Uncaught exceptions are written there too.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path
from types import TracebackType

LOG_NAME = "coreography.log"
_MAX_BYTES = 1 << 20
_BACKUPS = 3


def log_dir() -> Path:
    """Where the log lives: $COREOGRAPHY_LOG_DIR, else the platform's user log folder."""
    override = os.environ.get("COREOGRAPHY_LOG_DIR")
    if override:
        return Path(override)
    from platformdirs import user_log_dir

    return Path(user_log_dir("coreography", appauthor=False))


def log_path() -> Path:
    return log_dir() / LOG_NAME


def setup_logging(level: int = logging.INFO) -> Path | None:
    """Send the ``coreography`` loggers to the log file; returns its path, or None when
    the folder cannot be written (the app runs on without a log, never stops for it)."""
    root = logging.getLogger("coreography")
    for handler in root.handlers:
        if getattr(handler, "coreography_file", False):
            return Path(handler.baseFilename)  # type: ignore[attr-defined]
    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=_MAX_BYTES, backupCount=_BACKUPS, encoding="utf-8", delay=True
        )
    except OSError:
        return None
    handler.coreography_file = True  # type: ignore[attr-defined]
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s")
    )
    root.addHandler(handler)
    root.setLevel(level)
    _log_uncaught_exceptions(root)
    return path


def _log_uncaught_exceptions(logger: logging.Logger) -> None:
    previous = sys.excepthook

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if not issubclass(kind, KeyboardInterrupt):
            logger.error("uncaught exception", exc_info=(kind, value, tb))
        previous(kind, value, tb)

    sys.excepthook = hook
