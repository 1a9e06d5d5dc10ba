"""The timeline view: one lane per process or thread, one bar per task, live."""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from coreography.gui import theme
from coreography.gui.widgets.lane_axis import LaneAxis
from coreography.gui.widgets.message_layer import DepthTrack, MessageLayer
from coreography.gui.widgets.state_strip import StateLegend, StateStripItem
from coreography.gui.widgets.steady_label import SteadyLabel
from coreography.gui.widgets.time_axis import TimeAxis
from coreography.gui.widgets.timeline_index import TimelineIndex
from coreography.gui.widgets.timeline_item import DENSE_PX_PER_BAR, TimelineItem
from coreography.model.run import NO_TIME, Run
from coreography.model.states import task_state_name

FOLLOW_MIN_WINDOW_S = 1.0
FOLLOW_GROW_S = 20.0  # runs younger than this are followed whole, then the view slides
#: While a run is live the line above the lanes is written this often at most (a new
#: text lays the row out again).
SUMMARY_INTERVAL_S = 0.25
#: ...and the thread-state strips take in new states this often at most (the kernel is
#: read at 50 Hz; between two of their paints, milliseconds each, the strips are drawn
#: from a pixmap).
STATES_INTERVAL_S = 0.25


def duration_text(seconds: float) -> str:
    """A duration at the scale it has: "24 µs", "15 ms", "2.4 s"."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1.0:
        return f"{seconds * 1e3:.0f} ms" if seconds >= 0.01 else f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


#: Lane names may widen their axis to this share of the timeline's width at most.
MAX_AXIS_SHARE = 0.4
#: Up to this many lanes, each tick compares the names (traced programs rename lanes).
RENAME_CHECK_LANES = 2000
#: Up to this many lanes a live frame repaints only the time it changed (from the
#: earliest bar it added or ended to the live edge); beyond, the whole view.
PARTIAL_LANES = 2000
#: Slack either side of that strip, in pixels (a running bar's arrow head is 6 wide).
PARTIAL_MARGIN_PX = 10
#: ...and the whole view at least this often all the same.
FULL_PAINT_S = 1.0


class TimelineViewBox(pg.ViewBox):
    """A ViewBox that zooms and pans in time only and fits everything on double-click."""

    sig_fit_requested = Signal()
    """Emitted on a left double-click; no arguments."""

    def __init__(self) -> None:
        super().__init__(invertY=True, enableMenu=False)
        self.setMouseEnabled(x=True, y=False)

    def mouseClickEvent(self, ev) -> None:
        if ev.double() and ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self.sig_fit_requested.emit()
            return
        super().mouseClickEvent(ev)


class TimelineView(QWidget):
    """Shows a :class:`Run`'s lanes; :meth:`refresh` once per timer tick."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.index = TimelineIndex()
        self.item = TimelineItem(self.index)
        self.view_box = TimelineViewBox()
        self.plot = pg.PlotWidget(
            viewBox=self.view_box, axisItems={"left": LaneAxis("left"), "bottom": TimeAxis()}
        )
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setLabel("bottom", "seconds since the run started")
        self.plot.addItem(self.item)
        self.states = StateStripItem(self.index)  # thread states, under the bars' labels
        self.plot.addItem(self.states)
        self.state_legend = StateLegend()
        self.messages = MessageLayer()  # arrows and waits of queues, pipes and locks
        self.plot.addItem(self.messages)
        #: Each queue's depth under the lanes: made with the first run that has messages.
        self._depth_track: DepthTrack | None = None
        self.plot.setXRange(0.0, 1.0, padding=0.0)
        self.plot.setYRange(0.0, 1.0, padding=0.0)
        self.view_box.disableAutoRange()
        self.view_box.setLimits(xMin=-1.0, minXRange=1e-6)
        self.lane_axis: LaneAxis = self.plot.getAxis("left")
        self.lane_axis.setStyle(tickLength=0)
        self.lane_axis.setWidth(150)  # at least: wider when a lane's name needs it
        self.plot.getAxis("bottom").enableAutoSIPrefix(False)
        theme.cache_axes(self.plot)
        self.item.setAcceptHoverEvents(True)
        self.item.hoverEvent = self._on_item_hover

        self.follow = QCheckBox("Follow")
        self.follow.setChecked(True)
        self.follow.setToolTip("Keep the live edge of the run in view (off when you pan or zoom)")
        self.fit_button = QPushButton("Fit all")
        self.fit_button.setToolTip(
            "Show the whole run from the moment its program began (or double-click the timeline)"
        )
        self.work_button = QPushButton("Zoom to work")
        self.work_button.setToolTip(
            "Fill the view with the tasks themselves (W): work of microseconds becomes visible"
        )
        self.summary = QLabel("No run yet: choose an experiment and press Run (Space).")
        self.summary.setWordWrap(True)  # large fonts wrap the line rather than cut it
        #: While a run is live its count of bars, apart (the summary's text stays put).
        self.bar_count = SteadyLabel()
        self.bar_count.setVisible(False)
        top = QHBoxLayout()
        top.setContentsMargins(4, 2, 4, 0)
        top.addWidget(self.bar_count)
        top.addWidget(self.summary, 1)
        top.addWidget(self.follow)
        top.addWidget(self.fit_button)
        top.addWidget(self.work_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.state_legend)
        layout.addWidget(self.plot, 1)
        self._layout = layout

        self.fit_button.clicked.connect(self.fit_all)
        self.work_button.clicked.connect(self.zoom_to_work)
        self.view_box.sig_fit_requested.connect(self.fit_all)
        self.view_box.sigRangeChangedManually.connect(self._on_view_box_range_changed_manually)
        self._lane_count = 0
        self._labels: list[str] = []
        self._compact = False
        #: What the last refresh drew from: the same again means nothing to repaint.
        self._drawn: tuple | None = None
        self._summary_at = -float("inf")
        self._states_at = -float("inf")
        self._states_seen = -1
        self._edge_s: float | None = None  # the live edge the last frame was drawn to
        self._dense_drawn: tuple[bool, ...] | None = None
        self._full_at = -float("inf")
        self._messages_shown = True
        self.partial_frames = 0  # frames that repainted only what changed (for tests)
        self.view_box.sigResized.connect(self._on_view_box_resized)
        self._set_lanes([])

    @property
    def depth_track(self) -> DepthTrack:
        """The queue-depth track under the lanes, its left edge the lanes' (made on
        first use, in the present look)."""
        if self._depth_track is None:
            from coreography.gui.look import wear_current_look

            track = DepthTrack(self.plot)
            self._layout.addWidget(track)
            axis = track.getAxis("left")
            if isinstance(axis, LaneAxis):
                self.lane_axis.followers.append(axis)
                axis.set_least(self.lane_axis.shown_width())
            wear_current_look(track)
            self._depth_track = track
        return self._depth_track

    def _depth_follows(self, run: Run | None, reset: bool) -> None:
        track = self._depth_track
        if track is None:
            if run is None or not run.messages:
                return  # nothing to draw: no track yet
            track, reset = self.depth_track, True
        if reset:
            track.set_run(run)
        else:
            track.refresh()

    # -- model ------------------------------------------------------------------------
    def set_run(self, run: Run | None) -> None:
        """Show ``run`` from scratch (a new run or a recording)."""
        self.index.reset(run)
        self.messages.set_run(run)
        self._depth_follows(run, reset=True)
        self.item.reset_colors()
        self._lane_count = -1
        self._drawn = None
        self._summary_at = self._states_at = -float("inf")
        self._states_seen = -1
        self._edge_s, self._dense_drawn, self._full_at = None, None, -float("inf")
        self._messages_shown = True
        self.follow.setChecked(run is not None and not run.is_over)
        self.refresh()
        if run is not None and run.is_over:
            self.fit_all()
        else:
            self.plot.setXRange(0.0, FOLLOW_MIN_WINDOW_S, padding=0.0)

    def refresh(self) -> None:
        """Take in what is new in the run and redraw once (called by the presenter);
        nothing is repainted when nothing the lanes show has changed."""
        run = self.index.run
        if run is None:
            self._set_lanes([])
            self.item.update()
            return
        self.item.now_s = float(run.seconds(time.perf_counter_ns()))
        if run.is_over:
            self.item.now_s = float(run.seconds(run.last_time()))
        pixel_s = self.view_box.viewPixelSize()[0] or 1.0
        # A live run's edge (running bars, lives) moves on screen once per pixel of time.
        drawn = (id(run), run.version, run.is_over, len(run.lanes), int(self.item.now_s / pixel_s))
        if drawn == self._drawn:
            return
        self._drawn = drawn
        before = self._marks(run)
        self.index.sync()
        if len(run.lanes) != self._lane_count:
            self._set_lanes(lane_labels(run))
        elif len(run.lanes) <= RENAME_CHECK_LANES:
            # A traced program's lane is named once its process says who it is.
            labels = lane_labels(run)
            if labels != self._labels:
                self._set_lanes(labels)
        self.item.update_bounds()
        self.states.update_bounds(self.item.data_bounds().width())
        self.state_legend.show_for(run)
        self.messages.set_bounds(self.item.data_bounds())
        self._depth_follows(run, reset=False)
        if self.follow.isChecked() and not run.is_over:
            self._follow()
        now = time.monotonic()
        if run.is_over or now - self._summary_at >= SUMMARY_INTERVAL_S:
            self._summary_at = now
            live = not run.is_over
            self.bar_count.hold(live)
            self.bar_count.setText(self._bars_text(run) if live else "")
            self.bar_count.setVisible(live and self.summary.isVisibleTo(self))
            self.summary.setText((" · " if live else "") + self._describe(run, bars=not live))
        self._update_bars(run, before, now)
        states = run.thread_states.version
        if states != self._states_seen and (
            run.is_over or now - self._states_at >= STATES_INTERVAL_S
        ):
            self._states_seen, self._states_at = states, now
            self.states.update()
        if run.messages or self._messages_shown:
            self._messages_shown = bool(run.messages)
            self.messages.update()

    # -- what a frame repaints ----------------------------------------------------------
    def _marks(self, run: Run) -> tuple | None:
        """What the lanes held before a sync, to tell which times it changed (None: too
        many lanes to look, or no frame drawn yet: repaint everything)."""
        if self._edge_s is None or len(run.lanes) > PARTIAL_LANES:
            return None
        lanes = self.index.lanes
        return (
            [len(bars) for bars in lanes],
            [list(bars.open) for bars in lanes],
            [len(bars.prints) for bars in lanes],
            self._lives(run),
        )

    @staticmethod
    def _lives(run: Run) -> tuple:
        """Everything a lane's start-up, life line and end marks are drawn from."""
        return (
            run.run_started_ns,
            run.run_finished_ns,
            run.end_ns,
            tuple(
                (lane.requested_ns, lane.ready_ns, lane.end_ns(), lane.crashed, lane.ended_by_pool)
                for lane in run.lanes
            ),
        )

    def _dense(self) -> tuple[bool, ...]:
        """Which lanes the item draws as pixel columns in the present view (the test of
        its paint: a lane switching mode must be repainted whole)."""
        (x0, x1), _ = self.view_box.viewRange()
        width_px = (x1 - x0) / (self.view_box.viewPixelSize()[0] or 1.0)
        window = np.array([x0, x1])
        dense = []
        for bars in self.index.lanes:
            i0, i1 = bars.starts.view().searchsorted(window).tolist()
            i0 = i0 - 1 if i0 else 0
            dense.append((i1 - i0) * DENSE_PX_PER_BAR > width_px)
        return tuple(dense)

    def _changed_from(self, run: Run, before: tuple | None) -> float | None:
        """The earliest time (s) the last sync changed the drawing at; None: anywhere."""
        if before is None or self._edge_s is None or run.is_over or self.item.cut_s is not None:
            return None
        lengths, opened, printed, lives = before
        if len(self.index.lanes) != len(lengths) or self._lives(run) != lives:
            return None
        earliest = self._edge_s  # running bars and life lines grew from there
        for bars, length, was_open, prints in zip(
            self.index.lanes, lengths, opened, printed, strict=True
        ):
            starts = bars.starts.view()
            if len(starts) > length:
                earliest = min(earliest, float(starts[length:].min()))
            closed = [position for position in was_open if position not in bars.open]
            if closed:
                earliest = min(earliest, float(starts[closed].min()))
            new_prints = bars.prints.view()[prints:]
            if len(new_prints):
                earliest = min(earliest, float(new_prints.min()))
        return earliest

    def _update_bars(self, run: Run, before: tuple | None, now: float) -> None:
        """Ask for the bars' repaint: where a live frame changed them only; all of it when
        the view moved, a lane came or switched to pixel columns, the run ended, and
        once a second."""
        changed_from = self._changed_from(run, before)
        dense = self._dense()
        if (
            changed_from is None
            or dense != self._dense_drawn
            or now - self._full_at >= FULL_PAINT_S
        ):
            self._full_at = now
            self.item.update()
        else:
            self.partial_frames += 1
            margin = PARTIAL_MARGIN_PX * (self.view_box.viewPixelSize()[0] or 0.0)
            left, right = changed_from - margin, self.item.now_s + margin
            self.item.update(QRectF(left, 0.0, right - left, self.item.boundingRect().height()))
        self._dense_drawn = dense
        self._edge_s = None if run.is_over else self.item.now_s

    def _bars_text(self, run: Run) -> str:
        return f"{self.index.bars:,} of {run.n_tasks:,} task bars"

    def _describe(self, run: Run, bars: bool = True) -> str:
        workers = len(run.worker_lanes())
        text = (
            (f"{self._bars_text(run)} · " if bars else "")
            + f"{workers} worker lane{'s' if workers != 1 else ''} · "
            f"{run.experiment.model}, {run.experiment.start_method}"
        )
        marks = self.startup_and_work(run) if run.is_over else None
        if marks is not None:
            startup, work = marks
            text += f" · start-up {duration_text(startup)} · work {duration_text(work)}"
        return text

    @staticmethod
    def startup_and_work(run: Run) -> tuple[float, float] | None:
        """(the slowest worker's start-up, the tasks' summed durations) in seconds, or
        None before a task finished: the two costs micro-task lessons compare."""
        done = (run.task_start >= 0) & (run.task_end >= 0)
        if not done.any():
            return None
        work = float((run.task_end[done] - run.task_start[done]).sum()) / 1e9
        startups = [
            (lane.ready_ns - lane.requested_ns) / 1e9
            for lane in run.lanes
            if lane.role != "main" and NO_TIME not in (lane.requested_ns, lane.ready_ns)
        ]
        return (max(startups) if startups else 0.0), work

    def activity_span(self) -> tuple[float, float]:
        """Seconds from the experiment's program beginning to the end of the run (the
        time before it is the interpreter starting, the same for every run)."""
        run = self.index.run
        end = self.index.extent(self.item.now_s)
        if run is None or run.run_started_ns == NO_TIME:
            return 0.0, end
        return min(float(run.seconds(run.run_started_ns)), end), end

    def work_span(self) -> tuple[float, float] | None:
        """Seconds from the first task's start to the last task's end (None: no task)."""
        run = self.index.run
        if run is None:
            return None
        started = run.task_start[run.task_start >= 0]
        if not len(started):
            return None
        ended = run.task_end[run.task_end >= 0]
        last = int(ended.max()) if len(ended) else int(started.max())
        if not run.is_over:
            return float(run.seconds(int(started.min()))), self.item.now_s
        return float(run.seconds(int(started.min()))), float(run.seconds(max(last, 0)))

    def _set_lanes(self, labels: list[str]) -> None:
        self._lane_count = len(labels)
        self._labels = labels
        if not self._compact:
            self.lane_axis.setWidth(150)  # at least; the names widen it (LaneAxis.fit_names)
        self._label_lanes()
        self.plot.setYRange(0.0, max(len(labels), 1), padding=0.0)

    def _label_lanes(self) -> None:
        """Label every lane that has room: with many thin lanes, every k-th one (and the
        hover tooltip names any lane)."""
        labels = self._labels
        if self._compact:
            labels = [label.split(" · ")[0] for label in labels]
            widest = max((self.fontMetrics().horizontalAdvance(t) for t in labels), default=0)
            self.lane_axis.setWidth(widest + 16)
        room = self.view_box.height() / max(len(labels), 1)
        line = self.fontMetrics().height()
        step = max(1, -(-line // max(int(room), 1)))
        shown = self._fit_names(labels[::step])
        self.lane_axis.setTicks([[(i * step + 0.5, name) for i, name in enumerate(shown)]])

    def _fit_names(self, names: list[str]) -> list[str]:
        """The names the lane axis shows, and the axis as wide as they need: whole, up
        to MAX_AXIS_SHARE of the view (a longer one keeps its start and end; the
        tooltip names it in full)."""
        axis = self.lane_axis
        most = int(self.width() * MAX_AXIS_SHARE)
        if most > 0 and axis.needed_for(names) > most:
            metrics = QFontMetrics(axis.name_font())
            room = max(most - (axis.needed_for(["x"]) - metrics.horizontalAdvance("x")), 40)
            names = [metrics.elidedText(name, Qt.TextElideMode.ElideMiddle, room) for name in names]
        axis.fit_names(names)
        return names

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._labels:
            self._label_lanes()  # the most the names may take follows the width

    def _on_view_box_resized(self, *_args) -> None:
        self._label_lanes()

    def _follow(self) -> None:
        (x0, x1), _ = self.view_box.viewRange()
        width = max(x1 - x0, FOLLOW_MIN_WINDOW_S)
        edge = self.item.now_s
        if x0 <= 0 and edge * 1.05 > x1 and edge < FOLLOW_GROW_S:
            # A young run: keep its start in view and grow, so start-up stays visible.
            self.plot.setXRange(-0.01 * edge, edge * 1.25, padding=0.0)
        elif edge * 1.05 > x1 or (x0 > 0 and edge < x1 - width):
            right = max(edge + width * 0.1, width)
            self.plot.setXRange(right - width, right, padding=0.0)

    def set_compact(self, compact: bool) -> None:
        """Without the Follow / Fit all / Zoom to work row (stacked timelines of Compare;
        double-click still fits)."""
        for widget in (self.follow, self.fit_button, self.work_button):
            widget.setVisible(not compact)
        # Lanes named without their PID ("Worker 1"), so a narrow column keeps room for
        # the bars; the tooltip still names the lane in full.
        self._compact = compact
        self.plot.setLabel("bottom", "seconds" if compact else "seconds since the run started")
        if self._labels:
            self._label_lanes()

    def set_cut(self, seconds: float | None) -> None:
        """Show the run as it was at ``seconds`` (scrubbed back), or all of it (None)."""
        for item in (self.item, self.states, self.messages):
            item.cut_s = seconds
            item.update()

    def fit_all(self) -> None:
        """Show the whole run's activity, all lanes."""
        start, end = self.activity_span()
        span = max(end - start, 1e-3)
        self.plot.setXRange(start - span * 0.02, end + span * 0.02, padding=0.0)
        self.plot.setYRange(0.0, max(self._lane_count, 1), padding=0.0)

    def zoom_to_work(self) -> None:
        """Fill the view with the tasks (their first start to their last end)."""
        span = self.work_span()
        if span is None:
            self.fit_all()
            return
        start, end = span
        width = max(end - start, 2e-6)
        self.follow.setChecked(False)
        self.plot.setXRange(start - width * 0.1, end + width * 0.1, padding=0.0)

    def _on_view_box_range_changed_manually(self, *_args) -> None:
        self.follow.setChecked(False)

    # -- hover ------------------------------------------------------------------------
    def task_at(self, x: float, y: float) -> int | None:
        """The task drawn at data point (seconds, lane position), with a few pixels' slack."""
        pixel = self.item.pixelWidth() or 0.0
        return self.index.bar_at(int(y), x, 3 * pixel, self.item.now_s)

    def describe_task(self, task: int) -> str:
        run = self.index.run
        if run is None:
            return ""
        lane = run.lanes[int(run.task_lane[task])] if run.task_lane[task] >= 0 else None
        status = task_state_name(run.task_status[task])
        lines = [f"Task {task} · {status}", f"argument: {self.index.task_arg(task)!r}"]
        if lane is not None:
            lines.append(lane.label)
        start = run.task_start[task]
        end = run.task_end[task]
        if start >= 0:
            begin = run.seconds(int(start))
            if end >= 0:
                lines.append(
                    f"{begin:.4f} s → {run.seconds(int(end)):.4f} s ({(end - start) / 1e6:.3f} ms)"
                )
            elif status == "interrupted":
                lines.append(f"started at {begin:.4f} s, cut short when the run ended")
            else:
                lines.append(f"started at {begin:.4f} s, not finished")
        if task in run.task_errors:
            lines.append("error: " + run.task_errors[task].strip().splitlines()[0][:200])
        else:
            result = run.result(task)
            if result is not None:
                lines.append(f"result: {result!r}"[:200])
        return "\n".join(lines)

    def _on_item_hover(self, event) -> None:
        if event.isExit():
            self.item.setToolTip("")
            return
        pos = event.pos()
        task = self.task_at(pos.x(), pos.y())
        message = self.messages.describe_at(pos.x(), pos.y())
        if message:
            self.item.setToolTip(message)
        elif task is not None:
            self.item.setToolTip(self.describe_task(task))
        else:
            self.item.setToolTip(self.describe_lane_at(pos.x(), pos.y()))

    def describe_lane_at(self, x: float, y: float) -> str:
        """Outside any bar: the lane's name, and its start-up if ``x`` falls in it."""
        run = self.index.run
        lane_number = int(y)
        if run is None or not 0 <= lane_number < len(run.lanes):
            return ""
        lane = run.lanes[lane_number]
        end = lane_end_text(lane)
        if lane.requested_ns != NO_TIME and lane.ready_ns != NO_TIME:
            begin, ready = run.seconds(lane.requested_ns), run.seconds(lane.ready_ns)
            if begin <= x <= ready:
                how = "thread" if lane.role == "thread" else run.experiment.start_method
                return (
                    f"{lane.label}\nstart-up ({how}): {(ready - begin) * 1000:.1f} ms, "
                    "from start requested to the worker's first instruction"
                ) + end
        return lane.label + end


POOL_END = (
    "Ended by its pool at the pool's end: a normal end, not a crash. Pool.terminate() "
    "(which leaving a `with Pool()` block calls) stops its workers with SIGTERM once "
    "their work is done."
)


def lane_end_text(lane) -> str:
    """How the lane's process ended, for its tooltip ("" while it lives or ended well)."""
    if lane.ended_by_pool:
        return "\n" + POOL_END
    if lane.crashed:
        from coreography.model.trace_run import describe_exit

        return f"\nThe process {describe_exit(int(lane.exit_code))}."
    return ""


def lane_labels(run: Run) -> list[str]:
    """Each lane's label; where the run's workers ran on several machines, each worker's
    host first, so the lanes of one machine read as a group."""
    hosts = {lane.host for lane in run.lanes if lane.host}
    if len(hosts) < 2:
        return [lane.label for lane in run.lanes]
    return [f"{lane.host} › {lane.label}" if lane.host else lane.label for lane in run.lanes]
