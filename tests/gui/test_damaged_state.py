"""The window starts whatever state the last session left: damaged files are set aside."""

from __future__ import annotations

import sqlite3

import pytest

from coreography.gui.app import create_app
from coreography.gui.main_window import MainWindow
from coreography.gui.settings import Settings
from coreography.model.experiment import Experiment
from coreography.model.history import History
from tests.model.test_history import synthetic_run

PAGE = 4096


def _history_of(path, runs: int = 30) -> None:
    with History(path) as history:
        for number in range(runs):
            history.add(synthetic_run(tasks=200, title=f"run {number}"))


def _garble_middle(path) -> None:
    data = bytearray(path.read_bytes())
    middle = (len(data) // PAGE // 2) * PAGE
    data[middle : middle + PAGE] = b"\xaa" * PAGE
    path.write_bytes(bytes(data))


def _garble_last(path) -> None:
    data = bytearray(path.read_bytes())
    data[-PAGE:] = b"\x55" * PAGE
    path.write_bytes(bytes(data))


def _wrong_types(path) -> None:
    db = sqlite3.connect(path)
    db.execute("UPDATE runs SET wall_s = 'slow', workers = 'two' WHERE id = 3")
    db.commit()
    db.close()


def _garbage_header(path) -> None:
    path.write_bytes(b"not a database at all" * 10 + path.read_bytes()[210:])


def _open_window(qtbot) -> MainWindow:
    create_app()
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


@pytest.mark.parametrize(
    ("damage", "least_kept"),
    [(_garble_middle, 1), (_garble_last, 1), (_wrong_types, 29), (_garbage_header, 0)],
)
def test_a_damaged_history_is_set_aside_and_what_is_readable_kept(
    qtbot, private_history, damage, least_kept
):
    _history_of(private_history)
    damage(private_history)
    window = _open_window(qtbot)
    try:
        panel = window.teaching.history_panel
        history = window.teaching.history
        assert history is not None and history.set_aside is not None
        assert history.set_aside.exists() and ".damaged-" in history.set_aside.name
        assert str(history.set_aside) in panel.hint.text()
        kept = panel.tree.topLevelItemCount()
        assert least_kept <= kept <= 30 and kept == history.salvaged
        for entry in history.list():  # every kept run is whole
            assert history.load(entry.id).experiment.tasks == 200
        window.teaching.history.add(synthetic_run(title="after"))  # and the history works
    finally:
        window.close()
    with History(private_history) as again:  # the next start finds a sound file
        assert again.set_aside is None and len(again) == kept + 1


def _nested(settings: Settings) -> None:
    settings.store.setValue("experiment/last", "[" * 100_000 + "]" * 100_000)


def _wrong_kinds(settings: Settings) -> None:
    settings.store.setValue("experiment/last", '{"workers": "many", "fault": [1, 2]}')
    settings.store.setValue("presentation/zoom", "nan")
    settings.store.setValue("window/layout_version", "1e999")


def _huge_number(settings: Settings) -> None:
    settings.store.setValue("experiment/last", '{"size": 1' + "0" * 400 + "}")


@pytest.mark.parametrize("damage", [_nested, _wrong_kinds, _huge_number])
def test_damaged_settings_are_set_aside_and_the_window_starts(qtbot, tmp_path, damage):
    path = tmp_path / "settings.ini"
    first = Settings.at(path)
    first.save_experiment(Experiment(workers=3))
    first.theme = "dark"
    damage(first)
    first.sync()
    window = _open_window(qtbot)
    try:
        settings = Settings.at(path)
        window.desktop.attach(settings)
        assert settings.set_aside is not None and settings.set_aside.exists()
        assert str(settings.set_aside) in window.statusBar().currentMessage()
        assert window.desktop.theme_choice == "dark"  # what is sound is kept
        assert window.experiment_panel.experiment().validate() is not None
        assert 0 < settings.zoom < 100
    finally:
        window.close()
    again = Settings.at(path)
    assert again.last_experiment() is not None and again.set_aside is None


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="no FIFOs here")
def test_opening_a_fifo_or_a_bomb_says_so_at_once(qtbot, tmp_path):
    import os
    import time

    from tests.model.test_recording_files import _gzip_bomb

    fifo = tmp_path / "sent.coreo.json"
    os.mkfifo(fifo)
    bomb = tmp_path / "bomb.coreo.json.gz"
    _gzip_bomb(bomb, 200 * 1024**2)
    window = _open_window(qtbot)
    try:
        for path, words in ((fifo, "FIFO"), (bomb, "MiB")):
            began = time.monotonic()
            assert window.open_recording(path) is None
            assert time.monotonic() - began < 20
            assert words in window.message_box.text() and str(path) in window.message_box.text()
            window.message_box.close()
    finally:
        window.close()
