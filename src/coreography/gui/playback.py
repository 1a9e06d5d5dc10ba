"""Pause and scrub the views while a run goes on, and choose slow motion for the next run.

Pausing stops only the views (a flag of the presenter): the run's events still go into
the model (nothing is lost, the run is not slowed), and the views catch up on resume.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

SPEEDS = (1.0, 5.0, 20.0)
SCRUB_STEPS = 1000


class PlaybackBar(QWidget):
    """[Pause view] [history slider] [time] [Slow motion ×1/×5/×20]."""

    sig_pause_toggled = Signal(bool)
    """The user paused (True) or resumed (False) the views."""
    sig_scrub_moved = Signal(float)
    """The user dragged through history; argument: fraction 0..1 of the paused run."""
    sig_speed_chosen = Signal(float)
    """The user chose a slow-motion factor for the next run; argument: the factor."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("playback")
        self.pause = QPushButton("Pause view")
        self.pause.setCheckable(True)
        self.pause.setAccessibleName("Pause view")
        self.pause.setToolTip(
            "Freeze the views while the run goes on, then drag back through its history (P)"
        )
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, SCRUB_STEPS)
        self.slider.setValue(SCRUB_STEPS)
        self.slider.setEnabled(False)
        self.slider.setAccessibleName("History")
        self.slider.setToolTip("While paused: drag (or use the arrow keys) to look back in time")
        self.position = QLabel("live")
        self.position.setAccessibleName("Position in the run")
        self.position.setMinimumWidth(self.fontMetrics().horizontalAdvance("paused at 000.00 s"))
        self.speed = QComboBox()
        for factor in SPEEDS:
            self.speed.addItem(f"×{factor:g}" if factor != 1 else "×1 (real time)", factor)
        self.speed.setAccessibleName("Slow motion")
        self.speed.setToolTip(
            "Slow motion for the next run: timed tasks take this many times longer, so a "
            "class can follow each one"
        )
        speed_label = QLabel("Slow motion")
        speed_label.setBuddy(self.speed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(self.pause)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.position)
        layout.addSpacing(12)
        layout.addWidget(speed_label)
        layout.addWidget(self.speed)
        self.pause.toggled.connect(self._on_pause_toggled)
        self.slider.valueChanged.connect(self._on_slider_value_changed)
        self.speed.activated.connect(self._on_speed_activated)

    def set_paused(self, paused: bool, seconds: float = 0.0) -> None:
        """Show the paused (or live) state without emitting anything."""
        self.pause.blockSignals(True)
        self.pause.setChecked(paused)
        self.pause.blockSignals(False)
        self.pause.setText("Resume" if paused else "Pause view")
        self.slider.blockSignals(True)
        self.slider.setValue(SCRUB_STEPS)
        self.slider.blockSignals(False)
        self.slider.setEnabled(paused)
        self.position.setText(f"paused at {seconds:.2f} s" if paused else "live")

    def show_position(self, seconds: float) -> None:
        self.position.setText(f"at {seconds:.2f} s")

    def show_speed(self, factor: float) -> None:
        """Reflect the experiment's own slow-motion factor (any value, not only presets)."""
        index = self.speed.findData(float(factor))
        if index < 0:
            self.speed.addItem(f"×{factor:g}", float(factor))
            index = self.speed.count() - 1
        self.speed.setCurrentIndex(index)

    def _on_pause_toggled(self, checked: bool) -> None:
        self.sig_pause_toggled.emit(checked)

    def _on_slider_value_changed(self, value: int) -> None:
        self.sig_scrub_moved.emit(value / SCRUB_STEPS)

    def _on_speed_activated(self, index: int) -> None:
        self.sig_speed_chosen.emit(float(self.speed.itemData(index)))


class ViewFreezer:
    """Pauses the views through the presenter's flag, and scrubs the paused timeline.

    The presenter still ticks and fills the run; the views skip their redraw while its
    ``paused`` flag is set and take in everything at once on resume.

    Parameters
    ----------
    presenter
        The window's presenter (its ``paused`` flag and run).
    timeline, cpu_view
        The views whose time range the slider moves.
    """

    def __init__(self, presenter, timeline, cpu_view) -> None:
        self.presenter = presenter
        self.timeline = timeline
        self.cpu_view = cpu_view
        self.paused_at = 0.0
        self._width = 1.0

    @property
    def paused(self) -> bool:
        return self.presenter.paused

    def pause(self) -> float:
        """Freeze the views where they are; returns the run time they show (seconds)."""
        if self.paused or self.presenter.run is None:
            return self.paused_at
        self.timeline.follow.setChecked(False)
        (x0, x1), _ = self.timeline.view_box.viewRange()
        self._width = max(x1 - x0, 1e-3)
        self.paused_at = float(self.timeline.item.now_s)
        self.presenter.set_paused(True)
        return self.paused_at

    def scrub(self, fraction: float) -> float:
        """Show the paused history with its right edge at ``fraction`` of it."""
        if not self.paused:
            return 0.0
        right = max(fraction, 0.0) * self.paused_at
        left = right - self._width
        if left < 0:
            left, right = -0.01 * self._width, self._width
        self.timeline.plot.setXRange(left, right, padding=0.0)
        self.cpu_view.plot.setXRange(max(left, 0.0), max(right, 1.0), padding=0.0)
        seconds = max(fraction, 0.0) * self.paused_at
        # The state at that time: bars, strips and arrows after it are not drawn.
        self.timeline.set_cut(seconds if seconds < self.paused_at else None)
        return seconds

    def resume(self) -> None:
        """Follow the run again, catching up with everything that arrived meanwhile."""
        if not self.paused:
            return
        run = self.presenter.run
        if run is not None:
            self.timeline.follow.setChecked(not run.is_over)
        self.timeline.set_cut(None)
        self.presenter.set_paused(False)
