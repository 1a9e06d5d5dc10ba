"""The timeline's axis of lane names: as wide as it is set (the look scales that), and
wider when the longest name needs it, so "SpawnPoolWorker-12 · PID 123456" is never cut."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QApplication

#: Room beside the widest name (pixels), besides the tick text offset.
NAME_PAD = 8


class LaneAxis(pg.AxisItem):
    """A left axis whose width is at least what its names need (:meth:`fit_names`).

    ``followers`` (other axes, e.g. the queue-depth track's) are kept as wide, so plots
    stacked under the timeline stay aligned with it.
    """

    def __init__(self, orientation: str = "left", **kwargs) -> None:
        super().__init__(orientation, **kwargs)
        self.names: list[str] = []
        self.least = 0  # pixels the names need (or a leader asks for)
        self.followers: list[LaneAxis] = []

    def name_font(self):
        return self.style.get("tickFont") or QApplication.font()

    def needed_for(self, names: list[str]) -> int:
        """Pixels ``names`` take in the tick font, with the axis's own offsets."""
        if not names:
            return 0
        metrics = QFontMetrics(self.name_font())
        widest = max(metrics.horizontalAdvance(name) for name in names)
        offset = self.style["tickTextOffset"][0] if self.style["showValues"] else 0
        return widest + offset + max(0, self.style["tickLength"]) + NAME_PAD

    def fit_names(self, names: list[str]) -> None:
        """Be at least as wide as ``names`` need (they are the lane names shown)."""
        self.names = list(names)
        self.set_least(self.needed_for(self.names))

    def set_least(self, pixels: int) -> None:
        if pixels != self.least:
            self.least = pixels
            self._updateWidth()

    def shown_width(self) -> int:
        """The width the axis takes now (what it was set to, or what its names need)."""
        return int(self.maximumWidth())

    def _updateWidth(self) -> None:
        super()._updateWidth()
        if self.isVisible() and self.fixedWidth is not None and self.least > self.fixedWidth:
            self.setMaximumWidth(self.least)
            self.setMinimumWidth(self.least)
        for follower in getattr(self, "followers", ()):
            follower.set_least(self.shown_width())

    def setTickFont(self, font) -> None:
        super().setTickFont(font)
        if getattr(self, "names", None):
            self.fit_names(self.names)  # larger letters (presentation) need more room
