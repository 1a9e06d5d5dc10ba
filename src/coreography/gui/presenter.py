"""The presenter: the one timer that drains the engine into the run model and redraws."""

from __future__ import annotations

import time
from typing import Any, Protocol

from PySide6.QtCore import QObject, QTimer, Signal

from coreography.gui.gc_pacer import GcPacer
from coreography.model.experiment import Experiment
from coreography.model.run import Run

TICK_MS = 33  # ~30 Hz
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

    def __init__(self, controller: Controller | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self._default: Controller | None = controller  # experiments
        self._controller: PlugInController | None = controller  # the shown run's
        self.run: Run | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._on_timer_timeout)
        self.ticks = 0
        self.events_per_s = 0.0
        self._rate_mark = (time.monotonic(), 0)
        self.backlog = 0
        self.lag_s: float | None = None  # newest event's age: how far behind live the view is
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
        run = controller.start(request)
        self._controller = controller
        self.run = run
        was_paused, self.paused = self.paused, False  # a new run is shown live
        self._ended = False
        self._rate_mark = (time.monotonic(), 0)
        self.events_per_s = 0.0
        self.sig_run_started.emit(run)
        if was_paused:
            self.sig_pause_changed.emit(False)
        self.gc.start()
        self.timer.start()
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
    def tick(self) -> None:
        """Drain the engine once (within the budget), then let the views redraw."""
        run = self.run
        controller = self._controller
        if run is None or controller is None:
            self.timer.stop()
            return
        self.ticks += 1
        if controller.run is run and controller.running:
            self._poll(controller)
        self.backlog = int(getattr(controller, "backlog", 0))
        self.lag_s = getattr(controller, "lag_s", None)
        self._measure_rate(run)
        self.sig_run_ticked.emit(run)
        self.gc.tick()
        if run.is_over and not self.live:
            self.timer.stop()
            self.gc.stop()
            if not self._ended:
                self._ended = True
                self.sig_run_ended.emit(run)

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
