"""Runs compared: their timelines stacked on one time axis, their metrics side by side.

Each column is a point of a series (a lesson's experiment, repeated) or one stored run;
figures are the median of the point's repeats with their range, and every speedup is
against the one baseline of the runs compared (:mod:`coreography.model.series`).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHeaderView,
    QLabel,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from coreography.gui.widgets.metrics_panel import FIELDS, format_value, metric
from coreography.gui.widgets.timeline import TimelineView
from coreography.model.run import Run
from coreography.model.series import PointSummary, Spread, summarize

#: More columns than this would make each timeline too thin to read.
MAX_COLUMNS = 4
#: The table's largest share of the width; beyond it, its text gets smaller in steps.
TABLE_SHARE = 0.6
TABLE_FONT_STEPS = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5)
#: Rows below the metrics panel's own: how the figures were made.
EXTRA_ROWS = (
    ("repeats", "Repeats", "Finished runs of this point (figures: median, and min–max)"),
    (
        "baseline",
        "Speedup against",
        "The one baseline every speedup here is divided from: a measured one-lane run of "
        "the same work, else the sequential estimate (the tasks' own measured work)",
    ),
)
_SPREAD_FIELDS = (
    "wall_s",
    "cpu_s",
    "sequential_s",
    "startup_mean_s",
    "startup_max_s",
    "idle_s",
    "others_share",
)


def letter(column: int) -> str:
    return "ABCD"[column]


class CompareView(QWidget):
    """Shows two to four points; the lower timelines follow the upper one's time range."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runs: tuple[Run, ...] | None = None
        self.points: list[PointSummary] = []
        self.heading = QLabel(
            "Pick two runs in the History (or run a lesson with several experiments) to "
            "compare them here."
        )
        self.heading.setWordWrap(True)
        self.titles: list[QLabel] = []
        self.timelines: list[TimelineView] = []
        rows = [*FIELDS, *EXTRA_ROWS]
        self.row_names = [name for name, _label, _tip in rows]
        self.table = QTableWidget(len(rows), 2)
        self.table.setVerticalHeaderLabels([label for _name, label, _tip in rows])
        for row, (_name, _label, tip) in enumerate(rows):
            self.table.verticalHeaderItem(row).setToolTip(tip)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)  # a figure and its range on one line, never cut
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMinimumWidth(300)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table_font_factor = 1.0
        self.stack = QWidget()
        self.stack_layout = QVBoxLayout(self.stack)
        self.stack_layout.setContentsMargins(0, 0, 0, 0)
        for _ in range(2):
            self._add_timeline()
        # Four stacked timelines need more height than a 720-line projector has: they
        # scroll rather than push the window past the screen.
        self.stack_scroll = QScrollArea()
        self.stack_scroll.setWidget(self.stack)
        self.stack_scroll.setWidgetResizable(True)
        self.stack_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.stack_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.split = split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.stack_scroll)
        split.addWidget(self.table)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(split, 1)

    def _add_timeline(self) -> None:
        title, timeline = QLabel(), TimelineView()
        timeline.state_legend.wanted = False  # one key, under the Timeline tab
        timeline.set_compact(True)
        title.setStyleSheet("font-weight: bold")
        timeline.follow.hide()
        timeline.summary.hide()  # the title names the run; the table has its figures
        if self.timelines:
            timeline.plot.setXLink(self.timelines[0].plot)
        self.stack_layout.addWidget(title)
        self.stack_layout.addWidget(timeline, 1)
        self.titles.append(title)
        self.timelines.append(timeline)

    def set_runs(self, *entries: tuple[str, Run]) -> None:
        """Compare single runs, each given as (title, run); one baseline for all."""
        titled = [(f"{letter(i)}: {title}", run) for i, (title, run) in enumerate(entries)]
        self.set_points(summarize(titled[:MAX_COLUMNS]))

    def set_points(self, points: list[PointSummary]) -> None:
        """Compare the points of a series (each a label and its repeats)."""
        points = points[:MAX_COLUMNS]
        self.points = points
        while len(self.timelines) < len(points):
            self._add_timeline()
        self.runs = tuple(point.representative for point in points)
        repeated = any(len(point.runs) > 1 for point in points)
        self.heading.setText(
            "The timelines share one time axis: zoom or pan any one."
            + (
                " Each timeline is the repeat nearest its point's median; the table gives "
                "the median and, in brackets, the range of the repeats."
                if repeated
                else ""
            )
        )
        self.table.setColumnCount(len(points))
        estimated = any(point.estimated for point in points)
        speedup_row = self.row_names.index("speedup")
        self.table.verticalHeaderItem(speedup_row).setText(
            "Speedup (estimated)" if estimated else "Speedup"
        )
        extent = 0.0
        for column, point in enumerate(points):
            title, timeline = self.titles[column], self.timelines[column]
            prefix = f"{letter(column)}: "
            title.setText(point.label if point.label.startswith(prefix) else prefix + point.label)
            title.show()
            timeline.show()
            timeline.set_run(self.runs[column])
            extent = max(extent, timeline.index.extent(timeline.item.now_s))
            header = QTableWidgetItem(letter(column))
            header.setToolTip(point.label)
            self.table.setHorizontalHeaderItem(column, header)
            for row, name in enumerate(self.row_names):
                # The range under its median: narrow columns, three or four side by side.
                item = QTableWidgetItem(self._text(point, name).replace(" (", "\n(", 1))
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        for title, timeline in zip(
            self.titles[len(points) :], self.timelines[len(points) :], strict=True
        ):
            title.hide()
            timeline.hide()
        self.timelines[0].plot.setXRange(-extent * 0.01, extent * 1.02, padding=0.0)
        self._fit_table()

    def _fit_table(self) -> None:
        """Give the table the width its figures need (up to 70 %), the timelines the rest;
        where even that is too narrow (three or four columns on a small screen, fonts
        enlarged for a class) the table's text gets smaller until every figure fits
        whole: no figure is ever cut short."""
        total = sum(self.split.sizes())
        if total <= 0:
            return
        room = int(total * TABLE_SHARE)
        for factor in TABLE_FONT_STEPS:
            self._set_table_font(factor)
            needed = self._table_width()
            if needed <= room:
                break
        width = min(needed, room)
        self.split.setSizes([total - width, width])

    def _set_table_font(self, factor: float) -> None:
        """Every cell and header at ``factor`` × the window's font."""
        font = QApplication.font()
        if factor != 1.0:
            font = QFont(font)
            font.setPointSizeF(font.pointSizeF() * factor)
        table = self.table
        headers = [table.verticalHeaderItem(r) for r in range(table.rowCount())]
        headers += [table.horizontalHeaderItem(c) for c in range(table.columnCount())]
        cells = [
            table.item(r, c) for r in range(table.rowCount()) for c in range(table.columnCount())
        ]
        for item in (*headers, *cells):
            if item is not None:
                item.setFont(font)
        self.table_font_factor = factor

    def _table_width(self) -> int:
        """The width the table needs to show every figure and row name whole."""
        self.table.resizeColumnsToContents()
        columns = self.table.horizontalHeader()
        natural = sum(
            max(self.table.sizeHintForColumn(c), columns.sectionSizeHint(c)) + 6
            for c in range(self.table.columnCount())
        )
        needed = (
            self.table.verticalHeader().sizeHint().width()
            + max(natural, columns.length())
            + self.table.verticalScrollBar().sizeHint().width()
            + self.table.frameWidth() * 2
            + 8
        )
        return needed

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.points:  # once the splitter has its new size
            QTimer.singleShot(0, self, self._fit_table)

    @staticmethod
    def _text(point: PointSummary, name: str) -> str:
        done = [m for r, m in zip(point.runs, point.metrics, strict=True) if r.state == "finished"]
        shown = done or list(point.metrics)
        tiny = (
            name in ("speedup", "efficiency")
            and (point.baseline is None or point.baseline.estimated)
            and bool(shown)
            and all(m.speedup_note for m in shown)
        )
        if tiny:  # too little work for a speedup: the runs' fixed costs dwarf it
            return "—"
        if name == "speedup":
            if point.speedup is None:
                return "—"
            return point.speedup.text(lambda v: format_value("speedup", v))
        if name == "efficiency":
            if point.efficiency is None:
                return "—"
            return point.efficiency.text(lambda v: format_value("efficiency", v))
        if name == "repeats":
            return f"{len(done)} of {len(point.runs)}"
        if name == "baseline":
            if point.baseline is None:
                return "—"
            if point.baseline.estimated:
                return "estimate"
            return f"{point.baseline.source}, median of {point.baseline.runs}"
        if name in _SPREAD_FIELDS:
            spread = Spread.of([v for m in shown if (v := metric(m, name)) is not None])
            return "—" if spread is None else spread.text(lambda v: format_value(name, v))
        values = [metric(m, name) for m in shown]
        known = [v for v in values if v is not None]
        if not known:
            return "—"
        spread = Spread.of([float(v) for v in known])
        return spread.text(lambda v: format_value(name, round(v)))

    def value(self, column: int, name: str) -> str:
        """The text shown for row ``name`` of column ``column`` (0 = A)."""
        item = self.table.item(self.row_names.index(name), column)
        return item.text().replace("\n", " ") if item is not None else ""
