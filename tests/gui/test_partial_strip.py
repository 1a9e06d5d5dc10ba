"""A strip of the timeline repainted alone (what a live frame does) shows exactly what a
paint of the whole view shows there: bars, gaps, pixel columns and labels."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage

from coreography.gui.widgets.timeline import TimelineView
from coreography.model import wire
from coreography.model.events import Kind
from coreography.model.experiment import Experiment
from coreography.model.run import RECORD_DTYPE, Run

#: Mean task duration of each lane (ns): the first lanes are dense at a full view, the
#: last drawn bar by bar with their numbers.
MEANS = (20_000, 50_000, 200_000, 5_000_000, 20_000_000, 60_000_000)


def _mixed_run() -> Run:
    rng = np.random.default_rng(11)
    lanes = len(MEANS)
    per_lane = [int(1.2e9 / mean) for mean in MEANS]  # each lane about 1.2 s long
    run = Run(Experiment(workers=lanes, tasks=sum(per_lane)), cores=2, t0=0)
    run.set_driver(1000)
    frames, first = [], 0
    for w, (mean, count) in enumerate(zip(MEANS, per_lane, strict=True)):
        mine = np.arange(first, first + count)
        first += count
        duration = rng.exponential(mean, count).astype(np.int64) + 1_000
        gap = rng.exponential(mean / 10, count).astype(np.int64)
        gap[97::100] += 30_000_000  # a gap a full view shows
        step = duration + gap
        start = 1_000_000 + np.cumsum(step) - step
        rows = np.zeros(2 * count, RECORD_DTYPE)
        rows["kind"][0::2], rows["kind"][1::2] = Kind.TASK_STARTED, Kind.TASK_FINISHED
        rows["task"][0::2] = rows["task"][1::2] = mine
        rows["t"][0::2], rows["t"][1::2] = start, start + duration
        frames.append(wire.records_frame(2000 + w, 0, rows))
    run.apply(frames)
    run.finish("finished", "", int(run.task_end.max()) + 1_000_000)
    return run


@pytest.fixture
def timeline(qtbot):
    view = TimelineView()
    qtbot.addWidget(view)
    view.resize(1280, 520)
    view.show()
    qtbot.waitExposed(view)
    return view


def _pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    rows = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes())
    return rows.reshape(image.height(), image.bytesPerLine())[:, : image.width() * 4].copy()


def _shown_and_fresh(view: TimelineView) -> tuple[np.ndarray, np.ndarray]:
    """What the window shows (its backing store) and a fresh paint of the whole view."""
    viewport = view.plot.viewport()
    area = viewport.rect().translated(viewport.mapTo(view, viewport.rect().topLeft()))
    shown = view.screen().grabWindow(view.winId()).toImage().copy(area)
    fresh = view.grab().toImage().copy(area)
    return _pixels(shown), _pixels(fresh)


def _settle(qtbot, view: TimelineView) -> None:
    """Wait until nothing more is painted: a new window is painted whole again as it
    becomes the active one (after another test's window closed, that can come late)."""
    for _ in range(100):
        painted = view.item.paints
        qtbot.wait(40)
        if view.item.paints == painted:
            return


@pytest.mark.parametrize("share", [1.0, 0.2, 0.02])
def test_a_strip_repainted_alone_matches_the_whole_view(qtbot, timeline, share):
    run = _mixed_run()
    timeline.set_run(run)
    timeline.follow.setChecked(False)
    end = float(run.seconds(int(run.task_end.max())))
    x0 = 0.37 * end * (1 - share)
    x1 = x0 + share * end
    timeline.plot.setXRange(x0, x1, padding=0)
    _settle(qtbot, timeline)
    whole = timeline.item.last_paint_rects
    assert whole > 0
    rng = np.random.default_rng(int(share * 100))
    for _ in range(6):
        width = (x1 - x0) * rng.uniform(0.003, 0.1)
        left = x0 + (x1 - x0 - width) * rng.uniform()
        # Only the strip is repainted: the rest of the view keeps the whole paint's pixels.
        timeline.item.update(QRectF(left, 0.0, width, float(len(run.lanes))))
        painted = timeline.item.paints
        qtbot.waitUntil(lambda painted=painted: timeline.item.paints > painted, timeout=2000)
        assert timeline.item.last_paint_rects < whole  # this paint computed its strip only
        shown, fresh = _shown_and_fresh(timeline)
        differ = np.argwhere(shown != fresh)
        assert not len(differ), (left, width, differ[:10])
