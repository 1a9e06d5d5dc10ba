"""Ending a process tree: the one place that lists, signals and kills descendants."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import psutil

from coreography.engine.launch import RUN_MARKER

SIGKILL = getattr(signal, "SIGKILL", signal.SIGTERM)


def descendants(pid: int) -> list[psutil.Process]:
    """Every living process below ``pid`` (empty if ``pid`` is gone)."""
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def send(procs: list[psutil.Process], sig: int) -> None:
    """Send ``sig`` to each of ``procs``; those already gone are skipped."""
    for proc in procs:
        try:
            proc.send_signal(sig)
        except psutil.Error:
            pass


def signal_group(group: int | None, sig: int) -> None:
    """Send ``sig`` to the process group ``group`` (None, or no groups here: nothing)."""
    if group is None or not hasattr(os, "killpg"):
        return
    try:
        os.killpg(group, sig)
    except OSError:
        pass


def kill_descendants() -> None:
    """SIGKILL every process below this one."""
    send(descendants(os.getpid()), SIGKILL)


def kill_own_group() -> None:
    """SIGKILL every process of this process's group, this one included, if it leads
    the group (a process started a moment ago is in it even if no listing has seen it)."""
    if hasattr(os, "killpg") and os.getpgrp() == os.getpid():
        signal_group(os.getpgrp(), SIGKILL)


def group_led_by(pid: int) -> int | None:
    """The process group ``pid`` made for itself (a driver makes one with its pid as id,
    first thing). Known without asking the process, so it works after the leader is
    gone and its group lives on in stray workers. Never this process's own group."""
    if not hasattr(os, "killpg") or pid == os.getpgrp():
        return None
    return pid


def signal_tree(leader: Any, procs: list[psutil.Process], sig: int) -> None:
    """Send ``sig`` to the group ``leader`` (a multiprocessing Process, our child)
    leads, to ``procs`` and to the leader itself."""
    signal_group(group_led_by(leader.pid), sig)
    send(procs, sig)
    if leader.exitcode is None:
        leader.terminate() if sig == signal.SIGTERM else leader.kill()


def end_tree(leader: Any, known: list[psutil.Process], grace: float) -> None:
    """Terminate ``leader``, its process group and ``known`` descendants; kill leftovers.

    The leader is our own child and is reaped through multiprocessing (so its exit code
    stays readable); everything below it is only signalled and watched.
    """
    procs = list(known)
    procs += [p for p in descendants(leader.pid) if p not in procs]
    for sig in (signal.SIGTERM, SIGKILL):
        signal_tree(leader, procs, sig)
        procs = wait_gone(procs, leader, grace)
        if not procs and leader.exitcode is not None:
            break


def wait_gone(procs: list[psutil.Process], leader: Any, timeout: float) -> list[psutil.Process]:
    """Wait until ``procs`` are gone or zombies (their parent may be dead) and the leader
    has exited; return those still alive."""
    deadline = time.monotonic() + timeout
    while True:
        alive = [p for p in procs if alive_process(p)]
        leader.join(0)
        if (not alive and leader.exitcode is not None) or time.monotonic() >= deadline:
            return alive
        time.sleep(0.01)


def alive_process(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def marked(run_id: str) -> list[psutil.Process]:
    """Every living process of this user, other than this one, whose environment says it
    belongs to run ``run_id`` (empty where environments cannot be read)."""
    if not run_id:
        return []
    wanted = f"\0{RUN_MARKER}={run_id}\0".encode()
    me, found = os.getpid(), []
    for pid in _pids():
        if pid == me:
            continue
        if wanted in _environ_bytes(pid) + b"\0":
            try:
                proc = psutil.Process(pid)
                if alive_process(proc):
                    found.append(proc)
            except psutil.Error:
                pass
    return found


def _pids() -> list[int]:
    try:
        return psutil.pids()
    except psutil.Error:
        return []


def _environ_bytes(pid: int) -> bytes:
    """The raw environment of ``pid`` (Linux: NUL-separated), or b"" if it is not ours to
    read. Read directly: psutil's parsed environ costs ten times as much per process."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as env:
            return b"\0" + env.read()
    except OSError:
        pass
    if os.path.isdir("/proc"):
        return b""
    try:  # another OS: psutil's way
        items = psutil.Process(pid).environ().items()
    except psutil.Error:
        return b""
    return b"".join(f"\0{key}={value}".encode() for key, value in items)


def describe_process(proc: psutil.Process) -> str:
    """``PID 123 (sleep)``: a process as a log line names it."""
    try:
        name = proc.name()
    except psutil.Error:
        name = ""
    return f"PID {proc.pid} ({name})" if name else f"PID {proc.pid}"


def kill_marked(run_id: str) -> None:
    """SIGKILL every process of run ``run_id`` but this one."""
    send(marked(run_id), SIGKILL)
