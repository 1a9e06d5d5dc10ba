"""The live window over the real engine: run, stop, close, crash, recordings."""

from __future__ import annotations

import gc
import itertools
import re

import pytest
from PySide6.QtWidgets import QMessageBox

from coreography.gui.widgets.metrics_panel import FIELDS, format_value, metric
from coreography.model.experiment import Experiment, Fault
from coreography.model.metrics import compute_metrics
from tests.gui.conftest import alive, experiment_pids, start, wait_over

pytestmark = pytest.mark.slow


def _bars_by_lane(win) -> list[list[int]]:
    return [bars.ids.view().tolist() for bars in win.timeline.index.lanes]


def test_pool_map_run_shows_lanes_bars_console_and_metrics(qtbot, window):
    experiment = Experiment(model="pool-map", workers=2, tasks=24, workload="print-number")
    run = start(qtbot, window, experiment)
    assert not gc.isenabled()  # paced by the timer while the run is live
    wait_over(qtbot, window)

    assert run.state == "finished", run.message
    assert gc.isenabled()
    assert "finished" in window.status.state.text()
    assert window.status.progress.value() == 24
    # One lane per worker (plus the main process), labelled with role and PID.
    workers = run.worker_lanes()
    assert len(workers) == 2
    assert len(window.timeline.index.lanes) == len(run.lanes)
    ticks = [label for _pos, label in window.timeline.lane_axis._tickLevels[0]]
    for lane in workers:
        assert re.fullmatch(rf"Worker \d+ · PID {lane.pid}", lane.label)
        assert lane.label in ticks
    # One bar per task, each task exactly once.
    ids = sorted(i for lane in _bars_by_lane(window) for i in lane)
    assert ids == list(range(24))
    assert window.timeline.index.bars == 24
    # Every printed line, prefixed by its process.
    lines = window.console.lines()
    for task in range(24):
        pid = run.lanes[int(run.task_lane[task])].pid
        assert any(line.endswith(f"Process ID: {pid} - Number: {task + 1}") for line in lines), task
    assert len([line for line in lines if "Process ID:" in line]) == 24
    # The panel shows the model's own metrics.
    metrics = compute_metrics(run)
    for name, _label, _tip in FIELDS:
        wanted = format_value(name, metric(metrics, name))
        if name in ("speedup", "efficiency") and metrics.speedup_note:  # microsecond tasks
            wanted = "not measurable"
        assert window.metrics.values[name].text() == wanted
    assert metrics.tasks_done == 24
    assert window.metrics.values["tasks_done"].text() == "24"
    workers_idle = sum(lane.idle_s for lane in metrics.lanes if lane.role != "main")
    assert window.metrics.values["idle_s"].text() == format_value("idle_s", workers_idle)


def test_stop_mid_run_leaves_no_experiment_process(qtbot, window):
    experiment = Experiment(model="pool-map", workers=2, tasks=400, workload="cpu", size=50.0)
    run = start(qtbot, window, experiment)
    qtbot.waitUntil(lambda: run.n_started >= 2, timeout=20_000)
    pids = experiment_pids()
    assert pids
    assert window.experiment_panel.stop_button.isEnabled()
    qtbot.mouseClick(window.experiment_panel.stop_button, qtbot_left())
    wait_over(qtbot, window, timeout=20_000)
    assert run.state == "stopped"
    assert "stopped" in window.status.state.text()
    assert not alive(pids)
    assert window.experiment_panel.run_button.isEnabled()


def test_closing_the_window_mid_run_ends_every_process(qtbot, window):
    experiment = Experiment(model="pool-map", workers=2, tasks=400, workload="cpu", size=50.0)
    run = start(qtbot, window, experiment)
    qtbot.waitUntil(lambda: run.n_started >= 2, timeout=20_000)
    pids = experiment_pids()
    assert pids
    window.close()
    assert run.is_over
    assert not alive(pids)


def test_a_killed_worker_shows_failed_and_its_cause(qtbot, window):
    experiment = Experiment(
        model="pool-map", workers=2, tasks=10, workload="cpu", size=20.0, fault=Fault("kill", 3)
    )
    run = start(qtbot, window, experiment)
    wait_over(qtbot, window)
    assert run.state == "failed"
    assert "failed" in window.status.state.text()
    shown = window.status.message.text()
    assert "signal 9" in shown or "SIGKILL" in shown, shown
    assert shown.endswith(run.message)


