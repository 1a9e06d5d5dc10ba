"""The run controller: starts the driver, drains its events, ends its process tree.

Qt-free, used alike by the window (from its timer) and by the headless CLI. It owns every
process and thread of a run: one driver process, one reader thread that empties the
event pipe continuously (writers block when a pipe is full), and one sampler thread.
"""

from __future__ import annotations

import atexit
import multiprocessing
import multiprocessing.connection
import os
import select
import signal
import struct
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np
import psutil

from coreography.engine.calibration import as_recorded, cached
from coreography.engine.driver import describe_exit, driver_main
from coreography.engine.launch import enlarge_pipe, new_run_id
from coreography.engine.launch import make_log as _make_log
from coreography.engine.launch import marked_environment as _marked_environment
from coreography.engine.launch import start_helpers_unmarked as _start_helpers_unmarked
from coreography.engine.probe import ProbeSpec
from coreography.engine.process_tree import SIGKILL as _SIGKILL
from coreography.engine.process_tree import descendants as _descendants
from coreography.engine.process_tree import describe_process as _describe_process
from coreography.engine.process_tree import end_tree as _end_tree
from coreography.engine.process_tree import marked as _marked
from coreography.engine.process_tree import signal_tree as _signal_tree
from coreography.engine.sampler import SamplerThread
from coreography.engine.standby import Standby, take_early
from coreography.engine.thread_states import StateSamplerThread
from coreography.model import wire
from coreography.model.accounting import Accounting
from coreography.model.experiment import TIMED_WORKLOADS, Experiment
from coreography.model.run import RUN_FAILED, STOPPED, Run
from coreography.model.thread_states import DEFAULT_HZ as STATE_HZ

#: After a terminate, how long processes get before they are killed.
STOP_GRACE = 0.5
#: Once the driver has gone, how long stray writers may keep the pipe open.
LINGER = 1.0
#: Once the driver has gone, when to look for processes that left its tree (a daemon in
#: a session of its own) and still hold the pipe open.
ESCAPE_LOOK = 0.25
#: Once the driver has gone, when the run ends even if something still holds the pipe
#: open (a process that also dropped the run's mark from its environment).
GIVE_UP = LINGER + 3 * STOP_GRACE

_live: weakref.WeakSet[RunController] = weakref.WeakSet()

#: Stop and faults end experiment processes that hold semaphores; the resource tracker
#: (started by this process, shared by the experiment's) then cleans them up at exit and
#: warns about each. The cleanup is the point; the warning only alarms users. Options
#: in sys.warnoptions are handed to the tracker when it starts.
_QUIET_TRACKER = "ignore::UserWarning:multiprocessing.resource_tracker"


@atexit.register
def _end_all_runs() -> None:
    for controller in list(_live):
        controller.shutdown()


