"""Numbers formatted as text a whole column at a time (numpy), for exports of big runs.

Each formatter returns a ``(rows, width)`` uint8 matrix of ASCII, right-aligned, with
:data:`PAD` bytes where a row is shorter than the widest; :func:`join_rows` lays
matrices and constant pieces side by side and drops the pad bytes. A million rows of a
Chrome trace or a CSV are formatted in a few tenths of a second this way, against
seconds for a Python loop over the rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: The byte that stands for "nothing here"; no formatted text contains it.
PAD = 0
_POWERS = 10 ** np.arange(18, -1, -1, dtype=np.int64)  # 10**18 … 1
_ASCENDING = _POWERS[::-1].copy()  # 1, 10, … 10**18


def digits(values: np.ndarray, width: int) -> np.ndarray:
    """The last ``width`` decimal digits of ``values`` (int64, >= 0) as numbers 0-9, in
    groups of eight with 32-bit arithmetic (numpy divides by a scalar several times
    faster than by a column of powers)."""
    out = np.empty((len(values), width), np.uint8)
    rest = values
    column = width
    while column > 0:
        take = min(8, column)
        rest, group = np.divmod(rest, 10**take)
        part = group.astype(np.uint32)
        for k in range(column - 1, column - take - 1, -1):
            quotient = part // 10
            out[:, k] = part - quotient * 10
            part = quotient
        column -= take
    return out


def magnitudes(values: np.ndarray, negative: np.ndarray | None = None) -> np.ndarray:
    """Whole numbers ``values`` (>= 0, below 10**19) as decimal digits, with a minus sign
    in front of the rows marked ``negative``."""
    values = np.asarray(values, np.int64)
    width = max(len(str(int(values.max(initial=0)))), 1)
    matrix = digits(values, width)
    # how many digits each value has: 1 + the powers of ten (10, 100, …) it reaches
    lengths = 1 + np.searchsorted(_ASCENDING[1:width], values, side="right")
    first = width - lengths  # the first digit's column
    matrix += ord("0")
    matrix *= np.arange(width, dtype=np.int64) >= first[:, None]  # leading zeros: PAD
    if negative is None or not negative.any():
        return matrix
    signed = np.full((len(values), width + 1), PAD, np.uint8)
    signed[:, 1:] = matrix
    rows = np.flatnonzero(negative)
    signed[rows, first[rows]] = ord("-")
    return signed


def integers(values: np.ndarray) -> np.ndarray:
    """Whole numbers (int64, any sign) as decimal text."""
    values = np.asarray(values, np.int64)
    negative = values < 0
    return magnitudes(np.abs(values), negative)


def decimals(values: np.ndarray, scale: int, places: int, strip: bool = False) -> np.ndarray:
    """``values / 10**scale`` with ``places`` digits after the point (rounded half away
    from zero), e.g. ns as ms: ``scale=6``. ``strip`` drops trailing zeros (keeping one):
    the shortest text of that exact decimal, which JSON reads as the same float as
    ``values / 10**scale``."""
    values = np.asarray(values, np.int64)
    negative = values < 0
    size = np.abs(values)
    if scale > places:
        step = 10 ** (scale - places)
        size = (size + step // 2) // step
    elif places > scale:
        size = size * 10 ** (places - scale)
    unit = 10**places
    whole = magnitudes(size // unit, negative & (size > 0))
    if not places:
        return whole
    fraction = digits(size % unit, places)
    fraction += ord("0")
    if strip:  # keep the digits up to the last that is not 0 (at least one)
        tail = size % unit
        kept = np.full(len(values), places, np.int64)
        for zeros in range(1, places):
            kept -= tail % 10**zeros == 0
        fraction *= np.arange(places, dtype=np.int64) < kept[:, None]
    point = np.full((len(values), 1), ord("."), np.uint8)
    return np.hstack((whole, point, fraction))


def texts(strings: Sequence[str]) -> np.ndarray:
    """A small table of strings (e.g. one per lane or per status) as a matrix; index it
    by row to give each row its string."""
    encoded = [s.encode("utf-8") for s in strings]
    width = max((len(e) for e in encoded), default=0)
    matrix = np.full((len(encoded), max(width, 1)), PAD, np.uint8)
    for row, data in enumerate(encoded):
        matrix[row, : len(data)] = np.frombuffer(data, np.uint8)
    return matrix


def blank(matrix: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``matrix`` with the rows where ``rows`` is False made empty."""
    return np.where(rows[:, None], matrix, np.uint8(PAD)).astype(np.uint8)


def join_rows(parts: Sequence[np.ndarray | bytes], count: int) -> bytes:
    """The rows of ``parts`` (matrices of ``count`` rows, or bytes every row shares)
    side by side, one row after the other, without pad bytes."""
    if not count:
        return b""
    widths = [len(part) if isinstance(part, bytes) else part.shape[1] for part in parts]
    table = np.empty((count, sum(widths)), np.uint8)
    column = 0
    for part, width in zip(parts, widths, strict=True):
        if isinstance(part, bytes):
            table[:, column : column + width] = np.frombuffer(part, np.uint8)
        else:
            table[:, column : column + width] = part
        column += width
    flat = table.ravel()
    text: bytes = flat[flat != PAD].tobytes()
    return text
