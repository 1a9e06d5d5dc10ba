"""Validation of recording data: every value's type and range, with one-line messages."""

from __future__ import annotations

import dataclasses
from typing import Any, NoReturn

import numpy as np

from coreography.model.experiment import Experiment, ExperimentError, available_start_methods
from coreography.model.json_columns import Column

#: Largest time or count a recording may hold; far beyond any run, and sums of two still
#: fit in int64.
MAX_NS = 2**62
START_METHODS = ("fork", "spawn", "forkserver")
_NONE = type(None)


class RecordingError(ValueError):
    """A recording cannot be read; the message is one line naming what is wrong."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


def fail(message: str) -> NoReturn:
    raise RecordingError(message)


def expect(condition: bool, message: str) -> None:
    if not condition:
        fail(message)


def _show(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def integer(value: Any, where: str, low: int, high: int) -> int:
    """A JSON whole number in ``low..high`` (booleans are not numbers)."""
    expect(type(value) is int, f"{where}: expected a whole number, got {_show(value)}")
    expect(low <= value <= high, f"{where}: {_show(value)} is out of range {low:,} to {high:,}")
    return int(value)


def flag(value: Any, where: str) -> bool:
    expect(type(value) is bool, f"{where}: expected true or false, got {_show(value)}")
    return bool(value)


def number(value: Any, where: str, low: float, high: float) -> float:
    """A JSON number in ``low..high``, as a float."""
    expect(type(value) in (int, float), f"{where}: expected a number, got {_show(value)}")
    try:
        result = float(value)
    except OverflowError:
        fail(f"{where}: {_show(value)} is too large")
    expect(low <= result <= high, f"{where}: {_show(value)} is out of range {low:g} to {high:g}")
    return result


def text(value: Any, where: str) -> str:
    expect(isinstance(value, str), f"{where}: expected text, got {_show(value)}")
    return str(value)


def text_list(values: Any, where: str, count: int, exact: bool = False) -> list[str]:
    """A list of strings: exactly ``count`` of them, or at most ``count``."""
    expect(isinstance(values, list), f"{where}: expected a list of texts")
    if exact:
        expect(len(values) == count, f"{where}: has {len(values):,} entries, expected {count:,}")
    else:
        expect(len(values) <= count, f"{where}: {len(values):,} entries is more than {count:,}")
    if set(map(type, values)) - {str}:
        index = next(i for i, v in enumerate(values) if type(v) is not str)
        fail(f"{where}[{index}]: expected text, got {_show(values[index])}")
    texts: list[str] = values  # checked above: a list of str
    return texts


def _column(values: Any, where: str, n: int, allowed: set[type], what: str) -> np.ndarray:
    """Check a column's shape and element types; return the mask of nulls."""
    expect(isinstance(values, list), f"{where}: expected a list, got {type(values).__name__}")
    expect(len(values) == n, f"{where}: has {len(values):,} entries, expected {n:,}")
    kinds = set(map(type, values))
    if kinds - allowed:
        index = next(i for i, v in enumerate(values) if type(v) not in allowed)
        fail(f"{where}[{index}]: expected {what}, got {_show(values[index])}")
    if _NONE in kinds:
        return np.fromiter((v is None for v in values), bool, count=n)
    return np.zeros(n, bool)


def length(values: Any) -> int:
    """How many entries a list or a :class:`Column` holds (0 for anything else)."""
    return len(values) if isinstance(values, (list, Column)) else 0


def _fast(values: Any, n: int, nullable: bool, integral: bool) -> Column | None:
    """``values`` when it is a column that passes the checks as it stands; None when the
    checks must look at the Python list (and name the first bad entry)."""
    if not isinstance(values, Column) or len(values) != n:
        return None
    if (integral and not values.integral) or (values.has_nulls and not nullable):
        return None
    return values


def _ints(
    values: Any, where: str, n: int, low: int, high: int, nullable: bool
) -> tuple[np.ndarray, np.ndarray]:
    column = _fast(values, n, nullable, integral=True)
    if column is not None:
        array, nulls = column.take(np.int64), column.nulls
        _check_range(array, nulls, where, low, high)
        return array, nulls
    if isinstance(values, Column):
        values = values.as_list()
    what = "a whole number or null" if nullable else "a whole number"
    nulls = _column(values, where, n, {int, _NONE} if nullable else {int}, what)
    if nulls.any():
        values = [0 if v is None else v for v in values]
    try:
        array = np.array(values, dtype=np.int64) if n else np.zeros(0, np.int64)
    except OverflowError:
        index = next(i for i, v in enumerate(values) if not -(2**63) <= v < 2**63)
        fail(f"{where}[{index}]: {_show(values[index])} is beyond the 64-bit range")
    _check_range(array, nulls, where, low, high)
    return array, nulls


