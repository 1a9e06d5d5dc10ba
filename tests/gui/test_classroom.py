"""Ready for a classroom: every text legible in every theme, nothing cut off in
presentation mode at a projector's resolutions, the first lessons run from the keyboard."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from coreography.gui import contrast, theme
from coreography.gui.widgets.console import RESULTS_PREFIX
from coreography.gui.widgets.timeline_item import bar_colors
from coreography.lessons.registry import all_lessons
from coreography.model.experiment import Experiment
from coreography.model.history import History
from tests.gui.clipping import clipped_texts
from tests.gui.teaching_helpers import open_window, wait_series

RESOLUTIONS = ((1280, 720), (1920, 1080))


def _lane_colors(look: theme.Theme) -> list[QColor]:
    return [QColor(c) for c in theme.LANE_COLORS] + [QColor(look.muted)]


@pytest.mark.parametrize("name", list(theme.THEMES))
def test_every_label_reads_on_its_background_in_every_theme(name):
    look = theme.THEMES[name]
    low = []
    for color in _lane_colors(look):  # bar labels, on both shades of a lane's bars
        base, alternate, _running, text = bar_colors(color)
        for fill in (base, alternate):
            if contrast.ratio(text, fill) < 4.5:
                low.append(("bar", color.name(), fill.name(), contrast.ratio(text, fill)))
    for role in theme.SYNTAX_HUES:  # the code editor and the code view
        color = theme.syntax_color(role, look)
        if contrast.ratio(color, look.plot) < 4.5:
            low.append(("syntax", role, contrast.ratio(color, look.plot)))
    for color in [*_lane_colors(look), QColor(theme.FAILED_COLOR)]:  # the console
        shown = theme.text_color(color, look)
        if contrast.ratio(shown, look.plot) < 4.5:
            low.append(("console", color.name(), contrast.ratio(shown, look.plot)))
    assert contrast.ratio(look.text, look.window) >= 7.0
    assert contrast.ratio(look.text, look.plot) >= 7.0
    assert not low, low


def test_the_contrast_measure_is_the_wcag_one():
    assert contrast.ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast.ratio("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)
    # The labels the first version drew: white on orange and yellow.
    assert contrast.ratio("#FFFFFF", theme.ORANGE) < 2.5
    assert contrast.text_on(theme.ORANGE).name() == "#000000"
    assert contrast.text_on(theme.BLUE).name() == "#ffffff"


def test_high_contrast_is_clearly_not_light():
    light, high = theme.THEMES["light"], theme.THEMES["high-contrast"]
    assert contrast.ratio(light.window, high.window) > 10
    assert contrast.ratio(light.plot, high.plot) > 10


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("COREOGRAPHY_SCREENSHOTS") or tmp_path / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _run_from_keyboard(qtbot, win, number: int, key=Qt.Key.Key_Space):
    lesson = all_lessons()[number - 1]
    win.desktop.load_lesson(lesson)
    win.activateWindow()  # shortcuts reach the active window
    qtbot.waitUntil(win.isActiveWindow)
    qtbot.keyClick(win, key)
    assert win.teaching.series is not None, "the key did not start the lesson"
    wait_series(qtbot, win)
    series = win.teaching.series
    assert series is not None and series.total == 1 and series.points[0].run is not None
    run = win.presenter.run
    assert run.state == "finished", run.message
    return run


def _check_view_fits_activity(qtbot, win, run) -> None:
    """The view starts where the program began (not at t = 0), shows every bar, and the
    work zoom makes microseconds of work fill the view."""
    timeline = win.timeline
    (x0, x1), _ = timeline.view_box.viewRange()
    begin = float(run.seconds(run.run_started_ns))
    assert begin > 0.0
    assert x0 > 0.5 * begin  # the interpreter's start before the program is left out
    start, end = timeline.work_span()
    assert x0 <= start and end <= x1
    qtbot.keyClick(win, Qt.Key.Key_W)  # View → Zoom to work
    (z0, z1), _ = timeline.view_box.viewRange()
    assert (end - start) / (z1 - z0) > 0.8
    assert timeline.view_box.width() * (end - start) / (z1 - z0) > 100  # pixels of work
    timeline.fit_all()


@pytest.mark.slow
def test_first_lessons_from_the_keyboard_in_presentation(qtbot, tmp_path, shots):
    with History(tmp_path / "history.sqlite3") as history:
        win = open_window(qtbot, history)
        win.desktop.set_theme("dark")
        win.desktop.presentation.set_active(True, full_screen=False)
        win.resize(1280, 720)
        assert win.desktop.current_theme().name == "dark"  # the teacher's theme stays
        assert win.dock("console").isVisible() and win.statusBar().isVisible()
        assert not win.dock("lessons").isVisible()

        run = _run_from_keyboard(qtbot, win, 1)
        lines = win.console.lines()
        assert lines == [f"[{run.worker_lanes()[0].label}] Worker process"]
        assert "start-up" in win.timeline.summary.text() and "work" in win.timeline.summary.text()
        _check_view_fits_activity(qtbot, win, run)

        run = _run_from_keyboard(qtbot, win, 2, Qt.Key.Key_R)
        # The program ends with print(results): the console shows the list, said by the
        # app (no process of the run printed it).
        assert win.console.lines()[-1] == f"{RESULTS_PREFIX}[0, 1, 4, 9, 16, 25, 36, 49, 64, 81]"
        _check_view_fits_activity(qtbot, win, run)

        run = _run_from_keyboard(qtbot, win, 3)
        printed = [re.search(r"Process ID: (\d+) - Number: (\d)$", x) for x in win.console.lines()]
        assert all(printed) and len(printed) == 4
        assert sorted(int(m.group(2)) for m in printed) == [1, 2, 3, 4]  # as the classic one
        assert len({m.group(1) for m in printed}) == 4
        caption = win.desktop.caption
        # Rich text escaped: "<pid>" and "<n>" are shown, not taken for markup.
        assert "Process ID: &lt;pid&gt; - Number: &lt;n&gt;" in caption.text()
        _check_view_fits_activity(qtbot, win, run)

        # A run of another experiment takes the lesson's captions down.
        win.desktop.presentation.set_active(False)
        win.experiment_panel.set_experiment(
            Experiment(model="pool-map", workers=2, tasks=4, workload="io", size=5.0)
        )
        win.start_run()
        assert win.desktop.lesson is None and not caption.isVisible()
        qtbot.waitUntil(lambda: win.presenter.run.is_over, timeout=60_000)
        win.close()


@pytest.mark.slow
def test_presentation_shows_every_text_whole(qtbot, tmp_path, shots):
    """At 1280×720 and 1920×1080, in each theme: nothing cut or elided on any dock,
    the Compare table with four columns included."""
    with History(tmp_path / "history.sqlite3") as history:
        win = open_window(qtbot, history)
        lesson = all_lessons()[1]
        win.desktop.load_lesson(lesson)
        for _ in range(2):
            win.teaching.run_lesson(lesson)
            wait_series(qtbot, win)
        runs = list(win.teaching.session.values())
        assert len(runs) == 2 and all(run.state == "finished" for run in runs)
        # Four columns, two of them with a range of repeats: the widest figures there are.
        entries = [("A repeated", runs[0]), ("A repeated", runs[1])]
        entries += [(f"run {n}", run) for n, run in enumerate(runs)]
        entries += [("another", runs[0])]
        from coreography.model.series import summarize

        compare = win.teaching.compare_view
        compare.set_points(summarize(entries))
        assert compare.table.columnCount() == 4
        win.teaching.show_tab(win.teaching.tabs.widget(0))
        presentation = win.desktop.presentation
        presentation.set_active(True, full_screen=False)
        problems = {}
        for name in theme.THEMES:
            win.desktop.set_theme(name)
            for width, height in RESOLUTIONS:
                win.resize(width, height)
                qtbot.wait(150)
                presentation._widen_docks()
                # The window fits the projector: nothing below its bottom edge.
                assert win.height() <= height, (width, height, win.minimumSizeHint())
                for tab in (0, win.teaching.tabs.indexOf(compare)):
                    win.teaching.tabs.setCurrentIndex(tab)
                    qtbot.wait(150)
                    where = f"{name} {width}x{height} {win.teaching.tabs.tabText(tab)}"
                    win.grab().save(str(shots / f"presentation-{where.replace(' ', '-')}.png"))
                    found = clipped_texts(win)
                    if found:
                        problems[where] = found
                    if tab:
                        assert not win.dock("metrics").isVisible()  # the table replaces it
                        assert "— A" in win.dock("cpu_per_core").windowTitle()
        presentation.set_active(False)
        assert not problems, problems
        win.close()


def test_the_editor_keeps_the_indentation(qtbot):
    from coreography.gui.widgets.code_editor import NumberedEditor

    editor = NumberedEditor()
    qtbot.addWidget(editor)
    editor.setPlainText("def task(x):")
    editor.moveCursor(editor.textCursor().MoveOperation.End)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.keyClicks(editor, "y = x")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.keyClicks(editor, "return y")
    assert editor.toPlainText() == "def task(x):\n    y = x\n    return y"


def test_an_opened_recording_gets_its_own_findings_and_no_lesson_caption(qtbot, tmp_path):
    from coreography.model.diagnosis import diagnose
    from coreography.model.recording import save_run
    from tests.gui.synthetic import make_run

    with History(tmp_path / "history.sqlite3") as history:
        win = open_window(qtbot, history)
        win.desktop.load_lesson(all_lessons()[3])
        assert win.desktop.caption.isVisible()
        win.teaching.findings.set_findings("an earlier run", [])
        recorded = make_run(workers=2, tasks=10)
        path = tmp_path / "shown.coreo.json"
        save_run(recorded, path)
        run = win.open_recording(path)
        assert run is not None
        assert win.desktop.lesson is None and not win.desktop.caption.isVisible()
        findings = win.teaching.findings.findings
        assert [f.text for f in findings] == [f.text for f in diagnose(run)]
        win.close()
