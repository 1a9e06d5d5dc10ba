"""Each view over runs built from event frames (no processes): what the user would see."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from coreography.gui.app import create_app
from coreography.gui.widgets.console import ConsoleView
from coreography.gui.widgets.cores_view import CoresView
from coreography.gui.widgets.experiment_panel import ExperimentPanel
from coreography.gui.widgets.metrics_panel import format_value
from coreography.gui.widgets.timeline import TimelineView
from coreography.gui.widgets.timeline_index import busy_columns
from coreography.model import wire
from coreography.model.events import Kind
from coreography.model.experiment import Experiment, Fault
from coreography.model.run import RECORD_DTYPE, Run, Sample
from tests.gui.synthetic import make_run

LEFT = Qt.MouseButton.LeftButton
NO_BUTTON = Qt.MouseButton.NoButton


@pytest.fixture
def timeline(qtbot):
    create_app()
    view = TimelineView()
    qtbot.addWidget(view)
    view.resize(1000, 400)
    view.show()
    qtbot.waitExposed(view)
    return view


def _paint(qtbot, view) -> None:
    before = view.item.paints
    view.item.update()
    qtbot.waitUntil(lambda: view.item.paints > before, timeout=2000)


def test_timeline_lanes_bars_failed_and_running(qtbot, timeline):
    run = make_run(workers=3, tasks=40, task_ms=30, fail=4, running=2, finish=False)
    timeline.set_run(run)
    index = timeline.index
    assert len(index.lanes) == len(run.lanes) == 4  # main + 3 workers
    assert index.bars == 40
    ticks = [label for _pos, label in timeline.lane_axis._tickLevels[0]]
    assert ticks == [lane.label for lane in run.lanes]
    failed = [int(bars.ids.view()[p]) for bars in index.lanes for p in bars.failed]
    assert failed == [4]
    running = sorted(int(bars.ids.view()[p]) for bars in index.lanes for p in bars.open)
    assert running == [38, 39]
    # Hover: the middle of task 4's bar names it and its error.
    lane = int(run.task_lane[4])
    middle = float(run.seconds((int(run.task_start[4]) + int(run.task_end[4])) // 2))
    timeline.fit_all()
    _paint(qtbot, timeline)
    assert timeline.task_at(middle, lane + 0.5) == 4
    text = timeline.describe_task(4)
    assert (
        "Task 4 · failed" in text and "RuntimeError" in text and "argument: 5" in text
    )  # print-number counts from 1
    done = timeline.describe_task(5)
    assert "result: 5" in done and "ms)" in done


def test_running_bars_grow_and_end_when_the_run_ends(qtbot, timeline):
    run = make_run(workers=2, tasks=6, running=2, finish=False)
    timeline.set_run(run)
    first = timeline.index.extent(timeline.item.now_s)
    qtbot.wait(30)
    timeline.refresh()
    assert timeline.index.extent(timeline.item.now_s) > first  # the live edge moved on
    assert timeline.follow.isChecked()
    (x0, x1), _ = timeline.view_box.viewRange()
    assert x0 <= timeline.item.now_s <= x1
    run.finish("stopped", "stopped by the user", run.last_time() + 1000)
    timeline.refresh()
    interrupted = [p for bars in timeline.index.lanes for p in bars.interrupted]
    assert len(interrupted) == 2
    assert not any(bars.open for bars in timeline.index.lanes)


def test_a_million_bar_view_merges_sub_pixel_bars(qtbot, timeline):
    run = make_run(workers=4, tasks=200_000, task_ms=0.2, prints=False)
    timeline.set_run(run)
    assert timeline.index.bars == 200_000
    _paint(qtbot, timeline)
    width = timeline.plot.viewport().width()
    # Full view: runs of busy pixel columns, at most a handful per lane, never per bar.
    assert 0 < timeline.item.last_paint_rects <= 4 * width // 2
    # Zoomed to a few bars: each drawn on its own.
    start = float(run.seconds(int(run.task_start[1000])))
    timeline.plot.setXRange(start, start + 0.002, padding=0)
    _paint(qtbot, timeline)
    assert 4 <= timeline.item.last_paint_rects <= 64


def _x_range(timeline) -> tuple[float, float]:
    (x0, x1), _ = timeline.view_box.viewRange()
    return x0, x1


def _wheel(timeline, steps: int) -> None:
    """Turn the mouse wheel ``steps`` notches over the middle of the timeline's plot."""
    viewport = timeline.plot.viewport()
    middle = QPointF(viewport.width() / 2, viewport.height() / 2)
    event = QWheelEvent(
        middle,
        QPointF(viewport.mapToGlobal(middle.toPoint())),
        QPoint(0, 0),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(viewport, event)


def _mouse(viewport, kind, pos: QPoint, buttons) -> None:
    button = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else LEFT
    event = QMouseEvent(
        kind,
        QPointF(pos),
        QPointF(viewport.mapToGlobal(pos)),
        button,
        buttons,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(viewport, event)


def _drag(qtbot, timeline, pixels: int) -> None:
    """Press the left button in the plot, move ``pixels`` to the right, release."""
    viewport = timeline.plot.viewport()
    start = QPoint(viewport.width() // 2, viewport.height() // 2)
    _mouse(viewport, QEvent.Type.MouseButtonPress, start, LEFT)
    for step in range(1, 6):
        qtbot.wait(20)  # pyqtgraph drops mouse moves that come too fast
        _mouse(viewport, QEvent.Type.MouseMove, start + QPoint(pixels * step // 5, 0), LEFT)
    qtbot.wait(20)
    _mouse(viewport, QEvent.Type.MouseButtonRelease, start + QPoint(pixels, 0), NO_BUTTON)


def test_wheel_zooms_in_time_and_turns_follow_off(qtbot, timeline):
    timeline.set_run(make_run(workers=2, tasks=10, finish=False, running=1))
    assert timeline.follow.isChecked()
    x0, x1 = _x_range(timeline)
    _wheel(timeline, 3)
    y0, y1 = _x_range(timeline)
    assert not timeline.follow.isChecked()
    assert y1 - y0 < 0.9 * (x1 - x0)  # zoomed in...
    assert x0 < (y0 + y1) / 2 < x1  # ...around the middle of what was shown
    _wheel(timeline, -6)
    z0, z1 = _x_range(timeline)
    assert z1 - z0 > y1 - y0  # and back out


def test_dragging_pans_in_time_and_turns_follow_off(qtbot, timeline):
    timeline.set_run(make_run(workers=2, tasks=10, finish=False, running=1))
    timeline.refresh()
    x0, x1 = _x_range(timeline)
    width_px = timeline.view_box.width()
    _drag(qtbot, timeline, 200)
    y0, y1 = _x_range(timeline)
    assert not timeline.follow.isChecked()
    assert y1 - y0 == pytest.approx(x1 - x0, rel=1e-3)  # panning keeps the width
    # Dragging right brings earlier times into view, by the dragged share of the width.
    assert x0 - y0 == pytest.approx((x1 - x0) * 200 / width_px, rel=0.1)


def test_double_click_fits_the_whole_run(qtbot, timeline):
    run = make_run(workers=2, tasks=10, finish=False, running=1)
    timeline.set_run(run)
    timeline.follow.setChecked(False)
    timeline.plot.setXRange(0.01, 0.02, padding=0)
    viewport = timeline.plot.viewport()
    middle = QPoint(viewport.width() // 2, viewport.height() // 2)
    # What a mouse sends to double-click where it is: press, release, double-click, release.
    for kind, buttons in (
        (QEvent.Type.MouseMove, NO_BUTTON),
        (QEvent.Type.MouseButtonPress, LEFT),
        (QEvent.Type.MouseButtonRelease, NO_BUTTON),
        (QEvent.Type.MouseButtonDblClick, LEFT),
        (QEvent.Type.MouseButtonRelease, NO_BUTTON),
    ):
        _mouse(viewport, kind, middle, buttons)
    x0, x1 = _x_range(timeline)
    assert x0 <= 0 and x1 >= timeline.index.extent(timeline.item.now_s)
    assert x1 - x0 > 5 * 0.01  # far more than the 10 ms the view showed before


def test_console_prefixes_every_line_by_process_in_arrival_order(qtbot):
    create_app()
    console = ConsoleView()
    qtbot.addWidget(console)
    run = make_run(workers=2, tasks=8, fail=3)
    console.set_run(run)
    lines = console.lines()
    assert len(lines) == len(run.texts) == 8 + 1
    assert lines == console.shown_lines()
    worker = run.lanes[int(run.task_lane[0])]
    assert f"[{worker.label}] Process ID: {worker.pid} - Number: 0" in lines
    assert any("✕ task 3 failed: RuntimeError: deliberate failure" in line for line in lines)
    assert "9 lines" in console.count.text()


def test_experiment_panel_edits_every_setting(qtbot):
    create_app()
    panel = ExperimentPanel()
    qtbot.addWidget(panel)
    wanted = Experiment(
        model="pool-imap",
        workers=3,
        tasks=77,
        workload="io",
        size=12.5,
        distribution="straggler",
        chunksize=4,
        start_method="spawn",
        seed=9,
        fault=Fault("raise", 5),
        speed=2.0,
        title="demo",
        array_mb=3.25,
    )
    panel.set_experiment(wanted)
    assert panel.experiment() == wanted
    custom = Experiment(workload="custom", code="def task(x):\n    return x + 1\n")
    panel.set_experiment(custom)
    assert panel.experiment() == custom and not panel.code.isHidden()
    shared = Experiment(model="shared-array", array_mb=2.0)
    panel.set_experiment(shared)
    assert panel.experiment() == shared
    cluster = Experiment(model="dask-map", scheduler="tcp://127.0.0.1:8786")
    panel.set_experiment(cluster)
    assert panel.experiment() == cluster
    threaded = Experiment(model="dask-submit", threads_per_worker=3)
    panel.set_experiment(threaded)
    assert panel.experiment() == threaded
    panel.set_experiment(custom)
    # Together the round trips exercise every setting an Experiment has.
    defaults = Experiment()
    covered = {
        f.name
        for f in dataclasses.fields(Experiment)
        for other in (wanted, custom, shared, cluster, threaded)
        if getattr(defaults, f.name) != getattr(other, f.name)
    }
    assert covered | {"start_method"} == {f.name for f in dataclasses.fields(Experiment)}
    panel.code.setPlainText("def nope(:\n")
    assert "code" in panel.error.text()
    panel.set_experiment(wanted)
    assert panel.error.text() == ""
    panel.model.setCurrentText("threads")
    assert not panel.chunksize.isEnabled() and not panel.workers.isEnabled()
    panel.fault.setCurrentText("kill")
    assert "fault" in panel.error.text()
    panel.set_running(True)
    assert not panel.run_button.isEnabled() and panel.stop_button.isEnabled()
    assert not panel.tasks.isEnabled()


def test_cores_view_says_when_the_core_is_unknown(qtbot):
    create_app()
    view = CoresView()
    qtbot.addWidget(view)
    run = make_run(workers=2, tasks=4)
    view.set_run(run)
    assert view.core_known() is None
    run.apply([], [Sample(run.t0 + 10**8, [10.0, 20.0], [(2000, 50.0, -1, 1)])])
    view.refresh()
    assert view.core_known() is False
    assert "no core number" in view.note.text() or "does not report" in view.note.text()
    run.apply([], [Sample(run.t0 + 2 * 10**8, [10.0, 20.0], [(2000, 50.0, 1, 1)])])
    view.refresh()
    assert view.core_known() is True


def test_metric_formatting():
    assert format_value("wall_s", 0.0123) == "12.3 ms"
    assert format_value("wall_s", 2.5) == "2.500 s"
    assert format_value("speedup", 1.9) == "1.90×"
    assert format_value("efficiency", 0.95) == "95 %"
    assert format_value("events_lost", None) == "—"
    assert format_value("tasks_done", 1234) == "1,234"
    assert format_value("startup_mean_s", float("nan")) == "—"


def test_hovering_a_bar_shows_its_task(qtbot, timeline):
    run = make_run(workers=2, tasks=10, task_ms=40)
    timeline.set_run(run)
    timeline.fit_all()
    _paint(qtbot, timeline)
    lane = int(run.task_lane[3])
    middle = float(run.seconds((int(run.task_start[3]) + int(run.task_end[3])) // 2))
    scene_point = timeline.view_box.mapViewToScene(QPointF(middle, lane + 0.5))
    point = timeline.plot.mapFromScene(scene_point)
    qtbot.mouseMove(timeline.plot.viewport(), point)
    qtbot.waitUntil(lambda: "Task 3" in timeline.item.toolTip(), timeout=3000)
    assert "Worker" in timeline.item.toolTip()


def test_console_follows_new_output(qtbot):
    create_app()
    console = ConsoleView()
    qtbot.addWidget(console)
    console.resize(400, 200)
    console.show()
    qtbot.waitExposed(console)
    console.set_run(make_run(workers=2, tasks=300))
    bar = console.text.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0 and bar.value() >= bar.maximum() - 2, timeout=2000)


def test_console_flood_guard_keeps_the_newest_lines_and_counts_all(qtbot):
    from coreography.gui.widgets import console as console_module

    create_app()
    console = ConsoleView()
    qtbot.addWidget(console)
    run = make_run(workers=2, tasks=console_module.MAX_LAG + 1000, task_ms=0.1)
    console.source.reset(run)  # as if the lines all arrived within one tick
    console.refresh()
    shown = console.shown_lines()
    # The results the finished run returned come last, on one row, said by the app.
    assert shown[-1].startswith(console_module.RESULTS_PREFIX) and " … " in shown[-1]
    assert len(shown) == 1 + console_module.PER_TICK
    assert shown[0].startswith("…") and "not shown here" in shown[0]
    # The newest PER_TICK lines, in order, end with the last line received.
    assert shown[1:] == console.lines()[-console_module.PER_TICK :]
    assert shown[-2].endswith(run.texts[-1].text)
    assert len(console.lines()) == len(run.texts) + 1  # every line, and the results
    console.refresh(catch_up=True)
    assert console.shown_lines() == shown


def test_hovering_a_start_up_segment_says_what_it_cost(timeline):
    run = make_run(workers=2, tasks=4)
    timeline.set_run(run)
    lane = run.lanes[1]
    middle = float(run.seconds((lane.requested_ns + lane.ready_ns) // 2))
    text = timeline.describe_lane_at(middle, 1.5)
    assert text.startswith(lane.label) and "start-up (" in text and " ms" in text
    assert timeline.describe_lane_at(-1.0, 1.5) == lane.label


def test_deep_zoom_paints_without_overflow(qtbot, timeline):
    # Twenty seconds of run seen two microseconds wide: 1e10 pixels from the start.
    run = make_run(workers=2, tasks=20, task_ms=2000, running=1, finish=False)
    timeline.set_run(run)
    timeline.follow.setChecked(False)
    middle = float(run.seconds(int(run.task_start[15]))) + 0.001
    timeline.plot.setXRange(middle, middle + 2e-6, padding=0)  # two microseconds wide
    _paint(qtbot, timeline)
    assert timeline.item.last_paint_rects >= 1
    timeline.plot.setXRange(-1.0, 1e4, padding=0)  # and far out
    _paint(qtbot, timeline)


@pytest.mark.parametrize("at", [0.02, 0.5, 0.98])
def test_deep_zoom_anywhere_in_a_long_run_shows_the_bar_under_it(qtbot, timeline, at):
    # 1,000 s of run, four 200 s tasks a lane, seen 2 µs wide: the run is ~4e11 device
    # pixels wide. Wherever the view is, the task under it fills the lane.
    run = make_run(workers=2, tasks=8, task_ms=200_000, prints=False)
    timeline.set_run(run)
    timeline.follow.setChecked(False)
    lane = int(run.task_lane[4])
    start, end = (
        float(run.seconds(int(run.task_start[4]))),
        float(run.seconds(int(run.task_end[4]))),
    )
    middle = start + at * (end - start)
    timeline.plot.setXRange(middle, middle + 2e-6, padding=0)
    _paint(qtbot, timeline)
    image = timeline.plot.viewport().grab().toImage()
    transform = timeline.item.deviceTransform(timeline.plot.viewportTransform())
    ratio = image.devicePixelRatio()
    y = round(((lane + 0.2) * transform.m22() + transform.dy()) * ratio)  # above its label
    left = round((middle * transform.m11() + transform.dx()) * ratio) + 2
    right = round(((middle + 2e-6) * transform.m11() + transform.dx()) * ratio) - 2
    shades = {color.rgb() for color in timeline.item.lane_colors(lane)[:2]}
    painted = {image.pixel(x, y) for x in range(left, right, 7)}
    assert painted <= shades and painted, (painted, shades)


def _gapped_run(lanes: int = 6, per_lane: int = 4000) -> Run:
    """Exponential durations and, every 200 bars of a lane, a gap a full view shows."""
    rng = np.random.default_rng(3)
    run = Run(Experiment(workers=lanes, tasks=lanes * per_lane), cores=2, t0=0)
    run.set_driver(1000)
    frames = []
    for w in range(lanes):
        mine = np.arange(w, lanes * per_lane, lanes)
        duration = rng.exponential(200_000, per_lane).astype(np.int64) + 1_000
        gap = rng.exponential(10_000, per_lane).astype(np.int64)
        gap[199::200] += 40_000_000
        step = duration + gap
        start = 1_000_000 + np.cumsum(step) - step
        rows = np.zeros(2 * per_lane, RECORD_DTYPE)
        rows["kind"][0::2], rows["kind"][1::2] = Kind.TASK_STARTED, Kind.TASK_FINISHED
        rows["task"][0::2] = rows["task"][1::2] = mine
        rows["t"][0::2], rows["t"][1::2] = start, start + duration
        frames.append(wire.records_frame(2000 + w, 0, rows))
    run.apply(frames)
    run.finish("finished", "", int(run.task_end.max()) + 1_000_000)
    return run


def test_a_full_view_with_gaps_paints_exactly_the_busy_columns(qtbot, timeline):
    run = _gapped_run()
    timeline.set_run(run)
    timeline.follow.setChecked(False)
    timeline.fit_all()
    _paint(qtbot, timeline)
    image = timeline.plot.viewport().grab().toImage()
    transform = timeline.item.deviceTransform(timeline.plot.viewportTransform())
    sx, dx, sy, dy = transform.m11(), transform.dx(), transform.m22(), transform.dy()
    ratio = image.devicePixelRatio()
    checked = 0
    for lane, bars in enumerate(timeline.index.lanes):
        starts, ends = bars.starts.view(), bars.ends.view()
        if not len(starts):
            continue
        base = timeline.item.lane_colors(lane)[0].rgb()
        y = round(((lane + 0.5) * sy + dy) * ratio)
        left = math.floor(starts[0] * sx + dx) + 1
        right = math.ceil(ends[-1] * sx + dx) - 1
        columns = np.arange(left, right)
        edges = (np.arange(left, right + 1) - dx) / sx
        expected = busy_columns(starts, ends, edges)[: len(columns)]
        painted = np.array([image.pixel(int(c * ratio), y) == base for c in columns])
        assert (painted == expected).all(), np.flatnonzero(painted != expected)[:10]
        assert (~expected).sum() >= 15  # the gaps really show at this view
        checked += 1
    assert checked == 6
