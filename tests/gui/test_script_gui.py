"""Your own script in the real window: opened, run with Run, stopped with Stop, shown in
every view, kept in the history; real programs, real processes, nothing left running."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import psutil
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from coreography.gui.parts import DockId, MenuId
from coreography.model.run import DONE, FINISHED, RUNNING, STOPPED
from tests.gui.conftest import RUN_TIMEOUT_MS, alive, experiment_pids, wait_over

PROGRAMS = Path(__file__).parents[1] / "engine" / "trace_programs"
METHODS = ["fork", "spawn"]


@pytest.fixture
def mark(monkeypatch):
    """Every process of the script carries this in its environment, so one that left
    the tree (reparented) is still found."""
    value = uuid.uuid4().hex
    monkeypatch.setenv("COREOGRAPHY_TEST_MARK", value)
    return value


def marked(mark: str, wait: float = 3.0) -> list[int]:
    """Living processes carrying ``mark``, after waiting up to ``wait`` s for them to go."""
    deadline = time.monotonic() + wait
    while True:
        found = []
        for proc in psutil.process_iter():
            try:
                ours = proc.environ().get("COREOGRAPHY_TEST_MARK") == mark
                if ours and proc.pid != os.getpid() and proc.status() != psutil.STATUS_ZOMBIE:
                    found.append(proc.pid)
            except psutil.Error:
                continue
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def run_script(qtbot, win, program: str, *args: str):
    """Open ``program`` as File → Open Script would, type its arguments, press Run."""
    scripts = win.desktop.scripts
    assert scripts.open_script(PROGRAMS / program)
    assert win.presenter.run is None or win.presenter.run.is_over  # opening runs nothing
    scripts.panel.args.setText(" ".join(args))
    qtbot.mouseClick(scripts.panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.presenter.live, timeout=10_000)
    return win.presenter.run


def finish(qtbot, win, mark: str):
    wait_over(qtbot, win)
    run = win.presenter.run
    assert not marked(mark), "the script left processes running"
    assert not alive(experiment_pids())
    return run


def workers(run) -> list[str]:
    return [lane.label for lane in run.lanes if not lane.label.startswith("Main")]


def console_text(win) -> list[str]:
    return [line for line in win.console.shown_lines() if not line.startswith("[coreography]")]


@pytest.mark.parametrize("method", METHODS)
def test_one_process_printing(qtbot, window, mark, method):
    run = run_script(qtbot, window, "one_process.py", method)
    run = finish(qtbot, window, mark)
    assert run.state == FINISHED and run.exit_code == 0
    assert [label.split(" · ")[0] for label in workers(run)] == ["Process-1"]
    assert run.n_tasks == 1 and run.task_status.tolist() == [DONE]
    assert run.task_labels[0] == "greet()"
    (line,) = console_text(window)
    assert line == f"[{workers(run)[0]}] Worker process"  # the child's own lane prints it
    assert window.timeline.index.bars == 1
    assert f"trace, {method}" in window.timeline.summary.text()  # how its processes began


@pytest.mark.parametrize("method", METHODS)
def test_pool_of_four_squares(qtbot, window, mark, method):
    run_script(qtbot, window, "pool_squares.py", method)
    run = finish(qtbot, window, mark)
    assert run.state == FINISHED and run.exit_code == 0
    names = [label.split(" · ")[0] for label in workers(run)]
    assert sorted(names) == [f"{method.capitalize()}PoolWorker-{n}" for n in range(1, 5)]
    assert run.n_tasks == 10 and run.n_done == 10  # each call, not each chunk
    assert sorted(run.task_labels.values()) == sorted(f"square({n})" for n in range(10))
    assert window.timeline.index.bars == 10
    squares = "[0, 1, 4, 9, 16, 25, 36, 49, 64, 81]"
    assert console_text(window) == [f"[Main · PID {run.driver_pid}] {squares}"]


@pytest.mark.parametrize("method", METHODS)
def test_four_processes_print_their_pid(qtbot, window, mark, method):
    run_script(qtbot, window, "four_processes.py", method)
    run = finish(qtbot, window, mark)
    assert run.state == FINISHED and run.exit_code == 0
    lanes = [lane for lane in run.lanes if not lane.label.startswith("Main")]
    assert sorted(lane.label.split(" · ")[0] for lane in lanes) == [
        f"Process-{n}" for n in range(1, 5)
    ]
    assert all(lane.exit_code == 0 for lane in lanes)
    lines = console_text(window)
    assert len(lines) == 4
    for lane in lanes:  # each line in the lane of the process that printed it
        (line,) = [line for line in lines if line.startswith(f"[{lane.label}]")]
        number = int(lane.label.split(" · ")[0].split("-")[1])
        assert line == f"[{lane.label}] Process ID: {lane.pid} - Number: {number}"
    assert window.timeline.index.bars == 4
    assert window.teaching.history.list()[0].title.endswith(f"four_processes.py {method}")


@pytest.mark.parametrize("method", METHODS)
def test_stop_ends_a_deadlocked_script_and_every_process(qtbot, window, mark, method):
    run = run_script(qtbot, window, "deadlock.py", method)
    # live: both lanes, the child's bar running, the parent's line in the Console
    qtbot.waitUntil(
        lambda: len(run.lanes) == 2 and RUNNING in run.task_status.tolist(), timeout=20_000
    )
    qtbot.waitUntil(lambda: window.timeline.index.bars == 1, timeout=5000)
    printed = lambda: any(x.endswith("] waiting") for x in console_text(window))  # noqa: E731
    qtbot.waitUntil(printed, timeout=5000)
    pids = {lane.pid for lane in run.lanes}
    assert window.desktop.scripts.panel.stop_button.isEnabled()
    assert not window.desktop.scripts.choice.kind.isEnabled()  # locked while it runs
    qtbot.mouseClick(window.desktop.scripts.panel.stop_button, Qt.MouseButton.LeftButton)
    run = finish(qtbot, window, mark)
    assert run.state == STOPPED
    assert not alive(pids)
    assert window.desktop.scripts.panel.run_button.isEnabled()


def test_closing_the_window_ends_a_running_script(qtbot, window, mark):
    run = run_script(qtbot, window, "deadlock.py", "spawn")
    qtbot.waitUntil(lambda: len(run.lanes) == 2, timeout=20_000)
    pids = {lane.pid for lane in run.lanes}
    assert alive(pids) == pids
    window.close()
    assert not marked(mark)
    assert not alive(pids)


def test_space_runs_the_script_the_dock_shows(qtbot, window, mark):
    scripts = window.desktop.scripts
    scripts.open_script(PROGRAMS / "one_process.py")
    scripts.panel.args.setText("fork")
    window.run_action.trigger()  # Space
    qtbot.waitUntil(lambda: window.presenter.run is not None, timeout=10_000)
    run = finish(qtbot, window, mark)
    assert run.experiment.model == "trace" and run.state == FINISHED


def test_the_code_view_shows_the_script_and_the_experiment_again(qtbot, window):
    scripts = window.desktop.scripts
    code = window.teaching.code_view
    scripts.open_script(PROGRAMS / "pool_squares.py")
    assert code.source() == (PROGRAMS / "pool_squares.py").read_text()
    assert code.text.isReadOnly()
    scripts.choice.choose_script(False)
    assert "multiprocessing" in code.source() and code.source() != scripts.panel.script().source()


def test_a_missing_guard_is_explained_in_the_findings(qtbot, window, mark):
    run_script(qtbot, window, "no_main_guard.py", "spawn")
    run = finish(qtbot, window, mark)
    text = window.teaching.findings.plain_text()
    assert '__name__ == "__main__"' in text and "spawn" in text
    assert any('__name__ == "__main__"' in line for line in window.console.shown_lines())
    assert any("__name__" in log for log in run.logs)  # kept in the history and recordings


def test_a_script_run_saves_opens_compares_and_exports(qtbot, window, mark, tmp_path):
    first = run_script(qtbot, window, "four_processes.py", "fork")
    finish(qtbot, window, mark)
    run_script(qtbot, window, "four_processes.py", "spawn")
    finish(qtbot, window, mark)
    path = tmp_path / "mine.coreo.json.gz"
    assert window.save_recording(path)
    assert window.export_csv(tmp_path / "tasks.csv") and window.export_chrome_trace(
        tmp_path / "trace.json"
    )
    scripts = window.desktop.scripts
    scripts.choice.choose_script(False)
    before = window.experiment_panel.experiment()
    opened = window.open_recording(path)
    assert opened is not None and opened.n_tasks == 4
    assert window.experiment_panel.experiment() == before  # a script has no settings there
    assert scripts.choice.script_chosen
    assert scripts.panel.path.text().endswith("four_processes.py")
    assert scripts.panel.args.text() == "spawn"
    assert window.teaching.code_view.source() == (PROGRAMS / "four_processes.py").read_text()
    ids = [entry.id for entry in window.teaching.history.list()]
    window.teaching.compare(ids[1], ids[0])
    shown = window.teaching.compare_view
    assert window.teaching.tabs.currentWidget() is shown
    assert first.n_tasks == 4


def test_an_unreadable_script_is_refused_and_nothing_runs(qtbot, window, tmp_path):
    scripts = window.desktop.scripts
    scripts.panel.path.setText(str(tmp_path / "gone.py"))
    scripts.choice.choose_script(True)
    assert scripts.start_chosen() is None
    assert "no such file" in scripts.panel.error.text()
    assert window.presenter.run is None
    scripts.panel.path.setText(str(PROGRAMS / "one_process.py"))
    scripts.panel.args.setText('"unclosed')
    assert scripts.start_chosen() is None
    assert "quotes" in scripts.panel.error.text()


def test_open_script_is_in_the_file_menu_with_its_shortcut(window):
    file_menu = window.menu(MenuId.FILE)
    texts = [action.text() for action in file_menu.actions()]
    assert texts.index("Open &Script…") == texts.index("&Open recording…") + 1
    action = window.desktop.scripts.open_action
    assert action.shortcut().toString() == "Ctrl+Shift+O"
    assert window.menu(MenuId.RECENT).menuAction() in file_menu.actions()


# -- drag and drop ------------------------------------------------------------------------


def drop(window, *paths: str | Path) -> bool:
    """Drag ``paths`` over the window and drop them, as the desktop would."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    center = QPointF(window.rect().center())
    actions = Qt.DropAction.CopyAction
    enter = QDragEnterEvent(
        QPoint(int(center.x()), int(center.y())),
        actions,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window, enter)
    accepted = enter.isAccepted()
    event = QDropEvent(
        center, actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(window, event)
    return accepted


def test_a_dropped_script_is_ready_to_run_but_does_not_run(qtbot, window):
    assert window.acceptDrops()
    path = PROGRAMS / "pool_squares.py"
    assert drop(window, path)
    scripts = window.desktop.scripts
    assert scripts.choice.script_chosen and scripts.panel.path.text() == str(path)
    assert window.dock(DockId.EXPERIMENT).isVisible()
    assert scripts.panel.trust.isVisible() or not window.isVisible()
    assert "someone's program" in scripts.panel.trust.text()
    assert "Run" in scripts.panel.trust.text()
    assert "press Run" in window.statusBar().currentMessage()
    qtbot.wait(300)
    assert window.presenter.run is None  # nothing started
    assert str(path) in scripts.recent.paths


def test_a_dropped_recording_opens(qtbot, window, tmp_path):
    from coreography.model.recording import save_run
    from tests.gui.synthetic import make_run

    path = tmp_path / "shared.coreo.json"
    save_run(make_run(), path)
    drop(window, path)
    assert window.presenter.run is not None and window.presenter.run.is_over
    assert "shared.coreo.json" in window.windowTitle()
    assert str(path) in window.desktop.scripts.recent.paths


def test_invalid_drops_say_why(qtbot, window, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    drop(window, notes)
    message = window.statusBar().currentMessage()
    assert "notes.txt" in message and ".py" in message and ".coreo.json" in message
    drop(window, tmp_path)
    assert "is a folder" in window.statusBar().currentMessage()
    assert window.presenter.run is None


def test_a_drop_during_a_run_changes_nothing(qtbot, window, mark, tmp_path):
    run = run_script(qtbot, window, "deadlock.py", "fork")
    drop(window, PROGRAMS / "pool_squares.py")
    assert "stop it" in window.statusBar().currentMessage()
    assert window.presenter.run is run and window.presenter.live
    assert window.desktop.scripts.panel.path.text().endswith("deadlock.py")
    window.stop_run()
    finish(qtbot, window, mark)


# -- recent files ---------------------------------------------------------------------------


def test_recent_files_are_kept_in_the_settings(qtbot, window, tmp_path, mark):
    from coreography.gui.recent_files import MAX_RECENT
    from coreography.gui.settings import Settings

    settings = Settings.at(tmp_path / "settings.ini")
    window.desktop.attach(settings)
    scripts = window.desktop.scripts
    menu = window.menu(MenuId.RECENT)
    scripts.open_script(PROGRAMS / "one_process.py")
    run_script(qtbot, window, "one_process.py", "fork")
    finish(qtbot, window, mark)
    saved = tmp_path / "run.coreo.json"
    assert window.save_recording(saved)
    assert scripts.recent.paths[:2] == [str(saved), str(PROGRAMS / "one_process.py")]
    menu.aboutToShow.emit()
    entries = [a for a in menu.actions() if a.data()]
    assert [a.data() for a in entries] == scripts.recent.paths
    assert all(a.isEnabled() for a in entries)
    saved.unlink()  # a file that is gone is shown, disabled
    menu.aboutToShow.emit()
    (gone,) = [a for a in menu.actions() if a.data() == str(saved)]
    assert not gone.isEnabled() and "no longer there" in gone.toolTip()
    settings.sync()
    again = Settings.at(tmp_path / "settings.ini")  # the next session
    from coreography.gui.recent_files import RecentFiles

    restored = RecentFiles()
    restored.attach(again.store)
    assert restored.paths == scripts.recent.paths
    for n in range(MAX_RECENT + 3):
        path = tmp_path / f"s{n}.py"
        path.write_text("print(1)\n")
        scripts.recent.add(path)
    assert len(scripts.recent.paths) == MAX_RECENT
    assert scripts.recent.paths[0] == str(tmp_path / f"s{MAX_RECENT + 2}.py")
    (clear,) = [a for a in menu.actions() if a.objectName() == "clear_recent"]
    clear.trigger()
    assert scripts.recent.paths == []
    menu.aboutToShow.emit()
    assert not [a for a in menu.actions() if a.data()]
    assert not any(a.isEnabled() for a in menu.actions() if not a.isSeparator())


def test_a_recent_script_opens_ready_to_run(qtbot, window):
    scripts = window.desktop.scripts
    scripts.recent.add(PROGRAMS / "four_processes.py")
    scripts.choice.choose_script(False)
    menu = window.menu(MenuId.RECENT)
    menu.aboutToShow.emit()
    (entry,) = [a for a in menu.actions() if a.data()]
    entry.trigger()
    assert scripts.choice.script_chosen
    assert scripts.panel.path.text() == str(PROGRAMS / "four_processes.py")
    assert window.presenter.run is None


def test_rerunning_an_experiment_after_a_script(qtbot, window, mark):
    from coreography.model.experiment import Experiment

    run_script(qtbot, window, "one_process.py", "fork")
    finish(qtbot, window, mark)
    run = window.start_experiment(Experiment(model="pool-map", workers=2, tasks=4, size=1.0))
    assert run is not None and run.experiment.model == "pool-map"
    over = lambda: run.is_over and not window.presenter.timer.isActive()  # noqa: E731
    qtbot.waitUntil(over, timeout=RUN_TIMEOUT_MS)
    assert run.n_done == 4


def _failed_pixels(win) -> int:
    """Pixels of the failure colour in the timeline (a ✕ exit mark, a failed bar)."""
    from coreography.gui import theme

    win.timeline.fit_all()
    QApplication.processEvents()
    image = win.timeline.plot.grab().toImage()
    failed = QColor(theme.FAILED_COLOR).rgb()
    return sum(
        1
        for y in range(0, image.height())
        for x in range(0, image.width())
        if image.pixel(x, y) == failed
    )


@pytest.mark.slow
def test_pool_workers_ended_by_their_pool_end_normally(qtbot, window, mark):
    """`with Pool(2)` terminates its workers on leaving: no ✕, and the lane's tooltip
    says the pool ended it; a process the program terminates keeps its ✕."""
    from coreography.gui.widgets.timeline import POOL_END

    run = run_script(qtbot, window, "pool_with_block.py", "spawn")
    run = finish(qtbot, window, mark)
    assert run.state == FINISHED
    pool_lanes = [lane for lane in run.lanes if "PoolWorker" in lane.label]
    assert len(pool_lanes) == 2 and all(lane.ended_by_pool for lane in pool_lanes)
    assert any(lane.exit_code == -15 for lane in pool_lanes)
    for lane in pool_lanes:
        tip = window.timeline.describe_lane_at(run.seconds(lane.exited_ns), lane.index + 0.5)
        assert POOL_END in tip and "SIGTERM" in tip and "killed" not in tip
    assert _failed_pixels(window) == 0

    run = run_script(qtbot, window, "terminated_process.py", "fork")
    run = finish(qtbot, window, mark)
    (sleeper,) = [lane for lane in run.lanes if lane.label.startswith("sleeper")]
    tip = window.timeline.describe_lane_at(run.seconds(sleeper.exited_ns), sleeper.index + 0.5)
    assert "killed by signal 15 (SIGTERM)" in tip and POOL_END not in tip
    assert _failed_pixels(window) > 0
