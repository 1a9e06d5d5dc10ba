"""Sweeps: a series of experiments run one after another, from a timer or blocking.

The one implementation of a series: the CLI drives it with :meth:`Sweep.step`; the
window's series drives it through its presenter with :meth:`Sweep.start_next` and
:meth:`Sweep.keep_current`, so that every run is shown live.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from coreography.engine.controller import RunController
from coreography.model.experiment import Experiment
from coreography.model.repeats import repeat_runs
from coreography.model.run import FINISHED, Run
from coreography.model.series import PointSummary, summarize


@dataclass(frozen=True)
class SweepPoint:
    """One experiment of the sweep and the run it produced (over, whatever its end)."""

    label: str
    experiment: Experiment
    run: Run
    repeat: int = 1  # which run of its point (1..repeats)

    @property
    def finished(self) -> bool:
        return self.run.state == FINISHED


class Sweep:
    """Run experiments one at a time through one :class:`RunController`.

    Drive it with :meth:`step` from a timer (each call polls the current run and starts
    the next when it is over) or call :meth:`run_all` to block until the end.
    :meth:`stop` ends the current run; the points already measured are kept.

    Whoever runs the experiments in its own way (a window's presenter) calls
    :meth:`start_next` with its own start function and :meth:`keep_current` when that
    run is over; no controller is made then.

    Parameters
    ----------
    experiments
        What to run, in order.
    labels
        One label per experiment (default: ``"run 1"``, ``"run 2"``, ...).
    controller
        The controller :meth:`step` uses; by default the sweep makes (and shuts down)
        its own, on first use.
    on_progress
        Called with the sweep after each point is added and when the sweep ends.
    on_run_started
        Called with each new :class:`Run` as it starts (a window can show it live).
    repeats
        Runs of each experiment (default 1), round by round
        (:func:`coreography.model.series.repeat_runs`); repeats share their label, and
        :meth:`summary` gives each point's median and range.
    """

    def __init__(
        self,
        experiments: Sequence[Experiment],
        labels: Sequence[str] | None = None,
        controller: RunController | None = None,
        on_progress: Callable[[Sweep], None] | None = None,
        on_run_started: Callable[[Run], None] | None = None,
        repeats: int = 1,
    ) -> None:
        if labels is not None and len(labels) != len(experiments):
            raise ValueError("give one label per experiment")
        for experiment in experiments:
            experiment.validate()  # refuse a bad point before anything starts
        labels = list(labels) if labels else [f"run {i + 1}" for i in range(len(experiments))]
        planned = repeat_runs(list(zip(labels, experiments, strict=True)), repeats)
        self.repeats = len(planned) // max(len(experiments), 1) if experiments else 1
        self.experiments = [experiment for _label, experiment in planned]
        self.labels = [label for label, _experiment in planned]
        self.points_planned = len(experiments)
        self._own_controller = controller is None
        self._controller = controller
        self.on_progress = on_progress
        self.on_run_started = on_run_started
        self.points: list[SweepPoint] = []
        self.current: Run | None = None
        self.stopped = False
        self._next = 0
        self._closed = False

    @classmethod
    def over(cls, base: Experiment, field: str, values: Iterable[int], **options: Any) -> Sweep:
        """A sweep of ``base`` with ``field`` set to each of ``values`` (e.g. workers)."""
        values = list(values)
        experiments = [base.replace(**{field: value}) for value in values]
        labels = [f"{field} = {value}" for value in values]
        return cls(experiments, labels, **options)

    # -- state ---------------------------------------------------------------------------
    @property
    def controller(self) -> RunController:
        if self._controller is None:
            self._controller = RunController(standby=True)
        return self._controller

    @property
    def closed(self) -> bool:
        """The sweep has ended for good (its last progress report was made)."""
        return self._closed

    @property
    def total(self) -> int:
        return len(self.experiments)

    @property
    def done(self) -> bool:
        """Nothing more will run: every point measured, or stopped."""
        return self.current is None and (self.stopped or self._next >= self.total)

    @property
    def current_label(self) -> str | None:
        return self.labels[self._next - 1] if self.current is not None else None

    @property
    def current_repeat(self) -> int:
        """Which run of its point the current run is (1..repeats; 0 when none runs)."""
        if self.current is None:
            return 0
        return (self._next - 1) // max(self.points_planned, 1) + 1

    # -- driving -------------------------------------------------------------------------
    def step(self, budget: int = 5000) -> bool:
        """Poll the current run; when it is over, keep it and start the next.

        Returns True while the sweep has more to do (call again on the next tick).
        """
        if self.current is not None:
            self.controller.poll(budget)
            if self.controller.running:
                return True
            self.keep_current()
        return self.start_next(self.controller.start) is not None

    def start_next(self, start: Callable[[Experiment], Run | None]) -> Run | None:
        """Start the next point with ``start``; None when nothing more will run (the
        sweep is then closed). A ``start`` that returns None stops the sweep."""
        if self.current is not None:
            raise RuntimeError("the current run is not over")
        if self.stopped or self._next >= self.total:
            self._close()
            return None
        experiment = self.experiments[self._next]
        self._next += 1
        run = start(experiment)
        if run is None:
            self.stopped = True
            self._close()
            return None
        self.current = run
        if self.on_run_started is not None:
            self.on_run_started(run)
        return run

    def keep_current(self) -> SweepPoint:
        """The current run is over, whatever its end: keep it as a measured point."""
        run = self.current
        if run is None:
            raise RuntimeError("no run to keep")
        index = self._next - 1
        repeat = index // max(self.points_planned, 1) + 1
        point = SweepPoint(self.labels[index], self.experiments[index], run, repeat)
        self.points.append(point)
        self.current = None
        if self.on_progress is not None:
            self.on_progress(self)
        return point

    def stop_after_current(self) -> None:
        """Start no other point; the current run (if any) ends as its driver ends it."""
        self.stopped = True

    def run_all(self, timeout: float | None = None, tick: float = 0.05) -> list[SweepPoint]:
        """Block until every point is measured (or ``timeout`` seconds pass: then stop).

        Returns the points measured.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.step(budget=100_000):
            if deadline is not None and time.monotonic() > deadline:
                self.stop()
                break
            if self.controller.running:
                time.sleep(tick)
        return self.points

    def stop(self) -> None:
        """End the current run now and start no other; the finished points stay.

        The stopped run itself is not a measured point.
        """
        self.stopped = True
        if self.current is not None:
            if self._controller is not None:
                self._controller.shutdown()
            self.current = None
        self._close()

    def finished_points(self) -> list[SweepPoint]:
        """The runs that finished normally (what a chart should show), repeats included."""
        return [point for point in self.points if point.finished]

    def summary(self) -> list[PointSummary]:
        """Each point's repeats so far: median, range, speedup against the one baseline."""
        return summarize([(point.label, point.run) for point in self.points])

    # -- internals -----------------------------------------------------------------------
    def _close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._own_controller and self._controller is not None:
            self._controller.shutdown()
        if self.on_progress is not None:
            self.on_progress(self)
