"""Queues, pipes and locks that report their messages and waits through the probe.

Runs inside experiment processes, so standard library only. Each wraps the real
``multiprocessing`` object and behaves like it; what it adds per call:

* ``put``/``send`` sends the item with a message id unique in the run (the sender's pid
  in the high word) and the time the put began, and buffers one MESSAGE_SENT. A pipe's
  send pickles it itself, as ``Connection.send`` does; a Queue's feeder thread pickles
  it, as for a plain item, and the get reports the size;
* ``get``/``recv`` makes the one blocking call the plain object would, then one
  MESSAGE_RECEIVED. It *waited* (a WAIT span) when its message was put after the get
  began: the time carried in the message says so without a second, non-blocking try
  (which cost a system call and, on a Queue, a trip through the feeder thread's GIL);
* a put on a bounded Queue that finds it full waits too (a non-blocking try first, only
  there);
* a message of at least :data:`~coreography.model.events.BIG_MESSAGE` bytes also has its
  *sending* drawn: on the receiver, from when it began to get it (or the put began, if
  later) until it was unpickled; on a pipe's sender, pickling and writing it;
* ``acquire`` tries without blocking first: an uncontended lock costs one non-blocking
  acquire and no event at all.

Events go through :meth:`~coreography.engine.probe.Probe.emit`, the probe's lock-free
buffer; a process without a probe (a plain script) just uses the real object.
"""

from __future__ import annotations

import itertools
import os
import pickle
import queue
from collections.abc import Callable
from typing import Any

from coreography.engine import probe as probe_mod
from coreography.model.events import (
    BIG_MESSAGE,
    RECORD,
    RECORDS_PER_FRAME,
    SENDING,
    WAIT_LOCK,
    WAIT_PIPE,
    WAIT_QUEUE,
    Kind,
)

_now = probe_mod._now
_dumps = pickle.dumps
_loads = pickle.loads
_HIGHEST = pickle.HIGHEST_PROTOCOL
_current = probe_mod.current
_pack = RECORD.pack


class _Ids:
    """Message ids: the pid in the high 32 bits, a per-process count below (started
    afresh in a forked child, whose pid differs). ``take()`` is one C call
    (``itertools.count.__next__``), atomic under the GIL: no lock needed."""

    def __init__(self) -> None:
        self.take: Callable[[], int] = itertools.count(1).__next__
        self.reset()

    def reset(self) -> None:
        self.take = itertools.count((os.getpid() << 32) | 1).__next__


_ids = _Ids()
if hasattr(os, "register_at_fork"):  # not on Windows, which never forks
    os.register_at_fork(after_in_child=_ids.reset)


def next_message_id() -> int:
    return _ids.take()


def announce(channel: int, name: str, kind: str) -> None:
    """Name a channel for the app (the driver calls it once per channel it creates)."""
    probe = probe_mod.current()
    if probe is not None:
        text = f'{{"id": {channel}, "name": "{name}", "kind": "{kind}"}}'
        probe.text(Kind.CHANNEL_INFO, probe.lane(), channel, text)


def _sent(channel: int, began: int, size: int, message: int, ended: int, at: int) -> None:
    """Report a put or send that began at ``began`` and whose message is on its way from
    ``at``; if big, its sending until ``ended`` (pickled; for a pipe, also written)."""
    probe = _current()
    if probe is None:
        return
    lane = probe.lane()
    probe.emit(Kind.MESSAGE_SENT, lane, channel, float(size), message, 0, at)
    if size >= BIG_MESSAGE:
        probe.emit(Kind.WAIT, lane, channel, float(size), ended, SENDING, began)


_MESSAGE_SENT, _MESSAGE_RECEIVED, _WAIT = (
    int(Kind.MESSAGE_SENT),
    int(Kind.MESSAGE_RECEIVED),
    int(Kind.WAIT),
)


def _received(
    channel: int, on: int, began: int, put_at: int, size: int, message: int, ended: int
) -> None:
    """Report a get or recv that began at ``began`` and had its message, put at
    ``put_at``, unpickled at ``ended``: a wait if it was put later, a sending if big."""
    probe = _current()
    if probe is None:
        return
    lane = probe.lane()
    if put_at > began or size >= BIG_MESSAGE:
        _waited(probe, lane, channel, on, began, put_at, size, ended)
    probe.emit(_MESSAGE_RECEIVED, lane, channel, float(size), message, 0, ended)