def test_space_runs_and_escape_stops(qtbot, window):
    from PySide6.QtCore import Qt

    experiment = Experiment(model="pool-map", workers=2, tasks=400, workload="cpu", size=50.0)
    window.experiment_panel.set_experiment(experiment)
    window.activateWindow()
    qtbot.waitActive(window)
    window.timeline.plot.setFocus()
    qtbot.keyClick(window.timeline.plot, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.presenter.run is not None, timeout=5000)
    run = window.presenter.run
    qtbot.waitUntil(lambda: run.n_started >= 1, timeout=20_000)
    qtbot.keyClick(window.timeline.plot, Qt.Key.Key_Escape)
    wait_over(qtbot, window, timeout=20_000)
    assert run.state == "stopped"


def test_a_saved_recording_reopens_to_the_same_picture(qtbot, window, tmp_path):
    experiment = Experiment(model="pool-map", workers=2, tasks=30, workload="print-number")
    run = start(qtbot, window, experiment)
    wait_over(qtbot, window)
    labels = [lane.label for lane in run.lanes]
    bars = _bars_by_lane(window)
    lines = window.console.lines()
    path = tmp_path / "run.coreo.json"
    assert window.save_recording(path)

    window.timeline.set_run(None)
    loaded = window.open_recording(path)
    assert loaded is not None and loaded is window.presenter.run
    assert [lane.label for lane in loaded.lanes] == labels
    assert _bars_by_lane(window) == bars
    assert window.console.lines() == lines
    assert "finished" in window.status.state.text()


def test_a_malformed_recording_shows_an_error_and_the_app_keeps_running(qtbot, window, tmp_path):
    path = tmp_path / "broken.coreo.json"
    path.write_text('{"format": "coreography-run", "version": 1, "tasks": [1, 2')
    assert window.open_recording(path) is None
    box = window.message_box
    assert isinstance(box, QMessageBox)
    qtbot.waitUntil(box.isVisible, timeout=2000)
    assert "broken.coreo.json" in box.text()
    box.close()
    # Still alive: a run works afterwards.
    run = start(qtbot, window, Experiment(workers=2, tasks=4, workload="square"))
    wait_over(qtbot, window)
    assert run.state == "finished"


def test_a_bad_setting_is_shown_not_raised(qtbot, window):
    window.experiment_panel.set_experiment(Experiment(workers=2, tasks=5))
    window.experiment_panel.fault.setCurrentText("kill")
    window.experiment_panel.model.setCurrentText("threads")
    assert "fault" in window.experiment_panel.error.text()
    assert window.start_run() is None
    assert isinstance(window.message_box, QMessageBox)
    window.message_box.close()


def qtbot_left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def test_a_thread_experiment_holding_the_gil_never_freezes_the_window(qtbot, window):
    import time

    ticks: list[float] = []
    window.presenter.sig_run_ticked.connect(lambda _run: ticks.append(time.monotonic()))
    experiment = Experiment(model="threads", tasks=4, workload="cpu", size=300.0)
    run = start(qtbot, window, experiment)
    wait_over(qtbot, window)
    assert run.state == "finished", run.message
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert len(ticks) > 10
    # The timer asks for 33 ms; a GIL-bound experiment in this process would stall it for
    # whole tasks (300 ms each, 1.2 s in all). Allow for a busy machine, not for a freeze:
    # when other programs took much of the machine, the window's own turns come late too.
    from coreography.model.metrics import compute_metrics

    busy = compute_metrics(run).machine_busy
    assert max(gaps) < (0.9 if busy else 0.25), (max(gaps), busy)


def test_main_opens_a_recording_given_on_the_command_line(qtbot, tmp_path):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from coreography.gui.app import main
    from coreography.gui.main_window import MainWindow
    from coreography.model.recording import save_run
    from tests.gui.synthetic import make_run

    path = tmp_path / "given.coreo.json"
    save_run(make_run(workers=2, tasks=6), path)
    seen = {}

    def close_window() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, MainWindow) and widget.isVisible():
                seen["bars"] = widget.timeline.index.bars
                seen["state"] = widget.status.state.text()
                widget.close()

    QTimer.singleShot(300, close_window)
    assert main([str(path)]) == 0
    assert seen == {"bars": 6, "state": "● finished"}


