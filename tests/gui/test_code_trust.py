"""Code that came in a file someone sent is shown and runs only after "Run it": never by
Space, the Run button, the editor's Run or a sweep before that."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from coreography.gui.settings import Settings
from coreography.gui.widgets.code_review import HEADING, CodeReviewDialog
from coreography.model.experiment import Experiment
from coreography.model.experiment_file import save_experiment
from coreography.model.recording import run_to_dict
from tests.gui.conftest import wait_over
from tests.model.fakes import full_run

RUN_WAIT_MS = 60_000


def _hostile_code(marker) -> str:
    return (
        f"open({str(marker)!r}, 'a').write('imported\\n')\n\n\n"
        "def task(x):\n"
        f"    open({str(marker)!r}, 'a').write('task\\n')\n"
        "    return x\n"
    )


def _sent_recording(tmp_path, code: str):
    """A real recording whose experiment carries ``code`` as its task function."""
    run = full_run()
    document = json.loads(json.dumps(run_to_dict(run)))
    document["experiment"] = run.experiment.replace(workload="custom", code=code).to_dict()
    path = tmp_path / "sent.coreo.json"
    path.write_text(json.dumps(document))
    return path


def _dialog(qtbot, window) -> CodeReviewDialog:
    qtbot.waitUntil(
        lambda: window.review_dialog is not None and window.review_dialog.isVisible(),
        timeout=5000,
    )
    return window.review_dialog


def _press_space(qtbot, window) -> None:
    """Space in the window, as the user presses it (the window active, as after a click)."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_Space)


def _refuse(qtbot, window) -> None:
    """Answer the dialog with the keyboard as most people would: Space on its focus."""
    dialog = _dialog(qtbot, window)
    assert dialog.focusWidget() is dialog.dont_run_button or dialog.dont_run_button.isDefault()
    qtbot.keyClick(dialog.dont_run_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.review_dialog is None, timeout=5000)


def test_a_recordings_code_is_shown_and_no_run_key_runs_it(qtbot, window, tmp_path):
    marker = tmp_path / "it-ran"
    code = _hostile_code(marker)
    opened = window.open_recording(_sent_recording(tmp_path, code))
    assert opened is not None
    dialog = _dialog(qtbot, window)
    assert HEADING in dialog.heading.text()
    assert dialog.code.toPlainText() == code and dialog.code.isReadOnly()
    assert [dialog.run_button.text(), dialog.dont_run_button.text()] == ["Run it", "Don't run"]
    assert dialog.dont_run_button.isDefault() and not dialog.run_button.isDefault()
    assert "sent.coreo.json" in dialog.explanation.text()
    # Space while the dialog is up: it answers "Don't run".
    _refuse(qtbot, window)
    assert window.presenter.run is opened and not window.presenter.live
    # The code is still in the panel, and every way to run it shows it again.
    assert window.experiment_panel.code.toPlainText() == code
    _press_space(qtbot, window)  # the Run key
    _refuse(qtbot, window)
    qtbot.mouseClick(window.experiment_panel.run_button, Qt.MouseButton.LeftButton)
    _refuse(qtbot, window)
    window.teaching.run_own_function()  # the editor's Run
    _refuse(qtbot, window)
    assert window.teaching.run_sweep("workers", [1, 2]) is None
    _refuse(qtbot, window)
    assert window.presenter.run is opened and not window.presenter.live
    assert not marker.exists()

    # "Run it": now it runs, which proves the refusals above held something back.
    _press_space(qtbot, window)
    qtbot.mouseClick(_dialog(qtbot, window).run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.presenter.run is not opened, timeout=5000)
    wait_over(qtbot, window, timeout=RUN_WAIT_MS)
    assert window.presenter.run.state == "finished"
    assert "task" in marker.read_text().split()
    assert window.code_from_file == ""
    marker.unlink()
    _press_space(qtbot, window)  # agreed once: the ordinary Run key runs it
    qtbot.waitUntil(lambda: window.presenter.live or marker.exists(), timeout=5000)
    wait_over(qtbot, window, timeout=RUN_WAIT_MS)
    assert window.review_dialog is None and marker.exists()


def test_an_experiment_files_code_waits_for_review(qtbot, window, tmp_path):
    marker = tmp_path / "it-ran"
    path = tmp_path / "sent.toml"
    code = _hostile_code(marker)
    save_experiment(Experiment(model="sequential", tasks=2, workload="custom", code=code), path)
    assert window.teaching.open_experiment(path) is not None
    dialog = _dialog(qtbot, window)
    assert dialog.code.toPlainText() == code and "sent.toml" in dialog.explanation.text()
    _refuse(qtbot, window)
    assert window.teaching.code_editor.code() == code  # shown, to read and edit
    window.teaching.code_editor.set_code(code + "\n# edited a little\n")
    _press_space(qtbot, window)
    _refuse(qtbot, window)  # edited, it is still mostly someone else's
    assert not window.presenter.live and not marker.exists()


def test_a_file_without_code_asks_nothing(qtbot, window, tmp_path):
    path = tmp_path / "plain.toml"
    save_experiment(Experiment(model="sequential", tasks=2, workload="square"), path)
    assert window.teaching.open_experiment(path) is not None
    qtbot.wait(200)
    assert window.review_dialog is None and window.code_from_file == ""


def test_code_awaiting_review_stays_someone_elses_after_a_restart(qtbot, window, tmp_path):
    """Closing the app with the code unreviewed must not make it the user's own."""
    settings = Settings.at(tmp_path / "settings.ini")
    window.desktop.attach(settings)
    window.open_recording(_sent_recording(tmp_path, _hostile_code(tmp_path / "m")))
    _refuse(qtbot, window)
    window.desktop.save()
    window.code_from_file = ""
    window.desktop.attach(Settings.at(tmp_path / "settings.ini"))
    assert window.code_from_file.endswith("sent.coreo.json")
    _press_space(qtbot, window)
    _refuse(qtbot, window)
    assert not (tmp_path / "m").exists()
