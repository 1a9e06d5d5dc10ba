"""Task functions: what a task does. Importable at top level and light (no numpy, no Qt).

Timed workloads do a fixed *amount of work* (loop counts from
:mod:`coreography.engine.calibration`, measured once per machine), not "work until the
clock says so": a thread that waits for the GIL must take longer, or the GIL would be
invisible.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_BLOCK = bytes(range(256)) * 256  # 64 KiB: hashlib releases the GIL on buffers this big


@dataclass(frozen=True)
class Calibration:
    """How much work makes a millisecond on this machine."""

    loops_per_ms: float
    blocks_per_ms: float


def spin(loops: int) -> int:
    """Pure-Python arithmetic; holds the GIL the whole time."""
    total = 0
    for i in range(loops):
        total += i * i % 7
    return total


def hash_blocks(blocks: int) -> int:
    """SHA-256 over 64 KiB blocks; each update releases the GIL."""
    digest = hashlib.sha256()
    for _ in range(blocks):
        digest.update(_BLOCK)
    return digest.digest()[0]


def count_primes(n: int) -> int:
    """Primes below ``n`` by trial division (deliberately plain)."""
    count = 0
    for candidate in range(2, int(n)):
        divisor = 2
        while divisor * divisor <= candidate:
            if candidate % divisor == 0:
                break
            divisor += 1
        else:
            count += 1
    return count


def run_workload(kind: str, arg: Any, calibration: Calibration | None) -> Any:
    """Do one task of ``kind`` with ``arg``; return its result."""
    if kind == "cpu":
        loops = int(arg * (calibration.loops_per_ms if calibration else 5000.0))
        spin(loops)
        return arg
    if kind == "io":
        time.sleep(arg / 1000.0)
        return arg
    if kind == "nogil":
        blocks = round(arg * (calibration.blocks_per_ms if calibration else 10.0))
        hash_blocks(max(blocks, 1 if arg > 0 else 0))
        return arg
    if kind == "square":
        return arg * arg
    if kind == "print-number":
        print(f"Process ID: {os.getpid()} - Number: {arg}")
        return arg
    if kind == "hello":
        print("Worker process")
        return None
    if kind == "primes":
        return count_primes(arg)
    raise ValueError(f"unknown workload {kind!r}")


def _square(arg: Any) -> Any:
    return arg * arg


def workload_function(kind: str, calibration: Calibration | None) -> Callable[[Any], Any]:
    """The task function of ``kind``, resolved once: what :func:`run_workload` does with
    each argument, without choosing the workload again inside every task's bar. A
    workload without a function of its own (``custom`` before its code is loaded) runs
    through :func:`run_workload`."""
    if kind == "square":
        return _square
    if kind == "cpu":
        per_ms = calibration.loops_per_ms if calibration else 5000.0
        return lambda arg: (spin(int(arg * per_ms)), arg)[1]
    return lambda arg: run_workload(kind, arg, calibration)
