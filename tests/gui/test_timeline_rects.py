"""The timeline's rectangles: runs of busy pixel columns match the bars exactly, gaps of
a pixel show, tiny bars are never lost, failed bars keep their mark, labels read as text."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPainter

from coreography.gui import theme
from coreography.gui.app import create_app
from coreography.gui.widgets.bar_labels import LabelAtlas
from coreography.gui.widgets.timeline_index import busy_columns
from coreography.gui.widgets.timeline_rects import (
    GAP_FROM_PX,
    RectFiller,
    bar_rects,
    coverage_runs,
)
from coreography.model import wire
from coreography.model.events import Kind
from coreography.model.experiment import Experiment
from coreography.model.run import FAILED, RECORD_DTYPE, Run


def _columns(left, width, lane, lanes, lo, hi) -> np.ndarray:
    """Busy columns lo..hi-1 of each lane, from (left, width, lane) runs."""
    busy = np.zeros((lanes, hi - lo), bool)
    for a, w, k in zip(left.tolist(), width.tolist(), lane.tolist(), strict=True):
        assert not busy[k, a - lo : a - lo + w].any(), "runs of one lane overlap"
        busy[k, a - lo : a - lo + w] = True
    return busy


@pytest.mark.parametrize("seed", range(6))
def test_coverage_runs_are_exactly_the_busy_columns_of_every_lane(seed):
    rng = np.random.default_rng(seed)
    lanes, lo, hi = 7, 3, 900
    sx, dx = rng.uniform(200.0, 5000.0), rng.uniform(-50.0, 50.0)
    starts, ends, lane = [], [], []
    for k in range(lanes):
        count = int(rng.integers(0, 3000))
        durations = rng.exponential(rng.choice([1e-5, 1e-4, 1e-3]), count)
        gaps = rng.choice([0.0, 1e-6, 1e-4, 2e-3, 2e-2], size=count)
        s = np.cumsum(gaps + np.concatenate(([0.0], durations[:-1]))) - 0.02
        starts.append(s)
        ends.append(s + durations)
        lane.append(np.full(count, k))
    left, width, run_lane = coverage_runs(
        np.concatenate(starts), np.concatenate(ends), np.concatenate(lane), lo, hi, sx, dx
    )
    assert (width >= 1).all()
    got = _columns(left, width, run_lane, lanes, lo, hi)
    edges = (np.arange(lo, hi + 1) - dx) / sx
    for k in range(lanes):
        want = busy_columns(starts[k], ends[k], edges) if len(starts[k]) else False
        assert np.array_equal(got[k], want), k
    # Bounded by what the view can show, not by the count of bars.
    assert len(left) <= lanes * (hi - lo) // 2 + lanes


def test_a_gap_of_one_pixel_shows_and_a_narrower_one_does_not():
    sx, dx = 1000.0, 0.0  # a millisecond a pixel
    # Bars 0.0-10.0 px, 11.0-20.0 px (column 10 idle), 20.4-30.0 px (gap inside column 20).
    starts = np.array([0.0, 0.011, 0.0204])
    ends = np.array([0.010, 0.020, 0.030])
    left, width, _ = coverage_runs(starts, ends, np.zeros(3, np.int64), 0, 40, sx, dx)
    assert left.tolist() == [0, 11] and width.tolist() == [10, 19]


def test_tiny_bars_are_never_lost():
    sx, dx = 1000.0, 0.5
    # A microsecond, a nanosecond, 0.1 ms, and a task whose two clock reads were equal,
    # exactly on a pixel's edge.
    starts = np.array([0.0021, 0.0070001, 0.009, 0.0125])
    ends = starts + np.array([1e-6, 1e-9, 1e-4, 0.0])
    lane = np.zeros(4, np.int64)
    left, width, _ = coverage_runs(starts, ends, lane, 0, 40, sx, dx)
    assert left.tolist() == [2, 7, 9, 13] and width.tolist() == [1, 1, 1, 1]
    left, width = bar_rects(starts, ends, -2.0, 42.0, sx, dx)
    assert left.tolist() == [2, 7, 9, 13] and (width == 1).all()


def test_wide_bars_leave_a_pixel_between_them():
    starts = np.array([0.0, 0.003, 0.01])
    ends = np.array([0.003, 0.01, 0.02])  # 3, 7 and 10 pixels, back to back
    left, width = bar_rects(starts, ends, -2.0, 100.0, 1000.0, 0.0)
    assert left.tolist() == [0, 3, 10]
    assert width.tolist() == [3, 7 - 1, 10 - 1]
    assert GAP_FROM_PX == 5


def _image(width=120, height=40) -> QImage:
    image = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QColor("white"))
    return image


def test_the_filler_paints_each_rectangle_in_its_brush(qtbot):
    create_app()
    image = _image()
    painter = QPainter(image)
    painter.setPen(Qt.PenStyle.NoPen)
    brushes = [QColor("red"), QColor("blue")]
    RectFiller().fill(
        painter,
        brushes,
        np.array([1, 0, 1]),
        np.array([0, 10, 30]),
        np.array([0, 5, 20]),
        np.array([4, 1, 3]),
        6,
    )
    painter.end()
    red, blue, white = (QColor(c).rgb() for c in ("red", "blue", "white"))
    assert {image.pixel(x, y) for x in range(4) for y in range(6)} == {blue}
    assert image.pixel(4, 0) == white and image.pixel(0, 6) == white
    assert image.pixel(10, 5) == red and image.pixel(11, 5) == white
    assert {image.pixel(x, 20 + y) for x in range(30, 33) for y in range(6)} == {blue}


def test_labels_from_the_atlas_match_drawn_text(qtbot):
    create_app()
    drawn, atlas_image = _image(300, 30), _image(300, 30)
    painter = QPainter(drawn)
    painter.setPen(QColor("black"))
    metrics = painter.fontMetrics()
    x = 5
    texts = ["#0", "#7", "#42", "#12345", "✕ #9"]
    lefts = []
    for text in texts:
        painter.drawText(x, 3 + metrics.ascent(), text)
        lefts.append(x)
        x += metrics.horizontalAdvance(text) + 12
    font_used = painter.font()
    painter.end()
    atlas = LabelAtlas()
    painter = QPainter(atlas_image)
    atlas.prepare(font_used, [QColor("black")], 1.0)
    numbers = np.array([0, 7, 42, 12345])
    assert np.allclose(
        atlas.widths(numbers, "#"), [metrics.horizontalAdvance(t) for t in texts[:4]], atol=1
    )
    atlas.draw(painter, np.array(lefts[:4]), np.full(4, 3), numbers, np.zeros(4, int), "#")
    atlas.draw(painter, np.array(lefts[4:]), np.full(1, 3), np.array([9]), np.zeros(1, int), "✕ #")
    painter.end()
    assert drawn == atlas_image


def test_an_atlas_that_fills_up_still_draws_every_label(qtbot):
    create_app()
    image = _image(200, 40)
    painter = QPainter(image)
    atlas = LabelAtlas()
    atlas.prepare(painter.font(), [QColor("black")], 1.0)
    count = 30_000  # more distinct labels than one atlas holds
    atlas.draw(
        painter,
        np.full(count, 10),
        np.full(count, 5),
        np.arange(count),
        np.zeros(count, int),
        "#",
    )
    atlas.draw(painter, np.array([100]), np.array([5]), np.array([7]), np.zeros(1, int), "#")
    painter.end()
    dark = [
        x for x in range(95, 130) for y in range(5, 25) if QColor(image.pixel(x, y)).value() < 128
    ]
    assert dark  # "#7", drawn after the atlas started again


def _many_lanes_run(lanes: int = 24, per_lane: int = 3000, fail_every: int = 997) -> Run:
    """Many lanes of exponential bars, a few of them failed, with visible gaps."""
    rng = np.random.default_rng(11)
    run = Run(Experiment(workers=lanes, tasks=lanes * per_lane), cores=2, t0=0)
    run.set_driver(1000)
    frames = []
    for w in range(lanes):
        mine = np.arange(w, lanes * per_lane, lanes)
        duration = rng.exponential(300_000, per_lane).astype(np.int64) + 500
        gap = rng.exponential(20_000, per_lane).astype(np.int64)
        gap[149::150] += 30_000_000
        step = duration + gap
        start = 1_000_000 + np.cumsum(step) - step
        failed = mine % fail_every == 0
        rows = np.zeros(2 * per_lane - int(failed.sum()), RECORD_DTYPE)
        rows["kind"][:per_lane] = Kind.TASK_STARTED
        rows["task"][:per_lane], rows["t"][:per_lane] = mine, start
        rows["kind"][per_lane:] = Kind.TASK_FINISHED
        rows["task"][per_lane:] = mine[~failed]
        rows["t"][per_lane:] = (start + duration)[~failed]
        frames.append(wire.records_frame(2000 + w, 0, rows))
        errors = [
            [int(Kind.TASK_FAILED), 0, int(task), int(t), 0.0, "RuntimeError: deliberate"]
            for task, t in zip(mine[failed], (start + duration)[failed], strict=True)
        ]
        if errors:
            frames.append(wire.text_frame(2000 + w, 0, errors))
    run.apply(frames)
    run.finish("finished", "", int(run.task_end.max()) + 1_000_000)
    return run


@pytest.fixture
def timeline(qtbot):
    from coreography.gui.widgets.timeline import TimelineView

    create_app()
    view = TimelineView()
    qtbot.addWidget(view)
    view.resize(1280, 720)
    view.show()
    qtbot.waitExposed(view)
    return view


def _paint(qtbot, view) -> QImage:
    before = view.item.paints
    view.item.update()
    qtbot.waitUntil(lambda: view.item.paints > before, timeout=3000)
    return view.plot.viewport().grab().toImage()


@pytest.mark.parametrize("zoom", [1.0, 0.05, 0.002])
def test_failed_bars_keep_their_mark_among_many_lanes(qtbot, timeline, zoom):
    run = _many_lanes_run()
    assert (run.task_status == FAILED).sum() > 50
    timeline.set_run(run)
    timeline.follow.setChecked(False)
    timeline.fit_all()
    (x0, x1), _ = timeline.view_box.viewRange()
    bars = timeline.index.lanes[5]
    failed = sorted(bars.failed)
    middle = float(bars.starts.view()[failed[len(failed) // 2]])  # a failed bar's start
    half = (x1 - x0) * zoom / 2
    timeline.plot.setXRange(middle - half, middle + half, padding=0)
    image = _paint(qtbot, timeline)
    transform = timeline.item.deviceTransform(timeline.plot.viewportTransform())
    sx, dx, sy, dy = transform.m11(), transform.dx(), transform.m22(), transform.dy()
    ratio = image.devicePixelRatio()
    failed_rgb = QColor(theme.FAILED_COLOR).rgb()
    seen = 0
    for lane, bars in enumerate(timeline.index.lanes):
        starts = bars.starts.view()
        for position in bars.failed:
            start = float(starts[position])
            if not middle - half <= start <= middle + half:
                continue
            # The mark's 2 px outline runs down the bar's first column, in every view.
            x = int(np.clip(start * sx + dx, -1e6, 1e6))
            top = (lane + 0.5) * sy + dy
            column = {
                image.pixel(round((x + d) * ratio), round((top + e) * ratio))
                for d in (-1, 0, 1)
                for e in (-2, 0, 2)
            }
            assert failed_rgb in column, (lane, position, zoom)
            seen += 1
    assert seen >= 1
    assert timeline.item.last_marks.get("failed", 0) >= 1
