"""A series of experiments (a lesson's runs or a sweep) run one after another, live."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from coreography.engine.sweep import SweepPoint as SeriesPoint
from coreography.gui.presenter import Presenter
from coreography.model.experiment import Experiment
from coreography.model.run import Run


class RunSeries(QObject):
    """Starts each experiment through the window's presenter once the previous one is over.

    Every run is shown live in the window like any other. :meth:`stop` ends the current
    run and starts no other; the runs already over stay in :attr:`points`.

    Parameters
    ----------
    presenter
        The window's presenter; its ``sig_run_ended`` moves the series on.
    start
        Starts one experiment and returns its run (None if it could not start: the
        series then ends).
    runs
        (label, experiment) pairs, in order.
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
    ) -> None:
        super().__init__(parent)
        self.presenter = presenter
        self._start = start
        self.runs = list(runs)
        self.points: list[SeriesPoint] = []
        self.current: Run | None = None
        self.stopped = False
        self.done = False
        self._next = 0
        presenter.sig_run_ended.connect(self._on_presenter_run_ended)

    @property
    def total(self) -> int:
        return len(self.runs)

    @property
    def current_label(self) -> str:
        return self.runs[self._next - 1][0] if self.current is not None else ""

    def begin(self) -> None:
        self._start_next()

    def stop(self) -> None:
        """End the current run now; the points already measured stay."""
        self.stopped = True
        if self.current is not None:
            self.presenter.stop()  # its end arrives through sig_run_ended
        elif not self.done:
            self._finish()

    def cancel(self) -> None:
        """Forget the series without touching the engine (the window is closing)."""
        self.stopped = True
        self.done = True
        self.current = None
        self.presenter.sig_run_ended.disconnect(self._on_presenter_run_ended)

    def finished_points(self) -> list[SeriesPoint]:
        """The points whose run finished normally (what a chart shows)."""
        return [point for point in self.points if point.finished]

    def _start_next(self) -> None:
        if self.done:
            return
        if self.stopped or self._next >= self.total:
            self._finish()
            return
        _label, experiment = self.runs[self._next]
        self._next += 1
        run = self._start(experiment)
        if run is None:
            self.stopped = True
            self._finish()
            return
        self.current = run

    def _on_presenter_run_ended(self, run: Run) -> None:
        if run is not self.current or self.done:
            return
        label, experiment = self.runs[self._next - 1]
        self.points.append(SeriesPoint(label, experiment, run))
        self.current = None
        self.sig_series_progressed.emit(self)
        # Start the next run once the presenter has finished with this one.
        QTimer.singleShot(0, self, self._start_next)

    def _finish(self) -> None:
        self.done = True
        self.current = None
        self.presenter.sig_run_ended.disconnect(self._on_presenter_run_ended)
        self.sig_series_finished.emit(self)