class RunController:
    """Start, watch and stop one run at a time.

    Parameters
    ----------
    sample_hz
        How often psutil is read while a run is going (0.5 to 50).
    echo
        Also write the experiment's printed lines to this process's stdout.
    state_hz
        How often each lane's thread state is read from the kernel (0: not at all).
    standby
        Keep a driver process started ahead of time (:mod:`coreography.engine.standby`)
        for the next run: started now and after each run, ended by :meth:`shutdown`.
    """

    def __init__(
        self,
        sample_hz: float = 10.0,
        echo: bool = False,
        state_hz: float = STATE_HZ,
        standby: bool = False,
    ) -> None:
        self.sample_hz = sample_hz
        self.echo = echo
        self.state_hz = state_hz
        self.use_standby = standby
        self._standby: Standby | None = None
        self._preparing: threading.Thread | None = None
        self._states: StateSamplerThread | None = None
        self.run: Run | None = None
        self._driver: Any = None
        self._reader_thread: threading.Thread | None = None
        self._sampler: SamplerThread | None = None
        self._frames: deque[bytes] = deque()
        self._eof = threading.Event()
        self._shared: Any = None
        self._spec: ProbeSpec | None = None
        self._wall_t0 = 0.0
        self._log_path = ""
        self._kill_at: float | None = None
        self._lag_s: float | None = None
        self._stopping: list[psutil.Process] = []
        self._stop_requested = False
        self._driver_gone_at: float | None = None
        self._run_id = ""
        self._escaped: set[int] = set()  # pids already named as having left the tree
        self._looked_for_escapes = False
        self._stop_reading = threading.Event()
        #: Called from the reader thread after each burst of frames and at the end of the
        #: pipe: a window wakes up with it to draw what came, rather than at a fixed phase.
        #: It must only take note (it runs outside the caller's thread).
        self.on_arrival: Callable[[], None] | None = None
        #: When (``time.monotonic()``) the window takes in frames next, if it says: after
        #: a burst the reader then naps until just before that moment (frames that come
        #: meanwhile would wait for that frame anyway), so it wakes about once per frame.
        self.next_frame_at: float | None = None
        #: The worker timestamps (ns) of the binary events the last :meth:`poll` applied.
        self.applied_ns: np.ndarray[Any, Any] = _NO_TIMES
        _live.add(self)
        if standby:
            self.prepare()

    @property
    def running(self) -> bool:
        return self.run is not None and self._driver is not None

    # -- starting ----------------------------------------------------------------
    def start(self, experiment: Experiment) -> Run:
        """Validate ``experiment`` and start it; return its (growing) :class:`Run`."""
        if self.running:
            raise RuntimeError("a run is already in progress; stop it first")
        experiment.validate()
        if _QUIET_TRACKER not in sys.warnoptions:
            sys.warnoptions.append(_QUIET_TRACKER)
        ctx = multiprocessing.get_context("spawn")  # never fork a process that may run Qt
        # A counter slot per process: one per task where each task has its own process,
        # else room for a pool that replaces dead workers.
        model = experiment.execution_model
        one_each = model.lane_per_task and model.uses_processes
        slots = (experiment.tasks if one_each else experiment.workers * 4) + 8
        # Cached per machine and interpreter: "cpu:200ms" is the same work in every run.
        # Not cached yet: the driver measures (and caches) it, away from the window.
        record = cached() if experiment.workload in TIMED_WORKLOADS else None
        calibration = record.calibration() if record else None
        run = Run(experiment, cores=psutil.cpu_count() or 1, t0=time.perf_counter_ns())
        if record is not None:
            run.calibration = as_recorded(record)
        self._wall_t0 = time.time()
        self._prepared()
        standby, self._standby = self._standby, None
        if standby is None:  # one started first thing by the command or the window
            standby = take_early(self.echo)
        fields: dict[str, Any] = {
            "workload": experiment.workload,
            "code": experiment.code,
            "calibration": calibration,
        }
        if (
            standby is not None
            and standby.fits(slots, self.echo)
            and standby.launch(experiment.to_dict(), fields, model.backend)
        ):
            reader, spec, driver = standby.reader, standby.spec, standby.process
            self._shared, self._log_path, self._run_id = (
                standby.shared,
                standby.log_path,
                standby.run_id,
            )
        else:
            if standby is not None:
                standby.close()
            reader, writer = ctx.Pipe(duplex=False)
            enlarge_pipe(reader)
            self._shared = ctx.RawArray("q", Accounting.words_for(slots))
            spec = ProbeSpec(
                conn=writer,
                workload=experiment.workload,
                code=experiment.code,
                calibration=calibration,
                shared=self._shared,
                next_slot=ctx.Value("i", 1),
                write_lock=None if sys.platform.startswith("linux") else ctx.Lock(),
                echo=self.echo,
            )
            self._run_id = new_run_id()
            driver = ctx.Process(
                target=driver_main,
                args=(experiment.to_dict(), spec, self._new_log(), model.backend, self._run_id),
                name="coreography-driver",
            )
            # The mark goes into the driver's environment as it starts (only what a
            # process started with can be read from outside): every process below
            # inherits it.
            _start_helpers_unmarked()
            with _marked_environment(self._run_id):
                driver.start()
            writer.close()  # from now on, end of file means every writer has gone
        driver_pid = driver.pid
        assert driver_pid is not None  # a started process has one
        self.run, self._driver = run, driver
        self._spec = spec  # its named semaphore must outlive the driver's start-up
        self._frames = deque()
        self._eof = threading.Event()
        self._stop_requested = False
        self._kill_at = None
        self._stopping = []
        self._lag_s = None
        self._driver_gone_at = None
        self._escaped = set()
        self._looked_for_escapes = False
        self._stop_reading = threading.Event()
        self.next_frame_at = None  # until the window says
        run.set_driver(driver_pid)
        self._reader_thread = threading.Thread(
            target=read_frames,
            args=(reader, self._frames, self._eof, self._stop_reading, self._on_frames_arrived),
            kwargs={"nap": self._reader_nap},
            name="coreography-reader",
            daemon=True,
        )
        self._reader_thread.start()
        self._sampler = SamplerThread(driver_pid, self.sample_hz)
        if self.state_hz > 0:
            self._states = StateSamplerThread(self.state_hz, not_before_ns=run.t0)
            run.thread_states.source = self._states.source
            self._states.watch(run.lanes)
        return run

    # -- each tick ---------------------------------------------------------------------------------
    def poll(self, budget: int = 5000) -> bool:
        """Apply up to ``budget`` frames and all new samples to the run; notice its end.

        Returns True when the run changed.
        """
        run = self.run
        if run is None or self._driver is None:
            return False
        frames: list[bytes] = []
        while self._frames and len(frames) < budget:
            frames.append(self._frames.popleft())
        samples = self._sampler.take() if self._sampler else []
        states = self._states.take() if self._states else []
        changed = bool(frames or samples or states)
        batch = wire.decode_batch(frames)
        self.applied_ns = batch.records["t"]
        if changed:
            newest = run.latest_event_ns
            run.apply_batch(batch, samples, states)
            if self._states is not None:
                self._states.watch(run.lanes)
            latest = run.latest_event_ns
            if latest is not None and latest != newest:  # how old the newest was on arrival
                self._lag_s = max(0.0, (time.perf_counter_ns() - latest) / 1e9)
        if not self._frames and self._check_end():
            changed = True
        return changed

    @property
    def lag_s(self) -> float | None:
        """How old the newest event was when it reached the run (batching, the pipe and
        the tick): how far behind the live picture is. None before the first event."""
        return self._lag_s if self._driver is not None else None

    @property
    def backlog(self) -> int:
        """Frames received but not yet applied (a sign the view is falling behind)."""
        return len(self._frames)

    @property
    def oldest_waiting_ns(self) -> int | None:
        """The worker timestamp of the oldest event received but not yet applied (None:
        nothing waits, or the oldest frame waiting holds no timed records)."""
        try:
            frame = self._frames[0]
        except IndexError:
            return None
        times = event_times([frame])
        return int(times.min()) if len(times) else None

    def _reader_nap(self) -> float:
        """How long the reader naps after a burst (called from the reader thread)."""
        due = self.next_frame_at
        if due is None:
            return READER_NAP_S
        now = time.monotonic()
        if now < due - NAP_AHEAD_S:
            return min(due - NAP_AHEAD_S - now, MAX_NAP_S)
        return 0.0 if now < due else LATE_NAP_S

    def _on_frames_arrived(self) -> None:
        callback = self.on_arrival
        if callback is not None:
            try:
                callback()
            except Exception:  # a listener that has gone must not stop the reading
                self.on_arrival = None

    def _check_end(self) -> bool:
        driver = self._driver
        if self._kill_at is not None and time.monotonic() >= self._kill_at:
            # The grace period of a Stop is over: nothing may survive it.
            _signal_tree(driver, self._stopping + _descendants(driver.pid), _SIGKILL)
            self._kill_at = None
        if self._eof.is_set():
            self._finish()
            return True
        if driver.exitcode is not None:
            # The driver is gone; a stray worker may still hold the pipe open.
            now = time.monotonic()
            if self._driver_gone_at is None:
                self._driver_gone_at = now
            gone = now - self._driver_gone_at
            if gone > ESCAPE_LOOK and not self._looked_for_escapes:
                self._looked_for_escapes = True
                self._end_escaped()
            if gone > GIVE_UP:  # the pipe's last holder is not ours to find: end anyway
                assert self.run is not None
                self.run.logs.append(
                    "the run's event pipe was still held open by a process outside the "
                    f"experiment {gone:.1f} s after its main process ended; the run ended "
                    "without waiting for it"
                )
                self._stop_reading.set()
                self._finish()
                return True
            if gone > LINGER:
                _end_tree(driver, [], STOP_GRACE)
        return False

    def _escaped_processes(self) -> list[psutil.Process]:
        """The run's processes (by the mark in their environment) that are neither below
        the driver nor in its process group: they left its tree. Each is named once in
        the run's log."""
        driver, run = self._driver, self.run
        assert driver is not None and run is not None
        below = {p.pid for p in _descendants(driver.pid)}
        below |= {p.pid for p in psutil.Process().children()}  # the app's own helpers
        found = []
        for proc in _marked(self._run_id):
            try:
                in_group = os.getpgid(proc.pid) == driver.pid
            except OSError:
                continue
            if proc.pid in below or in_group:
                continue
            found.append(proc)
            if proc.pid not in self._escaped:
                self._escaped.add(proc.pid)
                run.logs.append(
                    f"{_describe_process(proc)} escaped the experiment: started by it, it "
                    "left its process tree (a session of its own) and was still running "
                    "when the experiment ended; it was ended with the run"
                )
        return found

    def _end_escaped(self) -> None:
        """Terminate the processes that left the tree now, kill them after the grace."""
        escaped = self._escaped_processes()
        if escaped:
            self._stopping += escaped
            _signal_tree(self._driver, escaped, signal.SIGTERM)
            self._kill_at = time.monotonic() + STOP_GRACE

    def _finish(self) -> None:
        run, driver = self.run, self._driver
        assert run is not None
        # The pipe is closed: the driver is leaving. Whatever is left (a worker that
        # outlived the driver) goes now.
        driver.join(LINGER)
        leftover = self._known_processes() + self._escaped_processes()
        _end_tree(driver, leftover, STOP_GRACE)
        # Looking for the run's mark reads every process's environment: only again if
        # something was still there to be ended (a driver that exited cleanly with
        # nothing left behind has nothing that could still fork).
        for _ in range(3 if leftover or driver.exitcode != 0 else 0):
            # A process being ended may have forked one more on its way out (a signal
            # handler it inherited let it finish its fork): look again until none is left.
            late = self._escaped_processes()
            if not late:
                break
            _end_tree(driver, late, STOP_GRACE)
        driver.join(5)
        if self._reader_thread is not None:
            self._reader_thread.join(5)
        # Frames that arrived between the last drain and the end of file.
        leftovers = list(self._frames)
        self._frames.clear()
        if leftovers:
            self.applied_ns = np.concatenate([self.applied_ns, event_times(leftovers)])
        if self._sampler is not None or leftovers:
            run.apply(leftovers, self._sampler.take() if self._sampler else [])
        if self._sampler is not None:
            self._sampler.stop()
            self._sampler = None
        if self._states is not None:
            self._states.stop()
            run.apply([], [], self._states.take())
            self._states = None
        code = driver.exitcode
        last_words = self._read_log()
        if self._stop_requested:
            state, message = STOPPED, "stopped by the user"
        else:
            state = RUN_FAILED
            message = f"the experiment's main process {describe_exit(code or 0)} before the end"
            if last_words and not run.is_over:  # nothing reported it: say what it printed
                message += f": {last_words[-1]}"
        if last_words and (state == RUN_FAILED or run.state == RUN_FAILED):
            # What the processes printed outside any task: a crash's last words.
            run.logs.append("\n".join(last_words))
        if run.calibration is None and run.experiment.workload in TIMED_WORKLOADS:
            record = cached()  # what the driver measured and cached for this run
            run.calibration = as_recorded(record) if record is not None else None
        run.finish(state, message, time.perf_counter_ns(), self._produced())
        driver.close()
        self._driver = None
        self._spec = None
        if self.use_standby:
            self._prepare_in_background()

    def _new_log(self) -> str:
        self._log_path = _make_log()
        return self._log_path

    # -- the driver started ahead of time ----------------------------------------------
    def prepare(self) -> None:
        """Start a driver for the next run now (with ``standby``), unless one waits."""
        old = self._standby
        if old is not None and old.process.exitcode is None:
            return
        self._standby = None
        if old is not None:
            old.close()
        early = take_early(self.echo)  # one started first thing by the command or window
        if early is not None:
            self._standby = early
            return
        _start_helpers_unmarked()
        ctx = multiprocessing.get_context("spawn")
        self._standby = Standby(ctx, self.echo, _make_log(), new_run_id())

    def _prepare_in_background(self) -> None:
        """Start the next driver away from the caller's thread (the window's): spawning
        a process from a large one can take a tenth of a second on a busy machine."""
        self._preparing = threading.Thread(
            target=self.prepare, name="coreography-standby", daemon=True
        )
        self._preparing.start()

    def _prepared(self) -> None:
        """Wait for a driver being started in the background."""
        preparing, self._preparing = self._preparing, None
        if preparing is not None:
            preparing.join()

    def standby_ready(self, timeout: float = 0.0) -> bool:
        """Whether a driver started ahead of time waits for the next run."""
        self._prepared()
        return self._standby is not None and self._standby.ready(timeout)

    def _release_standby(self) -> None:
        self._prepared()
        standby, self._standby = self._standby, None
        if standby is not None:
            standby.close()

    def _read_log(self, lines: int = 20) -> list[str]:
        """The last lines the experiment's processes wrote to their raw stderr; the file
        is removed."""
        path, self._log_path = self._log_path, ""
        if not path:
            return []
        try:
            with open(path, "rb") as log:
                log.seek(0, os.SEEK_END)
                log.seek(max(0, log.tell() - 16384))
                text = log.read().decode("utf-8", "replace")
            os.unlink(path)
        except OSError:
            return []
        return [line for line in text.splitlines() if line.strip()][-lines:]

    def _known_processes(self) -> list[psutil.Process]:
        """Every process this run is known to have had (lanes, samples, accounting),
        still alive and born after the run began (not a stranger that reused a pid)."""
        run, driver = self.run, self._driver
        assert run is not None and driver is not None
        pids = {lane.pid for lane in run.lanes} | set(self._produced())
        pids |= {int(pid) for pid in set(run.proc_samples.view()["pid"].tolist())}
        pids.discard(driver.pid)
        if run.experiment.scheduler:  # the workers of a cluster the run did not start
            pids -= {lane.pid for lane in run.lanes if lane.host}
        procs = []
        for pid in pids:
            try:
                proc = psutil.Process(pid)
                if proc.create_time() >= self._wall_t0 - 1.0:
                    procs.append(proc)
            except psutil.Error:
                pass
        return procs

    def _produced(self) -> dict[int, int]:
        return Accounting(self._shared).produced()

    # -- stopping ----------------------------------------------------------------
    def stop(self, wait: bool = False) -> None:
        """End the driver and every descendant: SIGTERM now, SIGKILL to whatever is left
        after a grace period (in :meth:`poll`, or here with ``wait``). The run ends as
        *stopped* once every process is gone."""
        if self._driver is None:
            return
        if not (self.run and self.run.is_over):
            self._stop_requested = True
        if wait:
            known = _descendants(self._driver.pid) + self._escaped_processes()
            _end_tree(self._driver, known, STOP_GRACE)
            return
        self._stopping = _descendants(self._driver.pid) + self._escaped_processes()
        _signal_tree(self._driver, self._stopping, signal.SIGTERM)
        self._kill_at = time.monotonic() + STOP_GRACE

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop any run and wait until it is fully over (window close, app exit); end
        the driver started ahead of time."""
        self.use_standby = False
        self._release_standby()
        if self._driver is None:
            return
        self.stop()
        deadline = time.monotonic() + timeout
        while self._driver is not None and time.monotonic() < deadline:
            self.poll(budget=100_000)
            if self._driver is not None:
                time.sleep(0.01)
        if self._driver is not None:  # the pipe never closed; give up on its last frames
            self._eof.set()
            self._finish()

    def wait(self, timeout: float | None = None, on_tick: Any = None, tick: float = 0.05) -> bool:
        """Poll until the run is over (headless use). Returns False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._driver is not None:
            self.poll(budget=100_000)
            if on_tick is not None:
                on_tick(self.run)
            if self._driver is None:
                break
            if deadline is not None and time.monotonic() > deadline:
                return False
            self._eof.wait(tick)
        return True


