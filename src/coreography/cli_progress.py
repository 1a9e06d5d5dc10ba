"""What the command line writes for a terminal: progress on stderr (a redrawn bar on a
terminal, plain lines elsewhere) and text from files made harmless to print."""

from __future__ import annotations

import re
import sys
import time
from typing import Any, TextIO

from coreography.model.run import NO_TIME

#: How often a redirected stderr (a log file, a CI job) gets a plain progress line.
PLAIN_EVERY_S = 5.0
#: How often the bar on a terminal is redrawn.
BAR_EVERY_S = 0.1
BAR_WIDTH = 30


def elapsed_s(run: Any, now_ns: int | None = None) -> float:
    """Seconds since the run was asked to start, up to its end once the app knows it;
    never negative (a run the driver reported over may not have its end time yet)."""
    end = run.end_ns if run.end_ns != NO_TIME else None
    if end is None:
        end = time.perf_counter_ns() if now_ns is None else now_ns
    return max(0.0, (end - run.t0) / 1e9)


class Progress:
    """Progress of a run on stderr.

    On a terminal, one line redrawn with ``\\r`` at most ten times a second; on anything
    else (a file, a pipe) no ``\\r`` frames: a plain line every :data:`PLAIN_EVERY_S`
    seconds and one at the end. ``enabled=False`` (``--quiet``) writes nothing.
    """

    def __init__(self, enabled: bool, stream: TextIO | None = None) -> None:
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        try:
            self.tty = self.stream.isatty()
        except (AttributeError, ValueError):
            self.tty = False
        self._last = 0.0
        self._drawn = False  # a bar is on the terminal's line, to be ended by a newline

    def update(self, run: Any, final: bool = False) -> None:
        if not self.enabled or run is None:
            return
        now = time.monotonic()
        if not final and now - self._last < (BAR_EVERY_S if self.tty else PLAIN_EVERY_S):
            return
        if not final and not self.tty and self._last == 0.0:
            self._last = now  # the first plain line comes after a while, not at once
            return
        self._last = now
        total = max(run.n_tasks, 1)
        done = run.n_done + run.n_failed
        counts = f"{done:>{len(str(total))}}/{total} tasks  {elapsed_s(run):6.2f} s"
        if self.tty:
            filled = int(BAR_WIDTH * done / total)
            bar = "█" * filled + "·" * (BAR_WIDTH - filled)
            self.stream.write(f"\r{bar} {counts}  {run.state:<9}" + ("\n" if final else ""))
            self._drawn = not final
        else:
            self.stream.write(f"{counts}  {run.state}\n")
        self.stream.flush()

    def end_line(self) -> None:
        """End a bar left mid-line (before an error message, say)."""
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False


#: Characters a terminal would act on rather than show: C0/C1 controls (ESC starts colour,
#: title and cursor sequences) and the bidirectional overrides; newline and tab are kept.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` safe for a terminal: every control character shown as ``\\xNN``/``\\uNNNN``."""
    return _UNPRINTABLE.sub(lambda m: ascii(m.group())[1:-1], text)
