"""A paint of the timeline that has the same view, data and style as the last draws the
bars the last computed; anything else computes them again and shows the new picture."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QImage, QPainter, QPicture

from coreography.gui import look
from coreography.gui import theme as themes
from coreography.gui.widgets import timeline_item
from coreography.gui.widgets.timeline import TimelineView
from coreography.model import wire
from coreography.model.events import Kind
from coreography.model.experiment import Experiment
from coreography.model.run import RECORD_DTYPE, Run

LANES = 4
TASKS = 400


def _frames(first: int, count: int) -> list[bytes]:
    """Started and finished records of tasks ``first`` … (one every 6 ms in each lane,
    dealt round-robin: 1 ms long, but every tenth 5 ms, long enough to carry its
    number)."""
    tasks = np.arange(first, first + count)
    frames = []
    for w in range(LANES):
        mine = tasks[tasks % LANES == w]
        slot = mine // LANES
        start = 1_000_000 + slot * 6_000_000
        end = start + np.where(slot % 10 == 9, 5_000_000, 1_000_000)
        rows = np.zeros(2 * len(mine), RECORD_DTYPE)
        rows["kind"][0::2], rows["kind"][1::2] = Kind.TASK_STARTED, Kind.TASK_FINISHED
        rows["task"][0::2] = rows["task"][1::2] = mine
        rows["t"][0::2], rows["t"][1::2] = start, end
        frames.append(wire.records_frame(2000 + w, 0, rows))
    return frames


@pytest.fixture
def timeline(qtbot):
    run = Run(Experiment(workers=LANES, tasks=TASKS), cores=2, t0=0)
    run.set_driver(1000)
    run.apply(_frames(0, TASKS // 2))
    view = TimelineView()
    qtbot.addWidget(view)
    view.resize(1000, 400)
    view.show()
    qtbot.waitExposed(view)
    view.set_run(run)
    view.follow.setChecked(False)
    view.refresh()
    view.item.now_s = 1.0  # a live edge that stays put: only the data change
    view.plot.setXRange(0.25, 0.35, padding=0)  # the first half's last bars, the rest's first
    return view


def _picture(view: TimelineView) -> np.ndarray:
    image = view.plot.viewport().grab().toImage()
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    rows = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes())
    return rows.reshape(image.height(), image.bytesPerLine()).copy()


def _painted_and_computed(view: TimelineView) -> tuple[np.ndarray, np.ndarray]:
    """The view as a paint now draws it, and as a paint that computes everything."""
    painted = _picture(view)
    view.item._bars_drawn = None  # nothing to reuse
    return painted, _picture(view)


@pytest.mark.parametrize("from_pixmap", [False, True])
def test_an_unchanged_view_draws_the_bars_it_computed(qtbot, timeline, monkeypatch, from_pixmap):
    # However few the bars, the second paint keeps them in a pixmap (or never does).
    monkeypatch.setattr(timeline_item, "KEEP_PIXMAP_RECTS", 0 if from_pixmap else 10**9)
    first = _picture(timeline)
    computed = timeline.item.bar_computations
    pixmaps = timeline.item.bar_pixmap_draws
    again = [_picture(timeline) for _ in range(3)]
    assert timeline.item.bar_computations == computed  # drawn again, not computed
    assert timeline.item.bar_pixmap_draws == pixmaps + (3 if from_pixmap else 0)
    assert timeline.item.last_paint_rects > 0
    for picture in again:
        assert (first == picture).all()
    # A label over every tenth bar: they too are drawn again exactly.
    assert timeline.item._atlas.generation > 0


def test_new_data_view_and_theme_are_each_drawn_anew(qtbot, timeline, monkeypatch):
    monkeypatch.setattr(timeline_item, "KEEP_PIXMAP_RECTS", 0)
    before = _picture(timeline)
    computed = timeline.item.bar_computations

    def check() -> np.ndarray:
        nonlocal computed
        painted, fresh = _painted_and_computed(timeline)
        assert timeline.item.bar_computations > computed
        computed = timeline.item.bar_computations
        assert (painted == fresh).all()
        return painted

    _picture(timeline)  # drawn again from a pixmap: that too gives way to what changed
    # Data appended (same view, same live edge).
    timeline.index.run.apply(_frames(TASKS // 2, TASKS // 2))
    assert timeline.index.sync()
    timeline.item.update()
    appended = check()
    assert (appended != before).any()
    # The view moved.
    timeline.plot.setXRange(0.26, 0.33, padding=0)
    moved = check()
    assert (moved != appended).any()
    # The theme changed.
    light = themes.active()
    try:
        look.apply_look(timeline, themes.THEMES["dark"])
        dark = check()
        assert (dark != moved).any()
    finally:
        look.apply_look(timeline, light)


def test_a_painter_that_keeps_vectors_gets_rectangles_not_a_pixmap(qtbot, timeline, monkeypatch):
    monkeypatch.setattr(timeline_item, "KEEP_PIXMAP_RECTS", 0)
    scene = timeline.plot.scene()
    pixmaps = timeline.item.bar_pixmap_draws
    for _ in range(3):  # an export (SVG, print) paints into a picture, not pixels
        picture = QPicture()
        painter = QPainter(picture)
        scene.render(painter)
        painter.end()
    assert timeline.item.bar_pixmap_draws == pixmaps
    assert timeline.item.last_paint_rects > 0


def _fresh_picture(qtbot, like: TimelineView, monkeypatch) -> np.ndarray:
    """What a new timeline of the same size, run, view and live edge paints, gathering
    the bars of the view itself (not of the view widened)."""
    monkeypatch.setattr(timeline_item, "GATHER_STEPS", 0)
    view = TimelineView()
    qtbot.addWidget(view)
    view.resize(like.size())
    view.show()
    qtbot.waitExposed(view)
    view.set_run(like.index.run)
    view.follow.setChecked(False)
    view.refresh()
    view.item.now_s = like.item.now_s
    (x0, x1), _ = like.view_box.viewRange()
    view.plot.setXRange(x0, x1, padding=0)
    view.plot.setYRange(*like.view_box.viewRange()[1], padding=0)
    picture = _picture(view)
    view.close()
    monkeypatch.undo()
    return picture


@pytest.mark.parametrize("view", [(0.0, 1.2), (0.25, 0.35)])  # all bars; few, with labels
def test_a_panned_view_draws_what_a_new_timeline_draws_there(qtbot, timeline, view, monkeypatch):
    """Panning by a few pixels reuses the bars it gathered (those beyond the view are
    clipped away): every step shows exactly what a timeline painting it afresh shows,
    labels, shades and the bars cut at the edges included."""
    timeline.plot.setXRange(*view, padding=0)
    _picture(timeline)
    gathers = timeline.item.bar_gathers
    (x0, x1), _ = timeline.view_box.viewRange()
    pixel = (x1 - x0) / timeline.view_box.width()
    reused = 0
    for step_px in (1, 1, 3, -2, 7, 40, -45, 300):
        x0 += step_px * pixel
        x1 += step_px * pixel
        timeline.plot.setXRange(x0, x1, padding=0)
        before = timeline.item.bar_gathers
        panned = _picture(timeline)
        reused += timeline.item.bar_gathers == before
        assert (panned == _fresh_picture(qtbot, timeline, monkeypatch)).all(), step_px
    assert reused >= 3  # small steps gathered nothing anew
    assert timeline.item.bar_gathers > gathers  # a long one did
    # New data in the same view is gathered anew, not drawn from the old arrays.
    timeline.index.run.apply(_frames(TASKS // 2, TASKS // 2))
    assert timeline.index.sync()
    timeline.item.update()
    before = timeline.item.bar_gathers
    grown = _picture(timeline)
    assert timeline.item.bar_gathers == before + 1
    assert (grown == _fresh_picture(qtbot, timeline, monkeypatch)).all()