#: After a burst of frames the reader naps this long, so that it wakes once per burst
#: rather than once per frame (on a machine whose every core runs a worker, each wake-up
#: takes a moment from a worker, and each needs the GIL the window is drawing with), at
#: most ~100 times a second. Short: every frame that comes during the nap waits for its
#: end before the window can draw it. The pipe is enlarged so that writers do not block
#: meanwhile.
READER_NAP_S = 0.01
#: A reader told when the window takes frames in next (``RunController.next_frame_at``)
#: naps until this long before it, then reads each frame as it comes: all the frames
#: sent before the frame begins are read by then, even on a busy machine that wakes the
#: reader late, and none waits in the pipe past the frame that could show it.
NAP_AHEAD_S = 0.004
#: The longest nap (a window that said nothing for a while).
MAX_NAP_S = 0.05
#: The nap while the window's frame is due or being made: what comes meanwhile waits
#: for the next frame anyway, and the reader does not take the GIL from it each time.
LATE_NAP_S = 0.005
#: How often a reader that may be told to stop looks whether it is, while the pipe is
#: quiet.
STOP_LOOK_S = 0.25


_NO_TIMES: np.ndarray[Any, Any] = np.empty(0, np.int64)


def event_times(frames: list[bytes]) -> np.ndarray[Any, Any]:
    """The worker timestamps (ns) of every record in the binary frames among ``frames``."""
    if not frames:
        return _NO_TIMES
    times: np.ndarray[Any, Any] = wire.decode_batch(frames).records["t"]
    return times


