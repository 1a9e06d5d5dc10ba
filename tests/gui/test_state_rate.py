"""Run → Thread states: the sampling rate of thread states is a setting of the window,
kept across restarts, and the runs started from the window use it."""

from __future__ import annotations

import math
import sys

import pytest

from coreography.gui.main_window import MainWindow
from coreography.gui.settings import DEFAULT_STATE_HZ, Settings
from coreography.gui.state_rate import STATE_RATE_CHOICES
from coreography.model.experiment import Experiment
from tests.gui.conftest import start, wait_over

SMALL = Experiment(model="pool-map", workers=2, tasks=4, workload="cpu", size=30.0)


def test_the_rate_is_kept_and_bad_values_fall_back(tmp_path):
    settings = Settings.at(tmp_path / "settings.ini")
    assert settings.state_hz == DEFAULT_STATE_HZ == 50.0
    settings.state_hz = 0
    settings.sync()
    assert Settings.at(tmp_path / "settings.ini").state_hz == 0.0
    settings.state_hz = 10_000
    assert settings.state_hz == 200.0  # the engine's upper bound
    settings.state_hz = 0.2
    assert settings.state_hz == 1.0
    for damaged in ("fast", "nan", "-5", "1e400"):
        settings.store.setValue("runs/state_hz", damaged)
        assert settings.state_hz == DEFAULT_STATE_HZ, damaged
    assert not math.isnan(settings.state_hz)


def _rate_actions(win) -> dict[float, object]:
    return {action.data(): action for action in win.desktop.state_rate.actions.values()}


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="kernel thread states: Linux")
def test_the_menu_choice_is_kept_and_used_by_the_next_run(qtbot, window, tmp_path):
    settings = Settings.at(tmp_path / "settings.ini")
    window.desktop.attach(settings)
    actions = _rate_actions(window)
    assert sorted(actions) == sorted(STATE_RATE_CHOICES)
    assert actions[DEFAULT_STATE_HZ].isChecked() and "default" in actions[50.0].text()

    # The default: the run's lanes get state strips.
    run = start(qtbot, window, SMALL)
    wait_over(qtbot, window)
    assert run.state == "finished"
    assert window.presenter.controller.state_hz == DEFAULT_STATE_HZ
    assert len(run.thread_states) > 0 and run.thread_states.source == "linux"

    # Off, chosen in the menu: kept in the settings, and the next run reads no states.
    actions[0.0].trigger()
    assert actions[0.0].isChecked() and not actions[50.0].isChecked()
    assert settings.state_hz == 0.0
    run = start(qtbot, window, SMALL)
    wait_over(qtbot, window)
    assert run.state == "finished"
    assert len(run.thread_states) == 0 and run.thread_states.source == ""

    # Another window on the same settings (a restart) starts with Off chosen.
    settings.sync()
    other = MainWindow()
    qtbot.addWidget(other)
    other.desktop.attach(Settings.at(tmp_path / "settings.ini"))
    assert other.state_hz == 0.0 and _rate_actions(other)[0.0].isChecked()
    # 10 a second from the menu reaches the engine at the next start.
    _rate_actions(other)[10.0].trigger()
    other.show()
    run = start(qtbot, other, SMALL)
    wait_over(qtbot, other)
    assert other.presenter.controller.state_hz == 10.0
    assert len(run.thread_states) > 0
    other.close()
