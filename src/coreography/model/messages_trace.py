"""A run's messages, waits and queue depths as Chrome Trace Event records (Perfetto).

Each message is a zero-length "put"/"get" slice on its sender's and receiver's track,
joined by a flow ("s" → "f", Perfetto draws the arrow); each wait is a slice of its own
("waiting for the queue"), and so is each big message's sending (category "sending");
each queue or pipe gets a counter track of its depth.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from coreography.model.events import SENDING, TASK_PHASES
from coreography.model.messages import NO_TIME

PHASES = frozenset(TASK_PHASES.values())

if TYPE_CHECKING:
    from coreography.model.run import Run


def message_events(run: Run, tids: list[int], counter_pid: int) -> list[dict[str, Any]]:
    """The trace events of ``run.messages`` (``tids``: each lane's thread id)."""
    messages, t0, lanes = run.messages, run.t0, run.lanes
    events: list[dict[str, Any]] = []
    if not messages:
        return events

    def us(t: int) -> float:
        return (t - t0) / 1e3

    arrows = messages.arrows()
    for row in arrows.tolist():
        message, channel, source, target, sent, received, size = row
        name = messages.channel_name(channel)
        args = {"bytes": size, "channel": name, "message": message}
        if not 0 <= source < len(lanes):
            continue
        sender = lanes[source]
        events.append(
            {
                "name": f"put → {name}",
                "cat": "message",
                "ph": "X",
                "dur": 0,
                "pid": sender.pid,
                "tid": tids[source],
                "ts": us(sent),
                "args": args,
            }
        )
        if received == NO_TIME or not 0 <= target < len(lanes):
            continue  # never taken off: no arrow, the depth track shows it waiting
        receiver = lanes[target]
        flight = {**args, "in_flight_us": (received - sent) / 1e3}
        events.append(
            {
                "name": f"get ← {name}",
                "cat": "message",
                "ph": "X",
                "dur": 0,
                "pid": receiver.pid,
                "tid": tids[target],
                "ts": us(received),
                "args": flight,
            }
        )
        events.append(
            {
                "name": name,
                "cat": "message",
                "ph": "s",
                "id": message,
                "pid": sender.pid,
                "tid": tids[source],
                "ts": us(sent),
            }
        )
        events.append(
            {
                "name": name,
                "cat": "message",
                "ph": "f",
                "bp": "e",
                "id": message,
                "pid": receiver.pid,
                "tid": tids[target],
                "ts": us(received),
            }
        )
    for lane, start, end, on, channel in messages.waits().tolist():
        if not 0 <= lane < len(lanes):
            continue
        events.append(
            {
                "name": messages.wait_label(on),
                "cat": "sending" if on == SENDING else "phase" if on in PHASES else "wait",
                "ph": "X",
                "pid": lanes[lane].pid,
                "tid": tids[lane],
                "ts": us(start),
                "dur": max(end - start, 0) / 1e3,
                "args": (
                    {"task": channel}
                    if on in PHASES
                    else {"channel": messages.channel_name(channel)}
                ),
            }
        )
    for channel in messages.message_channels():
        times, depth = messages.depth(channel)
        name = f"{messages.channel_name(channel)} depth"
        for t, value in zip(times.tolist(), depth.tolist(), strict=True):
            events.append(
                {
                    "name": name,
                    "ph": "C",
                    "pid": counter_pid,
                    "tid": 0,
                    "ts": us(t),
                    "args": {"messages": value},
                }
            )
    return events
