"""A run's messages and waits in a recording: written only when there are any, checked
on reading like every other column (model/recording.py, model/recording_read.py)."""

from __future__ import annotations

from typing import Any

import numpy as np

from coreography.model.messages import SENT_DTYPE, WAIT_DTYPE, Channel, Messages
from coreography.model.recording_checks import expect, int_column, integer, text, time_column

#: Most rows a recording's message columns may hold (each of sent, received, waits).
MAX_ROWS = 2_000_000
_CHANNEL_KINDS = ("queue", "pipe", "lock", "event", "condition")


def messages_to_dict(messages: Messages, t0: int) -> dict[str, Any]:
    """The ``messages`` section: channels, then columns; times are ns since ``t0``."""

    def rows(array: np.ndarray, times: tuple[str, ...]) -> dict[str, list[int]]:
        return {
            name: ((array[name] - t0) if name in times else array[name]).tolist()
            for name in array.dtype.names or ()
        }

    return {
        "channels": [
            {"id": c.id, "name": c.name, "kind": c.kind} for c in messages.channels.values()
        ],
        "sent": rows(messages.sent(), ("t",)),
        "received": rows(messages.received(), ("t",)),
        "waits": rows(messages.waits(), ("start", "end")),
    }


def messages_from_dict(value: Any, t0: int, n_lanes: int) -> Messages:
    """Read a ``messages`` section (absent: no messages), refusing anything out of shape."""
    messages = Messages()
    if value is None:
        return messages
    expect(isinstance(value, dict), "messages: expected a table")
    channels = value.get("channels", [])
    expect(isinstance(channels, list), "messages.channels: expected a list")
    for index, item in enumerate(channels):
        where = f"messages.channels[{index}]"
        expect(isinstance(item, dict), f"{where}: expected a table")
        kind = text(item.get("kind"), f"{where}.kind")
        expect(kind in _CHANNEL_KINDS, f"{where}.kind: {kind!r:.20} is not one of {_CHANNEL_KINDS}")
        channel = integer(item.get("id"), f"{where}.id", 0, 2**31 - 1)
        messages.channels[channel] = Channel(channel, text(item.get("name"), f"{where}.name"), kind)
    lane_range = (-1, max(n_lanes - 1, -1))
    sent = _table(value.get("sent"), "messages.sent", SENT_DTYPE, ("t",), t0, lane_range)
    received = _table(
        value.get("received"), "messages.received", SENT_DTYPE, ("t",), t0, lane_range
    )
    waits = _table(
        value.get("waits"), "messages.waits", WAIT_DTYPE, ("start", "end"), t0, lane_range
    )
    messages.extend(sent, received, waits)
    return messages


def _table(
    value: Any,
    where: str,
    dtype: np.dtype[Any],
    times: tuple[str, ...],
    t0: int,
    lane_range: tuple[int, int],
) -> np.ndarray:
    expect(isinstance(value, dict), f"{where}: expected a table of columns")
    names = dtype.names or ()
    first = value.get(names[0])
    expect(isinstance(first, list), f"{where}.{names[0]}: expected a list")
    n = len(first)
    expect(n <= MAX_ROWS, f"{where}: {n:,} rows is more than {MAX_ROWS:,}")
    out = np.empty(n, dtype)
    limits = {"lane": lane_range, "on": (0, 255), "channel": (0, 2**31 - 1), "size": (0, 2**62)}
    for name in names:
        column, at = value.get(name), f"{where}.{name}"
        if name in times:
            out[name] = time_column(column, at, n, t0, nullable=False)
        else:
            out[name] = int_column(column, at, n, *limits.get(name, (-(2**63), 2**63 - 1)))
    return out
