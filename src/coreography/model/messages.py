"""A run's messages (queue puts and gets, pipe sends and receives) and waits, as columns.

Filled by :meth:`coreography.model.run.Run.apply` from MESSAGE_SENT, MESSAGE_RECEIVED and
WAIT records (vectorised: a run may carry hundreds of thousands of them); read by the
timeline's message layer, the Chrome trace and recordings. A message is matched from its
put to its get by its id, unique in the run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from coreography.model.events import SENDING, TASK_PHASES, WAIT_ON

#: WAIT flags of a Dask task's phases: their ``channel`` is the task, not a channel.
_PHASES = np.array(sorted(TASK_PHASES.values()), np.uint8)

#: Channel kinds that carry no messages, only waits.
SYNC_KINDS = frozenset({"lock", "event", "condition"})

NO_TIME = -1
SENT_DTYPE = np.dtype(
    [("id", "i8"), ("lane", "i4"), ("t", "i8"), ("size", "i8"), ("channel", "i4")]
)
WAIT_DTYPE = np.dtype(
    [("lane", "i4"), ("start", "i8"), ("end", "i8"), ("on", "u1"), ("channel", "i4")]
)
#: A message from its put to its get; ``to_lane`` -1 and ``received`` NO_TIME while in
#: flight (or never taken: a consumer that died).
ARROW_DTYPE = np.dtype(
    [
        ("id", "i8"),
        ("channel", "i4"),
        ("from_lane", "i4"),
        ("to_lane", "i4"),
        ("sent", "i8"),
        ("received", "i8"),
        ("size", "i8"),
    ]
)


@dataclass(frozen=True)
class Channel:
    """A queue, pipe or lock of the run, as its program names it."""

    id: int
    name: str
    kind: str  # "queue", "pipe", or one of SYNC_KINDS


class _Column:
    """Rows appended in chunks, joined once when read (and again only after growing)."""

    def __init__(self, dtype: np.dtype[Any]) -> None:
        self._chunks: list[np.ndarray] = []
        self._joined = np.empty(0, dtype)

    def extend(self, rows: np.ndarray) -> None:
        if len(rows):
            self._chunks.append(rows)

    def view(self) -> np.ndarray:
        if self._chunks:
            self._joined = np.concatenate([self._joined, *self._chunks])
            self._chunks.clear()
        return self._joined

    def __len__(self) -> int:
        return len(self._joined) + sum(len(chunk) for chunk in self._chunks)


class Messages:
    """Every message and wait of one run."""

    def __init__(self) -> None:
        self.channels: dict[int, Channel] = {}
        self._sent = _Column(SENT_DTYPE)
        self._received = _Column(SENT_DTYPE)
        self._waits = _Column(WAIT_DTYPE)
        self._arrows: np.ndarray | None = None
        self._arrows_at = (-1, -1)

    def __bool__(self) -> bool:
        return bool(len(self._sent) or len(self._received) or len(self._waits) or self.channels)

    # -- filling ----------------------------------------------------------------------------
    def add_records(
        self, rows: np.ndarray, lanes: np.ndarray, sent_kind: int, wait_kind: int
    ) -> None:
        """Take MESSAGE_SENT / MESSAGE_RECEIVED / WAIT records; ``lanes``: their lane indices."""
        kind = rows["kind"]
        for column, mask in (
            (self._sent, kind == sent_kind),
            (self._received, (kind != sent_kind) & (kind != wait_kind)),
        ):
            if mask.any():
                part = rows[mask]
                out = np.empty(len(part), SENT_DTYPE)
                out["id"], out["lane"], out["t"] = part["aux"], lanes[mask], part["t"]
                out["size"], out["channel"] = part["value"].astype(np.int64), part["task"]
                column.extend(out)
        waits = kind == wait_kind
        if waits.any():
            part = rows[waits]
            out = np.empty(len(part), WAIT_DTYPE)
            out["lane"], out["start"], out["end"] = lanes[waits], part["t"], part["aux"]
            out["on"], out["channel"] = part["flags"], part["task"]
            self._waits.extend(out)

    def name_channel(self, text: str) -> None:
        """Take a CHANNEL_INFO text: ``{"id", "name", "kind"}``; damaged text is ignored."""
        try:
            data = json.loads(text)
            channel = Channel(int(data["id"]), str(data["name"]), str(data["kind"]))
        except (ValueError, KeyError, TypeError):
            return
        self.channels[channel.id] = channel

    def extend(self, sent: np.ndarray, received: np.ndarray, waits: np.ndarray) -> None:
        """Add whole columns (a recording being read)."""
        self._sent.extend(sent.astype(SENT_DTYPE, copy=False))
        self._received.extend(received.astype(SENT_DTYPE, copy=False))
        self._waits.extend(waits.astype(WAIT_DTYPE, copy=False))

    # -- reading ----------------------------------------------------------------------------
    def sent(self) -> np.ndarray:
        return self._sent.view()

    def received(self) -> np.ndarray:
        return self._received.view()

    def waits(self) -> np.ndarray:
        return self._waits.view()

    def channel_waits(self) -> np.ndarray:
        """The waits and sendings of channels (queues, pipes, locks): not task phases."""
        waits = self.waits()
        return waits[~np.isin(waits["on"], _PHASES)]

    def task_phases(self) -> np.ndarray:
        """A cluster's task phases (transfer, disk read, ...): ``channel`` is the task."""
        waits = self.waits()
        return waits[np.isin(waits["on"], _PHASES)]

    def channel_name(self, channel: int) -> str:
        known = self.channels.get(channel)
        return known.name if known is not None else f"channel {channel}"

    @staticmethod
    def wait_label(on: int) -> str:
        return WAIT_ON.get(int(on), "waiting")

    def arrows(self) -> np.ndarray:
        """One row per message sent (ARROW_DTYPE), in the order sent, matched to its get."""
        sent, received = self.sent(), self.received()
        if self._arrows is not None and self._arrows_at == (len(sent), len(received)):
            return self._arrows
        out = np.empty(len(sent), ARROW_DTYPE)
        out["id"], out["channel"], out["from_lane"] = sent["id"], sent["channel"], sent["lane"]
        out["sent"], out["size"] = sent["t"], sent["size"]
        out["to_lane"], out["received"] = -1, NO_TIME
        if len(received) and len(sent):
            order = np.argsort(received["id"], kind="stable")
            ids = received["id"][order]
            at = np.clip(np.searchsorted(ids, sent["id"]), 0, len(ids) - 1)
            found = ids[at] == sent["id"]
            rows = received[order[at[found]]]
            out["to_lane"][found] = rows["lane"]
            out["received"][found] = rows["t"]
            # A traced Queue's put leaves the pickling to the queue: only its get knows
            # the size.
            out["size"][found] = np.maximum(out["size"][found], rows["size"])
        order = np.argsort(out["sent"], kind="stable")
        self._arrows, self._arrows_at = out[order], (len(sent), len(received))
        return self._arrows

    def depth(self, channel: int) -> tuple[np.ndarray, np.ndarray]:
        """``(t, depth)``: the messages put on ``channel`` and not yet taken, after each
        put or get (a step function)."""
        sent, received = self.sent(), self.received()
        t_put = sent["t"][sent["channel"] == channel]
        t_get = received["t"][received["channel"] == channel]
        t = np.concatenate([t_put, t_get])
        step = np.concatenate([np.ones(len(t_put), np.int64), -np.ones(len(t_get), np.int64)])
        order = np.argsort(t, kind="stable")
        return t[order], np.cumsum(step[order])

    def message_channels(self) -> list[int]:
        """The channels that carried messages (queues and pipes), in id order."""
        return sorted(set(self.sent()["channel"].tolist()))

    def waits_by_channel(self) -> dict[int, tuple[int, int]]:
        """``{channel: (number of waits, total ns waited)}`` (sendings are not waits)."""
        waits = self.channel_waits()
        waits = waits[waits["on"] != SENDING]
        out: dict[int, tuple[int, int]] = {}
        for channel in sorted(set(waits["channel"].tolist())):
            mine = waits[waits["channel"] == channel]
            out[channel] = (len(mine), int((mine["end"] - mine["start"]).sum()))
        return out

    def channel_stats(self) -> list[ChannelStats]:
        """Per channel (named or seen in an event), in id order: its messages, bytes,
        waits and sendings."""
        sent, received, waits = self.sent(), self.received(), self.channel_waits()
        arrows = self.arrows()
        ids = set(self.channels) | set(sent["channel"].tolist())
        ids |= set(received["channel"].tolist()) | set(waits["channel"].tolist())
        out = []
        for channel in sorted(ids):
            put = sent[sent["channel"] == channel]
            got = received[received["channel"] == channel]
            mine = waits[waits["channel"] == channel]
            sending = mine["on"] == SENDING
            waited = mine[~sending]
            sends = mine[sending]
            known = self.channels.get(channel)
            depth = self.depth(channel)[1] if len(put) else np.zeros(0, np.int64)
            out.append(
                ChannelStats(
                    id=channel,
                    name=self.channel_name(channel),
                    kind=known.kind if known is not None else "",
                    messages_sent=len(put),
                    messages_received=len(got),
                    bytes_sent=int(arrows["size"][arrows["channel"] == channel].sum()),
                    waits=len(waited),
                    wait_s=float((waited["end"] - waited["start"]).sum()) / 1e9,
                    sendings=len(sends),
                    sending_s=float((sends["end"] - sends["start"]).sum()) / 1e9,
                    max_depth=int(depth.max(initial=0)),
                    left=int(depth[-1]) if len(depth) else 0,
                )
            )
        return out


@dataclass(frozen=True)
class ChannelStats:
    """What one queue, pipe or lock carried in a run (``Messages.channel_stats``)."""

    id: int
    name: str
    kind: str
    messages_sent: int
    messages_received: int
    bytes_sent: int
    #: Waits inside get/recv/acquire (and a put that found a bounded queue full).
    waits: int
    wait_s: float
    #: Big messages' sendings (pickling, the pipe, unpickling), on both ends.
    sendings: int
    sending_s: float
    #: Most messages put and not yet taken at once; how many were never taken.
    max_depth: int
    left: int
