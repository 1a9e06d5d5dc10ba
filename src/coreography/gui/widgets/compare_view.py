"""Two runs compared: their timelines stacked on one time axis, their metrics side by side."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from coreography.gui.widgets.metrics_panel import FIELDS, format_value, metric
from coreography.gui.widgets.timeline import TimelineView
from coreography.model.metrics import compute_metrics
from coreography.model.run import Run


class CompareView(QWidget):
    """Shows two finished runs; the lower timeline follows the upper one's time range."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runs: tuple[Run, Run] | None = None
        self.heading = QLabel(
            "Pick two runs in the History (or run a lesson with several experiments) to "
            "compare them here."
        )
        self.heading.setWordWrap(True)
        self.titles = (QLabel(), QLabel())
        self.timelines = (TimelineView(), TimelineView())
        for timeline in self.timelines:
            timeline.follow.hide()
        self.timelines[1].plot.setXLink(self.timelines[0].plot)
        self.table = QTableWidget(len(FIELDS), 2)
        self.table.setVerticalHeaderLabels([label for _name, label, _tip in FIELDS])
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumWidth(300)
        stack = QWidget()
        stack_layout = QVBoxLayout(stack)
        stack_layout.setContentsMargins(0, 0, 0, 0)
        for title, timeline in zip(self.titles, self.timelines, strict=True):
            title.setStyleSheet("font-weight: bold")
            stack_layout.addWidget(title)
            stack_layout.addWidget(timeline, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(stack)
        split.addWidget(self.table)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(split, 1)

    def set_runs(self, first: tuple[str, Run], second: tuple[str, Run]) -> None:
        """Compare two runs, each given as (title, run)."""
        self.runs = (first[1], second[1])
        self.heading.setText("Both timelines share one time axis: zoom or pan either one.")
        extent = 0.0
        for column, ((title, run), label, timeline) in enumerate(
            zip((first, second), self.titles, self.timelines, strict=True)
        ):
            label.setText(f"{'AB'[column]}: {title}")
            timeline.set_run(run)
            extent = max(extent, timeline.index.extent(timeline.item.now_s))
            metrics = compute_metrics(run)
            header = QTableWidgetItem("AB"[column])
            header.setToolTip(title)
            self.table.setHorizontalHeaderItem(column, header)
            for row, (name, _label, tip) in enumerate(FIELDS):
                item = QTableWidgetItem(format_value(name, metric(metrics, name)))
                item.setToolTip(tip)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        self.timelines[0].plot.setXRange(-extent * 0.01, extent * 1.02, padding=0.0)

    def value(self, column: int, name: str) -> str:
        """The text shown for metric ``name`` of run A (0) or B (1)."""
        row = [field for field, _label, _tip in FIELDS].index(name)
        item = self.table.item(row, column)
        return item.text() if item is not None else ""