def read_frames(
    reader: Any,
    frames: deque[bytes],
    eof: threading.Event,
    stop: threading.Event | None = None,
    notify: Callable[[], None] | None = None,
    nap: Callable[[], float] | None = None,
) -> None:
    """Empty the pipe in bursts, until every writer has closed it (or ``stop`` is set).

    ``notify`` is called after each burst and once at the end (from this thread); after
    each burst the reader naps ``nap()`` seconds (default :data:`READER_NAP_S`).
    """

    def burst_read() -> None:
        if notify is not None:
            notify()
        pause = READER_NAP_S if nap is None else nap()
        if pause > 0:  # a sleep costs a wake-up even for no time at all
            time.sleep(pause)

    raw = hasattr(select, "poll") and isinstance(reader, multiprocessing.connection.Connection)
    try:
        (_read_raw if raw else _read_messages)(reader, frames, stop, burst_read)
    finally:
        reader.close()
        eof.set()
        if notify is not None:
            notify()


def _read_messages(
    reader: Any, frames: deque[bytes], stop: threading.Event | None, burst_read: Callable[[], None]
) -> None:
    """:func:`read_frames` a message at a time, through the Connection."""
    while True:
        try:
            while stop is not None and not reader.poll(STOP_LOOK_S):
                if stop.is_set():
                    return
            frames.append(reader.recv_bytes())  # sleeps until something arrives
            while reader.poll(0):
                frames.append(reader.recv_bytes())
        except (EOFError, OSError):
            return
        burst_read()


