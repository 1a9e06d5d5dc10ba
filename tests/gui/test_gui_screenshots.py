"""Pictures of the main window idle, mid-run and finished, for people to look at.

PNGs go to pytest's temporary directory (``artifacts/``), or to the directory named by
``COREOGRAPHY_SCREENSHOTS`` (e.g. ``COREOGRAPHY_SCREENSHOTS=screenshots make test``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from coreography.model.experiment import Experiment
from tests.gui.conftest import start, wait_over


@pytest.fixture
def artifacts(tmp_path) -> Path:
    folder = Path(os.environ.get("COREOGRAPHY_SCREENSHOTS") or tmp_path / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _shoot(window, path: Path) -> None:
    assert window.export_png(path)
    image = QImage(str(path))
    assert image.width() >= 1000 and image.height() >= 600
    # Not a blank picture: many distinct colors.
    colors = {
        image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)
    }
    assert len(colors) > 20


@pytest.mark.slow
def test_screenshots_idle_mid_run_and_finished(qtbot, window, artifacts):
    window.resize(1440, 900)
    qtbot.wait(50)
    _shoot(window, artifacts / "main-window-idle.png")

    experiment = Experiment(
        model="pool-map",
        workers=2,
        tasks=16,
        workload="cpu",
        size=150.0,
        distribution="uniform",
        chunksize=1,
    )
    run = start(qtbot, window, experiment)
    qtbot.waitUntil(lambda: run.n_done >= 5 and len(run.cpu_t) >= 5, timeout=30_000)
    qtbot.wait(100)  # let a couple of ticks draw the running bars
    assert not run.is_over
    _shoot(window, artifacts / "main-window-mid-run.png")

    wait_over(qtbot, window)
    assert run.state == "finished"
    qtbot.wait(50)
    _shoot(window, artifacts / "main-window-finished.png")
