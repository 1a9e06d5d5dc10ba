"""Writing a recording's JSON a piece at a time, its long numpy columns formatted by numpy.

The document is the one :func:`coreography.model.recording.run_to_dict` builds, byte for
byte as ``json.dumps(..., separators=(",", ":"), ensure_ascii=False)`` writes it; only,
each long column is written a block at a time instead of first becoming a list of
millions of Python numbers (which took most of a 1,000,000-task run's memory again).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from coreography.model import ascii_columns as ac
from coreography.model.run import NO_TIME, Run

BLOCK = 65_536
#: Whole floats below this are written as ``N.0`` (what repr gives); others by json.
_WHOLE_LIMIT = 1e16


def write_document(
    run: Run,
    document: Callable[[Run, Any], dict[str, Any]],
    write: Callable[[bytes], object],
) -> None:
    """Write ``document(run, column)`` as JSON through ``write``."""
    columns: list[tuple[np.ndarray, int | None, bool]] = []
    mark = f"\x01column-{os.urandom(8).hex()}:"  # no text of the run can hold it

    def column(values: np.ndarray, t0: int | None, nullable: bool) -> str:
        columns.append((values, t0, nullable))
        return f"{mark}{len(columns) - 1}"

    text = json.dumps(
        document(run, column), ensure_ascii=False, allow_nan=False, separators=(",", ":")
    )
    marker = json.dumps(mark, ensure_ascii=False)[:-1]  # the opening quote and the mark
    at = 0
    for index, (values, t0, nullable) in enumerate(columns):
        placeholder = f'{marker}{index}"'
        where = text.index(placeholder, at)
        write(text[at:where].encode("utf-8"))
        write(b"[")
        for first in range(0, len(values), BLOCK):
            if first:
                write(b",")
            write(_items(values[first : first + BLOCK], t0, nullable))
        write(b"]")
        at = where + len(placeholder)
    write(text[at:].encode("utf-8"))


def _items(values: np.ndarray, t0: int | None, nullable: bool) -> bytes:
    """``values`` as JSON list items (no brackets): ints less ``t0``, NO_TIME or NaN as
    null where ``nullable``; whole floats as ``N.0``, other floats as json writes them."""
    count = len(values)
    if not count:
        return b""
    if values.dtype.kind in "iu":
        values = values.astype(np.int64)
        missing = values == NO_TIME if nullable else np.zeros(count, bool)
        shifted = values - (t0 or 0) if t0 is not None else values
        numbers = ac.integers(np.where(missing, 0, shifted))
        return _with_nulls(numbers, missing)
    floats = values.astype(np.float64)
    missing = np.isnan(floats) if nullable else np.zeros(count, bool)
    known = floats[~missing]
    whole = (
        np.all(np.isfinite(known))
        and np.all(known == np.floor(known))
        and np.all(np.abs(known) < _WHOLE_LIMIT)
        and not np.any((known == 0) & np.signbit(known))
    )
    if not whole:  # fractions (or infinities, refused as json refuses them)
        items = [
            None if gone else value for value, gone in zip(floats.tolist(), missing, strict=True)
        ]
        return json.dumps(items, allow_nan=False, separators=(",", ":"))[1:-1].encode()
    numbers = np.hstack(
        (
            ac.integers(np.where(missing, 0, floats).astype(np.int64)),
            np.frombuffer(b".0", np.uint8)[None, :].repeat(count, axis=0),
        )
    )
    return _with_nulls(numbers, missing)


_NULL = np.frombuffer(b"null", np.uint8)


def _with_nulls(numbers: np.ndarray, missing: np.ndarray) -> bytes:
    if missing.any():
        width = max(numbers.shape[1], 4)
        table = np.zeros((len(numbers), width), np.uint8)
        table[:, width - numbers.shape[1] :] = numbers
        table[missing] = ac.PAD
        table[missing, :4] = _NULL
        numbers = table
    return ac.join_rows([numbers, b","], len(numbers))[:-1]
