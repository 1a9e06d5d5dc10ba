"""Garbage collection paced by the timer while a run is live, so it never stalls a frame.

A big run holds millions of long-lived Python objects (printed lines, samples); CPython's
automatic full collection then walks all of them at a random moment, measured here at
~90 ms: a visible freeze. While a run is live, automatic collection is off; each tick
collects the young generation (only what that tick made, well under a millisecond) and
a full collection runs at most once a minute. Off again as soon as the run is over.
"""

from __future__ import annotations

import gc
import time

MIDDLE_EVERY = 20  # ticks between collections of generation 1
FULL_EVERY_S = 60.0


class GcPacer:
    def __init__(self) -> None:
        self.active = False
        self._was_enabled = True
        self._ticks = 0
        self._full_at = 0.0

    def start(self) -> None:
        if self.active:
            return
        self.active = True
        self._was_enabled = gc.isenabled()
        self._ticks = 0
        self._full_at = time.monotonic()
        gc.disable()

    def tick(self) -> None:
        if not self.active:
            return
        self._ticks += 1
        now = time.monotonic()
        if now - self._full_at >= FULL_EVERY_S:
            self._full_at = now
            gc.collect()
        else:
            gc.collect(1 if self._ticks % MIDDLE_EVERY == 0 else 0)

    def stop(self) -> None:
        if not self.active:
            return
        self.active = False
        if self._was_enabled:
            gc.enable()