def test_export_chrome_trace_csv_and_png(window, tmp_path):
    import json

    from coreography.model.recording import save_run
    from tests.gui.synthetic import make_run

    recording = tmp_path / "run.coreo.json"
    save_run(make_run(workers=2, tasks=8, fail=2), recording)
    assert window.open_recording(recording) is not None
    trace, table, picture = tmp_path / "t.json", tmp_path / "t.csv", tmp_path / "t.png"
    assert window.export_chrome_trace(trace)
    assert window.export_csv(table)
    assert window.export_png(picture)
    native = tmp_path / "t.pftrace"
    assert window.export_perfetto(native)
    assert native.read_bytes().startswith(b"\x0a")  # a Trace's first packet
    events = json.loads(trace.read_text())
    assert events  # a list of events or {"traceEvents": [...]}: either way not empty
    assert len(table.read_text().splitlines()) >= 9  # a header and one row per task
    assert picture.stat().st_size > 10_000
    assert window.message_box is None


def test_saving_where_it_cannot_write_shows_an_error(qtbot, window, tmp_path):
    from tests.gui.synthetic import make_run

    assert not window.save_recording(tmp_path / "x.coreo.json")  # nothing shown yet
    assert "Nothing to save" in window.message_box.windowTitle()
    window.message_box.close()
    window.presenter.show_run(make_run(workers=2, tasks=4))
    assert not window.save_recording(tmp_path / "missing" / "dir" / "x.coreo.json")
    qtbot.waitUntil(window.message_box.isVisible, timeout=2000)
    assert "missing" in window.message_box.text()
    window.message_box.close()


@pytest.fixture
def own_settings(tmp_path, monkeypatch):
    """The app's settings in a temporary file, never the user's own."""
    from PySide6.QtCore import QSettings

    from coreography.gui.settings import Settings

    original = Settings.__init__

    def private(self, store=None):
        if store is None:
            store = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        original(self, store)

    monkeypatch.setattr(Settings, "__init__", private)


def _run_entry_point(argv: list[str]) -> tuple[int, dict]:
    """``coreography ARGV`` in this process (``__main__.main``): the window opens; what
    it shows is read, then it is closed."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from coreography.__main__ import main
    from coreography.gui.main_window import MainWindow

    seen: dict = {}

    def close_window() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, MainWindow) and widget.isVisible():
                scripts = widget.desktop.scripts
                script = scripts.panel.script_or_none()
                seen["script_chosen"] = scripts.choice.script_chosen
                seen["script"] = script.path if script is not None else ""
                seen["run"] = widget.presenter.run
                seen["bars"] = widget.timeline.index.bars
                seen["code"] = scripts.code_view.text.toPlainText()
                seen["error"] = widget.message_box.text() if widget.message_box else ""
                widget.close()

    QTimer.singleShot(300, close_window)
    return main(argv), seen


def test_a_script_named_on_the_command_line_is_chosen_ready_to_run(qtbot, tmp_path, own_settings):
    script = tmp_path / "mine.py"
    script.write_text('print("hello from mine")\n')
    code, seen = _run_entry_point([str(script)])
    assert code == 0
    assert seen["script_chosen"] and seen["script"] == str(script)
    assert seen["run"] is None  # chosen, not run: it starts when Run is pressed
    assert 'print("hello from mine")' in seen["code"]  # the Code view shows it
    assert seen["error"] == ""


def test_a_recording_named_on_the_command_line_still_opens(qtbot, tmp_path, own_settings):
    from coreography.model.recording import save_run
    from tests.gui.synthetic import make_run

    path = tmp_path / "given.coreo.json.gz"
    save_run(make_run(workers=2, tasks=6), path)
    code, seen = _run_entry_point([str(path)])
    assert code == 0
    assert seen["bars"] == 6 and not seen["script_chosen"]


def test_which_words_are_files_for_the_window_and_which_are_commands():
    from coreography.__main__ import _names_a_file

    assert _names_a_file("homework.py")  # even before it exists: the window says why not
    assert _names_a_file("run.coreo.json.gz") and _names_a_file("--new-window")
    assert not _names_a_file("bogus") and not _names_a_file("homework.txt")
