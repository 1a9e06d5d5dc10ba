"""What the window's parts share: the view protocol and the stable dock and menu ids."""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from coreography.model.run import Run


class RunView(Protocol):
    """A view fed by the run model: shown a run, then refreshed once per presenter tick.

    ``set_run`` starts from scratch (a new live run, a recording, or None); ``refresh``
    takes in what is new in that run and redraws once. Nothing else is asked of a view.
    """

    def set_run(self, run: Run | None) -> None: ...

    def refresh(self) -> None: ...


class DockId(StrEnum):
    """Dock object names. Saved layouts (QSettings window state) and presentation mode
    find docks by these, never by their titles: keep each value once it has shipped."""

    EXPERIMENT = "experiment"
    METRICS = "metrics"
    CPU = "cpu_per_core"
    CORES = "cores"
    CONSOLE = "console"
    LESSONS = "lessons"
    HISTORY = "history"
    FINDINGS = "findings"


class MenuId(StrEnum):
    """Menu object names: parts find a menu by these, never by its visible text."""

    FILE = "menu_file"
    EXPORT = "menu_export"
    RECENT = "menu_recent"
    RUN = "menu_run"
    VIEW = "menu_view"
    LESSONS = "menu_lessons"
    HELP = "menu_help"
