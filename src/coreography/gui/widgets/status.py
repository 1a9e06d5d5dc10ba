"""The status bar's content: run state and cause, elapsed, events/s, events lost, backlog."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QWidget

from coreography.gui import theme
from coreography.gui.widgets.steady_label import SteadyLabel
from coreography.model.interference import measure_interference
from coreography.model.run import NO_TIME, Run

PROGRESS_INTERVAL_S = 0.25
#: While a run is live the labels are written this often at most (each new text lays
#: the status bar out again: about a millisecond, too dear for every frame).
LIVE_INTERVAL_S = 0.2
#: How often the status bar looks at other programs' share while a run is live.
MACHINE_INTERVAL_S = 1.0


class RunStatus(QWidget):
    """Labels for the status bar plus a progress bar (tasks done out of all)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run: Run | None = None
        self._progress_at = 0.0
        self.state = SteadyLabel()
        self.message = SteadyLabel()
        self.message.set_least_width(200)
        self.elapsed = SteadyLabel()
        self.rate = SteadyLabel()
        self.lost = SteadyLabel()
        #: Other programs' share of the machine, when noticeable (a run's figures suffer).
        self.machine = SteadyLabel()
        self.machine.setObjectName("machine_busy")
        self._machine_at = 0.0
        self._machine_version = -1
        self.lag = SteadyLabel()
        self.lag.setToolTip(
            "Lag: how old events are when the timeline shows them, from the moment their "
            "process stamped them (the slowest 1 % of the last second), or the age of the "
            "oldest event not shown yet. Backlog: frames received but not yet drawn (the "
            "view is behind if either grows)"
        )
        self._written_at = -float("inf")
        self._written_state = ""
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(260)
        # A percentage, not "%v / %m": QProgressBar repaints at once whenever its text
        # changes, which would be every tick.
        self.progress.setFormat("%p %")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        self.labels = (
            self.state,
            self.message,
            self.elapsed,
            self.rate,
            self.lost,
            self.machine,
            self.lag,
        )
        for label in self.labels:
            layout.addWidget(label)
        # The room left goes after the message (held live, the labels keep their size).
        layout.insertStretch(2, 1)

    def set_compact(self, compact: bool) -> None:
        """The presentation banner: state, tasks, elapsed time and warnings only (events,
        lag and the progress bar are for the one at the desk)."""
        for widget in (self.rate, self.lag, self.progress):
            widget.setVisible(not compact)
        self.message.set_least_width(0 if compact else 200)
        self.space_labels()

    def space_labels(self) -> None:
        """Figures set apart by an em of their own font (large in presentation mode)."""
        layout = self.layout()
        if layout is not None:
            layout.setSpacing(max(6, self.elapsed.fontMetrics().horizontalAdvance("M")))

    def show_idle(self) -> None:
        self._set_state("idle")
        self.message.setText("Choose an experiment and press Run (Space).")
        for label in (self.elapsed, self.rate, self.lost, self.machine, self.lag):
            label.setText("")
        self.machine.setToolTip("")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)

    def set_run(self, run: Run) -> None:
        self.run = run
        self._machine_at, self._machine_version = 0.0, -1
        self._written_at = -float("inf")
        self.progress.setRange(0, max(run.n_tasks, 1))
        self.progress.setValue(0)
        self.refresh(None)

    def refresh(self, presenter) -> None:
        run = self.run
        if run is None:
            return
        now = time.monotonic()
        if (
            presenter is not None
            and not run.is_over
            and run.state == self._written_state
            and now - self._written_at < LIVE_INTERVAL_S
        ):
            return
        self._written_at, self._written_state = now, run.state
        for label in self.labels:  # steady while live: new figures only repaint
            label.hold(presenter is not None and not run.is_over)
        self._set_state(run.state)
        experiment = run.experiment
        message = run.message if run.is_over else f"{experiment.model} · {experiment.workload}"
        done = run.n_done + run.n_failed
        self.message.setText(
            f"{done:,} / {run.n_tasks:,} tasks · " + message
            if message != run.state
            else f"{done:,} / {run.n_tasks:,} tasks"
        )
        if self.message.toolTip() != run.message:
            self.message.setToolTip(run.message)
        if run.end_ns != NO_TIME:
            elapsed = run.seconds(run.end_ns)
        elif run.is_over:
            elapsed = run.seconds(run.last_time())
        else:
            elapsed = run.seconds(time.perf_counter_ns())
        self.elapsed.setText(f"elapsed {elapsed:.2f} s")
        if presenter is not None and not run.is_over:
            self.rate.setText(f"{presenter.events_per_s:,.0f} events/s")
            lag = presenter.lag_s
            parts = [f"lag {lag * 1000:,.0f} ms"] if lag is not None else []
            if presenter.backlog:
                parts.append(f"backlog {presenter.backlog:,} frames")
            self.lag.setText(" · ".join(parts))
        else:
            self.rate.setText(f"{run.events_received():,} events")
            self.lag.setText("")
        lost = run.events_lost()
        self.lost.setText("lost: —" if lost is None else f"lost: {lost:,}")
        loss = run.describe_loss()
        if self.lost.toolTip() != loss:
            self.lost.setToolTip(loss)
        style = f"color: {theme.text_color(theme.FAILED_COLOR).name()}" if lost else ""
        if self.lost.styleSheet() != style:  # restyling is not free; most ticks change nothing
            self.lost.setStyleSheet(style)
        self._refresh_machine(run)
        # QProgressBar repaints synchronously on every new value: a few times a second.
        if run.is_over or now - self._progress_at >= PROGRESS_INTERVAL_S:
            self._progress_at = now
            self.progress.setValue(run.n_done + run.n_failed)

    def _refresh_machine(self, run: Run) -> None:
        """Say when other programs used a noticeable share of the machine: live about
        once a second, and for the whole run once it is over."""
        now = time.monotonic()
        if run.version == self._machine_version:
            return
        if not run.is_over and now - self._machine_at < MACHINE_INTERVAL_S:
            return
        self._machine_at, self._machine_version = now, run.version
        found = measure_interference(run)
        if found is None or not found.busy:
            self.machine.setText("")
            self.machine.setToolTip(found.statement() if found is not None else "")
            style = ""
        else:
            self.machine.setText(f"⚠ other programs {found.others:.0%} · speedup unreliable")
            self.machine.setToolTip(found.statement())
            style = f"color: {theme.text_color(theme.FAILED_COLOR).name()}"
        if self.machine.styleSheet() != style:
            self.machine.setStyleSheet(style)

    def _set_state(self, state: str) -> None:
        color = theme.text_color(theme.STATE_COLORS.get(state, theme.FOREGROUND)).name()
        if self.state.text() != f"● {state}":
            self.state.setText(f"● {state}")
            self.state.setStyleSheet(f"color: {color}; font-weight: bold")
