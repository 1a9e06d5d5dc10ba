"""The Script choice of the Experiment dock: a program of one's own, its arguments, its
working directory, Run and Stop; and the chooser between it and the built-in experiments."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from coreography.gui import theme
from coreography.gui.actions import ask_folder, ask_path
from coreography.gui.script_run import Script, ScriptError

SCRIPT_FILTER = "Python scripts (*.py)"
ABOUT = (
    "Your own program, run unmodified as <code>python script.py ARGS</code> would: its "
    "processes, Pool workers and threads become lanes, their calls bars, its output the "
    "Console."
)


def trust_line(script: Script) -> str:
    """What pressing Run will do, said before anything runs."""
    name = Path(script.path).name or "the script"
    return (
        f"⚠ {name} is someone's program: Run starts it on this computer with your "
        "permissions. Nothing runs until you press Run; run only programs you trust."
    )


class ScriptPanel(QWidget):
    """Edits a :class:`Script`; never starts anything itself."""

    sig_run_requested = Signal()
    """The user pressed Run; no arguments (read :meth:`script`)."""
    sig_stop_requested = Signal()
    """The user pressed Stop; no arguments."""
    sig_script_changed = Signal()
    """The path, arguments or working directory changed; no arguments."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.about = QLabel(ABOUT)
        self.about.setWordWrap(True)
        self.path = QLineEdit()
        self.path.setPlaceholderText("script.py")
        self.path.setToolTip("The Python script to run (File → Open Script…, or drop it here)")
        self.browse = QPushButton("Browse…")
        self.browse.setToolTip("Choose the script")
        self.args = QLineEdit()
        self.args.setPlaceholderText("(none)")
        self.args.setToolTip("Command-line arguments (sys.argv[1:]), split as a shell would")
        self.cwd = QLineEdit()
        self.cwd.setPlaceholderText("the script's folder")
        self.cwd.setToolTip("The folder the program runs in (its current directory)")
        self.browse_cwd = QPushButton("Browse…")
        self.browse_cwd.setToolTip("Choose the working directory")
        self.trust = QLabel()
        self.trust.setWordWrap(True)
        self.trust.setObjectName("script_trust")
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {theme.FAILED_COLOR}")
        self.run_button = QPushButton("Run")
        self.run_button.setToolTip("Start the script (Space)")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("End the script and every process it started (Esc)")
        self.stop_button.setEnabled(False)

        path_row = QHBoxLayout()
        path_row.addWidget(self.path, 1)
        path_row.addWidget(self.browse)
        cwd_row = QHBoxLayout()
        cwd_row.addWidget(self.cwd, 1)
        cwd_row.addWidget(self.browse_cwd)
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)  # a narrow dock
        form.addRow("Script", path_row)
        form.addRow("Arguments", self.args)
        form.addRow("Working directory", cwd_row)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.stop_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.about)
        layout.addLayout(form)
        layout.addWidget(self.trust)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        layout.addStretch(1)

        for edit in (self.path, self.args, self.cwd):
            edit.textChanged.connect(self._on_text_changed)
        self.browse.clicked.connect(self._on_browse_clicked)
        self.browse_cwd.clicked.connect(self._on_browse_cwd_clicked)
        self.run_button.clicked.connect(self.sig_run_requested)
        self.stop_button.clicked.connect(self.sig_stop_requested)
        self._on_text_changed()

    # -- script <-> controls --------------------------------------------------------------
    def set_script(self, script: Script) -> None:
        self.path.setText(script.path)
        self.args.setText(script.args_text)
        self.cwd.setText(script.cwd)

    def script(self) -> Script:
        """The script the controls describe (not validated; raises ScriptError for
        arguments that cannot be split)."""
        return Script.from_text(self.path.text(), self.args.text(), self.cwd.text())

    def script_or_none(self) -> Script | None:
        try:
            return self.script()
        except ScriptError:
            return None

    def check(self) -> Script | None:
        """The validated script, or None with the reason shown."""
        try:
            script = self.script().validate()
        except ScriptError as error:
            self.show_error(error)
            return None
        self.show_error(None)
        return script

    def show_error(self, error: Exception | None) -> None:
        self.error.setText(str(error) if error else "")

    def set_running(self, running: bool) -> None:
        """Lock the settings while a run is going."""
        for widget in (self.path, self.browse, self.args, self.cwd, self.browse_cwd):
            widget.setEnabled(not running)
        self.run_button.setEnabled(not running)
        self.stop_button.setEnabled(running)

    # -- handlers -------------------------------------------------------------------------
    def _on_text_changed(self, *_args) -> None:
        text = self.path.text().strip()
        try:
            script = self.script()
        except ScriptError as error:
            self.trust.setText(trust_line(Script(text)) if text else "")
            self.show_error(error)
        else:
            self.trust.setText(trust_line(script) if text else "")
            self.show_error(None)
            if text and not Path(text).expanduser().is_file():
                self.show_error(ScriptError(f"{text}: no such file"))
        self.trust.setVisible(bool(text))
        self.sig_script_changed.emit()

    def _on_browse_clicked(self) -> None:
        path = ask_path(self, "Open script", SCRIPT_FILTER, save=False)
        if path:
            self.path.setText(path)

    def _on_browse_cwd_clicked(self) -> None:
        folder = ask_folder(self, "Working directory of the script")
        if folder:
            self.cwd.setText(folder)


class RunChoice(QWidget):
    """The Experiment dock's content: "What to run" (a built-in experiment or your own
    script) above the page of the one chosen."""

    sig_choice_changed = Signal(bool)
    """The user chose the other page; argument: True for the script."""

    def __init__(self, experiment: QWidget, script: QWidget, parent: QWidget | None = None):
        super().__init__(parent)
        self.kind = QComboBox()
        self.kind.addItem("Built-in experiment")
        self.kind.setItemData(0, "Run one of Coreography's experiments (model, workers, …)", 3)
        self.kind.addItem("Your own script")
        self.kind.setItemData(1, "Run a Python program of your own and watch it", 3)
        self.kind.setToolTip("What Run starts: a built-in experiment or your own script")
        self.pages = QStackedWidget()
        self.pages.addWidget(experiment)
        self.pages.addWidget(script)
        top = QFormLayout()
        top.setContentsMargins(9, 6, 9, 0)
        top.addRow("Run", self.kind)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(top)
        layout.addWidget(self.pages, 1)
        self.kind.currentIndexChanged.connect(self._on_kind_changed)

    @property
    def script_chosen(self) -> bool:
        return self.kind.currentIndex() == 1

    def choose_script(self, chosen: bool) -> None:
        self.kind.setCurrentIndex(1 if chosen else 0)

    def _on_kind_changed(self, index: int) -> None:
        self.pages.setCurrentIndex(index)
        self.sig_choice_changed.emit(index == 1)
