"""The Metrics panel's per-worker bars with thread states: each lane's on-CPU share of
its task time is said under its bar and in its tooltip, and no painted text is cut, in
every theme, at 1280×720 and 1920×1080, in presentation mode too."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPoint
from PySide6.QtGui import QColor, QHelpEvent
from PySide6.QtWidgets import QToolTip

from coreography.gui.parts import DockId
from coreography.gui.widgets.utilization_bars import BarRow, UtilizationBars, on_cpu_wordings
from coreography.model.experiment import Experiment
from tests.gui.clipping import clipped_texts
from tests.gui.conftest import start, wait_over

SIZES = ((1280, 720), (1920, 1080))


def _cut(bars: UtilizationBars, width: int | None = None) -> list[str]:
    height = bars.fontMetrics().height()
    return [
        f"{text.text!r}: {text.needed} px in {text.rect.width()}, {text.rect.height()} high"
        for text in bars.texts(width)
        if text.needed > text.rect.width() or text.rect.height() < height
    ]


def test_texts_fit_a_narrow_panel_with_shorter_wordings(qtbot):
    bars = UtilizationBars()
    qtbot.addWidget(bars)
    name = "SpawnPoolWorker-1 · PID 123451"
    rows = [
        BarRow(name.replace("-1", f"-{n}"), 0.1, QColor("#0072B2"), "tip", 0.9, 0.11)
        for n in range(1, 4)
    ]
    bars.set_rows(rows)
    wide = [t.text for t in bars.texts(600)]
    assert "on a CPU 11 % of its task time" in wide and name in wide
    whole = bars.fontMetrics().horizontalAdvance(name)
    for width in (140, 180, 240, 320):
        assert not _cut(bars, width), (width, _cut(bars, width))
        texts = [t.text for t in bars.texts(width)]
        assert any(t in on_cpu_wordings(0.11) for t in texts), texts
        if width >= whole:  # a name on a line of its own, whole
            assert name in texts, (width, texts)
        # three lines a row: the name, the bar, the share of task time on a CPU
        assert bars.heightForWidth(width) >= 3 * 3 * bars.fontMetrics().height()


def test_without_states_the_bars_are_one_line_each(qtbot):
    bars = UtilizationBars()
    qtbot.addWidget(bars)
    bars.set_rows([BarRow("Worker 1 · PID 1", 0.5, QColor("#0072B2"), "tip")])
    assert not bars.with_states
    assert [t.text for t in bars.texts(300)] == ["Worker 1 · PID 1", "50 %"]


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("COREOGRAPHY_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="kernel thread states: Linux")
@pytest.mark.qt_log_ignore(r"This plugin does not support raise\(\)")  # the tooltip's
def test_each_thread_says_its_on_cpu_share_in_every_look(qtbot, window, shots):
    # Long enough for several state readings of each thread, on a busy machine too.
    experiment = Experiment(model="threads", workers=3, tasks=3, workload="cpu", size=250.0)
    run = start(qtbot, window, experiment)
    wait_over(qtbot, window)
    assert run.state == "finished"
    from coreography.model.metrics import compute_metrics

    lanes = {lane.label: lane for lane in compute_metrics(run).lanes}
    bars = window.metrics.bars
    assert bars.with_states and len(bars.rows) == 3
    assert "on a CPU ÷ alive" in window.metrics.note.text()
    for row in bars.rows:
        share = lanes[row.label].on_cpu_share
        assert share is not None and row.on_cpu_share == share
        assert "Of its task time: on a CPU" in row.detail
    # Three threads of CPU-bound Python: whichever holds the GIL, the others wait for it
    # (a thread seen running at every reading has no wait to show, hence "any").
    assert any("blocked: the GIL" in row.detail for row in bars.rows)
    dock = window.dock(DockId.METRICS)
    for theme in ("light", "dark", "high-contrast"):
        window.desktop.set_theme(theme)
        for width, height in SIZES:
            window.resize(width, height)
            qtbot.waitUntil(lambda w=width: window.width() == w)
            qtbot.wait(30)
            window.grab().save(str(shots / f"metrics-states-{theme}-{width}x{height}.png"))
            assert not _cut(bars), (theme, width, _cut(bars))
            said = [t.text for t in bars.texts()]
            for row in bars.rows:
                assert any(t in on_cpu_wordings(row.on_cpu_share) for t in said), said
            assert not clipped_texts(dock), (theme, width, clipped_texts(dock))
    window.desktop.set_theme("light")
    window.desktop.presentation.set_active(True, full_screen=False)
    for width, height in SIZES:
        window.resize(width, height)
        qtbot.waitUntil(lambda w=width: window.width() == w)
        qtbot.wait(30)
        window.grab().save(str(shots / f"metrics-states-presentation-{width}x{height}.png"))
        assert not _cut(bars), ("presentation", width, _cut(bars))
        assert bars.fontMetrics().height() > 16  # presentation's larger text
    window.desktop.presentation.set_active(False)
    # Hovering a bar tells that lane's states.
    row = bars.rows[1]
    middle = QPoint(bars.width() // 2, bars.row_height() + bars.row_height() // 2)
    event = QHelpEvent(QEvent.Type.ToolTip, middle, bars.mapToGlobal(middle))
    assert bars.event(event)
    assert QToolTip.text() == f"{row.label}: {row.detail}"
    QToolTip.hideText()
