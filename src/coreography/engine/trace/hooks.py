"""Hooks into multiprocessing, concurrent.futures, threading and subprocess.

Each module is patched when the program first imports it (a post-import hook), so a
program that never uses one pays nothing for it. Forked children inherit the patched
classes; spawned ones patch themselves at start-up (see ``bootstrap/sitecustomize.py``).
Only the child side rewrites what a worker runs, so nothing pickled between processes
changes: the parent sends exactly what it would send untraced.
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.machinery
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any, NoReturn

from coreography.engine.trace import comm_hooks, sync_hooks, tracer
from coreography.model.events import Kind

_config: dict[str, Any] = {}
_now = tracer._now


def install(probe: tracer.TraceProbe | None, config: dict[str, Any]) -> None:
    """Patch what is imported already and whatever is imported later."""
    _config.update(config)
    os.register_at_fork(before=_before_fork, after_in_child=_after_fork_in_child)
    _patch_threading(threading)
    sync_hooks.patch_threading(threading)
    _patch_exit()
    for name in list(_PATCHES):
        if name in sys.modules:
            _apply(name, sys.modules[name])
    sys.meta_path.insert(0, _PostImportFinder())
    if probe is not None and probe.role == "main":
        threading._register_atexit(_main_code_ended)  # type: ignore[attr-defined]
        _hook_excepthook(probe)


def _probe() -> tracer.TraceProbe | None:
    probe = tracer._probe
    return probe if probe is not None and probe.pid == os.getpid() else None


# -- fork ------------------------------------------------------------------------------------
def _before_fork() -> None:
    probe = _probe()
    if probe is not None:
        probe.flush(blocking=False)  # what happened before the fork is the parent's


def _after_fork_in_child() -> None:
    tracer.reinstall_after_fork(_config)


def _patch_exit() -> None:
    """``os._exit`` skips every clean-up: send what is buffered first (the start of the
    task that called it, above all)."""
    real_exit = os._exit

    def _exit(status: int) -> NoReturn:
        probe = _probe()
        if probe is not None:
            probe.flush(blocking=False)
        real_exit(status)

    os._exit = _exit
    real_kill = os.kill
    real_raise = signal.raise_signal

    def kill(pid: int, sig: int) -> None:
        # A process that signals itself (os.kill(os.getpid(), SIGKILL)) may never run
        # again: what it did so far (the messages it took) is sent first. Another
        # process killed from outside loses up to 10 ms of events, counted as lost.
        if pid in (0, os.getpid()):
            _flush_now()
        try:
            real_kill(pid, sig)
        except BaseException as exc:  # no such process, not allowed: as the plain call
            _prune(exc)
            raise

    def raise_signal(sig: int) -> None:
        _flush_now()
        try:
            real_raise(sig)
        except BaseException as exc:
            _prune(exc)
            raise

    os.kill, signal.raise_signal = kill, raise_signal


def _flush_now() -> None:
    probe = _probe()
    if probe is not None:
        probe.flush(blocking=False)


# -- the post-import hook -----------------------------------------------------------------------
class _PostImportFinder(importlib.abc.MetaPathFinder):
    """Finds nothing itself; wraps the real loader of a watched module."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name not in _PATCHES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return None
        loader = spec.loader
        original_exec = loader.exec_module

        def exec_module(module: Any) -> None:
            original_exec(module)
            _apply(name, module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def _apply(name: str, module: Any) -> None:
    if getattr(module, "_coreography_patched", False):
        return
    module._coreography_patched = True
    _PATCHES[name](module)


# -- multiprocessing processes ----------------------------------------------------------------
def _patch_process(module: Any) -> None:
    base = module.BaseProcess
    _PLAIN_RUNS.add(base.run)
    start, join = base.start, base.join
    bootstrap: Callable[..., int] = base._bootstrap  # returns the exit code

    def traced_start(self: Any) -> None:
        # start() forgets the target once the child is made: classify before.
        self._coreography_kind = _worker_kind(getattr(self, "_target", None))
        t = _now()
        try:
            start(self)
        except BaseException as exc:
            _prune(exc)
            raise
        probe = _probe()
        if probe is not None:
            probe.started_child(t, self.pid, self.name, self._coreography_kind)

    def traced_join(self: Any, timeout: float | None = None) -> None:
        self._coreography_joined = True
        try:
            join(self, timeout)
        except BaseException as exc:
            _prune(exc)
            raise

    def traced_bootstrap(self: Any, *args: Any, **kwargs: Any) -> int:
        probe = _probe()
        if probe is None:
            return bootstrap(self, *args, **kwargs)
        kind = _worker_kind(self._target)
        probe.info(0, {"event": "name", "name": self.name, "kind": kind})
        if kind == "pool":
            self._args = (_PoolTasks(self._args[0]), *self._args[1:])
        elif kind == "executor":
            self._args = (_ExecutorCalls(self._args[0]), *self._args[1:])
        else:
            self.run = _as_task(probe, self)
        try:
            return bootstrap(self, *args, **kwargs)
        finally:
            probe.close()

    base.start, base._bootstrap, base.join = traced_start, traced_bootstrap, traced_join


def _as_task(probe: tracer.TraceProbe, owner: Any) -> Any:
    """``owner.run`` as one task, named by its target (or by its class if overridden)."""
    target = getattr(owner, "_target", None)
    if target is not None and type(owner).run in _PLAIN_RUNS:
        name_of, args, kwargs = target, tuple(owner._args), dict(owner._kwargs) or None
    else:
        name_of, args, kwargs = type(owner).run, (), None
    named = _Named(owner.run, name_of)

    def run() -> None:
        try:
            probe.call(named, args, kwargs, announce=True)
        except BaseException as exc:
            _prune(exc)
            raise

    return run


class _Named:
    """Calls ``run()`` under the name of what it runs (what the bar shows)."""

    def __init__(self, run: Any, name_of: Any) -> None:
        self._run = run
        self.__qualname__ = getattr(name_of, "__qualname__", type(name_of).__name__)

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        self._run()


_PLAIN_RUNS: set[Any] = set()


def _worker_kind(target: Any) -> str:
    pool = sys.modules.get("multiprocessing.pool")
    if pool is not None and target is pool.worker:
        return "pool"
    executor = sys.modules.get("concurrent.futures.process")
    if executor is not None and target is executor._process_worker:
        return "executor"
    return "process"


def _patch_popen(module: Any) -> None:
    """A child's exit status, as its parent reads it: the one place a kill is seen."""
    popen = module.Popen
    poll: Callable[..., int | None] = popen.poll

    def traced_poll(self: Any, *args: Any, **kwargs: Any) -> int | None:
        try:
            code = poll(self, *args, **kwargs)
        except BaseException as exc:
            _prune(exc)
            raise
        if code is not None and not getattr(self, "_coreography_reported", False):
            self._coreography_reported = True
            _report_exit(self.pid, code)
        return code

    popen.poll = traced_poll


def _report_exit(pid: int, code: int) -> None:
    probe = _probe()
    if probe is not None:
        probe.emit(Kind.WORKER_EXITED, 0, -1, float(code), pid)
        probe.flush()


def _patch_pool(module: Any) -> None:
    """A pool ends its workers with SIGTERM when it is terminated: by ``terminate()``, on
    leaving ``with Pool()`` (``__exit__`` calls it) or when it is collected. Which
    workers it ended is said first, so that their SIGTERM reads as the pool's normal
    end, not as a kill from outside."""
    pool_class = module.Pool
    terminate_pool = pool_class.__dict__["_terminate_pool"].__func__

    def traced_terminate_pool(
        cls: Any, taskqueue: Any, inqueue: Any, outqueue: Any, pool: Any, *args: Any, **kwargs: Any
    ) -> None:
        probe = _probe()
        if probe is not None:
            pids = [
                p.pid
                for p in list(pool or [])
                if getattr(p, "pid", None) and getattr(p, "exitcode", 0) is None
            ]
            if pids:
                probe.info(0, {"event": "pool_terminate", "pids": pids})
                probe.flush()
        try:
            terminate_pool(cls, taskqueue, inqueue, outqueue, pool, *args, **kwargs)
        except BaseException as exc:
            _prune(exc)
            raise

    pool_class._terminate_pool = classmethod(traced_terminate_pool)


# -- pools: each call inside a chunk is a task ----------------------------------------------------
class _PoolTasks:
    """The pool worker's task queue, handing out tasks whose calls are timed one by one."""

    def __init__(self, queue: Any) -> None:
        self._queue = queue
        self._pool = sys.modules["multiprocessing.pool"]

    def get(self) -> Any:
        probe = _probe()
        if probe is not None and (probe.events or probe.texts):
            probe.flush()  # idle now: the pool may terminate this worker while it waits
        task = self._queue.get()
        if task is None or probe is None:
            return task
        job, i, func, args, kwargs = task
        if func is self._pool.mapstar:
            func = mapstar
        elif func is self._pool.starmapstar:
            func = starmapstar
        else:
            func = functools.partial(_traced_call, func)
        # Sent before the result: once the last result is in, the pool may terminate
        # this worker at any moment (``with Pool()`` does).
        return job, i, functools.partial(_then_flush, probe, func), args, kwargs

    def __getattr__(self, name: str) -> Any:
        return getattr(self._queue, name)


# The entry points below take the probe's own frames out of a task's traceback, so the
# program prints the traceback it would print untraced (one frame here stands where the
# library's own would be).
def _then_flush(probe: tracer.TraceProbe, fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except BaseException as exc:
        _prune(exc)
        raise
    finally:
        probe.flush()


def _traced_call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    probe = _probe()
    if probe is None:
        return fn(*args, **kwargs)
    try:
        return probe.call(fn, args, kwargs or None)
    except BaseException as exc:
        _prune(exc)
        raise


def mapstar(fn_and_chunk: tuple[Any, ...]) -> list[Any]:
    fn, chunk = fn_and_chunk
    call = _probe().call  # type: ignore[union-attr]
    results = []
    try:
        for item in chunk:
            results.append(call(fn, (item,)))
    except BaseException as exc:
        _prune(exc)
        raise
    return results


def starmapstar(fn_and_chunk: tuple[Any, ...]) -> list[Any]:
    fn, chunk = fn_and_chunk
    call = _probe().call  # type: ignore[union-attr]
    results = []
    try:
        for args in chunk:
            results.append(call(fn, tuple(args)))
    except BaseException as exc:
        _prune(exc)
        raise
    return results


_OWN_FILES = frozenset({__file__, tracer.__file__, comm_hooks.__file__})


def _prune(exc: BaseException) -> None:
    """Unlink this package's frames from ``exc``'s traceback."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename in _OWN_FILES:
        tb = tb.tb_next
    exc.__traceback__ = tb
    while tb is not None:
        following = tb.tb_next
        while following is not None and following.tb_frame.f_code.co_filename in _OWN_FILES:
            following = following.tb_next
        tb.tb_next = following
        tb = following


class _ExecutorCalls:
    """A ProcessPoolExecutor worker's call queue, timing each call of each chunk."""

    def __init__(self, queue: Any) -> None:
        self._queue = queue
        self._module = sys.modules["concurrent.futures.process"]

    def get(self, *args: Any, **kwargs: Any) -> Any:
        item = self._queue.get(*args, **kwargs)
        probe = _probe()
        if item is None or probe is None:
            return item
        fn = item.fn
        if isinstance(fn, functools.partial) and fn.func is self._module._process_chunk:
            item.fn = functools.partial(_process_chunk, fn.args[0])
        else:
            item.fn = functools.partial(_traced_call, fn)
        return item

    def __getattr__(self, name: str) -> Any:
        return getattr(self._queue, name)


def _process_chunk(fn: Any, chunk: Any) -> list[Any]:
    call = _probe().call  # type: ignore[union-attr]
    results = []
    try:
        for args in chunk:
            results.append(call(fn, tuple(args)))
    except BaseException as exc:
        _prune(exc)
        raise
    return results


# -- threads ------------------------------------------------------------------------------------
_INTERNAL_PREFIXES = ("multiprocessing.", "concurrent.futures.", "coreography.")


def _patch_threading(module: Any) -> None:
    if getattr(module, "_coreography_patched", False):
        return
    module._coreography_patched = True
    thread = module.Thread
    _PLAIN_RUNS.add(thread.run)
    bootstrap_inner = thread._bootstrap_inner

    def traced_bootstrap_inner(self: Any) -> None:
        probe = _probe()
        kind = _thread_kind(self) if probe is not None else "internal"
        if probe is None or kind == "internal":
            bootstrap_inner(self)
            return
        probe.new_thread_lane(self)
        if kind == "pool":
            self._args = (_PoolTasks(self._args[0]), *self._args[1:])
        elif kind == "thread":
            self.run = _as_task(probe, self)
        bootstrap_inner(self)

    thread._bootstrap_inner = traced_bootstrap_inner


def _thread_kind(thread: threading.Thread) -> str:
    """ "pool"/"executor": a pool's worker (lane, tasks per call); "thread": the program's
    own (lane, its run is a task); "internal": a library's helper (no lane)."""
    target = getattr(thread, "_target", None)
    pool = sys.modules.get("multiprocessing.pool")
    if pool is not None and target is pool.worker:
        return "pool"
    executor = sys.modules.get("concurrent.futures.thread")
    if executor is not None and target is executor._worker:
        return "executor"
    if thread.name.startswith("coreography-"):
        return "internal"
    module = getattr(target, "__module__", None) or type(thread).__module__
    if module.startswith(_INTERNAL_PREFIXES) or (module == "threading" and target is not None):
        return "internal"
    return "thread"


def _patch_thread_executor(module: Any) -> None:
    work_item = module._WorkItem
    run = work_item.run

    def traced_run(self: Any) -> None:
        if _probe() is not None:
            self.fn = functools.partial(_traced_call, self.fn)
        try:
            run(self)
        except BaseException as exc:
            _prune(exc)
            raise

    work_item.run = traced_run


# -- subprocess ---------------------------------------------------------------------------------
def _patch_subprocess(module: Any) -> None:
    popen = module.Popen
    init, handle_exit = popen.__init__, popen._handle_exitstatus

    def traced_init(self: Any, args: Any, *rest: Any, **kwargs: Any) -> None:
        t = _now()
        try:
            init(self, args, *rest, **kwargs)
        except BaseException as exc:
            _prune(exc)
            raise
        probe = _probe()
        if probe is not None:
            name = args if isinstance(args, str | bytes) else (list(args)[:1] or ["?"])[0]
            probe.started_child(t, self.pid, os.path.basename(os.fsdecode(name)), "subprocess")

    def traced_handle_exit(self: Any, *args: Any, **kwargs: Any) -> None:
        try:
            handle_exit(self, *args, **kwargs)
        except BaseException as exc:
            _prune(exc)
            raise
        if self.returncode is not None and not getattr(self, "_coreography_reported", False):
            self._coreography_reported = True
            _report_exit(self.pid, self.returncode)

    popen.__init__, popen._handle_exitstatus = traced_init, traced_handle_exit


# -- the main process ---------------------------------------------------------------------------
def _main_code_ended() -> None:
    """The script's own code is over (Python is about to wait for threads and
    processes): say which processes it started and never joined."""
    probe = _probe()
    process = sys.modules.get("multiprocessing.process")
    if probe is None or probe.role != "main":  # a forked child inherits this callback
        return
    unjoined = []
    if process is not None:
        for child in list(getattr(process, "_children", ())):
            if getattr(child, "_coreography_joined", False) or child.daemon:
                continue
            if getattr(child, "_coreography_kind", "process") != "process":
                continue
            alive = child._popen is not None and child._popen.poll() is None
            if alive:
                unjoined.append({"pid": child.pid, "name": child.name})
    probe.info(0, {"event": "main_done", "unjoined": unjoined})
    probe.flush()


def _hook_excepthook(probe: tracer.TraceProbe) -> None:
    original = sys.excepthook

    def excepthook(kind: Any, value: Any, tb: Any) -> None:
        if value is not None and _probe() is not None:
            probe.text(Kind.TASK_FAILED, 0, -1, tracer.describe_exception(value))
        original(kind, value, tb)

    sys.excepthook = excepthook


def _patch_synchronize(module: Any) -> None:
    comm_hooks.patch_locks(module)
    sync_hooks.patch_mp_synchronize(module)


_PATCHES = {
    # The program's own queues and locks (engine/trace/comm_hooks.py).
    "multiprocessing.queues": comm_hooks.patch_queues,
    "multiprocessing.synchronize": _patch_synchronize,
    "multiprocessing.connection": comm_hooks.patch_connections,
    "multiprocessing.process": _patch_process,
    "multiprocessing.pool": _patch_pool,
    "multiprocessing.popen_fork": _patch_popen,
    "multiprocessing.popen_forkserver": _patch_popen,
    "concurrent.futures.thread": _patch_thread_executor,
    "subprocess": _patch_subprocess,
}
