"""Settings round-trip through a temporary INI file (never the user's own settings)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDockWidget

from coreography.gui.desktop import CANCEL, DISCARD
from coreography.gui.settings import DEFAULT_ZOOM, Settings
from coreography.model.experiment import Experiment
from tests.gui.conftest import start, wait_over


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings.at(tmp_path / "settings.ini")


def test_defaults_of_an_empty_store(settings):
    assert settings.first_run
    assert settings.theme == "system"
    assert settings.zoom == DEFAULT_ZOOM
    assert settings.window_geometry() is None and settings.last_experiment() is None


def test_window_theme_zoom_and_experiment_survive_a_restart(qtbot, window, settings, tmp_path):
    desktop = window.desktop
    desktop.attach(settings)
    desktop.set_theme("dark")
    desktop.presentation.set_scale(2.0)
    experiment = Experiment(model="threads", workers=3, tasks=7, workload="io", size=12.0)
    window.experiment_panel.set_experiment(experiment)
    console = window.findChild(QDockWidget, "console")
    console.hide()
    window.resize(1100, 700)
    desktop.save()

    again = Settings.at(tmp_path / "settings.ini")
    assert again.theme == "dark" and again.zoom == 2.0
    assert again.window_geometry() is not None and again.window_state() is not None
    assert again.last_experiment().to_dict() == experiment.to_dict()

    from coreography.gui.main_window import MainWindow

    other = MainWindow()
    qtbot.addWidget(other)
    other.desktop.attach(again)
    other.show()
    qtbot.waitExposed(other)
    assert other.desktop.theme_choice == "dark"
    assert other.desktop.presentation.scale == 2.0
    assert other.experiment_panel.experiment().to_dict() == experiment.to_dict()
    assert not other.findChild(QDockWidget, "console").isVisible()
    # Reset layout: every dock back, and the saved layout forgotten.
    other.desktop.reset_layout()
    assert other.findChild(QDockWidget, "console").isVisible()
    assert again.window_state() is None
    other.close()
    desktop.set_theme("light")


def test_default_layout_fits_a_small_laptop(qtbot, window):
    hint = window.minimumSizeHint()
    assert hint.width() <= 1366 and hint.height() <= 768


@pytest.mark.slow
def test_unsaved_run_prompt_can_cancel_or_discard(qtbot, window, tmp_path):
    run = start(qtbot, window, Experiment(model="sequential", tasks=3, workload="square"))
    wait_over(qtbot, window)
    assert window.desktop.unsaved_run is run
    window.desktop.ask_unsaved = lambda: CANCEL
    assert not window.close()
    assert window.isVisible()
    assert window.save_recording(tmp_path / "kept.coreo.json")
    assert window.desktop.unsaved_run is None
    assert window.windowTitle().startswith("kept.coreo.json")
    window.desktop.unsaved_run = run
    window.desktop.ask_unsaved = lambda: DISCARD
    assert window.close()
