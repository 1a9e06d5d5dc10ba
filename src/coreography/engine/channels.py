"""Queues, pipes and locks that report their messages and waits through the probe.

Runs inside experiment processes, so standard library only. Each wraps the real
``multiprocessing`` object and behaves like it; what it adds per call:

* ``put``/``send`` pickles the item once itself (so its size is known), with a message id
  unique in the run (the sender's pid in the high word), and buffers one MESSAGE_SENT;
* ``get``/``recv`` first tries without blocking: only when nothing was there is the
  blocking call a *wait*, reported as a WAIT span; then one MESSAGE_RECEIVED;
* ``acquire`` tries without blocking first in the same way: an uncontended lock costs one
  non-blocking acquire and no event at all.

Events go through :meth:`~coreography.engine.probe.Probe.emit`, the probe's lock-free
buffer; a process without a probe (a plain script) just uses the real object.
"""

from __future__ import annotations

import itertools
import os
import pickle
import queue
import threading
from collections.abc import Iterator
from typing import Any

from coreography.engine import probe as probe_mod
from coreography.model.events import WAIT_LOCK, WAIT_PIPE, WAIT_QUEUE, Kind

_now = probe_mod._now
_dumps = pickle.dumps
_loads = pickle.loads
_HIGHEST = pickle.HIGHEST_PROTOCOL


class _Ids:
    """Message ids: the pid in the high 32 bits, a per-process count below (reset after
    a fork, where the pid changes)."""

    def __init__(self) -> None:
        self.pid = -1
        self.count: Iterator[int] = itertools.count(1)

    def next(self) -> int:
        pid = os.getpid()
        if pid != self.pid:
            self.pid, self.count = pid, itertools.count(1)
        return pid << 32 | next(self.count)


_ids = _Ids()
_ids_lock = threading.Lock()


def next_message_id() -> int:
    with _ids_lock:  # itertools.count is not shared safely across threads otherwise
        return _ids.next()


def announce(channel: int, name: str, kind: str) -> None:
    """Name a channel for the app (the driver calls it once per channel it creates)."""
    probe = probe_mod.current()
    if probe is not None:
        text = f'{{"id": {channel}, "name": "{name}", "kind": "{kind}"}}'
        probe.text(Kind.CHANNEL_INFO, probe.lane(), channel, text)


class TracedQueue:
    """A ``multiprocessing.Queue`` whose puts and gets are drawn."""

    def __init__(self, ctx: Any, channel: int, name: str, maxsize: int = 0) -> None:
        self.channel = channel
        self.name = name
        self._queue = ctx.Queue(maxsize)
        announce(channel, name, "queue")

    def put(self, item: Any) -> None:
        message = next_message_id()
        payload = _dumps((message, item), _HIGHEST)
        probe = probe_mod.current()
        if probe is not None:
            probe.emit(Kind.MESSAGE_SENT, probe.lane(), self.channel, float(len(payload)), message)
        self._queue.put(payload)

    def get(self) -> Any:
        began = _now()
        try:
            payload = self._queue.get(False)
            waited = False
        except queue.Empty:
            payload = self._queue.get()
            waited = True
        ended = _now()
        message, item = _loads(payload)
        probe = probe_mod.current()
        if probe is not None:
            lane = probe.lane()
            if waited:
                probe.emit(Kind.WAIT, lane, self.channel, 0.0, ended, WAIT_QUEUE, began)
            probe.emit(Kind.MESSAGE_RECEIVED, lane, self.channel, float(len(payload)), message)
        return item

    def close(self) -> None:
        self._queue.close()

    def join_thread(self) -> None:
        self._queue.join_thread()

    def cancel_join_thread(self) -> None:
        self._queue.cancel_join_thread()


class TracedConnection:
    """One end of a ``multiprocessing.Pipe`` whose sends and receives are drawn."""

    def __init__(self, connection: Any, channel: int) -> None:
        self.channel = channel
        self._connection = connection

    def send(self, item: Any) -> None:
        message = next_message_id()
        payload = _dumps((message, item), _HIGHEST)
        probe = probe_mod.current()
        if probe is not None:
            probe.emit(Kind.MESSAGE_SENT, probe.lane(), self.channel, float(len(payload)), message)
        self._connection.send_bytes(payload)

    def recv(self) -> Any:
        began = _now()
        waited = not self._connection.poll()
        payload = self._connection.recv_bytes()
        ended = _now()
        message, item = _loads(payload)
        probe = probe_mod.current()
        if probe is not None:
            lane = probe.lane()
            if waited:
                probe.emit(Kind.WAIT, lane, self.channel, 0.0, ended, WAIT_PIPE, began)
            probe.emit(Kind.MESSAGE_RECEIVED, lane, self.channel, float(len(payload)), message)
        return item

    def close(self) -> None:
        self._connection.close()


def traced_pipe(ctx: Any, channel: int, name: str) -> tuple[TracedConnection, TracedConnection]:
    """A duplex ``Pipe()``, both ends traced as one channel."""
    one, other = ctx.Pipe()
    announce(channel, name, "pipe")
    return TracedConnection(one, channel), TracedConnection(other, channel)


class TracedLock:
    """A ``multiprocessing.Lock`` whose contended acquires are drawn as waits."""

    def __init__(self, ctx: Any, channel: int, name: str) -> None:
        self.channel = channel
        self._lock = ctx.Lock()
        announce(channel, name, "lock")

    def acquire(self) -> bool:
        lock = self._lock
        if lock.acquire(False):
            return True
        began = _now()
        lock.acquire()
        probe = probe_mod.current()
        if probe is not None:
            probe.emit(Kind.WAIT, probe.lane(), self.channel, 0.0, _now(), WAIT_LOCK, began)
        return True

    def release(self) -> None:
        self._lock.release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self._lock.release()
