"""The lesson picker: every lesson with its explanation, what to notice and its question."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:  # the lessons' claims, diagnosis and series load with the first series
    from coreography.lessons.claims import Verdict
    from coreography.lessons.registry import Lesson
    from coreography.model.diagnosis import Finding
    from coreography.model.series import PointSummary


def describe_point(point: PointSummary, findings: list[Finding]) -> str:
    """One experiment of a lesson as HTML: its label, how its runs ended (median and range
    of their wall time and speedup, against the lesson's one baseline), result, findings."""
    run = point.representative
    done = len(point.finished)
    count = len(point.runs)
    metrics = point.metrics[point.runs.index(run)]
    ended = run.state if count == 1 else f"{done} of {count} runs finished"
    wall = point.wall.text(lambda v: f"{v * 1000:.0f} ms") if point.wall is not None else "—"
    parts = [
        f"<p><b>{html.escape(point.label)}</b> — {html.escape(ended)}, {wall}"
        f"{' (median, min–max)' if count > 1 else ''}, "
        f"{metrics.tasks_done} of {metrics.tasks_total} tasks"
    ]
    if point.speedup is not None:
        speedup = point.speedup.text(lambda v: f"{v:.2f}×")
        basis = point.baseline.describe() if point.baseline is not None else ""
        parts.append(f", speedup {speedup} {html.escape(basis)}")
    parts.append("</p>")
    if point.machine_busy and point.others_share is not None:
        parts.append(
            f"<p><i>Other programs used up to {point.others_share:.0%} of the machine: "
            "these figures are not reliable.</i></p>"
        )
    result = run.result_summary()  # the same words the command line prints
    if result:
        parts.append(f"<p>Result: <code>{html.escape(result)}</code></p>")
    lines = run.stdout_lines()
    if lines:
        shown = "<br>".join(html.escape(line) for line in lines[:6])
        more = f"<br>… {len(lines) - 6} more lines" if len(lines) > 6 else ""
        parts.append(f"<p>Printed:<br><code>{shown}{more}</code></p>")
    if run.message and run.state != "finished":
        parts.append(f"<p>{html.escape(run.message)}</p>")
    if findings:
        items = "".join(f"<li>{html.escape(f.text)}</li>" for f in findings)
        parts.append(f"<ul>{items}</ul>")
    return "".join(parts)


def describe_verdicts(verdicts: list[Verdict]) -> str:
    """The "What to notice" lines this run's measurement judged, as HTML."""
    if not verdicts:
        return ""
    items = []
    for verdict in verdicts:
        mark = {True: "✔", False: "⚠", None: "?"}[verdict.shown]
        caption = html.escape(verdict.text)
        if verdict.shown is False:
            caption = f"<s>{caption}</s>"
        items.append(f"<li>{mark} {caption}<br><i>{html.escape(verdict.sentence())}</i></li>")
    return "<p><b>What to notice — this time</b></p><ul>" + "".join(items) + "</ul>"


class LessonPanel(QWidget):
    """Lists lessons; shows the chosen one and, once run, what its runs did."""

    sig_lesson_run_requested = Signal(object)
    """The user pressed "Run lesson"; argument: the :class:`Lesson`."""
    sig_stop_requested = Signal()
    """The user pressed Stop; no arguments."""

    def __init__(self, lessons: tuple[Lesson, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lessons: tuple[Lesson, ...] = ()
        self.verdicts: list[Verdict] = []
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.text = QTextBrowser()
        self.text.setOpenLinks(False)
        self.results = QTextBrowser()
        self.results.setPlaceholderText("Run the lesson to see what happened.")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.run_button = QPushButton("Run lesson")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.stop_button)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.list)
        split.addWidget(self.text)
        split.addWidget(self.results)
        split.setSizes([140, 480, 160])
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.list.currentRowChanged.connect(self._on_list_row_changed)
        self.run_button.clicked.connect(self._on_run_clicked)
        self.stop_button.clicked.connect(self.sig_stop_requested)
        self.set_lessons(lessons)

    def set_lessons(self, lessons: tuple[Lesson, ...]) -> None:
        """List ``lessons`` and show the first (a window made with ``defer`` reads the
        lessons once it is on screen and gives them to the panel then)."""
        self.lessons = tuple(lessons)
        self.list.blockSignals(True)
        self.list.clear()
        for lesson in self.lessons:
            self.list.addItem(f"{lesson.number}. {lesson.title}")
        self.list.setCurrentRow(-1)
        self.list.blockSignals(False)
        self.list.setCurrentRow(0)

    @property
    def lesson(self) -> Lesson | None:
        row = self.list.currentRow()
        return self.lessons[row] if 0 <= row < len(self.lessons) else None

    def select(self, lesson_id: str) -> None:
        """Show the lesson with this id."""
        for row, lesson in enumerate(self.lessons):
            if lesson.id == lesson_id:
                self.list.setCurrentRow(row)
                return
        raise KeyError(lesson_id)

    def set_running(self, running: bool, message: str = "") -> None:
        self.run_button.setEnabled(not running)
        self.list.setEnabled(not running)
        self.stop_button.setEnabled(running)
        self.status.setText(message)

    def show_results(
        self,
        entries: list[tuple[PointSummary, list[Finding]]],
        verdicts: list[Verdict] | None = None,
    ) -> None:
        """Show each experiment of the lesson so far, then what the measurement said of
        the lesson's claims (once it is over)."""
        self.verdicts = list(verdicts or [])
        body = describe_verdicts(self.verdicts)
        self.results.setHtml(body + "".join(describe_point(*entry) for entry in entries))

    def _on_list_row_changed(self, _row: int) -> None:
        lesson = self.lesson
        if lesson is None:
            return
        captions = "".join(f"<li>{html.escape(c)}</li>" for c in lesson.captions)
        runs = "".join(f"<li>{html.escape(label)}</li>" for label, _fields in lesson.settings)
        sweep = ""
        if lesson.sweep is not None:
            sweep = f" — each swept over {html.escape(lesson.sweep.field)}"
        paragraphs = "".join(
            f"<p>{html.escape(p.replace(chr(10), ' '))}</p>"
            for p in lesson.explanation.split("\n\n")
        )
        self.text.setHtml(
            f"<h3>{lesson.number}. {html.escape(lesson.title)}</h3>{paragraphs}"
            f"<p><b>Runs</b>{sweep}:</p><ul>{runs}</ul>"
            f"<p><b>What to notice</b></p><ul>{captions}</ul>"
            f"<p><b>Ask the class:</b> <i>{html.escape(lesson.question)}</i></p>"
        )
        self.results.clear()
        self.status.clear()

    def _on_run_clicked(self) -> None:
        if self.lesson is not None:
            self.sig_lesson_run_requested.emit(self.lesson)
