"""Lessons in the window: pick one, read it, run it, see its result and findings."""

from __future__ import annotations

import pytest

from coreography.lessons.registry import all_lessons, get_lesson
from coreography.model.history import History
from coreography.model.speedup import MIN_MEASURABLE_WORK_S
from tests.gui.teaching_helpers import open_window, screenshot, wait_series

pytestmark = pytest.mark.slow


@pytest.fixture
def history(tmp_path):
    with History(tmp_path / "history.sqlite3") as store:
        yield store


def test_picker_lists_every_lesson_with_its_text(qtbot, history, tmp_path):
    win = open_window(qtbot, history)
    panel = win.teaching.lesson_panel
    assert panel.list.count() == len(all_lessons())
    for row, lesson in enumerate(all_lessons()):
        assert panel.list.item(row).text() == f"{lesson.number}. {lesson.title}"
    win.teaching.show_lessons("threads-vs-processes-cpu")
    lesson = get_lesson("threads-vs-processes-cpu")
    text = panel.text.toPlainText()
    for caption in lesson.captions:
        assert caption in text
    assert lesson.question in text
    assert "Ask the class" in text and "What to notice" in text
    assert win.teaching.lessons_dock.isVisible()
    qtbot.waitUntil(lambda: win.teaching.lessons_dock.width() >= 300, timeout=2000)
    screenshot(win, "lesson-picker.png", tmp_path)


def test_running_the_squares_lesson_shows_its_result_and_keeps_the_run(qtbot, history):
    win = open_window(qtbot, history)
    panel = win.teaching.lesson_panel
    win.teaching.show_lessons("pool-of-squares")
    qtbot.mouseClick(panel.run_button, _left())
    qtbot.waitUntil(lambda: not panel.run_button.isEnabled(), timeout=5000)
    wait_series(qtbot, win)

    series = win.teaching.series
    assert [p.run.state for p in series.points] == ["finished"]
    assert "[0, 1, 4, 9, 16, 25, 36, 49, 64, 81]" in panel.results.toPlainText()
    assert "Done: 1 of 1 runs" in panel.status.text()
    assert panel.run_button.isEnabled()
    # Findings are said in plain words, and the run joined the history.
    assert win.teaching.findings.plain_text().startswith("A pool of squares")
    entries = history.list()
    assert len(entries) == 1 and entries[0].title.startswith("A pool of squares")
    assert win.teaching.history_panel.tree.topLevelItemCount() == 1


def test_a_two_experiment_lesson_runs_both_and_compares_them(qtbot, history, tmp_path):
    win = open_window(qtbot, history)
    win.teaching.repeats = 1
    win.teaching.show_lessons("threads-vs-processes-cpu")
    qtbot.mouseClick(win.teaching.lesson_panel.run_button, _left())
    wait_series(qtbot, win)

    points = win.teaching.series.points
    assert [p.experiment.model for p in points] == ["thread-pool", "pool-map"]
    assert all(p.run.state == "finished" for p in points)
    results = win.teaching.lesson_panel.results.toPlainText()
    assert "ThreadPoolExecutor (threads)" in results and "Pool.map (processes)" in results
    # Each run kept, and the two shown one above the other.
    assert len(history) == 2
    assert win.teaching.tabs.currentWidget() is win.teaching.compare_view
    assert win.teaching.compare_view.runs == (points[0].run, points[1].run)


def _left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def test_a_three_experiment_lesson_compares_all_three_with_ranges(qtbot, history, tmp_path):
    win = open_window(qtbot, history)
    win.teaching.repeats = 2
    win.teaching.show_lessons("chunksize")
    qtbot.mouseClick(win.teaching.lesson_panel.run_button, _left())
    wait_series(qtbot, win)

    series = win.teaching.series
    assert len(series.points) == 6 and all(p.run.state == "finished" for p in series.points)
    view = win.teaching.compare_view
    assert win.teaching.tabs.currentWidget() is view
    assert view.table.columnCount() == 3 and len(view.runs) == 3
    assert [t.isVisible() for t in view.timelines[:3]] == [True, True, True]
    assert [p.label for p in view.points] == ["chunksize 1", "chunksize auto", "chunksize 1000"]
    for column in range(3):
        assert view.value(column, "repeats") == "2 of 2"
        assert view.value(column, "baseline") == "estimate"
        assert "(estimated)" not in view.value(column, "speedup")  # said once, in its row
    speedup_row = view.row_names.index("speedup")
    assert view.table.verticalHeaderItem(speedup_row).text() == "Speedup (estimated)"
    # One baseline for all three: their speedups differ exactly as their wall times do.
    first, second = view.points[0], view.points[1]
    assert first.baseline == second.baseline
    if first.baseline.seconds < MIN_MEASURABLE_WORK_S:  # microsecond squares: no quotient
        assert first.speedup is None and second.speedup is None
        assert view.value(0, "speedup") == view.value(1, "speedup") == "—"
    else:
        ratio = first.speedup.median / second.speedup.median
        assert ratio == pytest.approx(second.wall.median / first.wall.median, rel=1e-9)
    text = win.teaching.lesson_panel.results.toPlainText()
    assert "(median, min–max)" in text
    screenshot(win, "compare-three.png", tmp_path)
    win.close()


def test_a_lesson_judges_its_claims_against_the_measurement(qtbot, history):
    win = open_window(qtbot, history)
    win.teaching.repeats = 1
    win.teaching.show_lessons("threads-vs-processes-io")
    qtbot.mouseClick(win.teaching.lesson_panel.run_button, _left())
    wait_series(qtbot, win)
    panel = win.teaching.lesson_panel
    (verdict,) = panel.verdicts
    assert verdict.caption == 1 and verdict.shown is not None
    text = panel.results.toPlainText()
    assert "What to notice — this time" in text
    assert ("Shown this time" in text) == verdict.shown
    assert ("Not shown this time" in text) == (not verdict.shown)
    win.close()
