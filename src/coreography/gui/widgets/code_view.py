"""The Code view: the plain-Python program for the current experiment, to copy or save."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication, QShowEvent
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

from coreography.gui.widgets.python_highlighter import PythonHighlighter
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
        self._unwritten = False  # the experiment's program is not in the text yet
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
        """Show the program for ``experiment`` (or why there is none). It is written when
        the view is shown or its source asked for: the panel changes it with every
        setting, mostly while the view is hidden behind the timeline."""
        try:
            self.experiment = experiment.validate()
        except ExperimentError as error:
            self.show_text(f"# This experiment cannot run yet:\n# {error}\n", copyable=False)
            return
        self._unwritten = True
        self.copy_button.setEnabled(True)
        self.save_button.setEnabled(True)
        if self.isVisible():
            self._write()

    def show_text(self, text: str, copyable: bool) -> None:
        """Show ``text`` itself (a script's own source, or why there is no program)."""
        self.experiment = None
        self._unwritten = False
        if text != self.text.toPlainText():
            self.text.setPlainText(text)
        self.copy_button.setEnabled(copyable)
        self.save_button.setEnabled(copyable)

    def _write(self) -> None:
        if not self._unwritten or self.experiment is None:
            return
        self._unwritten = False
        from coreography.model.codegen import generate

        source = generate(self.experiment, *_work_constants())  # the runs' own constants
        if source != self.text.toPlainText():
            self.text.setPlainText(source)

    def showEvent(self, event: QShowEvent) -> None:
        self._write()
        super().showEvent(event)

    def source(self) -> str:
        self._write()
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
    from coreography.engine.calibration import cached  # psutil, platformdirs: not at start

    record = cached()
    return (record.loops_per_ms, record.blocks_per_ms) if record is not None else (None, None)
