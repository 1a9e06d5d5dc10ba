"""Your own script in the window: File → Open Script…, the Script choice of the
Experiment dock, Run and Stop through the presenter, the script in the Code view, the
common mistakes in the Findings, recent files and drag and drop.

Built by :class:`coreography.gui.desktop.Desktop` around the window; :meth:`finish` is
called once every part (the teaching tools' Code and Findings views) is there.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction

from coreography.gui.actions import add_action, ask_path
from coreography.gui.drop import DropOpener
from coreography.gui.parts import DockId, MenuId
from coreography.gui.recent_files import RecentFiles, fill_menu, kind_of
from coreography.gui.script_panel import SCRIPT_FILTER, RunChoice, ScriptPanel
from coreography.gui.script_run import Script, ScriptController, ScriptError, is_traced, script_of
from coreography.gui.widgets.code_view import CodeView
from coreography.gui.widgets.findings_view import FindingsView
from coreography.gui.window import AppWindow
from coreography.model.run import Run

OPEN_SCRIPT_KEYS = "Ctrl+Shift+O"
STATUS_MS = 10_000


class ScriptTools(QObject):
    """The window's way to a program of one's own (see module docstring)."""

    def __init__(self, window: AppWindow) -> None:
        super().__init__(window)
        self.window = window
        self.presenter = window.presenter
        self._controller: ScriptController | None = None
        self.recent = RecentFiles(self)
        self.panel = ScriptPanel()
        dock = window.dock(DockId.EXPERIMENT)
        self.choice = RunChoice(dock.widget(), window._scrolling(self.panel))
        dock.setWidget(self.choice)
        # the teaching tools' views, found by finish()
        self.code_view: CodeView | None = None
        self.findings: FindingsView | None = None
        self._add_menus()
        self.drops = DropOpener(window, self.open_file, self._say, lambda: self.presenter.live)
        self.panel.sig_run_requested.connect(self.start_script)
        self.panel.sig_stop_requested.connect(window.stop_run)
        self.panel.sig_script_changed.connect(self._on_panel_script_changed)
        self.choice.sig_choice_changed.connect(self._on_choice_changed)
        self.presenter.sig_run_started.connect(self._on_presenter_run_started)
        self.presenter.sig_run_ended.connect(self._on_presenter_run_ended)
        window.sig_recording_opened.connect(self._on_window_recording_opened)
        window.sig_file_written.connect(self._on_window_file_written)

    @property
    def controller(self) -> ScriptController:
        if self._controller is None:  # the engine is imported on first use
            self._controller = ScriptController(sample_hz=10.0)
        return self._controller

    def finish(self) -> None:
        """Every part is there: find the Code and Findings views, and hear each run's
        end after the teaching tools (their findings come first, ours are added)."""
        self.code_view = self.window.findChild(CodeView)
        self.findings = self.window.findChild(FindingsView)
        self.presenter.sig_run_ended.connect(self._on_presenter_run_ended_late)

    # -- assembly -------------------------------------------------------------------------
    def _add_menus(self) -> None:
        window = self.window
        file_menu = window.menu(MenuId.FILE)
        before = window.save_action
        self.open_action = add_action(
            window,
            file_menu,
            "Open &Script…",
            self._on_open_script_triggered,
            OPEN_SCRIPT_KEYS,
            "Open a Python program of your own, ready to run and watch",
        )
        self.recent_menu = window.add_menu(MenuId.RECENT, "Open &Recent", file_menu)
        for action in (self.open_action, self.recent_menu.menuAction()):
            file_menu.removeAction(action)
            file_menu.insertAction(before, action)
        file_menu.insertSeparator(before)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.recent.sig_changed.connect(self._fill_recent)
        self._fill_recent()
        # Run (Space) starts what the Experiment dock shows: an experiment or the script.
        run_action: QAction = window.run_action
        run_action.triggered.disconnect()
        run_action.triggered.connect(self.start_chosen)

    def _fill_recent(self) -> None:
        fill_menu(self.recent_menu, self.recent, self.open_file)

    # -- commands -------------------------------------------------------------------------
    def open_file(self, path: str) -> bool:
        """Open ``path``: a recording is shown, a script made ready to run (not run)."""
        kind = kind_of(path)
        if kind == "script":
            return self.open_script(path)
        if kind == "recording":
            return self.window.open_recording(path) is not None  # the signal adds it
        self._say(f"{Path(path).name}: not a Python script or a Coreography recording.")
        return False

    def open_script(self, path: str | Path) -> bool:
        """Show ``path`` in the Script choice, ready to run: nothing starts until Run."""
        if self.presenter.live:
            self._say("A run is in progress: stop it before opening a script.")
            return False
        script = Script(str(path))
        try:
            script = script.validate()
        except ScriptError as error:
            self.window.show_error("Cannot open this script", str(error))
            return False
        self.panel.set_script(Script(script.path))
        self.choice.choose_script(True)
        self.window.dock(DockId.EXPERIMENT).show()
        self.window.dock(DockId.EXPERIMENT).raise_()
        self.show_script_code()
        self.recent.add(script.path)
        self._say(f"{Path(script.path).name} is ready to run: it starts when you press Run.")
        return True

    def start_chosen(self) -> Run | None:
        """Run (Space): the script if the dock shows it, else the experiment."""
        if self.choice.script_chosen:
            return self.start_script()
        return self.window.start_run()

    def start_script(self) -> Run | None:
        """Start the panel's script; a bad setting is shown, not raised."""
        if self.presenter.live:
            return None
        script = self.panel.check()
        if script is None:
            return None
        try:
            self.controller.state_hz = self.window.state_hz  # Run → Thread states
            run = self.presenter.start_with(self.controller, script)
        except ScriptError as error:
            self.panel.show_error(error)
            return None
        except (RuntimeError, OSError) as error:  # e.g. no more processes allowed
            self.window.show_error("Cannot start this script", str(error))
            return None
        self.recent.add(script.path)
        return run

    # -- the Code view and the Findings -----------------------------------------------------
    def show_script_code(self, source: str | None = None, path: str = "") -> None:
        """The script itself in the Code view, read-only (``source``: as it ran)."""
        view = self.code_view
        if view is None:
            return
        script = Script(path) if path else self.panel.script_or_none()
        if source is None:
            source = script.source() if script is not None else ""
        name = Path(script.path).name if script is not None and script.path else "the script"
        view.note.setText(f"{name}: your own program, as it runs (read-only).")
        view.show_text(source or f"# {name} cannot be read.\n", copyable=bool(source))

    def show_experiment_code(self) -> None:
        if self.code_view is not None:
            self.code_view.set_experiment(self.window.experiment_panel.experiment())
            self.code_view.note.setText(
                "The same experiment as a plain Python program: run it with python, no "
                "Coreography needed."
            )

    def _show_findings(self, run: Run) -> None:
        """The common mistakes the program made, in plain words, after what the
        diagnosis found."""
        if self.findings is None:
            return
        from coreography.model.diagnosis import Finding, diagnose
        from coreography.model.trace_explain import explain

        findings = diagnose(run) + [Finding("trace", "warning", text) for text in explain(run)]
        self.findings.set_findings(run.experiment.title or "Your script", findings)

    # -- handlers ---------------------------------------------------------------------------
    def _on_open_script_triggered(self) -> None:
        path = ask_path(self.window, "Open script", SCRIPT_FILTER, save=False)
        if path:
            self.open_script(path)

    def _on_choice_changed(self, script: bool) -> None:
        if script:
            self.show_script_code()
        else:
            self.show_experiment_code()

    def _on_panel_script_changed(self) -> None:
        if self.choice.script_chosen and not self.presenter.live:
            self.show_script_code()

    def _on_presenter_run_started(self, run: Run) -> None:
        live = not run.is_over
        self.panel.set_running(live)
        self.choice.kind.setEnabled(not live)
        if not is_traced(run):
            return
        if run.is_over:  # a recording or a stored run of a script: say which
            shown = script_of(run)
            if shown is not None:
                self.panel.set_script(shown)
            self._show_findings(run)
        self.choice.choose_script(True)
        script = script_of(run)
        self.show_script_code(run.experiment.code, script.path if script is not None else "")
        if live:
            self.window.status.progress.setRange(0, 0)  # no task count known in advance

    def _on_presenter_run_ended(self, run: Run) -> None:
        self.panel.set_running(False)
        self.choice.kind.setEnabled(True)
        if is_traced(run):
            self.window.status.progress.setRange(0, 1)
            self.window.status.progress.setValue(1)

    def _on_presenter_run_ended_late(self, run: Run) -> None:
        if is_traced(run):
            self._show_findings(run)

    def _on_window_recording_opened(self, _run: Run, path: str) -> None:
        self.recent.add(path)

    def _on_window_file_written(self, _run: Run, path: str) -> None:
        if kind_of(path) == "recording":
            self.recent.add(path)

    def _say(self, text: str) -> None:
        self.window.statusBar().showMessage(text, STATUS_MS)
