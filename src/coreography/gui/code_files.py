"""The code side of the window: the Code view follows the panel; experiment files."""

from __future__ import annotations

from pathlib import Path

from coreography.gui.actions import ask_path
from coreography.model.experiment import Experiment, ExperimentError

EXPERIMENT_FILTER = "Coreography experiments (*.toml)"


class CodeMixin:
    """The Code view, the task editor's files and the panel's own code field, in step,
    for :class:`coreography.gui.teaching.TeachingTools`."""

    def _on_panel_changed(self, *_args) -> None:
        self.code_view.set_experiment(self.window.experiment_panel.experiment())

    def _on_code_view_save_requested(self) -> None:
        path = ask_path(self.window, "Save program", "Python (*.py)", True, ".py")
        if path:
            try:
                self.code_view.save(path)
            except OSError as error:
                self.window.show_error("Cannot write the file", str(error))

    def open_experiment(self, path: str | Path) -> Experiment | None:
        """Load an experiment file into the panel (and its code into the editor)."""
        # The file format (and tomllib) loads with the first file, not with the window.
        from coreography.model.experiment_file import ExperimentFileError, load_experiment

        try:
            experiment = load_experiment(path)
        except ExperimentFileError as error:
            self.window.show_error("Cannot open this experiment", str(error))
            return None
        self.window.experiment_panel.set_experiment(experiment)
        if experiment.workload == "custom":
            self.code_editor.set_code(experiment.code)
        self.window.receive_code_from_file(experiment, str(path))
        return experiment

    def save_experiment(self, path: str | Path) -> bool:
        """Save the panel's experiment with the editor's code as a .toml file."""
        from coreography.model.experiment_file import ExperimentFileError
        from coreography.model.experiment_file import save_experiment as write_experiment

        try:
            write_experiment(self.own_experiment().validate(), path)
        except (ExperimentError, ExperimentFileError) as error:
            self.window.show_error("Cannot save this experiment", str(error))
            return False
        return True

    def _on_editor_open_requested(self) -> None:
        path = ask_path(self.window, "Open experiment", EXPERIMENT_FILTER, False, ".toml")
        if path:
            self.open_experiment(path)

    def _on_editor_save_requested(self) -> None:
        path = ask_path(self.window, "Save experiment", EXPERIMENT_FILTER, True, ".toml")
        if path:
            self.save_experiment(path)

    def _on_editor_code_changed(self) -> None:
        """The panel's own task code field shows what the editor holds (and back)."""
        code, field = self.code_editor.code(), self.window.experiment_panel.code
        if code.strip() and field.toPlainText() != code:
            field.setPlainText(code)

    def _on_panel_code_changed(self) -> None:
        code = self.window.experiment_panel.code.toPlainText()
        if code.strip() and self.code_editor.code() != code:
            self.code_editor.set_code(code)
