"""How far behind the live run the window is: the age of events when they reach the screen.

Each event carries the time its worker stamped it. Events the presenter applied wait here
until the timeline paints; that paint's time minus each stamp is the event's age on
screen. The lag is the slowest 1 % of the ages painted over the last second, or the age
of the oldest event still waiting to be shown, whichever is greater: a window that stops
drawing shows a growing lag, not the last good figure.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

import numpy as np

WINDOW_NS = 1_000_000_000
QUANTILE = 99.0


class ShownLag:
    """Ages of the events shown over the last second, and of those still waiting."""

    def __init__(self) -> None:
        self._waiting: list[np.ndarray] = []  # applied, not painted yet
        self._oldest_waiting: int | None = None
        self._shown: deque[tuple[int, np.ndarray]] = deque()  # (painted at, ages ns)
        self._last: float | None = None

    def reset(self) -> None:
        self._waiting, self._oldest_waiting = [], None
        self._shown.clear()
        self._last = None

    @property
    def waiting(self) -> int:
        """How many applied events the timeline has not painted yet."""
        return sum(len(stamps) for stamps in self._waiting)

    def applied(self, stamps: np.ndarray | Sequence[int]) -> None:
        """Events (their worker timestamps, ns) are in the run model from now on."""
        if not len(stamps):
            return
        stamps = np.asarray(stamps)
        self._waiting.append(stamps)
        oldest = int(stamps.min())
        if self._oldest_waiting is None or oldest < self._oldest_waiting:
            self._oldest_waiting = oldest

    def painted(self, now_ns: int) -> None:
        """The timeline finished a frame: everything applied so far is on screen."""
        if not self._waiting:
            return
        stamps = np.concatenate(self._waiting) if len(self._waiting) > 1 else self._waiting[0]
        self._shown.append((now_ns, now_ns - stamps))
        self._waiting, self._oldest_waiting = [], None

    def lag_s(self, now_ns: int, received_ns: int | None = None) -> float | None:
        """The lag in seconds (None before anything was shown or waited).

        ``received_ns``: the stamp of the oldest event received but not applied yet.
        """
        while self._shown and self._shown[0][0] < now_ns - WINDOW_NS:
            self._shown.popleft()
        lag = self._last
        if self._shown:
            ages = np.concatenate([ages for _t, ages in self._shown])
            lag = float(np.percentile(ages, QUANTILE, method="higher")) / 1e9
        self._last = lag
        oldest = [t for t in (self._oldest_waiting, received_ns) if t is not None]
        if oldest:
            waiting = max(now_ns - min(oldest), 0) / 1e9
            lag = waiting if lag is None else max(lag, waiting)
        return lag
