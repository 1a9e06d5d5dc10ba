"""The Code view follows the panel; the task editor checks the user's code as it is typed."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QGuiApplication

from coreography.engine.calibration import loops_per_ms
from coreography.model.codegen import generate
from coreography.model.experiment import Experiment
from coreography.model.experiment_file import load_experiment
from coreography.model.history import History
from tests.gui.conftest import alive, experiment_pids, wait_over
from tests.gui.teaching_helpers import open_window, screenshot

pytestmark = pytest.mark.slow

LOOP = "def task(x):\n    while True:\n        pass\n"


@pytest.fixture
def win(qtbot, tmp_path):
    with History(tmp_path / "history.sqlite3") as history:
        window = open_window(qtbot, history)
        yield window
        window.close()


def test_code_view_is_the_generated_program_and_follows_the_panel(qtbot, win, tmp_path):
    panel, view = win.experiment_panel, win.teaching.code_view
    assert view.source() == generate(panel.experiment(), loops_per_ms())
    if panel.experiment().workload == "cpu":  # the runs' own loop count, not a constant
        assert f"LOOPS_PER_MS = {loops_per_ms()}" in view.source()
    panel.workers.setValue(3)
    assert view.source() == generate(panel.experiment(), loops_per_ms())
    panel.model.setCurrentText("processes")
    panel.workload.setCurrentText("print-number")
    assert view.source() == generate(panel.experiment(), loops_per_ms())
    assert "Process(" in view.source()
    qtbot.mouseClick(view.copy_button, _left())
    assert QGuiApplication.clipboard().text() == view.source()
    view.save(tmp_path / "program.py")
    assert (tmp_path / "program.py").read_text() == view.source()
    win.teaching.show_tab(view)
    qtbot.wait(50)
    screenshot(win, "code-view.png", tmp_path)


@pytest.mark.parametrize(
    ("source", "line", "words"),
    [
        ("task = lambda x: x * x\n", 1, "lambda"),
        ("import math\n\ndef task(x)\n    return x\n", 3, "expected ':'"),
        ("def outer():\n    def task(x):\n        return x\n", 2, "inside another function"),
    ],
)
def test_editor_shows_the_line_and_a_plain_message_and_disables_run(win, source, line, words):
    editor = win.teaching.code_editor
    editor.editor.setPlainText(source)  # as if typed
    assert editor.problem is not None and editor.problem.line == line
    assert editor.status.text().startswith(f"Line {line}: ")
    assert words in editor.status.text()
    assert not editor.run_button.isEnabled()
    assert editor.editor.extraSelections()  # the line is marked
    assert win.teaching.run_own_function() is None
    editor.editor.setPlainText("def task(x):\n    return x + 1\n")
    assert editor.problem is None and editor.run_button.isEnabled()
    assert not editor.editor.extraSelections()


def test_own_function_runs_with_a_pool_and_an_endless_one_ends_with_stop(qtbot, win, tmp_path):
    editor = win.teaching.code_editor
    win.experiment_panel.set_experiment(Experiment(model="pool-map", workers=2, tasks=4))
    editor.set_code("def task(x):\n    return x * 10\n")
    qtbot.mouseClick(editor.run_button, _left())
    qtbot.waitUntil(lambda: win.presenter.run is not None, timeout=5000)
    run = win.presenter.run
    wait_over(qtbot, win)
    assert run.state == "finished", run.message
    assert run.experiment.workload == "custom"
    assert run.results() == [0, 10, 20, 30]
    assert editor.run_button.isEnabled() and not editor.stop_button.isEnabled()

    win.experiment_panel.set_experiment(Experiment(model="threads", tasks=2))
    editor.set_code(LOOP)
    qtbot.mouseClick(editor.run_button, _left())
    qtbot.waitUntil(lambda: win.presenter.run is not run, timeout=5000)
    endless = win.presenter.run
    qtbot.waitUntil(lambda: endless.n_started >= 1, timeout=20_000)
    assert editor.stop_button.isEnabled() and not editor.run_button.isEnabled()
    pids = experiment_pids()
    screenshot(win, "own-function.png", tmp_path)
    qtbot.mouseClick(editor.stop_button, _left())
    wait_over(qtbot, win, timeout=20_000)
    assert endless.state == "stopped"
    assert not alive(pids)


def test_experiment_with_code_saves_and_opens(win, tmp_path):
    editor = win.teaching.code_editor
    editor.set_code("import math\n\n\ndef task(x):\n    return math.isqrt(x)\n")
    path = tmp_path / "mine.toml"
    assert win.teaching.save_experiment(path)
    saved = load_experiment(path)
    assert saved.workload == "custom" and saved.code == editor.code()
    editor.set_code("def task(x):\n    return 0\n")
    opened = win.teaching.open_experiment(path)
    assert opened == saved
    assert editor.code() == saved.code
    assert win.experiment_panel.workload.currentText() == "custom"


def _left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton
