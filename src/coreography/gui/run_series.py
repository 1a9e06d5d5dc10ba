"""A series of experiments (a lesson's runs or a sweep) run one after another, live.

The series itself is the engine's :class:`~coreography.engine.sweep.Sweep`; this adapter
starts each point through the window's presenter, so every run is shown live.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from coreography.gui.presenter import Presenter
from coreography.model.experiment import Experiment
from coreography.model.run import Run
from coreography.model.series import PointSummary

if TYPE_CHECKING:  # the engine's series loads with the first series, not the window
    from coreography.engine.sweep import SweepPoint as SeriesPoint

__all__ = ["RunSeries", "SeriesPoint"]


def __getattr__(name: str):
    if name == "SeriesPoint":
        from coreography.engine.sweep import SweepPoint

        return SweepPoint
    raise AttributeError(name)


class RunSeries(QObject):
    """Starts each experiment through the window's presenter once the previous one is over.

    Every run is shown live in the window like any other. :meth:`stop` ends the current
    run and starts no other; the runs already over (the stopped one too) stay in
    :attr:`points`.

    Parameters
    ----------
    presenter
        The window's presenter; its ``sig_run_ended`` moves the series on.
    start
        Starts one experiment and returns its run (None if it could not start: the
        series then ends).
    runs
        (label, experiment) pairs, in order; a bad experiment raises ExperimentError here,
        before anything runs.
    repeats
        Runs of each pair, round by round; repeats share their label.
    """

    sig_series_progressed = Signal(object)
    """A run of the series is over; argument: the series."""
    sig_series_finished = Signal(object)
    """Nothing more will run (all done, stopped, or a start failed); argument: the series."""

    def __init__(
        self,
        presenter: Presenter,
        start: Callable[[Experiment], Run | None],
        runs: list[tuple[str, Experiment]],
        parent: QObject | None = None,
        repeats: int = 1,
    ) -> None:
        super().__init__(parent)
        experiments, labels = [e for _label, e in runs], [label for label, _e in runs]
        from coreography.engine.sweep import Sweep

        self.sweep = Sweep(experiments, labels, repeats=repeats)
        self.presenter = presenter
        self._start = start
        self._finished = False
        presenter.sig_run_ended.connect(self._on_presenter_run_ended)

    # -- the sweep's state ----------------------------------------------------------
    @property
    def points(self) -> list[SeriesPoint]:
        return self.sweep.points

    @property
    def current(self) -> Run | None:
        return self.sweep.current

    @property
    def stopped(self) -> bool:
        return self.sweep.stopped

    @property
    def done(self) -> bool:
        """Nothing more will run and the series said so."""
        return self._finished

    @property
    def total(self) -> int:
        return self.sweep.total

    @property
    def current_label(self) -> str:
        return self.sweep.current_label or ""

    @property
    def current_repeat(self) -> int:
        return self.sweep.current_repeat

    @property
    def repeats(self) -> int:
        return self.sweep.repeats

    def finished_points(self) -> list[SeriesPoint]:
        """The runs that finished normally (what a chart shows), repeats included."""
        return self.sweep.finished_points()

    def summary(self) -> list[PointSummary]:
        """Each point's repeats so far: median, range, speedup against one baseline."""
        return self.sweep.summary()

    # -- commands -------------------------------------------------------------------
    def begin(self) -> None:
        self._start_next()

    def stop(self) -> None:
        """End the current run now; the points already measured stay."""
        self.sweep.stop_after_current()
        if self.current is not None:
            self.presenter.stop()  # its end arrives through sig_run_ended
        else:
            self._start_next()  # nothing runs: the series ends

    def cancel(self) -> None:
        """Forget the series without touching the engine (the window is closing)."""
        self.sweep.stop()  # it has no controller of its own to shut down
        self._disconnect()

    def _start_next(self) -> None:
        if self._finished:
            return
        if self.sweep.start_next(self._start) is None:
            self._disconnect()
            self.sig_series_finished.emit(self)

    def _on_presenter_run_ended(self, run: Run) -> None:
        if run is not self.current or self._finished:
            return
        self.sweep.keep_current()
        self.sig_series_progressed.emit(self)
        # Start the next run once the presenter has finished with this one.
        QTimer.singleShot(0, self, self._start_next)

    def _disconnect(self) -> None:
        if not self._finished:
            self._finished = True
            self.presenter.sig_run_ended.disconnect(self._on_presenter_run_ended)
