"""The Metrics dock's per-worker bars name every worker whole, however narrow the dock."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QFontMetrics
from PySide6.QtWidgets import QVBoxLayout, QWidget

from coreography.gui.widgets.metrics_panel import UtilizationBars

ROWS = [
    ("Worker 1 · PID 1234567", 0.43, QColor("#0072b2"), "busy 43 %"),
    ("Worker 2 · PID 1234568", 0.25, QColor("#e69f00"), "busy 25 %"),
]


@pytest.mark.parametrize("width", [180, 260, 600])
def test_each_worker_name_has_the_room_it_needs(qtbot, width):
    holder = QWidget()
    layout = QVBoxLayout(holder)
    bars = UtilizationBars()
    layout.addWidget(bars)
    layout.addStretch(1)
    qtbot.addWidget(holder)
    bars.set_rows(ROWS)
    holder.resize(width, 300)
    holder.show()
    qtbot.waitExposed(holder)
    qtbot.waitUntil(lambda: bars.width() > 0)
    metrics = QFontMetrics(bars.font())
    widest = max(metrics.horizontalAdvance(row[0]) for row in ROWS)
    stacked = bars._stacked(bars.width())
    # A name gets its own line when 60 % of the width cannot hold it...
    assert stacked == (widest + 8 > bars.width() * 0.6)
    room = bars.width() if stacked else bars.width() * 0.6
    assert widest <= room, (widest, room)
    # ...and the widget is given the height its rows then take.
    line = max(bars.ROW, metrics.height() + 4)
    assert bars.height() >= len(ROWS) * line * (2 if stacked else 1)
    image = bars.grab().toImage()
    assert not image.isNull()
