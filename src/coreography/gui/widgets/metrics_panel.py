"""The metrics panel: wall and CPU time, speedup, efficiency, start-up, per-worker use."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget

from coreography.gui import theme
from coreography.gui.widgets.utilization_bars import BarRow, UtilizationBars
from coreography.model.run import Run

LIVE_INTERVAL_S = 0.5  # metrics scan every task; twice a second is plenty live
LIVE_SHARE = 0.01  # ...and live updates may take at most this share of a core

#: (field of RunMetrics, label, tooltip)
FIELDS = (
    ("wall_s", "Wall time", "From the run's start to its end (or now)"),
    (
        "cpu_s",
        "CPU time",
        "CPU seconds used by the experiment's processes: each one's own figure when it "
        "ended, what the sampler saw it use while it runs (— while nothing measured it)",
    ),
    (
        "sequential_s",
        "Sequential estimate",
        "One worker doing it all: the finished tasks' own CPU time (CPU work), their "
        "waits (io), else their durations",
    ),
    (
        "speedup",
        "Speedup",
        "Sequential baseline ÷ wall time: a measured one-worker run where a lesson or "
        "sweep has one, else the sequential estimate (marked estimated)",
    ),
    ("efficiency", "Efficiency", "Speedup ÷ parallel workers"),
    ("startup_mean_s", "Start-up (mean)", "Worker start requested → worker ready"),
    ("startup_max_s", "Start-up (max)", "The slowest worker's start-up"),
    ("idle_s", "Idle (workers)", "Time workers were alive but had no task, summed"),
    ("tasks_done", "Tasks done", "Tasks that returned"),
    ("tasks_failed", "Tasks failed", "Tasks that raised or whose worker died"),
    ("events_received", "Events received", "Events the app received from the experiment"),
    ("events_lost", "Events lost", "Events produced but never received (— while unknown)"),
    (
        "others_share",
        "Other programs",
        "Share of the whole machine that programs outside the experiment used during the "
        "run (— if not measured); above 15 % speedup and efficiency are not reliable",
    ),
)
#: Figures that other programs' CPU use makes unreliable.
TIMING_FIELDS = ("speedup", "efficiency")
_TIPS = {name: tip for name, _label, tip in FIELDS}


def format_value(name: str, value: object) -> str:
    """How the panel writes one metric (tests compare against this)."""
    if value is None:
        return "—"
    if isinstance(value, float) and value != value:
        return "—"
    if name.endswith("_s"):
        seconds = float(value)  # type: ignore[arg-type]
        return f"{seconds * 1000:.1f} ms" if abs(seconds) < 1 else f"{seconds:.3f} s"
    if name == "speedup":
        return f"{float(value):.2f}×"  # type: ignore[arg-type]
    if name in ("efficiency", "others_share"):
        return f"{float(value) * 100:.0f} %"  # type: ignore[arg-type]
    return f"{int(value):,}"  # type: ignore[call-overload]


def metric(metrics, name: str) -> object:
    """One figure of a RunMetrics, including the few the panel derives from its lanes."""
    if name == "idle_s":
        idle = [lane.idle_s for lane in metrics.lanes if lane.role != "main"]
        return sum(idle) if idle else None
    return getattr(metrics, name)


BARS_NOTE = "Per-worker utilization (busy ÷ alive)"
BARS_NOTE_STATES = "Per-worker utilization: on a CPU ÷ alive (light: a task was open)"


def bar_rows(run: Run, metrics) -> list[BarRow]:
    """The bars of ``metrics``' lanes (the driver's only when it ran tasks); with thread
    states, each says how much of its task time it spent in each state."""
    from coreography.model.thread_states import ThreadState, lane_states, lock_is_gil, state_label

    states = lane_states(run) if any(x.on_cpu_share is not None for x in metrics.lanes) else None
    gil = lock_is_gil(run.experiment)
    rows = []
    for number, lane in enumerate(metrics.lanes):
        if lane.role == "main" and lane.tasks == 0:
            continue  # the driver only hands out work in most models
        info = next((x for x in run.lanes if x.label == lane.label), None)
        color = theme.lane_color(
            info.number - 1 if info else number, info.role if info else "worker"
        )
        detail = (
            f"{lane.tasks} tasks, busy {format_value('busy_s', lane.busy_s)}, "
            f"idle {format_value('idle_s', lane.idle_s)}, "
            f"start-up {format_value('startup_s', lane.startup_s)}"
        )
        busy_share = None
        if lane.on_cpu_share is not None:
            life = lane.busy_s + lane.idle_s
            busy_share = lane.busy_s / life if life > 0 else None
            mine = states[number] if states is not None and number < len(states) else None
            shares = [
                f"{state_label(state, gil)} {share:.0%}"
                for state in ThreadState
                if mine is not None and (share := mine.share(state) or 0.0) >= 0.005
            ]
            detail += (
                f"\nOf its task time: {', '.join(shares)}"
                if shares
                else f"\nOn a CPU {lane.on_cpu_share:.0%} of its task time"
            )
        rows.append(
            BarRow(lane.label, lane.utilization, color, detail, busy_share, lane.on_cpu_share)
        )
    return rows


def _restyle(label: QLabel, style: str) -> None:
    if label.styleSheet() != style:  # restyling is not free; most refreshes change nothing
        label.setStyleSheet(style)


def busy_text(metrics) -> str:
    """The warning for a run that shared the machine ('' when it did not)."""
    if not metrics.machine_busy or metrics.others_share is None:
        return ""
    return (
        f"⚠ Other programs used {metrics.others_share:.0%} of the machine during this run: "
        "speedup and efficiency are not reliable."
    )


class MetricsPanel(QWidget):
    """Shows :func:`compute_metrics` of the run: live a few times a second, final at the end."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run: Run | None = None
        self.metrics = None
        self.baseline: tuple | None = None  # (work key, Baseline) of the current series
        self.values: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        # A narrow dock (large fonts on a small screen) puts a figure under its name
        # rather than cutting either off.
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        for name, label, tip in FIELDS:
            value = QLabel("—")
            # "1.49× (estimated)" breaks after the figure rather than being cut off in a
            # narrow dock (presentation fonts at 1280×720).
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setToolTip(tip)
            title = QLabel(label)
            title.setToolTip(tip)
            form.addRow(title, value)
            self.values[name] = value
        #: Said when other programs used a noticeable share of the machine during the run.
        self.busy_note = QLabel()
        self.busy_note.setWordWrap(True)
        self.busy_note.setObjectName("busy_machine_note")
        self.busy_note.hide()
        self.bars = UtilizationBars()
        self.note = QLabel(BARS_NOTE)
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.busy_note)
        layout.addLayout(form)
        layout.addSpacing(6)
        layout.addWidget(self.note)
        layout.addWidget(self.bars)
        layout.addStretch(1)
        self._computed_at = 0.0
        self._cost = 0.0
        self._version = -1
        self._speedup_tip = ""  # the measured baseline's description, when one applies

    def set_baseline(self, key: tuple | None, baseline=None) -> None:
        """Runs of this work (``model.speedup.work_key``) are measured against
        ``baseline`` (their series' measured one); None: each run against its estimate."""
        self.baseline = (key, baseline) if key is not None and baseline is not None else None
        self._version = -1
        self.refresh(force=True)

    def _show_speedup(self, run: Run, metrics, texts: dict[str, str]) -> None:
        from coreography.model.speedup import speedup_against, work_key

        self._speedup_tip = ""
        if self.baseline is not None and self.baseline[0] == work_key(run.experiment):
            result = speedup_against(metrics.wall_s, metrics.parallel_workers, self.baseline[1])
            speedup, efficiency = result.value, result.efficiency
            short = {"one-worker run": "1 worker", "sequential run": "sequential"}
            source = result.baseline.source
            against = f" vs {short.get(source, source)}" if not result.estimated else " (estimated)"
            self._speedup_tip = result.baseline.describe()
        else:  # a run alone has only its own estimate
            speedup, efficiency, against = metrics.speedup, metrics.efficiency, " (estimated)"
        text = format_value("speedup", speedup)
        texts["speedup"] = text + (against if speedup is not None else "")
        texts["efficiency"] = format_value("efficiency", efficiency)

    def _show_reliability(self, metrics, texts: dict[str, str]) -> None:
        """Mark speedup and efficiency unreliable on a busy machine, and say why a
        speedup is missing when it cannot be measured; then write every figure (each
        label once: a label written twice lays the panel out twice)."""
        warning = busy_text(metrics)
        self.busy_note.setText(warning)
        style = f"color: {theme.FAILED_COLOR}" if warning else ""
        _restyle(self.busy_note, style)
        self.busy_note.setVisible(bool(warning))
        for name in (*TIMING_FIELDS, "others_share"):
            label = self.values[name]
            text, tip = texts[name], _TIPS[name]
            if name == "speedup" and self._speedup_tip:
                tip = self._speedup_tip  # the series' measured baseline, in full
            # Too little work has no speedup on any machine: say that first, busy or not.
            if name in TIMING_FIELDS and metrics.speedup_note:
                text = "not measurable"
                tip = f"{metrics.speedup_note}\n\n{tip}"
            elif warning and name in TIMING_FIELDS and metric(metrics, name) is not None:
                text += " (unreliable)"
            if warning:
                tip = f"{warning}\n\n{tip}"
            texts[name] = text
            if label.toolTip() != tip:
                label.setToolTip(tip)
            _restyle(label, style)
        for name, text in texts.items():
            self.values[name].setText(text)

    def set_run(self, run: Run | None) -> None:
        self.run = run
        self.metrics = None
        self._version = -1
        self._computed_at = 0.0
        if run is None:
            for value in self.values.values():
                value.setText("—")
            self.busy_note.hide()
            self.bars.set_rows([])
        self.refresh(force=True)

    def refresh(self, force: bool = False) -> None:
        run = self.run
        if run is None or run.version == self._version:
            return
        now = time.monotonic()
        interval = max(LIVE_INTERVAL_S, self._cost / LIVE_SHARE)
        if not (force or run.is_over) and now - self._computed_at < interval:
            return
        from coreography.model.metrics import compute_metrics  # the model's own numbers

        self._computed_at = now
        self._version = run.version
        began = time.thread_time()  # the whole update's CPU, figures, bars and labels
        self.metrics = metrics = compute_metrics(run)
        texts = {name: format_value(name, metric(metrics, name)) for name, _label, _tip in FIELDS}
        self._show_speedup(run, metrics, texts)
        self._show_reliability(metrics, texts)
        self.bars.set_rows(bar_rows(run, metrics))
        self.note.setText(BARS_NOTE_STATES if self.bars.with_states else BARS_NOTE)
        self._cost = time.thread_time() - began
