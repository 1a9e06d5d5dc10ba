"""The presenter: drains the engine into the run model and lets the views redraw.

A tick (drain, apply, redraw once) follows what arrives: the engine's reader wakes the
presenter after each burst of frames, and the tick runs at once unless the last one was
less than a frame ago (then when that frame is over), so a new event is on screen one
frame after it came, and a stream of them is drawn at most ~MAX_FPS times a second. With
nothing arriving a slow heartbeat still ticks: running bars grow, the clock runs, samples
come in and the run's end is noticed.
"""

from __future__ import annotations

import math
import time
from typing import Any, Protocol

from PySide6.QtCore import QObject, QTimer, Signal

from coreography.gui.gc_pacer import GcPacer
from coreography.gui.shown_lag import ShownLag
from coreography.model.experiment import Experiment
from coreography.model.run import Run

#: With nothing arriving, a tick this often (and this long after the last one).
TICK_MS = 40
#: Least time between two ticks while events stream in: at most 1000 / FRAME_MS frames a
#: second, however often they arrive.
FRAME_MS = 25
#: ...and making frames (a tick and the paint after it, in CPU time of this thread) may
#: take at most this share of a core: where frames are dear (a huge run, a slow
#: machine), each waits longer and takes in more, instead of the window falling behind.
FRAME_SHARE = 1 / 3
#: The longest wait between frames while events stream in, however busy the machine.
MAX_FRAME_S = 0.1
FRAME_BUDGET = 5000  # most frames applied per tick; the rest waits (a backlog is shown)
MIN_BUDGET = 100
#: Time one tick may spend applying frames: the budget adapts to what a frame costs, so
#: a flood of printed lines slows the catching up, never the window.
POLL_TARGET_S = 0.012


class Controller(Protocol):
    """What the presenter needs of :class:`coreography.engine.controller.RunController`."""

    run: Run | None

    @property
    def running(self) -> bool: ...
    def start(self, experiment: Experiment) -> Run: ...
    def poll(self, budget: int = ...) -> bool: ...
    def stop(self) -> None: ...
    def shutdown(self) -> None: ...


class PlugInController(Protocol):
    """A controller of another kind of run (e.g. a traced script): started with its own
    request, then polled, stopped and shut down as the experiments' controller is."""

    @property
    def run(self) -> Run | None: ...
    @property
    def running(self) -> bool: ...
    def start(self, request: Any) -> Run: ...
    def poll(self, budget: int = ...) -> bool: ...
    def stop(self) -> None: ...
    def shutdown(self) -> None: ...


