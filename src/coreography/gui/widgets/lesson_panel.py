"""The lesson picker: every lesson with its explanation, what to notice and its question."""

from __future__ import annotations

import html

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

from coreography.lessons.registry import Lesson
from coreography.model.diagnosis import Finding
from coreography.model.run import Run


def describe_run(label: str, run: Run, findings: list[Finding]) -> str:
    """One run of a lesson as HTML: its label, how it ended, its result and findings."""
    from coreography.model.metrics import compute_metrics

    metrics = compute_metrics(run)
    parts = [
        f"<p><b>{html.escape(label)}</b> — {html.escape(run.state)}, "
        f"{metrics.wall_s * 1000:.0f} ms, {metrics.tasks_done} of {metrics.tasks_total} tasks"
    ]
    if metrics.speedup is not None:
        parts.append(f", speedup {metrics.speedup:.2f}×")
    parts.append("</p>")
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


class LessonPanel(QWidget):
    """Lists lessons; shows the chosen one and, once run, what its runs did."""

    sig_lesson_run_requested = Signal(object)
    """The user pressed "Run lesson"; argument: the :class:`Lesson`."""
    sig_stop_requested = Signal()
    """The user pressed Stop; no arguments."""

    def __init__(self, lessons: tuple[Lesson, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lessons = lessons
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for lesson in lessons:
            self.list.addItem(f"{lesson.number}. {lesson.title}")
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

    def show_results(self, entries: list[tuple[str, Run, list[Finding]]]) -> None:
        """Show each run of the lesson so far: (label, run, findings)."""
        self.results.setHtml("".join(describe_run(*entry) for entry in entries))

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