def _check_range(array: np.ndarray, nulls: np.ndarray, where: str, low: int, high: int) -> None:
    bad = np.flatnonzero(((array < low) | (array > high)) & ~nulls)
    if len(bad):
        index = int(bad[0])
        fail(f"{where}[{index}]: {array[index]:,} is out of range {low:,} to {high:,}")


def int_column(
    values: Any, where: str, n: int, low: int, high: int, null: int | None = None
) -> np.ndarray:
    """``n`` whole numbers in ``low..high``; JSON null becomes ``null`` if that is given."""
    array, nulls = _ints(values, where, n, low, high, null is not None)
    if null is not None:
        array[nulls] = null
    return array


def time_column(values: Any, where: str, n: int, t0: int, nullable: bool = True) -> np.ndarray:
    """``n`` times stored as ns since ``t0``, returned absolute (null: -1, "not yet")."""
    array, nulls = _ints(values, where, n, -t0, MAX_NS - t0, nullable)
    array += t0
    array[nulls] = -1
    return array


def float_column(
    values: Any, where: str, n: int, low: float, high: float, nullable: bool = True
) -> np.ndarray:
    """``n`` finite numbers in ``low..high``; JSON null becomes NaN if allowed."""
    column = _fast(values, n, nullable, integral=False)
    if column is not None:
        array, nulls = column.take(np.float64), column.nulls
    else:
        if isinstance(values, Column):
            values = values.as_list()
        what = "a number or null" if nullable else "a number"
        nulls = _column(values, where, n, {int, float, _NONE} if nullable else {int, float}, what)
        if nulls.any():
            values = [0.0 if v is None else v for v in values]
        try:
            array = np.array(values, dtype=np.float64) if n else np.zeros(0)
        except OverflowError:
            index = next(i for i, v in enumerate(values) if type(v) is int and abs(v) > 1e308)
            fail(f"{where}[{index}]: {_show(values[index])} is too large")
    bad = np.flatnonzero(~(np.isfinite(array) & (array >= low) & (array <= high)) & ~nulls)
    if len(bad):
        index = int(bad[0])
        fail(f"{where}[{index}]: {array[index]:g} is out of range {low:g} to {high:g}")
    array[nulls] = np.nan
    return array


def check_pairs(
    value: Any, where: str, keys: tuple[int, int], values: tuple[int, int], most: int
) -> list[tuple[int, int]]:
    """A list of ``[key, value]`` whole-number pairs with distinct keys."""
    expect(isinstance(value, list), f"{where}: expected a list of [key, value] pairs")
    expect(len(value) <= most, f"{where}: {len(value):,} entries is more than {most:,}")
    pairs = []
    for index, pair in enumerate(value):
        expect(
            isinstance(pair, list) and len(pair) == 2,
            f"{where}[{index}]: expected a [key, value] pair, got {_show(pair)}",
        )
        pairs.append(
            (
                integer(pair[0], f"{where}[{index}][0]", *keys),
                integer(pair[1], f"{where}[{index}][1]", *values),
            )
        )
    expect(len({k for k, _ in pairs}) == len(pairs), f"{where}: a key appears twice")
    return pairs


def check_experiment(data: Any) -> Experiment:
    """The recorded experiment, validated; a start method this OS lacks is still read
    (the recording was made elsewhere)."""
    expect(isinstance(data, dict), f"experiment: expected an object, got {_show(data)}")
    method = data.get("start_method")
    expect(
        method is None or method in START_METHODS,
        f"experiment.start_method: {_show(method)} is not one of {START_METHODS}",
    )
    fault = data.get("fault", "none")
    expect(
        isinstance(fault, str),
        f"experiment.fault: expected text such as 'kill:3', got {_show(fault)}",
    )
    values = dict(data)
    if method is not None and method not in available_start_methods():
        values["start_method"] = available_start_methods()[0]
    try:
        experiment = Experiment.from_dict(values)
    except ExperimentError as exc:
        fail(f"experiment.{exc}")
    except (TypeError, ValueError, ArithmeticError) as exc:  # e.g. a size of 10**400
        fail(f"experiment: {exc}")
    if method is not None:
        experiment = dataclasses.replace(experiment, start_method=method)
    return experiment
