"""The step between code that came in a file and running it: the code shown, read-only,
with "Run it" and "Don't run" (the safe choice is the default)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

TITLE = "Code from someone else"
HEADING = "This file contains code from someone else — review it"


class CodeReviewDialog(QDialog):
    """Shows ``code`` from ``source`` and asks whether to run it.

    ``accepted`` means the user chose "Run it"; ``rejected`` ("Don't run", Escape, the
    close button) is the default: Enter and Space on the focused button both refuse.
    """

    def __init__(self, code: str, source: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(TITLE)
        self.setMinimumSize(560, 420)
        heading = QLabel(f"<b>{HEADING}</b>")
        heading.setTextFormat(Qt.TextFormat.RichText)
        self.heading = heading
        where = source or "a file"
        self.explanation = QLabel(
            f"The task function below came with {where}. Coreography runs it as your own "
            "Python code, with your permissions: it can read, change or delete your files "
            "and use the network. Run it only if you trust whoever sent it and have read "
            "what it does."
        )
        self.explanation.setTextFormat(Qt.TextFormat.PlainText)  # a file name is not markup
        self.explanation.setWordWrap(True)
        self.code = QPlainTextEdit(code)
        self.code.setReadOnly(True)
        self.code.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.code.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.code.setAccessibleName("The code from the file")
        buttons = QDialogButtonBox()
        self.run_button = QPushButton("Run it")
        self.run_button.setAutoDefault(False)
        self.dont_run_button = QPushButton("Don't run")
        self.dont_run_button.setAutoDefault(True)
        self.dont_run_button.setDefault(True)
        buttons.addButton(self.run_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.dont_run_button, QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.explanation)
        layout.addWidget(self.code, 1)
        layout.addWidget(buttons)
        self.dont_run_button.setFocus()