#: How much the reader takes from the pipe at once (it holds many frames).
READ_CHUNK = 1 << 20
_LENGTH = struct.Struct("!i")  # a Connection's message length (-1: an 8-byte one follows)
_LONG_LENGTH = struct.Struct("!Q")


def _cut_messages(pending: bytearray, frames: deque[bytes]) -> int:
    """Move each whole message at the front of ``pending`` to ``frames``; how many."""
    pos, end, taken = 0, len(pending), 0
    with memoryview(pending) as view:
        while end - pos >= _LENGTH.size:
            (size,) = _LENGTH.unpack_from(view, pos)
            head = _LENGTH.size
            if size == -1:  # a message of 2 GiB or more: its length in 8 bytes
                if end - pos < head + _LONG_LENGTH.size:
                    break
                (size,) = _LONG_LENGTH.unpack_from(view, pos + head)
                head += _LONG_LENGTH.size
            elif size < 0:
                raise OSError(f"a damaged message length ({size}) on the event pipe")
            if end - pos - head < size:
                break
            frames.append(bytes(view[pos + head : pos + head + size]))
            pos += head + size
            taken += 1
    if pos:
        del pending[:pos]
    return taken


def _read_raw(
    reader: multiprocessing.connection.Connection,
    frames: deque[bytes],
    stop: threading.Event | None,
    burst_read: Callable[[], None],
) -> None:
    """:func:`read_frames` where the pipe is a file descriptor: each wake-up takes all
    the pipe holds in as few reads as it can and cuts it into the Connection's messages
    itself (the Connection reads each message with two reads and a poll through a new
    selector: tens of microseconds a frame, hundreds of frames a second)."""
    fd = reader.fileno()
    ready = select.poll()
    ready.register(fd, select.POLLIN)
    pending = bytearray()
    wait_ms = None if stop is None else round(STOP_LOOK_S * 1000)
    while True:
        while not ready.poll(wait_ms):
            if stop is not None and stop.is_set():
                return
        closed = False
        try:
            while True:
                chunk = os.read(fd, READ_CHUNK)
                if not chunk:  # every writer has closed the pipe
                    closed = True
                    break
                pending += chunk
                if len(chunk) < READ_CHUNK and not ready.poll(0):
                    break  # all there is for now
            taken = _cut_messages(pending, frames)
        except OSError:
            return
        if closed:
            return
        if taken:
            burst_read()
