"""Fast JSON reading of a recording's long number lists, straight into numpy columns.

A 1,000,000-task recording is mostly a few lists of a million numbers each. Parsed by
:func:`json.loads` they become millions of Python ints (hundreds of MB, most of a
second); here each long list is found in the bytes, checked against JSON's grammar
and parsed by numpy, and the rest of the document goes through :func:`json.loads`
with a placeholder where each list was.

Nothing changes in what is accepted: a list that is not exactly JSON numbers and nulls
is left for :func:`json.loads`, and whenever the placeholder document does not parse,
or a placeholder lands anywhere but as the value of an object key, the whole text is
parsed by :func:`json.loads` as before (so its errors are the ones it always gave).
:class:`Column` keeps its list's text, so a check that finds anything wrong with a
column runs again on the real Python list (:meth:`Column.as_list`) and says what it
always said.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np

#: Lists shorter than this many bytes are left to json.loads (not worth a column).
MIN_BYTES = 32_768
#: Longest number token read here; longer ones leave their list to json.loads.
MAX_TOKEN = 40
_PLACEHOLDER = "\x01coreography-column:"
_NUMBER_CHARS = b"0123456789,-+.eEnul"  # what a list of JSON numbers and nulls is made of
_COMMA, _MINUS, _PLUS, _DOT = (ord(c) for c in ",-+.")
_N, _U, _L, _E, _BIG_E, _ZERO = (ord(c) for c in "nuleE0")


def _digits(values: np.ndarray) -> np.ndarray:
    """Which bytes are ASCII digits (arithmetic: several times faster than a table)."""
    result: np.ndarray = (values - np.uint8(ord("0"))) < 10
    return result


class Column:
    """A long JSON list of numbers and nulls, checked against JSON's grammar.

    ``integral``: every number is a JSON integer. :meth:`take` parses it once (and lets
    its text go); :meth:`as_list` gives the list :func:`json.loads` would have.
    """

    def __init__(self, text: bytes, nulls: np.ndarray, integral: bool) -> None:
        self.text = text  # the list's items, without the brackets
        self.nulls = nulls
        self.integral = integral

    def __len__(self) -> int:
        return len(self.nulls)

    @property
    def has_nulls(self) -> bool:
        return bool(self.nulls.any())

    def take(self, dtype: Any) -> np.ndarray:
        """The numbers as ``dtype`` (int64 only for a column of integers), nulls as 0;
        the column is used up."""
        assert self.integral or np.dtype(dtype).kind == "f"
        text, self.text = self.text, b""
        return _parse(text, dtype, len(self), self.has_nulls)

    def as_list(self) -> list[Any]:
        """The list exactly as :func:`json.loads` reads it."""
        values: list[Any] = json.loads(b"[" + self.text + b"]")
        return values


def _parse(text: bytes, dtype: Any, count: int, nulls: bool) -> np.ndarray:
    if nulls:
        text = text.replace(b"null", b"0")
    array = np.fromstring(text, dtype=dtype, sep=",")  # text mode: not deprecated
    if len(array) != count:  # cannot happen for text that passed _scan
        raise ValueError("a number column did not parse whole")
    return array


def loads(raw: bytes, parse_constant: Callable[[str], Any], holders: list[dict[str, Any]]) -> Any:
    """``json.loads(raw, parse_constant=...)``, with each long list of numbers that is the
    value of an object key as a :class:`Column` instead of a list; ``holders`` receives
    each object that holds a Column."""
    spans = _long_lists(raw)
    if not spans:
        return json.loads(raw, parse_constant=parse_constant)
    columns: list[Column] = []
    pieces: list[bytes] = []
    at = 0
    for start, end in spans:  # raw[start] == "[", raw[end - 1] == "]"
        column = _scan(raw[start + 1 : end - 1])
        if column is None:
            continue
        pieces += (raw[at:start], f'"\\u0001coreography-column:{len(columns)}"'.encode())
        columns.append(column)
        at = end
    if not columns:
        return json.loads(raw, parse_constant=parse_constant)
    pieces.append(raw[at:])
    placed = 0

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal placed
        out = {}
        held = False
        for key, value in items:
            if type(value) is str and value.startswith(_PLACEHOLDER):
                index = value[len(_PLACEHOLDER) :]
                if index.isdigit() and int(index) < len(columns):
                    value = columns[int(index)]
                    placed += 1
                    held = True
            out[key] = value
        if held:
            found.append(out)
        return out

    found: list[dict[str, Any]] = []

    try:
        data = json.loads(b"".join(pieces), parse_constant=parse_constant, object_pairs_hook=pairs)
    except (ValueError, RecursionError):
        data = None  # parse it whole: the same error as ever (or a list inside a string)
    if data is None or placed != len(columns):
        return json.loads(raw, parse_constant=parse_constant)
    holders += found
    return data


def _long_lists(raw: bytes) -> list[tuple[int, int]]:
    """Spans ``[start, end)`` of ``[...]`` whose inside is at least MIN_BYTES of the
    characters numbers and nulls are made of."""
    data = np.frombuffer(raw, np.uint8)
    opens = np.flatnonzero(data == ord("["))
    closes = np.flatnonzero(data == ord("]"))
    if not len(opens) or not len(closes):
        return []
    following = np.searchsorted(closes, opens)
    has_close = following < len(closes)
    opens, ends = opens[has_close], closes[following[has_close]]
    long = ends - opens > MIN_BYTES
    spans = []
    for start, end in zip(opens[long].tolist(), ends[long].tolist(), strict=True):
        if not raw[start + 1 : end].translate(None, _NUMBER_CHARS):
            spans.append((start, end + 1))
    return spans


def _scan(text: bytes) -> Column | None:
    """``text`` (a list's inside) as a Column if it is exactly JSON numbers and nulls
    separated by commas, else None."""
    b = np.frombuffer(text, np.uint8)
    n = len(b)
    if not n:
        return None
    if not text.translate(None, b"0123456789,"):  # the usual: whole numbers, no signs
        commas = np.flatnonzero(b == _COMMA)
        starts = np.concatenate(([0], commas + 1))
        lengths = np.concatenate((commas, [n])) - starts
        if lengths.min() < 1 or lengths.max() > 18:
            return None
        if np.any((b[starts] == _ZERO) & (lengths > 1)):
            return None  # a leading zero
        return Column(text, np.zeros(len(starts), bool), True)
    digit = _digits(b)
    commas = np.flatnonzero(b == _COMMA)
    others = np.flatnonzero(~digit & (b != _COMMA))  # signs, dots, exponents, nulls
    marks = b[others]
    starts = np.concatenate(([0], commas + 1))
    ends = np.concatenate((commas, [n]))
    lengths = ends - starts
    if lengths.min() < 1 or lengths.max() > MAX_TOKEN:
        return None
    first = b[starts]
    nulls = first == _N
    n_nulls = int(np.count_nonzero(nulls))
    counts = {c: int(np.count_nonzero(marks == c)) for c in (_N, _U, _L, _MINUS, _PLUS)}
    n_dots = int(np.count_nonzero(marks == _DOT))
    n_exps = len(marks) - n_dots - sum(counts.values())
    if counts[_N] != n_nulls or counts[_U] != n_nulls or counts[_L] != 2 * n_nulls:
        return None  # an n, u or l outside a null
    if n_nulls:
        s = starts[nulls]
        if np.any(lengths[nulls] != 4) or not (
            np.all(b[s + 1] == _U) and np.all(b[s + 2] == _L) and np.all(b[s + 3] == _L)
        ):
            return None
    numbers = ~nulls
    if not np.all(_digits(first[numbers]) | (first[numbers] == _MINUS)):
        return None
    integral = n_dots == 0 and n_exps == 0
    if integral and counts[_PLUS]:
        return None
    # A leading minus is followed by a digit; every other minus belongs to an exponent.
    signed = numbers & (first == _MINUS)
    digit_at = starts + signed  # the number's first digit
    if np.any(digit_at[signed] >= ends[signed]) or not np.all(digit[digit_at[signed]]):
        return None
    # No leading zeros: a first digit 0 is followed by the end, a '.' or an exponent.
    zero = numbers & (b[np.minimum(digit_at, n - 1)] == _ZERO)
    after = digit_at[zero] + 1
    inside = after < ends[zero]
    if np.any(digit[after[inside]]):
        return None
    if integral:
        if counts[_MINUS] != int(np.count_nonzero(signed)):
            return None  # a minus in the middle of a number
        if np.any(lengths[numbers] - signed[numbers] > 18):
            return None  # might not fit in 64 bits: json.loads reads it
        return Column(text, nulls, True)
    valid = _floats_valid(b, others, marks, commas, starts, signed)
    return Column(text, nulls, False) if valid else None


def _floats_valid(
    b: np.ndarray,
    others: np.ndarray,
    marks: np.ndarray,
    commas: np.ndarray,
    starts: np.ndarray,
    signed: np.ndarray,
) -> bool:
    """Each number is ``-?digits(.digits)?([eE][+-]?digits)?`` (the start, the leading
    minus and the leading zero are checked by the caller)."""
    n = len(b)

    def at(positions: np.ndarray, offset: int) -> np.ndarray:
        shifted = positions + offset
        out = np.full(len(positions), _COMMA, np.uint8)
        ok = (shifted >= 0) & (shifted < n)
        out[ok] = b[shifted[ok]]
        return out

    dots = others[marks == _DOT]
    exps = others[(marks == _E) | (marks == _BIG_E)]
    signs = others[(marks == _PLUS) | (marks == _MINUS)]
    # A dot and an exponent mark have a digit before; a dot a digit after.
    if not (np.all(_digits(at(dots, -1))) and np.all(_digits(at(dots, 1)))):
        return False
    if not np.all(_digits(at(exps, -1))):
        return False
    after_exp = at(exps, 1)
    if not np.all(_digits(after_exp) | (after_exp == _PLUS) | (after_exp == _MINUS)):
        return False
    # Every sign is a leading minus or directly after an exponent mark, then a digit.
    leading = starts[signed]
    exp_signs = np.setdiff1d(signs, leading, assume_unique=True)
    before = at(exp_signs, -1)
    if not (np.all((before == _E) | (before == _BIG_E)) and np.all(_digits(at(exp_signs, 1)))):
        return False
    # At most one dot and one exponent per number, the dot first.
    dot_tokens = np.searchsorted(commas, dots)  # sorted, as the positions are
    exp_tokens = np.searchsorted(commas, exps)
    if np.any(np.diff(dot_tokens) == 0) or np.any(np.diff(exp_tokens) == 0):
        return False
    # The exponent of a number with a dot comes after it.
    where = np.searchsorted(dot_tokens, exp_tokens)
    has_dot = where < len(dot_tokens)
    has_dot[has_dot] = dot_tokens[where[has_dot]] == exp_tokens[has_dot]
    return not np.any(dots[where[has_dot]] > exps[has_dot])
