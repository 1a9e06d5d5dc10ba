"""How many times a series runs each point, and in what order (light: no numpy)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

#: Runs of each point unless the user chooses otherwise (a median needs three).
DEFAULT_REPEATS = 3
MAX_REPEATS = 9

T = TypeVar("T")


def repeat_runs(runs: Sequence[T], repeats: int) -> list[T]:
    """The series run ``repeats`` times over, round by round (labels kept: they group).

    Round by round rather than each point N times in a row: a machine that gets busier
    or quieter during the series then touches every point alike, instead of making the
    last points look slower or faster than the first.
    """
    count = max(1, min(int(repeats), MAX_REPEATS))
    return [pair for _ in range(count) for pair in runs]
