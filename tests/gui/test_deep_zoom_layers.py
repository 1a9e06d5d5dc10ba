"""The thread-state strip and the message layer at a deep zoom into a long run: device
coordinates far beyond Qt's 32-bit integers must neither wrap nor hide what is in view."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QColor

from coreography.gui import theme
from coreography.gui.widgets.message_layer import WAIT_FILL
from coreography.gui.widgets.state_strip import STRIP_BOTTOM, STRIP_TOP, STYLES
from coreography.gui.widgets.timeline import TimelineView
from coreography.model.messages import SENT_DTYPE, WAIT_DTYPE
from coreography.model.thread_states import ThreadState

from .synthetic import make_run

S = 1_000_000_000  # ns
#: Seen this wide (seconds), 1,000 s of run are ~5e11 device pixels wide.
VIEW_S = 2e-6


@pytest.fixture
def timeline(qtbot):
    view = TimelineView()
    qtbot.addWidget(view)
    view.resize(1000, 400)
    view.show()
    qtbot.waitExposed(view)
    return view


def _long_run():
    """1,000 s of run: four 200 s tasks on each of two worker lanes."""
    return make_run(workers=2, tasks=8, task_ms=200_000, prints=False)


def _show(qtbot, view, run, middle: float) -> tuple:
    """Paint ``run`` seen ``VIEW_S`` wide from ``middle``; (image, transform, ratio)."""
    view.set_run(run)
    view.follow.setChecked(False)
    view.plot.setXRange(middle, middle + VIEW_S, padding=0)
    view.refresh()
    view.states.update()
    view.messages.update()
    qtbot.wait(20)
    image = view.plot.viewport().grab().toImage()
    transform = view.item.deviceTransform(view.plot.viewportTransform())
    return image, transform, image.devicePixelRatio()


def _rows(image, transform, ratio, y: float, middle: float, spread: int = 0) -> set[int]:
    """The colours of the rows of the view ``spread`` pixels either side of lane position
    ``y``, across the view."""
    row = round((y * transform.m22() + transform.dy()) * ratio)
    left = round((middle * transform.m11() + transform.dx()) * ratio) + 3
    right = round(((middle + VIEW_S) * transform.m11() + transform.dx()) * ratio) - 3
    return {
        image.pixel(x, r)
        for x in range(left, right, 5)
        for r in range(row - spread, row + spread + 1)
    }


@pytest.mark.parametrize("at", [0.02, 0.5, 0.98])
def test_the_state_strip_shows_the_state_under_a_deep_zoom(qtbot, timeline, at):
    run = _long_run()
    lane = run.worker_lanes()[0]
    tasks = lane.task_ids()
    t, end = int(run.task_start[tasks].min()), int(run.task_end[tasks].max())
    run.thread_states.source = "linux"
    run.apply([], [], [(lane.index, t, end, ThreadState.BLOCKED_IO)])
    middle = float(run.seconds(t)) + at * (end - t) / S
    image, transform, ratio = _show(qtbot, timeline, run, middle)
    y = lane.index + (STRIP_TOP + STRIP_BOTTOM) / 2
    painted = _rows(image, transform, ratio, y, middle, spread=3)
    # Light blue lines (the I/O pattern) on a faint tint of it: nothing of the bar's own
    # shades shows through a strip that covers the whole view.
    bar_shades = {color.rgb() for color in timeline.item.lane_colors(lane.index)[:2]}
    assert painted and not painted & bar_shades, (painted, bar_shades)
    assert QColor(STYLES[ThreadState.BLOCKED_IO][0]).rgb() in painted
    assert timeline.states.last_rects == {int(ThreadState.BLOCKED_IO): 1}


@pytest.mark.parametrize("at", [0.02, 0.5, 0.98])
def test_a_long_wait_shows_under_a_deep_zoom(qtbot, timeline, at):
    run = _long_run()
    lane = run.worker_lanes()[1]
    start, end = run.t0 + 10 * S, run.t0 + 790 * S  # under the lane's bars
    waits = np.zeros(1, WAIT_DTYPE)
    waits["lane"], waits["start"], waits["end"], waits["channel"] = lane.index, start, end, 1
    run.messages.extend(np.zeros(0, SENT_DTYPE), np.zeros(0, SENT_DTYPE), waits)
    middle = float(run.seconds(start)) + at * (end - start) / S
    image, transform, ratio = _show(qtbot, timeline, run, middle)
    assert timeline.messages.last_waits == 1
    painted = _rows(image, transform, ratio, lane.index + 0.5 + WAIT_FILL / 2, middle)
    # The span's tint over the bar: every column differs from the bar left bare.
    bare = {color.rgb() for color in timeline.item.lane_colors(lane.index)[:2]}
    assert painted and not painted & bare, (painted, bare)


def test_a_long_arrow_crosses_a_deep_zoom_where_its_line_is(qtbot, timeline):
    # A message put at 10 s on one lane and taken at 990 s on another: seen 2 µs wide
    # at a quarter of its flight, its line crosses the view a quarter of the way down
    # from the sender's middle to the receiver's (a clamped end would tilt it).
    run = _long_run()
    sender, receiver = run.worker_lanes()[0], run.worker_lanes()[1]
    sent = np.zeros(1, SENT_DTYPE)
    sent["id"], sent["lane"], sent["t"], sent["size"], sent["channel"] = (
        7,
        sender.index,
        run.t0 + 10 * S,
        40,
        1,
    )
    received = sent.copy()
    received["lane"], received["t"] = receiver.index, run.t0 + 990 * S
    run.messages.extend(sent, received, np.zeros(0, WAIT_DTYPE))
    for share in (0.25, 0.75):
        middle = 10.0 + share * 980.0 + float(run.seconds(run.t0))
        image, transform, ratio = _show(qtbot, timeline, run, middle)
        assert timeline.messages.last_arrows == 1
        # A column between the grid's lines (at a tenth of the view and its multiples).
        x = round(((middle + 0.37 * VIEW_S) * transform.m11() + transform.dx()) * ratio)
        expected = (sender.index + 0.5) + share * (receiver.index - sender.index)
        row = (expected * transform.m22() + transform.dy()) * ratio
        background = QColor(theme.BACKGROUND).rgb()
        bars = {
            color.rgb()
            for k in (sender.index, receiver.index)
            for color in timeline.item.lane_colors(k)[:2]
        }
        column = [image.pixel(x, y) for y in range(image.height())]
        drawn = [y for y, c in enumerate(column) if c not in bars and c != background]
        near = [y for y in drawn if abs(y - row) <= 3 * ratio]
        assert near, (row, drawn[:40])
