"""The timeline's lane axis is as wide as the longest lane name, so a traced program's
"SpawnPoolWorker-12 · PID 123456" is never cut, in normal and presentation sizes."""

from __future__ import annotations

from PySide6.QtGui import QFontMetrics

from tests.gui.synthetic import make_run

LONG = "SpawnPoolWorker-12 · PID 123456"


def _tick_names(axis) -> list[str]:
    return [name for level in axis._tickLevels for _value, name in level]


def _room_for_names(axis) -> int:
    """Pixels the axis leaves its names: its width less the gap at the plot's edge."""
    return int(axis.width()) - axis.style["tickTextOffset"][0] - max(0, axis.style["tickLength"])


def _show(qtbot, window, run):
    window.resize(1280, 720)
    window.presenter.show_run(run)
    timeline = window.timeline
    qtbot.waitUntil(lambda: LONG in _tick_names(timeline.lane_axis))
    return timeline


def test_a_long_lane_name_widens_the_axis(qtbot, window):
    run = make_run(workers=3, tasks=6)
    run.lanes[1].label = LONG
    timeline = _show(qtbot, window, run)
    axis = timeline.lane_axis
    for presenting in (False, True):
        window.desktop.presentation.set_active(presenting, full_screen=False)
        needed = QFontMetrics(axis.name_font()).horizontalAdvance(LONG)
        qtbot.waitUntil(lambda n=needed: _room_for_names(axis) >= n, timeout=3000)
        assert LONG in _tick_names(axis)  # whole, not elided
        assert axis.width() > axis.fixedWidth  # wider than the usual 150 (× zoom)
        # The queue-depth track under the lanes keeps the same left edge.
        assert timeline.depth_track.getAxis("left").shown_width() == axis.shown_width()
    window.desktop.presentation.set_active(False)


def test_a_lane_renamed_later_is_shown_by_its_new_name(qtbot, window):
    run = make_run(workers=2, tasks=4)
    run.lanes[1].label = LONG
    timeline = _show(qtbot, window, run)
    renamed = "ForkServerPoolWorker-2 · PID 654321"
    run.lanes[1].label = renamed
    run.version += 1  # as applying the event that named the process does
    timeline.refresh()
    assert renamed in _tick_names(timeline.lane_axis)
    needed = QFontMetrics(timeline.lane_axis.name_font()).horizontalAdvance(renamed)
    qtbot.waitUntil(lambda: _room_for_names(timeline.lane_axis) >= needed, timeout=3000)


def test_short_names_keep_the_usual_width_and_a_huge_one_is_capped(qtbot, window):
    run = make_run(workers=2, tasks=4)
    timeline = _show_plain(qtbot, window, run)
    axis = timeline.lane_axis
    assert axis.shown_width() == axis.fixedWidth  # "Worker 1 · PID …" fits in 150 px
    huge = "W" * 400
    run.lanes[1].label = huge
    timeline.refresh()
    assert huge not in _tick_names(axis)  # elided: the bars keep most of the width
    assert axis.shown_width() <= timeline.width() * 0.4 + 1


def _show_plain(qtbot, window, run):
    window.presenter.show_run(run)
    qtbot.waitUntil(lambda: len(_tick_names(window.timeline.lane_axis)) == len(run.lanes))
    return window.timeline
