"""The app side of a traced run: start the program, read its events, end its tree.

The program runs as ``python script.py ARGS`` with its own stdin, stdout and stderr (the
terminal's, unchanged), in a process group of its own so that Stop and ``--timeout``
reach every process it starts. A small watchdog process, outside that group, ends the
group if this process dies (even by SIGKILL): it waits for the end of a pipe only this
process holds.
"""

from __future__ import annotations

import json
import mmap
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import psutil

from coreography.engine import process_tree
from coreography.engine.controller import read_frames
from coreography.engine.launch import enlarge_pipe
from coreography.engine.sampler import SamplerThread
from coreography.engine.thread_states import StateSamplerThread
from coreography.engine.trace.tracer import ACCOUNTING_SLOTS, SLOT_WORDS, trace_accounting
from coreography.model.run import FINISHED, RUN_FAILED, STOPPED
from coreography.model.trace_run import TraceRun, describe_exit

#: Where a frozen app keeps the sources the program's own Python imports to trace it
#: (packaging/coreography.spec puts them there): that Python is not the app's.
FROZEN_SOURCES = "trace-python"
#: Which Python runs the user's program in a frozen app ("python3" on PATH otherwise).
PYTHON_VARIABLE = "COREOGRAPHY_PYTHON"
#: The oldest Python the tracing sources run on.
OLDEST_PYTHON = (3, 10)


def _trace_sources() -> Path:
    """The folder holding this package's ``trace`` directory, as the program imports it."""
    if getattr(sys, "frozen", False):
        bundle = Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent))
        return bundle / FROZEN_SOURCES / "coreography" / "engine" / "trace"
    return Path(__file__).parent


BOOTSTRAP = _trace_sources() / "bootstrap"
WATCHDOG = _trace_sources() / "watchdog.py"


class NoPython(RuntimeError):
    """No Python interpreter to run the user's program with (a frozen app only)."""


