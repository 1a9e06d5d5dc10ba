"""One calibration per machine and interpreter: measured at a quiet moment, cached on disk.

"cpu:200ms" must mean the same amount of work in every run, or runs cannot be compared.
Measuring afresh in each run made it depend on whatever else the machine was doing, so
the loop counts are measured once, cached in the user's cache directory under a key of
CPU model, interpreter and workload code, and re-measured only on demand
(``coreography calibrate``) or when that key changes.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psutil
from platformdirs import user_cache_dir

from coreography.engine.workloads import Calibration, hash_blocks, spin

CACHE_NAME = "calibration.json"
#: Short trials, many of them: interference only ever makes a trial slower, so the
#: fastest of many is the machine's own speed; a trial of a few ms usually fits in one
#: scheduler time slice even when other programs want the core.
TRIAL_MS = 4.0
TRIALS = 40
#: Machine-wide CPU (share of all cores) above which a calibration is said to be made on a
#: busy machine: the minimum is still the best available estimate, but it may be low.
BUSY_PERCENT = 25.0
LOAD_WINDOW_S = 0.25
WARM_UP_S = 0.3


@dataclass(frozen=True)
class CalibrationRecord:
    """A calibration and how it was made."""

    loops_per_ms: float
    blocks_per_ms: float
    key: str
    measured_at: float  # Unix time
    machine_busy_percent: float  # machine-wide CPU just before measuring
    busy: bool  # measured while other programs were busy: may be low

    def calibration(self) -> Calibration:
        return Calibration(loops_per_ms=self.loops_per_ms, blocks_per_ms=self.blocks_per_ms)

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.measured_at))
        text = (
            f"{self.loops_per_ms:,.0f} loops/ms (cpu), {self.blocks_per_ms:,.2f} blocks/ms "
            f"(nogil), measured {when} with the machine at {self.machine_busy_percent:.0f} % CPU"
        )
        if self.busy:
            text += "; the machine was busy: run `coreography calibrate` at a quiet moment"
        return text


def cpu_model() -> str:
    """The CPU's model name (Linux: /proc/cpuinfo), else what the platform says."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            for line in info:
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def workload_version() -> str:
    """A digest of the workload functions' code: editing them invalidates the cache."""
    digest = hashlib.sha256()
    for function in (spin, hash_blocks):
        code = function.__code__
        digest.update(code.co_code)
        digest.update(repr(code.co_consts).encode())
    return digest.hexdigest()[:16]


def cache_key() -> str:
    impl = sys.implementation
    python = f"{impl.name} {platform.python_version()} {platform.machine()}"
    return f"{cpu_model()} | {python} | workload {workload_version()}"


def cache_path() -> Path:
    return Path(user_cache_dir("coreography")) / CACHE_NAME


def machine_load(window_s: float = LOAD_WINDOW_S) -> float:
    """Machine-wide CPU in % of all cores over ``window_s`` (this process included)."""
    before = psutil.cpu_times()
    time.sleep(window_s)
    after = psutil.cpu_times()
    idle = (after.idle - before.idle) + (
        getattr(after, "iowait", 0.0) - getattr(before, "iowait", 0.0)
    )
    total = sum(after) - sum(before)
    return 0.0 if total <= 0 else max(0.0, min(100.0, 100.0 * (1 - idle / total)))


def _rate(work: Callable[[int], Any], amount: int) -> float:
    """Work per millisecond of this thread's CPU time: time the thread spent preempted by
    other programs does not count against the machine's speed."""
    start = time.thread_time_ns()
    work(amount)
    return amount / max((time.thread_time_ns() - start) / 1e6, 1e-6)


def warm_up(least_s: float = WARM_UP_S, most_s: float = 4 * WARM_UP_S) -> float:
    """Spin until the CPU's clock has ramped up (measured here: the first ~0.2 s of a busy
    loop ran at half speed); return the last rate (loops/ms)."""
    began = time.perf_counter()
    previous, rate = 0.0, _rate(spin, 20_000)
    while time.perf_counter() - began < most_s:
        previous, rate = rate, _rate(spin, max(1000, int(rate * 20)))
        steady = abs(rate - previous) <= 0.03 * rate
        if steady and time.perf_counter() - began >= least_s:
            break
    return rate


def measure(trials: int = TRIALS) -> CalibrationRecord:
    """Measure now: machine load first, then the fastest of many short trials."""
    load = machine_load()
    loops = warm_up()
    amount = max(1000, int(loops * TRIAL_MS))
    loops = max(_rate(spin, amount) for _ in range(trials))
    blocks = _rate(hash_blocks, 4)
    amount = max(1, round(blocks * TRIAL_MS))
    blocks = max(_rate(hash_blocks, amount) for _ in range(max(trials // 4, 3)))
    return CalibrationRecord(
        loops_per_ms=round(loops, 1),
        blocks_per_ms=round(blocks, 3),
        key=cache_key(),
        measured_at=time.time(),
        machine_busy_percent=round(load, 1),
        busy=load > BUSY_PERCENT,
    )


def _read(path: Path, key: str) -> CalibrationRecord | None:
    """The cached record for ``key``; None if missing, for another key, or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        record = CalibrationRecord(
            loops_per_ms=float(data["loops_per_ms"]),
            blocks_per_ms=float(data["blocks_per_ms"]),
            key=str(data["key"]),
            measured_at=float(data["measured_at"]),
            machine_busy_percent=float(data["machine_busy_percent"]),
            busy=bool(data["busy"]),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # a corrupt or foreign file is ignored and measured again
    if record.key != key or not (record.loops_per_ms > 0 and record.blocks_per_ms > 0):
        return None
    return record


def _write(path: Path, record: CalibrationRecord) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        partial.write_text(json.dumps(asdict(record), indent=1), encoding="utf-8")
        os.replace(partial, path)  # concurrent runs never read half a file
    except OSError:
        pass  # no cache directory: the run still has its calibration


def load_or_measure(remeasure: bool = False) -> CalibrationRecord:
    """The cached calibration for this machine and interpreter, measured if there is none.

    Parameters
    ----------
    remeasure
        Measure again and replace the cached one (``coreography calibrate``).
    """
    path, key = cache_path(), cache_key()
    record = None if remeasure else _read(path, key)
    if record is None:
        record = measure()
        _write(path, record)
    return record


def cached() -> CalibrationRecord | None:
    """The cached calibration for this machine and interpreter, never measuring (the app
    must not spin for a second in its window's thread: a driver measures instead)."""
    return _read(cache_path(), cache_key())


def as_recorded(record: CalibrationRecord) -> dict[str, Any]:
    """What a recording keeps of the calibration a run used."""
    return {
        "loops_per_ms": record.loops_per_ms,
        "blocks_per_ms": record.blocks_per_ms,
        "key": record.key,
        "machine_busy_percent": record.machine_busy_percent,
        "busy": record.busy,
    }


def loops_per_ms() -> int:
    """Loop iterations of the ``cpu`` workload per millisecond, as every run uses them."""
    return int(load_or_measure().loops_per_ms)


def blocks_per_ms() -> float:
    """64 KiB hash blocks of the ``nogil`` workload per millisecond, as every run uses them."""
    return load_or_measure().blocks_per_ms