class Presenter(QObject):
    """Owns the controller and the timer; views connect to its signals and read the run.

    Views redraw from the model on ``sig_run_ticked``; nothing here creates plot items.
    """

    sig_run_started = Signal(object)
    """A run is shown from now on (a live run or a recording); argument: the Run."""
    sig_run_ticked = Signal(object)
    """Once per timer tick while a run is live, after the model took in new events;
    argument: the Run."""
    sig_run_ended = Signal(object)
    """The live run is over (finished, failed or stopped); argument: the Run."""
    sig_pause_changed = Signal(bool)
    """The views were paused (True) or resumed (False); the model keeps taking events."""
    _sig_frames_arrived = Signal()
    """(Private) the engine's reader thread received frames; queued to this thread."""

    def __init__(self, controller: Controller | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self._default: Controller | None = controller  # experiments
        self._controller: PlugInController | None = controller  # the shown run's
        self.run: Run | None = None
        #: The heartbeat: active exactly while a run is live here.
        self.heartbeat_ms = TICK_MS
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._on_timer_timeout)
        #: The tick that waits for the end of the current frame (events came too soon).
        self._next_frame = QTimer(self)
        self._next_frame.setSingleShot(True)
        self._next_frame.timeout.connect(self._on_next_frame_timeout)
        self._sig_frames_arrived.connect(self._on_frames_arrived)
        self._wake_pending = False
        self._ticked_at = -math.inf
        self._frame_began: float | None = None  # the tick whose paint is awaited
        self._frame_ended = 0.0  # this thread's CPU time when that tick itself was over
        self.frame_cost_s = 0.0  # a frame's CPU time, tick to painted (smoothed)
        self.frame_s = FRAME_MS / 1000.0
        self.ticks = 0
        self.events_per_s = 0.0
        self._rate_mark = (time.monotonic(), 0)
        self.backlog = 0
        self.shown = ShownLag()
        self.budget = FRAME_BUDGET
        self.gc = GcPacer()
        self._ended = True  # sig_run_ended was sent for the current run (or none is live)
        self.paused = False  # views hold still; the run and the model go on

    @property
    def controller(self) -> Controller:
        """The controller of experiments (made on first use)."""
        if self._default is None:
            # Imported on first use: the window paints before the engine is loaded.
            from coreography.engine.controller import RunController

            self._default = RunController(sample_hz=10.0, standby=True)
        if self._controller is None:
            self._controller = self._default
        return self._default

    @property
    def lag_s(self) -> float | None:
        """How far behind the live run the window is (seconds): the slowest 1 % of the
        events the timeline painted over the last second (their age from the worker's
        stamp to the paint), or the oldest event not shown yet, whichever is greater.
        A controller that cannot say when events arrived gives its own figure."""
        controller = self._controller
        waiting = getattr(controller, "oldest_waiting_ns", None) if self.live else None
        lag = self.shown.lag_s(time.perf_counter_ns(), waiting)
        if lag is None and controller is not None:
            return getattr(controller, "lag_s", None)
        return lag

    def frame_painted(self) -> None:
        """The timeline finished painting a frame: what was applied is on screen now."""
        self.shown.painted(time.perf_counter_ns())
        if self._frame_began is not None:
            self._frame_took(time.thread_time() - self._frame_began)
            self._frame_began = None

    def _frame_took(self, seconds: float) -> None:
        """Pace the frames by what they cost (see FRAME_SHARE)."""
        self.frame_cost_s += (seconds - self.frame_cost_s) * 0.3
        least = FRAME_MS / 1000.0
        self.frame_s = min(max(least, self.frame_cost_s / FRAME_SHARE), MAX_FRAME_S)

    @property
    def live(self) -> bool:
        """True while the engine still owns processes of the run shown here (the run may
        already say "finished" while its last processes are being reaped)."""
        controller = self._controller
        return (
            self.run is not None
            and controller is not None
            and (controller.run is self.run and controller.running)
        )

    # -- commands -------------------------------------------------------------------
    def set_paused(self, paused: bool) -> None:
        """Freeze the views (they skip their per-tick redraw) or let them catch up.

        Ticks go on either way: nothing is lost and the run is not slowed.
        """
        if paused == self.paused:
            return
        self.paused = paused
        self.sig_pause_changed.emit(paused)

    def start(self, experiment: Experiment) -> Run:
        """Start ``experiment``; raises ExperimentError for a bad configuration."""
        return self.start_with(self.controller, experiment)

    def start_with(self, controller: PlugInController, request: Any) -> Run:
        """Start ``request`` on ``controller`` (the experiments' one, or a plug-in's such
        as a traced script's); ticks, Stop and shutdown go to it while its run is shown.
        Raises what ``controller.start`` raises."""
        if self.live:
            raise RuntimeError("a run is already in progress")
        if hasattr(controller, "on_arrival"):  # wake up when frames come
            controller.on_arrival = self._wake
        run = controller.start(request)
        self._controller = controller
        self.run = run
        was_paused, self.paused = self.paused, False  # a new run is shown live
        self._ended = False
        self._rate_mark = (time.monotonic(), 0)
        self.events_per_s = 0.0
        self.shown.reset()
        self.sig_run_started.emit(run)
        if was_paused:
            self.sig_pause_changed.emit(False)
        self.gc.start()
        self.frame_cost_s, self.frame_s, self._frame_began = 0.0, FRAME_MS / 1000.0, None
        self.timer.start(self.heartbeat_ms)
        return run

    def stop(self) -> None:
        if self._controller is not None and self._controller.running:
            self._controller.stop()
            self.tick()

    def show_run(self, run: Run) -> None:
        """Show a finished run (a recording); any live run is stopped first."""
        self.shutdown()
        self.run = run
        was_paused, self.paused = self.paused, False
        self._ended = True
        self.sig_run_started.emit(run)
        if was_paused:
            self.sig_pause_changed.emit(False)
        self.sig_run_ticked.emit(run)

    def shutdown(self) -> None:
        """End any live run and every process it has (window close)."""
        self.timer.stop()
        self._next_frame.stop()
        self.gc.stop()
        if self._default is not None and self._default is not self._controller:
            self._default.shutdown()
        if self._controller is not None:
            was_live = self.live
            self._controller.shutdown()
            if was_live and self.run is not None and not self._ended:
                self._ended = True
                self.sig_run_ticked.emit(self.run)
                self.sig_run_ended.emit(self.run)

    # -- the tick -------------------------------------------------------------------
    def _wake(self) -> None:
        """Frames arrived (called from the engine's reader thread): tick soon. Until that
        tick has begun no other wake-up is sent: it takes whatever came meanwhile."""
        if not self._wake_pending:
            self._wake_pending = True
            self._sig_frames_arrived.emit()

    def _on_frames_arrived(self) -> None:
        if not self.timer.isActive():  # no live run here (any more)
            self._wake_pending = False
            return
        wait = self._ticked_at + self.frame_s - time.monotonic()
        if wait <= 0:
            self.tick()
        elif not self._next_frame.isActive():
            self._next_frame.start(max(math.ceil(wait * 1000), 1))

    def tick(self) -> None:
        """Drain the engine once (within the budget), then let the views redraw."""
        run = self.run
        controller = self._controller
        self._next_frame.stop()
        # Cleared before draining: frames that come from now on wake the next tick.
        self._wake_pending = False
        if run is None or controller is None:
            self.timer.stop()
            return
        self.ticks += 1
        self._ticked_at = time.monotonic()
        if self._frame_began is not None:  # the last tick painted nothing: its own cost
            self._frame_took(self._frame_ended - self._frame_began)
        self._frame_began = time.thread_time()
        if controller.run is run and controller.running:
            self._poll(controller)
            self.shown.applied(getattr(controller, "applied_ns", _NONE))
        self.backlog = int(getattr(controller, "backlog", 0))
        self._measure_rate(run)
        self.gc.tick()
        self.sig_run_ticked.emit(run)  # the views may paint at once (frame_painted)
        if self._frame_began is not None:  # the paint comes later, or never
            self._frame_ended = time.thread_time()
        if run.is_over and not self.live:
            self.timer.stop()
            self.gc.stop()
            if not self._ended:
                self._ended = True
                self.sig_run_ended.emit(run)
        elif self.timer.isActive():  # the heartbeat counts from the last tick
            self.timer.start(max(self.heartbeat_ms, round(self.frame_s * 1000)))
        if self.backlog and self.timer.isActive():
            self._next_frame.start(max(round(self.frame_s * 1000), 1))  # catch up
        if hasattr(controller, "next_frame_at"):  # its reader wakes in time for that
            controller.next_frame_at = self._ticked_at + self.frame_s

    def _poll(self, controller: PlugInController) -> None:
        waiting = int(getattr(controller, "backlog", 0))
        start = time.perf_counter()
        controller.poll(budget=self.budget)
        spent = time.perf_counter() - start
        taken = min(waiting, self.budget)
        if taken >= MIN_BUDGET:  # enough frames to say what one costs
            per_frame = spent / taken
            self.budget = int(min(max(POLL_TARGET_S / per_frame, MIN_BUDGET), FRAME_BUDGET))

    def _measure_rate(self, run: Run) -> None:
        now = time.monotonic()
        mark_t, mark_events = self._rate_mark
        if now - mark_t >= 0.5:
            received = run.events_received()
            self.events_per_s = (received - mark_events) / (now - mark_t)
            self._rate_mark = (now, received)

    def _on_timer_timeout(self) -> None:
        self.tick()

    def _on_next_frame_timeout(self) -> None:
        self.tick()


_NONE: tuple[()] = ()
