"""Code that came in a file runs only after the user has seen it and said so."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt

from coreography.gui.widgets.code_review import CodeReviewDialog
from coreography.model.experiment import Experiment


class CodeTrustMixin:
    """The review step of :class:`coreography.gui.window.AppWindow` (which provides
    ``start_experiment`` and the status bar).

    A recording or experiment file that carries task code ("Your function") marks that
    code as someone else's (:attr:`code_from_file`). Until the user chooses "Run it" in
    the review dialog, every run of custom code (Run, Space, the editor's Run, a sweep)
    shows the dialog instead of starting. Only consent clears the mark: code edited from
    someone else's is still mostly theirs.
    """

    #: Where the task code awaiting review came from ("" when there is none).
    code_from_file: str = ""
    review_dialog: CodeReviewDialog | None = None

    def receive_code_from_file(self, experiment: Experiment, source: str) -> None:
        """``experiment`` was read from ``source``: if it carries code, ask about it now."""
        if experiment.workload == "custom" and experiment.code.strip():
            self.code_from_file = source
            self.review_code(experiment)

    def needs_review(self, experiment: Experiment) -> bool:
        """Whether running ``experiment`` must wait for the user's consent."""
        return bool(self.code_from_file) and experiment.workload == "custom"

    def review_code(
        self, experiment: Experiment, on_consent: Callable[[Experiment], object] | None = None
    ) -> CodeReviewDialog:
        """Show ``experiment``'s code (window-modal, not blocking); "Run it" trusts it and
        calls ``on_consent`` (default: start ``experiment``)."""
        if self.review_dialog is not None:
            self.review_dialog.close()
        dialog = CodeReviewDialog(experiment.code, self.code_from_file, self)  # type: ignore[arg-type]
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._on_review_accepted(experiment, on_consent))
        dialog.rejected.connect(self._on_review_rejected)
        dialog.destroyed.connect(lambda *_: self._forget_dialog(dialog))
        self.review_dialog = dialog
        dialog.open()
        return dialog

    def _forget_dialog(self, dialog: CodeReviewDialog) -> None:
        if self.review_dialog is dialog:
            self.review_dialog = None

    def _on_review_accepted(
        self, experiment: Experiment, on_consent: Callable[[Experiment], object] | None
    ) -> None:
        self.code_from_file = ""
        (on_consent or self.start_experiment)(experiment)  # type: ignore[attr-defined]

    def _on_review_rejected(self) -> None:
        self.statusBar().showMessage(  # type: ignore[attr-defined]
            "The code from the file was not run; Run shows it to you again.", 8000
        )
