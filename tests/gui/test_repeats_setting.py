"""Run → Repeats per point: kept in the settings, clamped, and used by the next series."""

from __future__ import annotations

import pytest

from coreography.gui.settings import Settings
from coreography.model.experiment import Experiment
from coreography.model.history import History
from coreography.model.repeats import DEFAULT_REPEATS, MAX_REPEATS
from tests.gui.teaching_helpers import open_window, wait_series


def test_the_setting_is_kept_and_clamped(tmp_path):
    settings = Settings.at(tmp_path / "settings.ini")
    assert settings.repeats == DEFAULT_REPEATS
    settings.repeats = 5
    settings.sync()
    assert Settings.at(tmp_path / "settings.ini").repeats == 5
    settings.repeats = 1000
    assert settings.repeats == MAX_REPEATS
    settings.store.setValue("series/repeats", "many")
    assert settings.repeats == DEFAULT_REPEATS


@pytest.mark.slow
def test_the_menu_choice_reaches_the_settings_and_the_sweep(qtbot, tmp_path):
    with History(tmp_path / "history.sqlite3") as history:
        win = open_window(qtbot, history)
        settings = Settings.at(tmp_path / "settings.ini")
        win.desktop.attach(settings)
        actions = {a.data(): a for a in win.teaching.repeat_actions}
        assert sorted(actions) == [1, 3, 5]
        assert actions[DEFAULT_REPEATS].isChecked()
        actions[1].trigger()
        assert settings.repeats == 1 and actions[1].isChecked()
        base = Experiment(model="pool-map", workers=1, tasks=2, workload="cpu", size=5.0)
        series = win.teaching.run_sweep("workers", [1, 2], base)
        wait_series(qtbot, win)
        assert series.repeats == 1 and len(series.points) == 2
        win.close()
