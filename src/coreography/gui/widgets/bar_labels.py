"""Task numbers on the timeline's bars ("#12", "✕ #7"): each label rendered once into a
pixmap, then every label of a frame drawn from it in one ``drawPixmapFragments`` call
(about ten times cheaper than drawing each label's text)."""

from __future__ import annotations

import math

import numpy as np
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPixmap

from coreography.gui.widgets.timeline_rects import Recording

#: The characters a label may hold: digits, the number sign and the marks' prefixes.
CHARS = "0123456789#✕‖ "
PAD = 2  # room either side of a label for glyphs wider than their advance
ATLAS_WIDTH = 1024  # pixels: a shelf of labels side by side
ATLAS_HEIGHT = 1024  # shelves of labels; full, it starts again from the top
#: Powers of ten: how many digits a number has is one more than how many it reaches.
_POWERS = 10 ** np.arange(1, 19, dtype=np.int64)
#: QPainter.PixmapFragment's fields: x, y (the target's centre), sourceLeft,
#: sourceTop, width, height (in the pixmap's own pixels), scaleX, scaleY, rotation,
#: opacity.
_FIELDS = 10


class LabelAtlas:
    """Draws bar labels of one font, in a few colours, as fragments of one pixmap.

    A label is rendered (as text, in its colour) the first time it is drawn, into the
    next free place of a shelf; the pixmap is at the device pixel ratio of the target,
    so a label reads exactly as drawn text would.
    """

    def __init__(self) -> None:
        self._key: tuple | None = None
        self._colors: list[QColor] = []
        self._font = QFont()
        self._metrics = QFontMetricsF(self._font)
        self._advance = np.zeros(len(CHARS), np.float64)
        self._ratio = 1.0
        self._pixmap = QPixmap()
        #: label (prefix, number, colour) -> its row in _table: x, y, width in the atlas
        self._places: dict[tuple[str, int, int], int] = {}
        self._table = np.zeros((256, 3), np.float64)
        self._x = self._y = 0
        #: Counts the atlas's clearings: a label's place holds it until the next one.
        self.generation = 0
        #: The keys of _places as sorted numbers (see _codes), and the place of each: a
        #: frame whose labels are all rendered finds them in one search.
        self._codes = np.zeros(0, np.int64)
        self._code_places = np.zeros(0, np.int64)
        self._digit: float | None = None  # every digit's advance, if all are alike

    @property
    def height(self) -> int:
        """A label's height in pixels (the font's line)."""
        return math.ceil(self._metrics.height())

    def prepare(self, font: QFont, colors: list[QColor], ratio: float) -> None:
        """Be ready to draw in ``font`` with ``colors`` at device pixel ratio ``ratio``
        (rendered labels are kept while all three stay the same)."""
        key = (font.key(), tuple(color.rgba() for color in colors), ratio)
        if key == self._key:
            return
        self._key = key
        self._font = QFont(font)
        self._colors = list(colors)
        self._metrics = QFontMetricsF(font)
        self._advance = np.array([self._metrics.horizontalAdvance(c) for c in CHARS])
        digits = self._advance[:10]
        self._digit = float(digits[0]) if (digits == digits[0]).all() else None
        self._ratio = ratio
        self._pixmap = QPixmap(round(ATLAS_WIDTH * ratio), round(ATLAS_HEIGHT * ratio))
        self._pixmap.setDevicePixelRatio(ratio)
        self._clear()

    def _clear(self) -> None:
        self.generation += 1
        self._pixmap.fill(Qt.GlobalColor.transparent)
        self._places = {}
        self._x = self._y = 0
        self._codes = np.zeros(0, np.int64)
        self._code_places = np.zeros(0, np.int64)

    def widths(self, ids: np.ndarray, prefix: str) -> np.ndarray:
        """The width in pixels of each label ``prefix + str(id)`` (its characters'
        advances: digits and the number sign do not kern)."""
        advance = self._advance
        width = np.full(len(ids), sum(float(advance[CHARS.index(c)]) for c in prefix))
        rest = np.maximum(ids, 0).astype(np.int64)
        if self._digit is not None:  # tabular digits (most fonts): count them
            # Advances are whole 64ths of a pixel, so this sum is the same number.
            return width + self._digit * (1 + np.searchsorted(_POWERS, rest, "right"))
        width += advance[rest % 10]  # the last digit, which even 0 has
        rest //= 10
        while rest.any():
            width += np.where(rest > 0, advance[rest % 10], 0.0)
            rest //= 10
        return width

    def draw(
        self,
        painter: QPainter,
        left: np.ndarray,
        top: np.ndarray,
        ids: np.ndarray,
        rows: np.ndarray,
        prefix: str,
    ) -> None:
        """Draw label ``prefix + str(ids[k])`` with its text's left edge at ``left[k]``
        and its top at ``top[k]``, in colour ``rows[k]`` (an index into the colours
        given to :meth:`prepare`)."""
        count = len(ids)
        if not count:
            return
        codes = _code(ids, rows, prefix)
        if len(self._codes):  # every label already rendered: no Python per label
            at = np.minimum(np.searchsorted(self._codes, codes), len(self._codes) - 1)
            if (self._codes[at] == codes).all():
                self._fill(painter, left, top, self._code_places[at])
                return
        known = self._places
        keys = [
            (prefix, number, row) for number, row in zip(ids.tolist(), rows.tolist(), strict=True)
        ]
        found = [known.get(key, -1) for key in keys]  # rows of _table
        drawn = 0
        if -1 in found:
            atlas = QPainter(self._pixmap)
            atlas.setFont(self._font)
            for k, key in enumerate(keys):
                if found[k] >= 0:
                    continue
                place = known.get(key, -1)
                if place < 0:
                    place = self._render(atlas, key)
                if place < 0:  # the atlas is full: draw what it holds, start again
                    atlas.end()
                    self._fill(painter, left[drawn:k], top[drawn:k], found[drawn:k])
                    drawn = k
                    self._clear()
                    known = self._places
                    atlas = QPainter(self._pixmap)
                    atlas.setFont(self._font)
                    # What this frame still draws from the old atlas is rendered again.
                    found[k:] = [-1] * (count - k)
                    place = self._render(atlas, key)
                    assert place >= 0
                found[k] = place
            atlas.end()
            self._index_places()
        self._fill(painter, left[drawn:], top[drawn:], found[drawn:])

    def _index_places(self) -> None:
        """Sort the rendered labels' keys as numbers, for :meth:`draw`'s one search."""
        keys = list(self._places)
        codes = _code(
            np.fromiter((number for _, number, _ in keys), np.int64, len(keys)),
            np.fromiter((row for _, _, row in keys), np.int64, len(keys)),
            [prefix for prefix, _, _ in keys],
        )
        order = np.argsort(codes)
        self._codes = codes[order]
        self._code_places = np.fromiter(self._places.values(), np.int64, len(keys))[order]

    def _render(self, atlas: QPainter, key: tuple[str, int, int]) -> int:
        """Render label ``key`` (prefix, number, colour) into the next free place; its
        row in the table of places, or -1 if there is no place left."""
        prefix, number, row = key
        text = f"{prefix}{number}"
        width = math.ceil(self._metrics.horizontalAdvance(text)) + 2 * PAD
        height = self.height
        if self._x + width > ATLAS_WIDTH:
            self._x, self._y = 0, self._y + height
        if self._y + height > ATLAS_HEIGHT:
            return -1
        atlas.setPen(self._colors[row])
        atlas.drawText(self._x + PAD, round(self._y + self._metrics.ascent()), text)
        place = len(self._places)
        if place == len(self._table):
            self._table = np.concatenate((self._table, np.zeros_like(self._table)))
        self._table[place] = (self._x, self._y, width)
        self._places[key] = place
        self._x += width
        return place

    def _fill(self, painter, left: np.ndarray, top: np.ndarray, found) -> None:
        total = len(left)
        if not total:
            return
        places = self._table[np.asarray(found, np.int64)]
        table = np.empty((total, _FIELDS))
        if isinstance(painter, Recording):
            painter.keep(table)
        table[:, 6:8] = 1.0 / self._ratio  # scale: the pixmap's pixels to ours
        table[:, 8] = 0.0  # no rotation
        table[:, 9] = 1.0  # opaque
        ratio, height = self._ratio, self.height
        width = places[:, 2]
        table[:, 0] = left - PAD + width / 2
        table[:, 1] = top + height / 2
        table[:, 2] = places[:, 0] * ratio
        table[:, 3] = places[:, 1] * ratio
        table[:, 4] = width * ratio
        table[:, 5] = height * ratio
        first = shiboken6.wrapInstance(table.ctypes.data, QPainter.PixmapFragment)
        painter.drawPixmapFragments(first, total, self._pixmap)


#: The prefixes a label may have, by number (for :func:`_code`).
_PREFIXES: dict[str, int] = {}


def _code(ids: np.ndarray, rows: np.ndarray, prefix) -> np.ndarray:
    """Each label (prefix, number, colour row) as one number: number, prefix and row in
    bits of their own. ``prefix`` is one for all, or one per label."""
    kind: int | np.ndarray
    if isinstance(prefix, str):
        kind = _PREFIXES.setdefault(prefix, len(_PREFIXES))
    else:
        kind = np.fromiter(
            (_PREFIXES.setdefault(p, len(_PREFIXES)) for p in prefix), np.int64, len(prefix)
        )
    return (np.asarray(ids, np.int64) << 24) | (np.asarray(kind, np.int64) << 16) | rows
