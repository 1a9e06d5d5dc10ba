"""Colors, pens and brushes: the Okabe–Ito palette, safe for every kind of color vision,
and the light, dark and high-contrast themes that set the colors the views paint with."""

from __future__ import annotations

from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QGuiApplication, QPalette, QPen

from coreography.gui import contrast

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
GRID_COLOR = "#E4E4E4"  # timeline grid lines
TRACK_COLOR = "#E8E8E8"  # the empty part of a bar (utilization)

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
    """The active theme's background, no antialiasing: thick antialiased pens cost seconds
    per frame."""
    pg.setConfigOptions(background=BACKGROUND, foreground=FOREGROUND, antialias=False)


def cache_axes(plot: pg.PlotWidget) -> None:
    """Draw ``plot``'s axes from a pixmap until their range, ticks or style change (each
    of those calls ``update()``, which drops the pixmap): a frame that only moves bars
    does not lay the axes' text out again, which cost milliseconds per frame.

    An axis without units shows no SI prefix, so it stops looking for one: pyqtgraph
    otherwise sets its title's HTML again and resizes it at every change of range (the
    hidden top and right axes too), tens of times a second while a run scrolls."""
    from PySide6.QtWidgets import QGraphicsItem

    for axis in plot.getPlotItem().axes.values():
        item = axis["item"]
        item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        if not item.labelUnits and item.autoSIPrefix:
            item.enableAutoSIPrefix(False)


# -- themes ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Theme:
    """The colors of one look, for Qt widgets and pyqtgraph views alike."""

    name: str
    title: str
    window: str  # Qt window and base background
    text: str  # Qt text and plot foreground (axes, labels, marks)
    plot: str  # pyqtgraph background
    grid: str  # timeline grid lines
    track: str  # the empty part of a utilization bar
    muted: str  # the main process, start-up segments
    highlight: str  # selection and focus
    dark: bool = False
    line_scale: float = 1.0  # high contrast draws every line thicker (no antialiasing)


THEMES: dict[str, Theme] = {
    "light": Theme(
        "light", "Light", "#F4F4F4", "#202020", "#FFFFFF", "#E4E4E4", "#E8E8E8",
        "#5A5A5A", BLUE,
    ),
    "dark": Theme(
        "dark", "Dark", "#2B2B2B", "#E6E6E6", "#1C1C1C", "#3A3A3A", "#3C3C3C",
        "#A0A0A0", SKY_BLUE, dark=True,
    ),
    # White on black with yellow focus, the convention of system high-contrast modes: it
    # must not pass for Light on a projector.
    "high-contrast": Theme(
        "high-contrast", "High contrast", "#000000", "#FFFFFF", "#000000", "#6A6A6A",
        "#3A3A3A", "#D0D0D0", YELLOW, dark=True, line_scale=2.0,
    ),
}  # fmt: skip
#: "system" follows the scheme Qt reports (light or dark), light where it reports none.
THEME_CHOICES = ("system", *THEMES)
_active: Theme = THEMES["light"]


def active() -> Theme:
    """The theme views paint with now."""
    return _active


def resolve(choice: str) -> Theme:
    """The theme for a user's choice: a theme name, or "system" (light when unknown)."""
    if choice in THEMES:
        return THEMES[choice]
    return THEMES["dark" if system_scheme() == "dark" else "light"]


def system_scheme() -> str:
    """ "light", "dark" or "" when Qt cannot tell (no application yet, or no platform hint)."""
    app = QGuiApplication.instance()
    if app is None:
        return ""
    scheme = QGuiApplication.styleHints().colorScheme()
    return {Qt.ColorScheme.Dark: "dark", Qt.ColorScheme.Light: "light"}.get(scheme, "")


def use(theme: Theme) -> None:
    """Make ``theme`` the one custom painting reads (the module colors above follow it)."""
    global _active, BACKGROUND, FOREGROUND, GRID_COLOR, TRACK_COLOR, MAIN_COLOR, STARTUP_COLOR
    _active = theme
    BACKGROUND, FOREGROUND, GRID_COLOR = theme.plot, theme.text, theme.grid
    TRACK_COLOR, MAIN_COLOR = theme.track, theme.muted
    STARTUP_COLOR = "#7A7A7A" if theme.dark else "#9A9A9A"
    pg.setConfigOptions(background=theme.plot, foreground=theme.text, antialias=False)


def palette(theme: Theme) -> QPalette:
    """A complete Qt palette for ``theme`` (Fusion honours every role)."""
    pal = QPalette()
    window, text = QColor(theme.window), QColor(theme.text)
    base = QColor(theme.plot)
    button = window.lighter(115) if theme.dark else window.darker(104)
    roles = QPalette.ColorRole
    for role, color in (
        (roles.Window, window),
        (roles.WindowText, text),
        (roles.Base, base),
        (roles.AlternateBase, window),
        (roles.Text, text),
        (roles.Button, button),
        (roles.ButtonText, text),
        (roles.ToolTipBase, base),
        (roles.ToolTipText, text),
        (roles.PlaceholderText, QColor(theme.muted)),
        (roles.Highlight, QColor(theme.highlight)),
        (roles.HighlightedText, contrast.text_on(theme.highlight)),
        (roles.Link, QColor(theme.highlight)),
        (roles.BrightText, QColor(VERMILLION)),
    ):
        pal.setColor(role, color)
    disabled = QColor(theme.muted)
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return pal


#: Syntax roles of the code views and their hue in each kind of theme; :func:`syntax_color`
#: shifts each until it reads on the editor's background.
SYNTAX_HUES = {
    "keyword": (BLUE, SKY_BLUE),
    "builtin": ("#A0457A", REDDISH_PURPLE),
    "number": ("#8A6D00", YELLOW),
    "definition": ("#00664A", "#3CC89A"),
    "string": ("#A04000", ORANGE),
    "comment": ("#5E5E5E", "#B4B4B4"),
}


def syntax_color(role: str, theme: Theme | None = None) -> QColor:
    """The colour of a syntax ``role`` in ``theme`` (default: the active one), at least
    4.5:1 against the theme's editor background."""
    theme = theme or _active
    light, dark = SYNTAX_HUES[role]
    return contrast.readable(dark if theme.dark else light, theme.plot)


def text_color(color: QColor | str, theme: Theme | None = None) -> QColor:
    """``color`` as text on the theme's background (the console's lane colours)."""
    theme = theme or _active
    return contrast.readable(color, theme.plot)
