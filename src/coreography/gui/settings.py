"""What the window remembers between sessions (QSettings): geometry, docks, theme, zoom."""

from __future__ import annotations

import json
import math
import shutil
import time
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from coreography.gui.look import SCALE_RANGE
from coreography.gui.theme import THEME_CHOICES
from coreography.model.experiment import Experiment, ExperimentError
from coreography.model.repeats import DEFAULT_REPEATS, MAX_REPEATS
from coreography.model.thread_states import DEFAULT_HZ as DEFAULT_STATE_HZ
from coreography.model.thread_states import HZ_RANGE as STATE_HZ_RANGE

DEFAULT_ZOOM = 1.6  # presentation mode's scale until the user picks another
#: Bumped when the docks change so much that an old saved layout would look broken.
LAYOUT_VERSION = 1


class Settings:
    """Typed access to a QSettings store.

    Parameters
    ----------
    store
        The QSettings to use; default: the user's settings for Coreography. Tests pass
        ``Settings.at(tmp_path / "settings.ini")`` so the user's own are never touched.
    """

    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store if store is not None else QSettings("Coreography", "Coreography")
        #: Where a copy of damaged settings was kept, once some were found (else None).
        self.set_aside: Path | None = None
        if self.store.status() == QSettings.Status.FormatError:
            self._set_aside(None)

    @classmethod
    def at(cls, path: str | Path) -> Settings:
        """Settings kept in an INI file at ``path``."""
        return cls(QSettings(str(path), QSettings.Format.IniFormat))

    def sync(self) -> None:
        self.store.sync()

    # -- first run --------------------------------------------------------------------
    @property
    def first_run(self) -> bool:
        return not self._bool("welcomed", False)

    def mark_welcomed(self) -> None:
        self.store.setValue("welcomed", True)

    # -- look -------------------------------------------------------------------------
    @property
    def theme(self) -> str:
        value = str(self.store.value("theme", "system"))
        return value if value in THEME_CHOICES else "system"

    @theme.setter
    def theme(self, value: str) -> None:
        self.store.setValue("theme", value if value in THEME_CHOICES else "system")

    @property
    def zoom(self) -> float:
        try:
            value = float(self.store.value("presentation/zoom", DEFAULT_ZOOM))
        except (TypeError, ValueError, OverflowError):
            return DEFAULT_ZOOM
        if not math.isfinite(value):
            return DEFAULT_ZOOM
        return min(max(value, SCALE_RANGE[0]), SCALE_RANGE[1])

    @zoom.setter
    def zoom(self, value: float) -> None:
        self.store.setValue("presentation/zoom", float(value))

    # -- series ---------------------------------------------------------------------
    @property
    def repeats(self) -> int:
        """Runs of each point of a sweep or multi-run lesson (median and range shown)."""
        try:
            value = int(self.store.value("series/repeats", DEFAULT_REPEATS))
        except (TypeError, ValueError, OverflowError):
            return DEFAULT_REPEATS
        return min(max(value, 1), MAX_REPEATS)

    @repeats.setter
    def repeats(self, value: int) -> None:
        self.store.setValue("series/repeats", min(max(int(value), 1), MAX_REPEATS))

    # -- thread states ----------------------------------------------------------------
    @property
    def state_hz(self) -> float:
        """How often runs started from the window read each lane's thread state from the
        kernel (0: not at all); what the command line's ``--state-hz`` sets."""
        try:
            value = float(self.store.value("runs/state_hz", DEFAULT_STATE_HZ))
        except (TypeError, ValueError, OverflowError):
            return DEFAULT_STATE_HZ
        if value == 0:
            return 0.0
        if not STATE_HZ_RANGE[0] <= value <= STATE_HZ_RANGE[1]:  # also NaN
            return DEFAULT_STATE_HZ
        return value

    @state_hz.setter
    def state_hz(self, value: float) -> None:
        value = float(value)
        if value != 0:
            value = min(max(value, STATE_HZ_RANGE[0]), STATE_HZ_RANGE[1])
        self.store.setValue("runs/state_hz", value)

    # -- window -----------------------------------------------------------------------
    def save_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self.store.setValue("window/geometry", geometry)
        self.store.setValue("window/state", state)
        self.store.setValue("window/layout_version", LAYOUT_VERSION)

    def window_geometry(self) -> QByteArray | None:
        return self._bytes("window/geometry")

    def window_state(self) -> QByteArray | None:
        if self._int("window/layout_version", 0) != LAYOUT_VERSION:
            return None
        return self._bytes("window/state")

    def forget_window(self) -> None:
        """Reset layout: the next start (and this one) uses the default layout."""
        self.store.remove("window")

    # -- experiment -------------------------------------------------------------------
    def save_experiment(self, experiment: Experiment) -> None:
        self.store.setValue("experiment/last", json.dumps(experiment.to_dict()))

    @property
    def code_from_file(self) -> str:
        """Where the last experiment's task code came from while it still awaited the
        user's review ("" when it is the user's own): it stays someone else's."""
        return str(self.store.value("experiment/code_from", "") or "")

    @code_from_file.setter
    def code_from_file(self, source: str) -> None:
        self.store.setValue("experiment/code_from", source)

    def last_experiment(self) -> Experiment | None:
        """The experiment shown when the app last closed (None if absent or invalid)."""
        text = self.store.value("experiment/last")
        if not text:
            return None
        try:
            return Experiment.from_dict(json.loads(str(text))).validate()
        except (ExperimentError, TypeError, ValueError, ArithmeticError, RecursionError):
            # Written by something else, or damaged: keep a copy, forget it, start fresh.
            self._set_aside("experiment/last")
            return None

    def _set_aside(self, key: str | None) -> None:
        """Copy the damaged settings file to ``NAME.damaged-TIMESTAMP`` (once), then drop
        ``key`` (None: everything, the file could not be read)."""
        source = Path(self.store.fileName())
        if self.set_aside is None and source.is_file():
            target = source.with_name(f"{source.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
            try:
                shutil.copyfile(source, target)
                self.set_aside = target
            except OSError:
                self.set_aside = source  # no copy could be made; the message names the file
        if key is None:
            self.store.clear()
        else:
            self.store.remove(key)

    # -- conversions (INI files give back strings) ------------------------------------
    def _bool(self, key: str, default: bool) -> bool:
        value = self.store.value(key, default)
        if isinstance(value, str):
            return value.lower() in ("1", "true", "yes")
        return bool(value)

    def _int(self, key: str, default: int) -> int:
        try:
            return int(self.store.value(key, default))
        except (TypeError, ValueError, OverflowError):
            return default

    def _bytes(self, key: str) -> QByteArray | None:
        value = self.store.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None
