"""What starting a driver needs, light enough to run first thing in a command: the event
pipe's size, the run's log, the run's mark in the environment, the resource tracker, the
probe's spec; and how the command loads numpy beside a driver that is starting.

Only the standard library: a command that starts its run's driver before it loads the
rest of the engine (:func:`coreography.engine.standby.start_early`) pays for no more.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from coreography.engine.workloads import Calibration

#: Every process of a run carries ``COREOGRAPHY_RUN=<run id>`` in its environment (the
#: driver sets it; workers, and whatever they start, inherit it): a process that left
#: the tree (a daemon in a session of its own) is still found by it.
RUN_MARKER = "COREOGRAPHY_RUN"
PIPE_SIZE = 1 << 20
#: The variables that size the thread pool of numpy's BLAS (OpenBLAS, and the others a
#: numpy build may link), read once, when numpy is loaded.
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


class ProbeSpec:
    """What a worker needs to report: plain data and inheritable handles only.

    Made by the app before its driver starts (:mod:`coreography.engine.standby` makes one
    first thing), used by :class:`coreography.engine.probe.Probe` in every experiment
    process: it lives here, a plain class rather than a dataclass, so that making one
    loads neither the probe nor :mod:`dataclasses` (about 10 ms before a command can start
    its driver).
    """

    def __init__(
        self,
        conn: Any,  # multiprocessing Connection (write end)
        workload: str,
        calibration: Calibration | None,
        fault_kind: str = "none",
        fault_task: int = -1,
        shared: Any = None,  # RawArray('q', Accounting.words_for(slots)): model.accounting
        next_slot: Any = None,  # Value('i') handing out slots
        write_lock: Any = None,  # needed where pipe writes are not atomic (not Linux)
        echo: bool = False,  # also write captured lines to the real stdout
        is_driver: bool = False,
        code: str = "",  # the user's task module, for the "custom" workload
    ) -> None:
        self.conn = conn
        self.workload = workload
        self.calibration = calibration
        self.fault_kind = fault_kind
        self.fault_task = fault_task
        self.shared = shared
        self.next_slot = next_slot
        self.write_lock = write_lock
        self.echo = echo
        self.is_driver = is_driver
        self.code = code

    def replace(self, **changes: Any) -> ProbeSpec:
        """A copy with ``changes`` (field names) made."""
        spec = ProbeSpec.__new__(ProbeSpec)
        spec.__dict__.update(self.__dict__)
        for name, value in changes.items():
            if name not in spec.__dict__:
                raise TypeError(f"ProbeSpec has no field {name!r}")
            setattr(spec, name, value)
        return spec

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in self.__dict__.items())
        return f"ProbeSpec({fields})"


def enlarge_pipe(conn: Any) -> None:
    """Give the pipe a 1 MiB buffer where the OS allows it (Linux)."""
    try:
        import fcntl

        fcntl.fcntl(conn.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_SIZE)
    except (ImportError, OSError, ValueError):
        pass  # the default buffer works too, with more wake-ups


def make_log() -> str:
    """A new file for the raw stderr of a run's processes."""
    # The app's pid in the name: a later start removes the logs of a killed app.
    fd, path = tempfile.mkstemp(prefix=f"coreography-{os.getpid()}-", suffix=".log")
    os.close(fd)
    return path


def new_run_id() -> str:
    return f"{os.getpid()}-{os.urandom(6).hex()}"


def start_helpers_unmarked() -> None:
    """The app's own resource tracker starts before the run's mark is set (else it would
    carry the mark and look like a process that escaped the run)."""
    if os.name == "posix":
        from multiprocessing import resource_tracker

        resource_tracker.ensure_running()


@contextlib.contextmanager
def marked_environment(run_id: str) -> Iterator[None]:
    """This process's environment carries the run's mark while the driver starts."""
    before = os.environ.get(RUN_MARKER)
    os.environ[RUN_MARKER] = run_id
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(RUN_MARKER, None)
        else:
            os.environ[RUN_MARKER] = before


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """numpy loaded inside starts its BLAS with one thread, unless the user sized it.

    For the command line's own numpy (the run model's columns: sums, sorts, searches,
    never a matrix product): OpenBLAS otherwise starts a thread per core as numpy loads,
    and they spin for a while. Measured on 2 cores: 80 to 115 ms of CPU taken from the
    run's driver starting beside the command, for nothing. The environment is restored
    on leaving, so every process started later (a driver, the experiment's workers)
    gets the user's environment, and the experiment's numpy all its threads.
    """
    unset = [name for name in BLAS_THREADS if name not in os.environ]
    for name in unset:
        os.environ[name] = "1"
    try:
        yield
    finally:
        for name in unset:
            os.environ.pop(name, None)
