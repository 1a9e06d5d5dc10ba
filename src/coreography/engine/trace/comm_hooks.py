"""A traced program's own queues and locks, drawn without a change to the program.

``multiprocessing.queues`` (Queue, JoinableQueue, SimpleQueue) and
``multiprocessing.synchronize`` (Lock, RLock, Semaphore, BoundedSemaphore) are patched
when imported. Only objects the program itself creates are traced: those the library
makes for its own use (a Queue's internal locks, a Pool's queues, an executor's) are
left alone, so a Pool sends exactly what it would untraced.

* A traced queue's ``put`` sends the item in a marked tuple (:data:`MARK`, message id,
  the time the put began); its ``get`` unwraps it, reports the message and, if the put began
  after the get, a wait. The blocking get without a timeout reads the bytes itself, as
  the queue does, to learn the message's size.
* A traced lock's contended ``acquire`` (and ``with lock:``) is a wait.

The channel id (unique in the run: the creating process's pid and a count) travels with
the object when it is pickled to a child, so every process reports it the same.
"""

from __future__ import annotations

import itertools
import os
import pickle
import sys
import types
from typing import Any

from coreography.engine.trace import tracer
from coreography.model.events import (
    BIG_MESSAGE,
    RECORD,
    SENDING,
    WAIT_LOCK,
    WAIT_PIPE,
    WAIT_QUEUE,
    Kind,
)

_now = tracer._now
_counts = itertools.count(1)
_names: dict[str, itertools.count[int]] = {}
_ME = __name__
#: Modules a program's own queue or lock is made through (the public constructors).
_QUEUE_PATH = frozenset({"multiprocessing.context", "multiprocessing.queues", "multiprocessing"})
_PIPE_PATH = frozenset({"multiprocessing.context", "multiprocessing.connection", "multiprocessing"})
_LOCK_PATH = frozenset(
    {"multiprocessing.context", "multiprocessing.synchronize", "multiprocessing"}
)


#: A traced message travels as the tuple ``(MARK, message id, time its put began, item)``:
#: plain data that pickles and unpickles as cheaply as a tuple (a class of ours would cost
#: a lookup of its module on every get), told from the program's own items by its mark.
MARK = b"\xc0\xe0coreography message"


def _opened(got: Any) -> bool:
    """Whether ``got`` is a traced message."""
    # The mark's type first: a program's 4-tuple may start with anything (an array).
    return type(got) is tuple and len(got) == 4 and type(got[0]) is bytes and got[0] == MARK


def _prune(exc: BaseException) -> None:
    """Take this package's frames out of ``exc``'s traceback (engine/trace/hooks.py)."""
    from coreography.engine.trace.hooks import _prune as prune

    prune(exc)


class _Pid:
    """This process's pid, kept without a system call per message (renewed in a forked
    child before any of its code runs)."""

    value = os.getpid()

    @classmethod
    def renew(cls) -> None:
        cls.value = os.getpid()


os.register_at_fork(after_in_child=_Pid.renew)


def _probe() -> tracer.TraceProbe | None:
    probe = tracer._probe
    return probe if probe is not None and probe.pid == _Pid.value else None


def _lane(probe: tracer.TraceProbe) -> int:
    lane: int | None = getattr(probe._local, "lane", None)
    return probe.lane() if lane is None else lane


def _made_by_program(path: frozenset[str]) -> bool:
    """Whether the object being made was asked for by the program (not the library):
    the first caller outside ``path`` is neither multiprocessing, concurrent.futures
    nor Coreography."""
    frame: Any = sys._getframe(2)
    while frame is not None:
        if frame.f_code in COMPOSITE_INITS:
            return False  # a part of a Condition or Event: that one is the program's
        module = frame.f_globals.get("__name__", "")
        if module not in path and module != _ME and not module.startswith(_SYNC):
            return not module.startswith(("multiprocessing", "concurrent.", "coreography."))
        frame = frame.f_back
    return False


#: Constructors of objects built of others (``multiprocessing``'s Condition, Event,
#: Barrier): what they make for themselves is not a channel (engine/trace/sync_hooks.py).
COMPOSITE_INITS: set[Any] = set()
_SYNC = "coreography.engine.trace.sync_hooks"


def _new_channel(kind: str, name: str) -> int:
    """A channel id unique in the run, announced with a name (``Queue 1``)."""
    probe = _probe()
    if probe is None:
        return 0
    channel = (os.getpid() % 65521) * 32768 + next(_counts) % 32768
    number = next(_names.setdefault(name, itertools.count(1)))
    label = f"{name} {number} (PID {os.getpid()})"
    text = f'{{"id": {channel}, "name": "{label}", "kind": "{kind}"}}'
    probe.text(Kind.CHANNEL_INFO, probe.lane(), channel, text)
    return channel