def program_python() -> str:
    """The interpreter that runs the user's program, as ``python script.py`` would.

    From a checkout or a pip install: this very Python (the program sees the packages
    installed beside Coreography). A frozen app has no Python of its own to offer, so
    the program runs with the system's: ``$COREOGRAPHY_PYTHON``, else ``python3`` on
    PATH — the one the user's ``python3 script.py`` would use.
    """
    if not getattr(sys, "frozen", False):
        return sys.executable
    chosen = os.environ.get(PYTHON_VARIABLE) or shutil.which("python3") or shutil.which("python")
    if not chosen:
        raise NoPython(
            "Running your own program needs Python 3 installed on this computer (no "
            f"python3 was found on PATH). Install it, or set {PYTHON_VARIABLE} to the "
            "Python to use."
        )
    try:
        found = subprocess.run(
            [chosen, "-c", "import sys; print(sys.version_info[0], sys.version_info[1])"],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout.split()
        version = (int(found[0]), int(found[1]))
    except (OSError, subprocess.SubprocessError, ValueError, IndexError) as exc:
        raise NoPython(f"{chosen} could not be started as Python: {exc}") from exc
    if version < OLDEST_PYTHON:
        oldest = ".".join(map(str, OLDEST_PYTHON))
        raise NoPython(
            f"{chosen} is Python {version[0]}.{version[1]}; tracing a program needs "
            f"Python {oldest} or newer (set {PYTHON_VARIABLE} to another one)."
        )
    return chosen


STOP_GRACE = 0.5
#: After the program's main process has gone, how long its other processes may go on
#: (an unjoined daemon, a detached child) before they are ended.
LINGER = 1.0


class TraceController:
    """Run one traced program at a time. Qt-free: used by the CLI and the window."""

    def __init__(self, sample_hz: float = 10.0, state_hz: float = 0.0) -> None:
        self.sample_hz = sample_hz
        #: How often each lane's thread state is read from the kernel (0: not at all).
        self.state_hz = state_hz
        self._states: StateSamplerThread | None = None
        self.run: TraceRun | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._frames: deque[bytes] = deque()
        self._eof = threading.Event()
        self._reader: threading.Thread | None = None
        self._sampler: SamplerThread | None = None
        self._keep_open = -1
        self._words: Any = None
        self._tmp = ""
        self._stop_requested = False
        self._gone_at: float | None = None
        self._known: dict[int, psutil.Process] = {}
        self._terminal: int | None = None

    @property
    def running(self) -> bool:
        return self.process is not None

    def start(
        self,
        argv: list[str],
        cwd: str | None = None,
        python: str | None = None,
        terminal: int | None = None,
        stdin: int | None = None,
    ) -> TraceRun:
        """Start ``python ARGV…`` (``["script.py", …]`` or ``["-m", "pkg.mod", …]``).

        ``terminal``: a file descriptor of the controlling terminal to hand to the
        program while it runs (it can then read it, and Ctrl-C reaches it directly, as
        when it runs alone); given back at the end. ``stdin``: what the program reads
        instead of this process's stdin (e.g. ``subprocess.DEVNULL`` from a window).
        """
        if self.running:
            raise RuntimeError("a run is already in progress; stop it first")
        python = python or program_python()
        self._tmp = tempfile.mkdtemp(prefix="coreography-trace-")
        fifo = os.path.join(self._tmp, "events")
        os.mkfifo(fifo, 0o600)
        read_fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        # Held until the end, so the reader sees end of file only when we say so.
        self._keep_open = os.open(fifo, os.O_WRONLY)
        os.set_blocking(read_fd, True)
        reader = Connection(read_fd, writable=False)
        enlarge_pipe(reader)
        accounting = os.path.join(self._tmp, "accounting")
        with open(accounting, "wb") as file:
            file.truncate(ACCOUNTING_SLOTS * SLOT_WORDS * 8)
        with open(accounting, "r+b") as file:
            self._words = memoryview(mmap.mmap(file.fileno(), 0)).cast("q")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(BOOTSTRAP), *filter(None, [os.environ.get("PYTHONPATH")])]
        )
        env["COREOGRAPHY_TRACE"] = json.dumps(
            {"fifo": fifo, "accounting": accounting, "app_pid": os.getpid()}
        )
        run = TraceRun(argv, cores=psutil.cpu_count() or 1, t0=time.perf_counter_ns())
        run.experiment = run.experiment.replace(code=_script_source(argv, cwd))
        self.process = subprocess.Popen(
            [python, *argv], cwd=cwd, env=env, stdin=stdin, process_group=0
        )
        run.set_driver(self.process.pid)
        self._terminal = _give_terminal(terminal, self.process.pid)
        if self._terminal is not None:  # it may have read the terminal a moment too early
            process_tree.signal_group(self.process.pid, signal.SIGCONT)
        self._watchdog = subprocess.Popen(
            # Started by file, not by module: in a frozen app that Python is the system's.
            [python, str(WATCHDOG), str(self.process.pid)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.run = run
        self._frames, self._eof = deque(), threading.Event()
        self._stop_requested, self._gone_at, self._known = False, None, {}
        self._reader = threading.Thread(
            target=read_frames,
            args=(reader, self._frames, self._eof),
            name="coreography-reader",
            daemon=True,
        )
        self._reader.start()
        self._sampler = SamplerThread(self.process.pid, self.sample_hz)
        if self.state_hz > 0:
            self._states = StateSamplerThread(self.state_hz, not_before_ns=run.t0)
            run.thread_states.source = self._states.source
        return run

    # -- each tick ---------------------------------------------------------------------------
    def poll(self, budget: int = 100_000) -> bool:
        """Apply new frames and samples; notice the end. True when the run changed."""
        run, process = self.run, self.process
        if run is None or process is None:
            return False
        frames: list[bytes] = []
        while self._frames and len(frames) < budget:
            frames.append(self._frames.popleft())
        samples = self._sampler.take() if self._sampler else []
        states = self._states.take() if self._states else []
        if frames or samples or states:
            run.apply(frames, samples, states)
            if self._states is not None:
                self._states.watch(run.lanes)
        self._remember_tree()
        if process.poll() is not None:
            now = time.monotonic()
            if self._gone_at is None:
                self._gone_at = now
            if not self._alive() or now - self._gone_at > LINGER:
                self._finish()
                return True
        return bool(frames or samples or states)

    def wait(self, timeout: float | None = None, on_tick: Any = None, tick: float = 0.05) -> bool:
        """Poll until the run is over. False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.process is not None:
            self.poll()
            if on_tick is not None:
                on_tick(self.run)
            if self.process is None:
                break
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(tick)
        return True

    # -- stopping -----------------------------------------------------------------------------
    def interrupt(self) -> None:
        """Ctrl-C: what the terminal would send the program's processes."""
        if self.process is not None:
            process_tree.signal_group(self.process.pid, signal.SIGINT)

    def stop(self) -> None:
        """End the program and every process it started, then finish the run."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self._stop_requested = True
        self._end_everything()
        self._finish()

    def shutdown(self) -> None:
        self.stop()

    def _end_everything(self) -> None:
        process = self.process
        assert process is not None
        for sig in (signal.SIGTERM, process_tree.SIGKILL):
            # The program leads a process group of its own (see start()).
            process_tree.signal_group(process.pid, sig)
            process_tree.send(self._tree(), sig)
            deadline = time.monotonic() + STOP_GRACE
            while time.monotonic() < deadline and (self._alive() or process.poll() is None):
                time.sleep(0.01)
            if not self._alive() and process.poll() is not None:
                return

    # -- the process tree ---------------------------------------------------------------------
    def _remember_tree(self) -> None:
        """Every process of the program seen so far, so that one whose parent has gone
        (it is then no one's descendant) can still be ended."""
        assert self.process is not None
        try:
            root = psutil.Process(self.process.pid)
            for proc in [root, *root.children(recursive=True)]:
                self._known.setdefault(proc.pid, proc)
        except psutil.Error:
            pass

    def _tree(self) -> list[psutil.Process]:
        self._remember_tree()
        main = self.process.pid if self.process is not None else None
        return [p for pid, p in self._known.items() if pid != main and _alive(p)]

    def _alive(self) -> bool:
        """Is any process of the program left (besides its main process)?"""
        if self._tree():
            return True
        assert self.process is not None
        try:  # also one no one knew about, still in the program's group
            os.killpg(self.process.pid, 0)
        except OSError:
            return False
        return self.process.poll() is not None

    # -- the end ---------------------------------------------------------------------------------
    def _finish(self) -> None:
        run, process = self.run, self.process
        assert run is not None and process is not None and self._reader is not None
        if process.poll() is None or self._alive():
            self._end_everything()
        process.wait()
        if self._terminal is not None:
            _give_terminal(self._terminal, os.getpgrp())
            self._terminal = None
        os.close(self._keep_open)  # the reader gets to the end of what was written
        self._reader.join(5)
        leftovers = list(self._frames)
        self._frames.clear()
        samples = self._sampler.take() if self._sampler else []
        run.apply(leftovers, samples)
        if self._sampler is not None:
            self._sampler.stop()
            self._sampler = None
        if self._states is not None:
            self._states.stop()
            run.apply([], [], self._states.take())
            self._states = None
        code = process.returncode
        run.exit_code = code
        if self._stop_requested:
            state, message = STOPPED, "stopped"
        elif code == 0:
            state, message = FINISHED, "the program exited with code 0"
        else:
            state, message = RUN_FAILED, f"the program {describe_exit(code)}"
        run.state = state  # the program's own exit decides, not a status message
        run.message = message
        run.finish(state, message, time.perf_counter_ns(), self._produced())
        if self._watchdog is not None:
            self._watchdog.stdin.close()  # type: ignore[union-attr]
            self._watchdog.wait(5)
            self._watchdog = None
        self._words.release()
        self._words = None
        shutil.rmtree(self._tmp, ignore_errors=True)
        self.process = None

    def _produced(self) -> dict[int, int]:
        words = self._words
        return trace_accounting(words).produced(slots=int(words[0]) + 1)


def _give_terminal(fd: int | None, group: int) -> int | None:
    """Make ``group`` the terminal's foreground group; returns ``fd`` if done."""
    if fd is None:
        return None
    old = signal.signal(signal.SIGTTOU, signal.SIG_IGN)  # allowed from the background too
    try:
        os.tcsetpgrp(fd, group)
        return fd
    except OSError:
        return None
    finally:
        signal.signal(signal.SIGTTOU, old)


def _alive(proc: psutil.Process) -> bool:
    try:
        return bool(proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def _script_source(argv: list[str], cwd: str | None) -> str:
    """The script's text, for the code view ("" for a module or a file too large)."""
    if not argv or argv[0] == "-m":
        return ""
    try:
        text = Path(cwd or ".", argv[0]).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
    return text if len(text) <= 200_000 else ""
