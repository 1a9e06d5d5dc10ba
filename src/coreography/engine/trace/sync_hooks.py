"""A traced program's own locks, semaphores, events and conditions, drawn as waits.

``threading`` (``Lock``, ``RLock``, ``Semaphore``, ``BoundedSemaphore``, ``Event``,
``Condition``) is patched when the probe is installed; ``multiprocessing``'s ``Event``
and ``Condition`` with ``multiprocessing.synchronize`` (its locks and semaphores are
:mod:`~coreography.engine.trace.comm_hooks`'). What is drawn:

* only objects the program made itself: the caller of the constructor is neither the
  standard library, an installed package nor Coreography. ``threading`` builds its own
  conditions, events and locks into every ``Thread``, ``queue.Queue``, ``logging``
  handler, executor and interpreter lock; those stay plain and report nothing;
* only waits that blocked: ``acquire`` tries without blocking first (an uncontended
  lock costs one non-blocking acquire and no event), ``Event.wait`` on a set event
  returns at once and reports nothing; ``Condition.wait`` always waits for a notify and
  is always a wait. So the volume follows how often the program really waited: under
  the GIL a thread that finds a lock taken blocks at most about once per switch interval
  (5 ms), and a wait that blocked was one the user would want to see. No threshold is
  applied, so that a lock's count of waits in ``summary`` is the real count.

Each wait is a WAIT record (``flags``: WAIT_LOCK, WAIT_EVENT, WAIT_CONDITION) on the
waiting thread's lane, with the object's channel (named once by CHANNEL_INFO).
A ``threading.Lock`` or ``RLock`` the program makes is a small wrapper around the real
one (the C lock type takes no patch); it behaves the same, ``Condition`` included.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from coreography.engine.trace import comm_hooks, tracer
from coreography.model.events import WAIT_CONDITION, WAIT_EVENT, WAIT_LOCK, Kind

_now = tracer._now
_WAIT = int(Kind.WAIT)
_ME = __name__
_LIBRARY_FOLDERS = ("site-packages", "dist-packages")


def _from_program(depth: int) -> bool:
    """Whether the frame ``depth`` levels above the caller is the program's own code:
    the first frame outside this module is neither the standard library (``threading``
    itself: a ``Thread``'s event, a ``Semaphore``'s condition), an installed package nor
    Coreography."""
    frame: Any = sys._getframe(depth + 1)
    while frame is not None and frame.f_globals.get("__name__", "") == _ME:
        frame = frame.f_back
    if frame is None:
        return False
    module = frame.f_globals.get("__name__", "")
    top = module.partition(".")[0]
    if top in sys.stdlib_module_names or top == "coreography":
        return False
    filename = frame.f_code.co_filename
    if any(folder in filename for folder in _LIBRARY_FOLDERS):
        return False
    return _Budget.take()


class _Budget:
    """At most :data:`MAX_TRACED` objects traced per process: a program that makes a lock
    per item (thousands) would otherwise flood the run with channels nobody can read;
    the ones after that stay plain, and the first of them says so in the run's log."""

    left = 0

    @classmethod
    def take(cls) -> bool:
        cls.left -= 1
        if cls.left >= 0:
            return True
        if cls.left == -1:
            probe = comm_hooks._probe()
            if probe is not None:
                text = (
                    f"PID {probe.pid} made more than {MAX_TRACED} locks, events and"
                    " conditions: the ones after those are not drawn"
                )
                probe.text(Kind.LOG, 0, -1, text)
        return False

    @classmethod
    def renew(cls) -> None:
        cls.left = MAX_TRACED


#: How many threading locks, semaphores, events and conditions one process has traced.
MAX_TRACED = 1000
_Budget.renew()
os.register_at_fork(after_in_child=_Budget.renew)  # a forked child has its own budget


def report_wait(channel: int, began: int, on: int) -> None:
    """A wait on ``channel`` from ``began`` until now, on this thread's lane."""
    probe = comm_hooks._probe()
    if probe is not None:
        probe.emit(_WAIT, comm_hooks._lane(probe), channel, 0.0, _now(), on, began)


# -- threading ----------------------------------------------------------------------------------
class TracedThreadLock:
    """The program's ``threading.Lock()``: the real lock, its blocked acquires drawn."""

    __slots__ = ("__weakref__", "_coreography_channel", "_lock")

    def __init__(self, lock: Any, channel: int) -> None:
        self._lock = lock
        self._coreography_channel = channel

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        lock = self._lock
        if lock.acquire(False):
            return True
        if not blocking:
            return False
        began = _now()
        got = bool(lock.acquire(True, timeout))
        report_wait(self._coreography_channel, began, WAIT_LOCK)
        return got

    def __enter__(self) -> bool:
        return self.acquire()

    def release(self) -> None:
        self._lock.release()

    def __exit__(self, *exc: object) -> None:
        self._lock.release()

    def locked(self) -> bool:
        return bool(self._lock.locked())

    def _at_fork_reinit(self) -> None:
        self._lock._at_fork_reinit()

    def __repr__(self) -> str:
        return repr(self._lock)


class TracedThreadRLock(TracedThreadLock):
    """The program's ``threading.RLock()``; a ``Condition`` built on it works as on the
    real one (the owner's bookkeeping is the real lock's)."""

    __slots__ = ()

    def _is_owned(self) -> bool:
        return bool(self._lock._is_owned())

    def _release_save(self) -> Any:
        return self._lock._release_save()

    def _acquire_restore(self, state: Any) -> None:
        self._lock._acquire_restore(state)