def _message_id(probe: tracer.TraceProbe) -> int:
    return probe.pid << 32 | next(_counts)


_pack = RECORD.pack
_MESSAGE_SENT, _MESSAGE_RECEIVED, _WAIT = (
    int(Kind.MESSAGE_SENT),
    int(Kind.MESSAGE_RECEIVED),
    int(Kind.WAIT),
)


# -- queues -------------------------------------------------------------------------------------
def patch_queues(module: Any) -> None:
    # JoinableQueue is a Queue (its __init__ and pickling go through Queue's).
    _patch_queue_class(module.Queue, simple=False)
    _patch_queue_class(module.SimpleQueue, simple=True)
    module.JoinableQueue.put = _traced_put(module.JoinableQueue.put)  # its own put


def _traced_put(put: Any) -> Any:
    def traced_put(self: Any, obj: Any, *args: Any, **kwargs: Any) -> Any:
        channel = getattr(self, "_coreography_channel", 0)
        probe = tracer._probe
        if not channel or probe is None or probe.pid != _Pid.value:
            return put(self, obj, *args, **kwargs)
        began = _now()
        message = probe.pid << 32 | next(_counts)
        # Reported before the put, which wakes the feeder thread (see engine/channels.py),
        # packed here: no call to emit, no tuple kept until the flush.
        lane = getattr(probe._local, "lane", None)
        if lane is None:
            lane = probe.lane()
        probe.add_packed(_pack(_MESSAGE_SENT, 0, lane, channel, began, 0.0, message), began)
        return put(self, (MARK, message, began, obj), *args, **kwargs)

    return traced_put


