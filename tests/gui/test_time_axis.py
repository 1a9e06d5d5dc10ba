"""The time axis lays out the same ticks and labels as pyqtgraph's own axis, cheaply."""

from __future__ import annotations

import math

import pyqtgraph as pg
import pytest
from PySide6.QtGui import QFont, QImage, QPainter

from coreography.gui.widgets.time_axis import TimeAxis

#: (x0, x1) ranges a timeline, a CPU graph or a pan shows: tiny, odd, negative, huge.
RANGES = [
    (0.0, 1.0),
    (0.0, 0.0123),
    (0.5, 0.5 + 1e-6),
    (-0.3, 4.7),
    (12.345, 12.9),
    (0.0, 61.0),
    (-60.0, 0.0),
    (3.0, 3600.0),
    (1e-3, 7e-3),
    (99.99, 100.01),
]


def specs_of(axis: pg.AxisItem):
    """(axis line, ticks as (alpha, x1, y1, x2, y2), labels as (rect, flags, text))."""
    image = QImage(16, 16, QImage.Format.Format_ARGB32_Premultiplied)
    painter = QPainter(image)
    try:
        got = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    assert got is not None
    (pen, p1, p2), ticks, texts = got
    line = (pen.color().rgba(), round(p1.x(), 6), round(p1.y(), 6), round(p2.x(), 6), p2.y())
    tick_rows = [
        (pen.color().alpha(), round(a.x(), 6), round(a.y(), 6), round(b.x(), 6), round(b.y(), 6))
        for pen, a, b in ticks
    ]
    text_rows = [
        (tuple(round(v, 4) for v in rect.getRect()), int(flags.value), text)
        for rect, flags, text in texts
    ]
    return line, sorted(tick_rows), sorted(text_rows)


def plot_pair(qtbot, orientation: str, width: int):
    plots = []
    for axis in (pg.AxisItem(orientation), TimeAxis(orientation)):
        plot = pg.PlotWidget(axisItems={orientation: axis})
        plot.showAxis(orientation)
        plot.resize(width, 300)
        qtbot.addWidget(plot)
        plot.show()
        plots.append(plot)
    qtbot.waitExposed(plots[1])
    return plots


@pytest.mark.parametrize("orientation", ["bottom", "top"])
@pytest.mark.parametrize("width", [420, 1400])
def test_ticks_and_labels_match_pyqtgraph(qtbot, orientation, width):
    ours_differ = []
    plots = plot_pair(qtbot, orientation, width)
    for font_size in (9, 22):  # the desktop's letters, and a projector's
        font = QFont()
        font.setPointSize(font_size)
        for plot in plots:
            plot.getAxis(orientation).setTickFont(font)
        for x0, x1 in RANGES:
            for plot in plots:
                plot.setXRange(x0, x1, padding=0)
            theirs, ours = (specs_of(plot.getAxis(orientation)) for plot in plots)
            assert ours[1], "no ticks at all"
            if ours != theirs:
                ours_differ.append((font_size, x0, x1, ours, theirs))
            # The labels were measured once: a second layout measures nothing again.
            axis = plots[1].getAxis(orientation)
            measured = len(axis._measured)
            assert specs_of(axis) == ours
            assert len(axis._measured) == measured
    assert not ours_differ, ours_differ[0]


def test_the_labels_are_the_strings_of_the_shown_ticks(qtbot):
    plot = plot_pair(qtbot, "bottom", 1000)[1]
    plot.setXRange(0.0, 10.0, padding=0)
    axis = plot.getAxis("bottom")
    _, ticks, texts = specs_of(axis)
    labels = [text for *_, text in texts]
    # Whole seconds, in order; those at the very ends would stick out of the axis.
    assert labels == sorted(labels, key=float) and {"2", "5", "8"} <= set(labels)
    width = axis.mapRectFromParent(axis.geometry()).width()
    tick_xs = [x for _, x, *_ in ticks]
    for (left, _, text_width, _), _, text in texts:
        centre = left + text_width / 2.0
        assert any(math.isclose(centre, x, abs_tol=0.01) for x in tick_xs)
        assert math.isclose(centre / width * 10.0, float(text), abs_tol=1e-6)


def test_a_time_axis_is_horizontal():
    with pytest.raises(ValueError, match="horizontal"):
        TimeAxis("left")


def test_set_ticks_and_log_mode_fall_back_to_pyqtgraph(qtbot):
    ours = TimeAxis("bottom")
    theirs = pg.AxisItem("bottom")
    plots = []
    for axis in (theirs, ours):
        plot = pg.PlotWidget(axisItems={"bottom": axis})
        plot.resize(800, 300)
        qtbot.addWidget(plot)
        plot.show()
        plots.append(plot)
        axis.setTicks([[(0.5, "half"), (1.5, "one and a half")]])
        plot.setXRange(0.0, 2.0, padding=0)
    qtbot.waitExposed(plots[1])
    assert specs_of(ours) == specs_of(theirs)
    assert [text for *_, text in specs_of(ours)[2]] == ["half", "one and a half"]


@pytest.mark.parametrize(("x0", "x1"), [(0.0, 1.0), (12.345, 12.9), (-60.0, 0.0)])
def test_it_paints_the_same_pixels_as_pyqtgraph(qtbot, x0, x1):
    """Drawn straight onto its cache rather than through a recorded picture, and its
    ticks one pen at a time: the axis looks exactly as pyqtgraph's does."""
    images = []
    for plot in plot_pair(qtbot, "bottom", 900):
        plot.setXRange(x0, x1, padding=0)
        axis = plot.getAxis("bottom")
        axis.setCacheMode(axis.CacheMode.DeviceCoordinateCache)
        qtbot.wait(10)
        area = axis.mapRectToScene(axis.boundingRect()).toAlignedRect()
        images.append(plot.grab(area).toImage())
    theirs, ours = images
    assert not ours.isNull() and ours.size() == theirs.size()
    colors = {ours.pixel(x, y) for x in range(0, ours.width(), 3) for y in range(ours.height())}
    assert len(colors) > 2  # text and ticks, not an empty strip
    assert ours == theirs


def test_the_layout_does_not_depend_on_the_device_painted_on(qtbot):
    """Text is measured as pyqtgraph measures it (on a picture at the screen's
    resolution): laid out while painting a 72 dpi device (as an SVG export is), the
    axis gives the labels the sizes and places the screen gives them."""
    plot = plot_pair(qtbot, "bottom", 900)[1]
    plot.setXRange(0.0, 3.0, padding=0)
    axis = plot.getAxis("bottom")
    screen = specs_of(axis)
    axis._measured.clear()
    image = QImage(16, 16, QImage.Format.Format_ARGB32_Premultiplied)
    image.setDotsPerMeterX(round(72 / 0.0254))
    image.setDotsPerMeterY(round(72 / 0.0254))
    painter = QPainter(image)
    try:
        assert painter.device().logicalDpiX() == 72
        (_, _, texts) = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    assert texts
    assert [(tuple(round(v, 4) for v in r.getRect()), t) for r, _, t in texts] == [
        (rect, text) for rect, _, text in screen[2]
    ]
