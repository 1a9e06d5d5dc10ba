"""Screenshots of repeated series: the sweep chart's whiskers and Compare's ranges, in
light and dark, at 1280×720 and 1920×1080 (COREOGRAPHY_SCREENSHOTS keeps them)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from coreography.model.experiment import Experiment
from coreography.model.history import History
from tests.gui.teaching_helpers import open_window, wait_series
from tests.gui.test_look_screenshots import clipped_labels

pytestmark = pytest.mark.slow

BASE = Experiment(model="pool-map", workers=1, tasks=4, workload="cpu", size=20.0)
SIZES = ((1280, 720), (1920, 1080))


def _shoot(qtbot, win, path: Path, width: int, height: int) -> None:
    win.resize(width, height)
    qtbot.waitUntil(lambda: win.width() == width and win.height() == height)
    qtbot.wait(80)
    image = win.grab().toImage()
    assert image.save(str(path))
    assert not clipped_labels(win), clipped_labels(win)


def test_screenshots_of_whiskers_and_ranges(qtbot, tmp_path):
    shots = Path(os.environ.get("COREOGRAPHY_SCREENSHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    with History(tmp_path / "history.sqlite3") as history:
        win = open_window(qtbot, history)
        win.teaching.repeats = 3
        win.teaching.run_sweep("workers", [1, 2, 3, 4], BASE)
        wait_series(qtbot, win)
        chart = win.teaching.sweep_chart
        assert chart.whiskers.isVisible() and len(chart.series) == 4
        for theme in ("light", "dark"):
            win.desktop.set_theme(theme)
            for width, height in SIZES:
                _shoot(
                    qtbot,
                    win,
                    shots / f"sweep-whiskers-{theme}-{width}x{height}.png",
                    width,
                    height,
                )
        win.teaching.show_lessons("chunksize")
        win.teaching.lesson_panel.run_button.click()
        wait_series(qtbot, win)
        view = win.teaching.compare_view
        assert win.teaching.tabs.currentWidget() is view and view.table.columnCount() == 3
        assert view.value(0, "repeats") == "3 of 3"
        for theme in ("light", "dark"):
            win.desktop.set_theme(theme)
            for width, height in SIZES:
                _shoot(
                    qtbot,
                    win,
                    shots / f"compare-ranges-{theme}-{width}x{height}.png",
                    width,
                    height,
                )
        win.close()
