"""A big run is kept in the history without stopping the window: its entry (its whole
recording, compressed) is made in a thread of its own, and a window closed meanwhile
still stores it."""

from __future__ import annotations

from coreography.gui.teaching import BACKGROUND_TASKS
from coreography.model.experiment import Experiment
from coreography.model.history import History
from tests.gui.conftest import start, wait_over

BIG = Experiment(model="pool-map", workers=2, tasks=BACKGROUND_TASKS + 5_000, workload="square")


def _watch_the_end(window) -> dict:
    """What the window had done with the run's history entry when the run ended."""
    seen: dict = {}

    def on_ended(run) -> None:  # connected after the teaching tools: runs after theirs
        seen["saving"] = id(run) in window.teaching.saving
        seen["stored"] = len(window.teaching.history)

    window.presenter.sig_run_ended.connect(on_ended)
    return seen


def test_a_big_runs_history_entry_is_made_while_the_window_goes_on(qtbot, window):
    seen = _watch_the_end(window)
    before = len(window.teaching.history)
    run = start(qtbot, window, BIG)
    wait_over(qtbot, window, timeout=120_000)
    assert run.state == "finished", run.message
    assert seen == {"saving": True, "stored": before}  # not yet: the window went on
    qtbot.waitUntil(lambda: len(window.teaching.history) == before + 1, timeout=60_000)
    assert not window.teaching.saving
    (stored,) = [r for r in window.teaching.session.values() if r is run]
    newest = window.teaching.history.list()[0]
    assert newest.tasks == BIG.tasks
    assert window.teaching.history.load(newest.id).n_tasks == BIG.tasks
    assert stored is run


def test_a_window_closed_while_a_big_run_is_being_kept_still_keeps_it(
    qtbot, window, private_history
):
    closed: list[bool] = []

    def close_at_once(run) -> None:
        if window.teaching.saving:  # its entry is still being made
            closed.append(True)
            window.close()

    window.presenter.sig_run_ended.connect(close_at_once)
    run = start(qtbot, window, BIG)
    qtbot.waitUntil(lambda: bool(closed), timeout=120_000)
    assert run.state == "finished", run.message
    with History(private_history) as history:
        (entry,) = [e for e in history.list() if e.tasks == BIG.tasks]
        assert history.load(entry.id).n_tasks == BIG.tasks
