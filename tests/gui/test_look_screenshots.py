"""Screenshots of each theme and of presentation mode (1280×720, 4K, QT_SCALE_FACTOR=1.5),
with a check that no label's text is clipped. ``make screenshots`` keeps them in
``screenshots/`` (COREOGRAPHY_SCREENSHOTS); otherwise they go to a temporary folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLabel

from coreography.lessons.registry import all_lessons
from coreography.model.experiment import Experiment
from tests.gui.conftest import start, wait_over

pytestmark = pytest.mark.slow


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("COREOGRAPHY_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def clipped_labels(window) -> list[str]:
    """Visible one-line plain-text labels whose text is wider than the label."""
    clipped = []
    for label in window.findChildren(QLabel):
        text = label.text()
        if not label.isVisible() or not text or label.wordWrap() or "<" in text:
            continue
        if label.textFormat() == Qt.TextFormat.RichText:
            continue
        need = label.fontMetrics().horizontalAdvance(text) + 2 * label.margin()
        if need > label.contentsRect().width() + 1:
            clipped.append(f"{text!r}: needs {need}px, has {label.contentsRect().width()}px")
    return clipped


def _finished_run(qtbot, window):
    experiment = Experiment(
        model="pool-map", workers=2, tasks=12, workload="cpu", size=40.0, distribution="uniform"
    )
    run = start(qtbot, window, experiment)
    wait_over(qtbot, window)
    assert run.state == "finished"
    window.desktop.load_lesson(all_lessons()[1])  # a caption to look at
    window.experiment_panel.set_experiment(experiment)


def _shoot(qtbot, window, path: Path, width: int, height: int) -> QImage:
    window.resize(width, height)
    qtbot.waitUntil(lambda: window.width() == width and window.height() == height)
    qtbot.wait(50)
    image = window.grab().toImage()
    assert image.save(str(path))
    assert (image.width(), image.height()) == (width, height)
    return image


def test_screenshot_each_theme_and_presentation(qtbot, window, shots):
    _finished_run(qtbot, window)
    for name in ("light", "dark", "high-contrast"):
        window.desktop.set_theme(name)
        _shoot(qtbot, window, shots / f"theme-{name}-1280x720.png", 1280, 720)
        assert not clipped_labels(window), (name, clipped_labels(window))
    window.desktop.set_theme("light")
    window.desktop.presentation.set_active(True, full_screen=False)
    _shoot(qtbot, window, shots / "presentation-1280x720.png", 1280, 720)
    assert not clipped_labels(window), clipped_labels(window)
    _shoot(qtbot, window, shots / "presentation-3840x2160.png", 3840, 2160)
    assert not clipped_labels(window), clipped_labels(window)
    window.desktop.presentation.set_active(False)
    _shoot(qtbot, window, shots / "normal-3840x2160.png", 3840, 2160)
    assert not clipped_labels(window), clipped_labels(window)


SCALED = """
import sys
from coreography.gui.app import create_app
from coreography.gui.main_window import MainWindow
from tests.gui.test_look_screenshots import clipped_labels
app = create_app()
window = MainWindow()
window.resize(1280, 720)
window.show()
window.desktop.finish()
window.desktop.presentation.set_active(True, full_screen=False)
for _ in range(20):
    app.processEvents()
image = window.grab().toImage()
image.save(sys.argv[1])
problems = clipped_labels(window)
print("CLIPPED", problems)
window.close()
sys.exit(1 if problems else 0)
"""


def test_screenshot_presentation_at_qt_scale_factor(shots):
    path = shots / "presentation-scale-1.5.png"
    env = {**os.environ, "QT_SCALE_FACTOR": "1.5", "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", SCALED, str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parents[2],
    )
    assert done.returncode == 0, done.stdout + done.stderr
    image = QImage(str(path))
    assert image.width() >= 1280 * 1.5 - 1  # device pixels
