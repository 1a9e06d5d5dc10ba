"""Contrast between colours (WCAG 2 relative luminance) and the text colour that reads on
a fill: every label the views paint is chosen here, so each theme stays legible."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtGui import QColor

#: WCAG 2 asks 4.5:1 for normal text (AA).
MIN_TEXT_RATIO = 4.5
BLACK = QColor("#000000")
WHITE = QColor("#FFFFFF")


def luminance(color: QColor | str) -> float:
    """Relative luminance of an sRGB colour, 0 (black) to 1 (white)."""
    color = QColor(color)

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in (color.redF(), color.greenF(), color.blueF()))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ratio(first: QColor | str, second: QColor | str) -> float:
    """The contrast ratio of two colours, 1 (none) to 21 (black on white)."""
    a, b = sorted((luminance(first), luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def text_on(fills: QColor | str | Iterable[QColor | str]) -> QColor:
    """Black or white: whichever reads better on every one of ``fills``."""
    if isinstance(fills, QColor | str):
        fills = [fills]
    fills = list(fills)
    black = min(ratio(BLACK, fill) for fill in fills)
    white = min(ratio(WHITE, fill) for fill in fills)
    return QColor(BLACK if black >= white else WHITE)


def readable(color: QColor | str, background: QColor | str, minimum: float = MIN_TEXT_RATIO):
    """``color``, lightened or darkened in steps until it reads on ``background`` with at
    least ``minimum`` contrast (its hue kept as far as the contrast allows)."""
    color, background = QColor(color), QColor(background)
    lighter = luminance(background) < 0.18  # on a dark background text goes lighter
    for _ in range(40):
        if ratio(color, background) >= minimum:
            return color
        h, s, lightness, a = (float(x) for x in color.getHslF())  # type: ignore[attr-defined]
        step = 0.04
        lightness = min(lightness + step, 1.0) if lighter else max(lightness - step, 0.0)
        color = QColor.fromHslF(max(h, 0.0), s, lightness, a)
    return QColor(WHITE if lighter else BLACK)