def _name(kind: str) -> int:
    return comm_hooks._new_channel(kind, "threading." + kind.capitalize())


def patch_threading(module: Any) -> None:
    """Patch ``threading``'s primitives (once per process; forked children inherit it)."""
    if getattr(module, "_coreography_sync_patched", False):
        return
    module._coreography_sync_patched = True
    real_lock, real_rlock = module.Lock, module.RLock

    def Lock() -> Any:  # stands in for threading.Lock
        lock = real_lock()
        if not _from_program(1):
            return lock
        channel = comm_hooks._new_channel("lock", "threading.Lock")
        return TracedThreadLock(lock, channel) if channel else lock

    def RLock(*args: Any, **kwargs: Any) -> Any:  # stands in for threading.RLock
        lock = real_rlock(*args, **kwargs)
        if not _from_program(1):
            return lock
        channel = comm_hooks._new_channel("lock", "threading.RLock")
        return TracedThreadRLock(lock, channel) if channel else lock

    module.Lock, module.RLock = Lock, RLock
    _patch_semaphore(module.Semaphore, module.BoundedSemaphore)
    _patch_event(module.Event, kind="event", name="threading.Event")
    _patch_condition(module.Condition, name="threading.Condition")


def _channel_if_program(self: Any, kind: str, name: str) -> None:
    mine = _from_program(2)
    self._coreography_channel = comm_hooks._new_channel(kind, name) if mine else 0


def _patch_semaphore(semaphore: Any, bounded: Any) -> None:
    init, acquire = semaphore.__init__, semaphore.acquire
    bounded_init = bounded.__init__

    def traced_init(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        if "_coreography_channel" not in self.__dict__:
            name = f"threading.{type(self).__name__}"
            _channel_if_program(self, "lock", name)

    def traced_bounded_init(self: Any, *args: Any, **kwargs: Any) -> None:
        self._coreography_channel = 0  # decided below, once, as a BoundedSemaphore
        bounded_init(self, *args, **kwargs)
        del self._coreography_channel
        _channel_if_program(self, "lock", f"threading.{type(self).__name__}")

    def traced_acquire(self: Any, blocking: bool = True, timeout: float | None = None) -> bool:
        channel = self.__dict__.get("_coreography_channel", 0)
        if not channel:
            return bool(acquire(self, blocking, timeout))
        if acquire(self, False):
            return True
        if not blocking:
            return False
        began = _now()
        got = bool(acquire(self, True, timeout))
        report_wait(channel, began, WAIT_LOCK)
        return got

    def traced_enter(self: Any) -> bool:
        return traced_acquire(self)

    semaphore.__init__, semaphore.acquire = traced_init, traced_acquire
    semaphore.__enter__ = traced_enter  # was bound to the plain acquire
    bounded.__init__ = traced_bounded_init


def _patch_waits(cls: Any, kind: str, name: str, on: int, done: Any, mine: Any) -> None:
    """``cls.wait`` (an Event's or a Condition's) is a wait on the object's channel unless
    ``done(self)`` says it returns at once (a set event); ``mine()`` tells, in its
    constructor, whether the program made the object."""
    init, wait = cls.__init__, cls.wait

    def traced_init(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self._coreography_channel = comm_hooks._new_channel(kind, name) if mine() else 0

    def traced_wait(self: Any, timeout: float | None = None) -> bool:
        channel = getattr(self, "_coreography_channel", 0)
        if not channel or done(self):
            return bool(wait(self, timeout))
        began = _now()
        got = bool(wait(self, timeout))
        report_wait(channel, began, on)
        return got

    cls.__init__, cls.wait = traced_init, traced_wait


def _patch_event(event: Any, kind: str, name: str) -> None:
    """``Event.wait`` on an event that is not set is a wait until it is (or the timeout)."""
    _patch_waits(event, kind, name, WAIT_EVENT, lambda self: self._flag, _threading_mine)


def _patch_condition(condition: Any, name: str) -> None:
    """``Condition.wait`` always waits for a notify (or the timeout): always a wait."""
    _patch_waits(condition, "condition", name, WAIT_CONDITION, _never, _threading_mine)


def _threading_mine() -> bool:
    return _from_program(1)  # from traced_init (this module's, skipped) to the caller


def _never(_self: Any) -> bool:
    return False


# -- multiprocessing ----------------------------------------------------------------------------
_MP_PATH = frozenset({"multiprocessing.context", "multiprocessing.synchronize", "multiprocessing"})


def patch_mp_synchronize(module: Any) -> None:
    """``multiprocessing.Event`` and ``Condition``: one channel each, made by the program
    (the locks and semaphores inside them are theirs, not the program's: untraced)."""
    for cls in (module.Condition, module.Event, module.Barrier):
        comm_hooks.COMPOSITE_INITS.add(cls.__init__.__code__)
    _patch_waits(module.Event, "event", "Event", WAIT_EVENT, lambda self: self.is_set(), _mp_mine)
    _patch_waits(module.Condition, "condition", "Condition", WAIT_CONDITION, _never, _mp_mine)
    comm_hooks._keep_channel(module.Condition)  # pickled to a child with its channel


def _mp_mine() -> bool:
    return comm_hooks._made_by_program(_MP_PATH)
