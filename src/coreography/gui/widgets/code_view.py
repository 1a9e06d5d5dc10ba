"""The Code view: the plain-Python program for the current experiment, to copy or save."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from coreography.engine.calibration import cached
from coreography.gui.widgets.python_highlighter import PythonHighlighter
from coreography.model.codegen import generate
from coreography.model.experiment import Experiment, ExperimentError


def watch_controls(panel: QWidget, callback) -> None:
    """Call ``callback`` whenever any setting control inside ``panel`` changes."""
    for box in panel.findChildren(QComboBox):
        box.currentTextChanged.connect(callback)
    for spin in (*panel.findChildren(QSpinBox), *panel.findChildren(QDoubleSpinBox)):
        spin.valueChanged.connect(callback)
    for edit in (*panel.findChildren(QLineEdit), *panel.findChildren(QPlainTextEdit)):
        if not isinstance(edit.parent(), QSpinBox | QDoubleSpinBox | QComboBox):
            edit.textChanged.connect(callback)


class CodeView(QWidget):
    """Shows :func:`generate` of an experiment, read-only, highlighted."""

    sig_save_requested = Signal()
    """The user pressed "Save as…"; no arguments (the owner asks for a path)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.experiment: Experiment | None = None
        self.note = QLabel(
            "The same experiment as a plain Python program: run it with python, no "
            "Coreography needed."
        )
        self.note.setWordWrap(True)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the program to the clipboard")
        self.save_button = QPushButton("Save as…")
        self.save_button.setToolTip("Save the program as a .py file")
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.highlighter = PythonHighlighter(self.text.document())
        top = QHBoxLayout()
        top.addWidget(self.note, 1)
        top.addWidget(self.copy_button)
        top.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.text, 1)
        self.copy_button.clicked.connect(self._on_copy_clicked)
        self.save_button.clicked.connect(self.sig_save_requested)

    def set_experiment(self, experiment: Experiment) -> None:
        """Show the program for ``experiment`` (or why there is none)."""
        try:
            source = generate(experiment.validate(), *_work_constants())  # the runs' own
        except ExperimentError as error:
            self.experiment = None
            source = f"# This experiment cannot run yet:\n# {error}\n"
        else:
            self.experiment = experiment
        if source != self.text.toPlainText():
            self.text.setPlainText(source)
        self.copy_button.setEnabled(self.experiment is not None)
        self.save_button.setEnabled(self.experiment is not None)

    def source(self) -> str:
        return self.text.toPlainText()

    def save(self, path: str | Path) -> None:
        """Write the program to ``path`` (raises OSError)."""
        Path(path).write_text(self.source(), encoding="utf-8", newline="\n")

    def _on_copy_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.source())


def _work_constants() -> tuple[float | None, float | None]:
    """The cached calibration the runs use (loops and blocks per ms); never measured here
    (that would freeze the window for a second): before the first timed run has
    calibrated this machine, none, and the program says it uses a guess."""
    record = cached()
    return (record.loops_per_ms, record.blocks_per_ms) if record is not None else (None, None)