def _waited(
    probe: Any, lane: int, channel: int, on: int, began: int, put_at: int, size: int, ended: int
) -> None:
    big = size >= BIG_MESSAGE
    if put_at > began:  # nothing for it when it began: it waited for this message
        probe.emit(_WAIT, lane, channel, 0.0, put_at if big else ended, on, began)
        began = put_at
    if big:
        probe.emit(_WAIT, lane, channel, float(size), ended, SENDING, began)


class TracedQueue:
    """A ``multiprocessing.Queue`` whose puts and gets are drawn.

    ``put`` hands the queue ``(message id, time, item)``: its feeder thread pickles it,
    as it would the plain item, so the put costs what a plain one does plus one event.
    ``get`` reads the pickled bytes itself (what ``Queue.get`` does, with the queue's own
    lock and semaphore) to learn the message's size; the arrow's size comes from there.
    """

    def __init__(self, ctx: Any, channel: int, name: str, maxsize: int = 0) -> None:
        self.channel = channel
        self.name = name
        self.maxsize = maxsize
        self._queue = ctx.Queue(maxsize)
        announce(channel, name, "queue")

    def put(self, item: Any) -> None:
        began = _now()
        message = _ids.take()
        if self.maxsize <= 0:
            # Reported before the put: afterwards the feeder thread, woken by it, would
            # find this thread holding the GIL and need a second wake-up. The record is
            # packed and stored inline: no call to emit, no tuple kept until the flush.
            probe = probe_mod._probe
            if probe is not None:
                try:
                    lane = probe._local.state.lane
                except AttributeError:
                    lane = probe.lane()
                packed = probe.packed
                packed.append(_pack(_MESSAGE_SENT, 0, lane, self.channel, began, 0.0, message))
                probe._words[probe._produced_at] += 1
                if began >= probe._due or len(packed) >= RECORDS_PER_FRAME:
                    probe.flush()
            self._queue.put((message, began, item))
            return
        # A bounded queue's message is on it (its depth counts it) once the put got in,
        # not while the put waited for a free place.
        try:
            self._queue.put((message, began, item), False)
            entered = began
        except queue.Full:  # bounded and full: wait for a free place
            full_at = _now()
            self._queue.put((message, began, item))
            entered = _now()
            probe = _current()
            if probe is not None:
                probe.emit(_WAIT, probe.lane(), self.channel, 0.0, entered, WAIT_QUEUE, full_at)
        probe = _current()
        if probe is not None:
            probe.emit(_MESSAGE_SENT, probe.lane(), self.channel, 0.0, message, 0, entered)

    def get(self) -> Any:
        began = _now()
        q = self._queue
        with q._rlock:  # Queue.get(block=True), reading the bytes here to know their size
            payload = q._recv_bytes()
        q._sem.release()
        message, put_at, item = _loads(payload)
        ended = _now()
        probe = probe_mod._probe
        if probe is None:
            return item
        try:
            lane = probe._local.state.lane
        except AttributeError:
            lane = probe.lane()
        size = len(payload)
        if put_at > began or size >= BIG_MESSAGE:
            _waited(probe, lane, self.channel, WAIT_QUEUE, began, put_at, size, ended)
        packed = probe.packed
        packed.append(_pack(_MESSAGE_RECEIVED, 0, lane, self.channel, ended, size, message))
        probe._words[probe._produced_at] += 1
        if ended >= probe._due or len(packed) >= RECORDS_PER_FRAME:
            probe.flush()
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
        began = _now()
        message = next_message_id()
        payload = _dumps((message, began, item), _HIGHEST)
        self._connection.send_bytes(payload)  # a big one blocks until mostly read
        ended = _now() if len(payload) >= BIG_MESSAGE else began
        _sent(self.channel, began, len(payload), message, ended, began)

    def recv(self) -> Any:
        began = _now()
        payload = self._connection.recv_bytes()
        message, put_at, item = _loads(payload)
        _received(self.channel, WAIT_PIPE, began, put_at, len(payload), message, _now())
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
