"""Colors, pens and brushes: the Okabe–Ito palette, safe for every kind of color vision."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QPen

# Okabe & Ito (2008), "Color Universal Design". Vermillion is kept for failures only so
# that "red means broken" never collides with a worker's own color.
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"
BLACK = "#000000"

#: Colors for lanes (processes, threads) in order; failures use VERMILLION instead.
LANE_COLORS = (BLUE, ORANGE, BLUISH_GREEN, REDDISH_PURPLE, SKY_BLUE, YELLOW)
MAIN_COLOR = "#5A5A5A"
STARTUP_COLOR = "#9A9A9A"
FAILED_COLOR = VERMILLION
BACKGROUND = "#FFFFFF"
FOREGROUND = "#202020"
GRID_ALPHA = 0.25

STATE_COLORS = {
    "idle": "#5A5A5A",
    "starting": BLUE,
    "running": BLUE,
    "finished": BLUISH_GREEN,
    "stopped": "#8A6D00",
    "failed": VERMILLION,
}


def lane_color(index: int, role: str = "worker") -> QColor:
    """The color of a lane: grey for the main process, the palette in order otherwise."""
    if role == "main":
        return QColor(MAIN_COLOR)
    return QColor(LANE_COLORS[index % len(LANE_COLORS)])


def lane_hex(index: int, role: str = "worker") -> str:
    return lane_color(index, role).name()


def shade(color: QColor, factor: int) -> QColor:
    """A lighter (factor > 100) or darker (< 100) variant, for alternating task bars."""
    return color.lighter(factor) if factor >= 100 else color.darker(int(10000 / factor))


def solid_brush(color: QColor | str) -> QBrush:
    return QBrush(QColor(color))


def pattern_brush(color: QColor | str, style: Qt.BrushStyle) -> QBrush:
    return QBrush(QColor(color), style)


def thin_pen(color: QColor | str, width: int = 0) -> QPen:
    """A cosmetic, non-antialiased-friendly pen (width 0 = exactly one device pixel)."""
    pen = QPen(QColor(color))
    pen.setWidth(width)
    pen.setCosmetic(True)
    return pen


def no_pen() -> QPen:
    return QPen(Qt.PenStyle.NoPen)


def apply_plot_defaults() -> None:
    """Light background, no antialiasing: thick antialiased pens cost seconds per frame."""
    pg.setConfigOptions(background=BACKGROUND, foreground=FOREGROUND, antialias=False)