def _patch_queue_class(cls: Any, simple: bool) -> None:
    init, put, get = cls.__init__, cls.put, cls.get

    def traced_init(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        mine = _made_by_program(_QUEUE_PATH)
        self._coreography_channel = _new_channel("queue", type(self).__name__) if mine else 0

    def traced_get(self: Any, *args: Any, **kwargs: Any) -> Any:
        channel = getattr(self, "_coreography_channel", 0)
        if not channel:
            return get(self, *args, **kwargs)
        began = _now()
        size = 0
        if simple and not args and not kwargs:
            with self._rlock:  # SimpleQueue.get(), the bytes read here for their size
                payload = self._reader.recv_bytes()
            size, got = len(payload), pickle.loads(payload)
        elif not simple and not args and not kwargs and not self._closed:
            with self._rlock:  # Queue.get(), the same
                payload = self._recv_bytes()
            self._sem.release()
            size, got = len(payload), pickle.loads(payload)
        else:
            got = get(self, *args, **kwargs)
        if not _opened(got):
            return got
        _received(channel, WAIT_QUEUE, began, got[1], got[2], size)
        return got[3]

    cls.__init__, cls.put, cls.get = traced_init, _traced_put(put), traced_get
    _keep_channel(cls)


def _received(channel: int, on: int, began: int, message: int, put_at: int, size: int) -> None:
    probe = tracer._probe
    if probe is None or probe.pid != _Pid.value:
        return
    ended = _now()
    lane = getattr(probe._local, "lane", None)
    if lane is None:
        lane = probe.lane()
    if put_at > began or size >= BIG_MESSAGE:
        if put_at > began:  # nothing for it when it began: it waited for this message
            big = size >= BIG_MESSAGE
            probe.emit(_WAIT, lane, channel, 0.0, put_at if big else ended, on, began)
            began = put_at
        if size >= BIG_MESSAGE:
            probe.emit(_WAIT, lane, channel, float(size), ended, SENDING, began)
    probe.add_packed(_pack(_MESSAGE_RECEIVED, 0, lane, channel, ended, size, message), ended)


def _keep_channel(cls: Any) -> None:
    """Carry the channel id when the object is pickled to a child process."""
    getstate, setstate = cls.__getstate__, cls.__setstate__
    if getattr(getstate, "_coreography", False):
        return

    def traced_getstate(self: Any) -> Any:
        try:  # "Queue objects should only be shared … through inheritance" and the like
            return (getstate(self), getattr(self, "_coreography_channel", 0))
        except BaseException as exc:
            _prune(exc)
            raise

    def traced_setstate(self: Any, state: Any) -> None:
        inner, channel = state
        setstate(self, inner)
        self._coreography_channel = channel

    traced_getstate._coreography = True  # type: ignore[attr-defined]
    cls.__getstate__, cls.__setstate__ = traced_getstate, traced_setstate


# -- pipes -------------------------------------------------------------------------------------
def patch_connections(module: Any) -> None:
    pipe = module.Pipe
    base = module._ConnectionBase
    send, recv = base.send, base.recv  # the plain methods, called by the traced ones

    def traced_pipe(*args: Any, **kwargs: Any) -> Any:
        ends = pipe(*args, **kwargs)
        if _made_by_program(_PIPE_PATH):
            channel = _new_channel("pipe", "Pipe")
            for end in ends:
                _mark(end, channel)
        return ends

    def traced_send(self: Any, obj: Any) -> None:
        channel = getattr(self, "_coreography_channel", 0)
        probe = _probe()
        if not channel or probe is None:
            send(self, obj)
            return
        began = _now()
        message = _message_id(probe)
        lane = _lane(probe)
        probe.add_packed(_pack(_MESSAGE_SENT, 0, lane, channel, began, 0.0, message), began)
        send(self, (MARK, message, began, obj))

    def traced_recv(self: Any) -> Any:
        channel = getattr(self, "_coreography_channel", 0)
        if not channel:
            return recv(self)
        began = _now()
        self._check_closed()  # Connection.recv(), the bytes read here for their size
        self._check_readable()
        view = self._recv_bytes().getbuffer()
        size, got = view.nbytes, pickle.loads(view)
        if not _opened(got):
            return got
        _received(channel, WAIT_PIPE, began, got[1], got[2], size)
        return got[3]

    def _mark(end: Any, channel: int) -> None:
        # On the program's own connections only: the library's (a Pool's, a Queue's)
        # keep their plain methods, and their tracebacks show no frame of ours.
        end._coreography_channel = channel
        end.send = types.MethodType(traced_send, end)
        end.recv = types.MethodType(traced_recv, end)

    global _mark_connection
    _mark_connection = _mark
    module.Pipe = traced_pipe
    reducer = getattr(module, "reduce_connection", None)
    if reducer is not None:  # POSIX: a connection pickled to a child keeps its channel
        module.reduction.register(module.Connection, _keeping_channel(reducer))


def _keeping_channel(reducer: Any) -> Any:
    def reduce(connection: Any) -> Any:
        rebuild, args = reducer(connection)
        return _rebuild_with_channel, (
            rebuild,
            args,
            getattr(connection, "_coreography_channel", 0),
        )

    return reduce


def _rebuild_with_channel(rebuild: Any, args: Any, channel: int) -> Any:
    connection = rebuild(*args)
    if channel and _mark_connection is not None:
        _mark_connection(connection, channel)
    return connection


_mark_connection: Any = None


# -- locks --------------------------------------------------------------------------------------
def patch_locks(module: Any) -> None:
    base = module.SemLock
    make_methods = base._make_methods

    def traced_make_methods(self: Any) -> None:
        make_methods(self)
        if getattr(self, "_coreography_channel", None) is None:
            mine = _made_by_program(_LOCK_PATH)
            self._coreography_channel = _new_channel("lock", type(self).__name__) if mine else 0
        if self._coreography_channel:
            self.acquire = _traced_acquire(self._semlock.acquire, self._coreography_channel)

    def traced_enter(self: Any) -> bool:
        return bool(self.acquire())  # the traced acquire when there is one

    def traced_exit(self: Any, *args: Any) -> None:
        self.release()

    base._make_methods = traced_make_methods
    base.__enter__, base.__exit__ = traced_enter, traced_exit
    getstate, setstate = base.__getstate__, base.__setstate__

    def lock_getstate(self: Any) -> Any:
        try:
            return (getstate(self), getattr(self, "_coreography_channel", 0))
        except BaseException as exc:
            _prune(exc)
            raise

    def lock_setstate(self: Any, state: Any) -> None:
        inner, channel = state
        self._coreography_channel = channel  # before setstate makes the methods
        setstate(self, inner)

    base.__getstate__, base.__setstate__ = lock_getstate, lock_setstate


def _traced_acquire(acquire: Any, channel: int) -> Any:
    def traced(block: bool = True, timeout: float | None = None) -> bool:
        if acquire(False):
            return True
        if not block:
            return False
        began = _now()
        got = bool(acquire(True, timeout))
        probe = _probe()
        if probe is not None:
            probe.emit(_WAIT, _lane(probe), channel, 0.0, _now(), WAIT_LOCK, t=began)
        return got

    return traced
