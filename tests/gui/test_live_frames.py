"""Frames follow what arrives: a new event is drawn by the next tick, nothing new draws
nothing, and the status bar's lag counts what is not on screen yet."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from coreography.gui.shown_lag import ShownLag
from coreography.gui.widgets import cpu_view as cpu_view_module
from coreography.model.experiment import Experiment
from coreography.model.run import Run, Sample

from .conftest import start, wait_over
from .synthetic import make_run

MS = 1_000_000


def _settle(qtbot) -> None:
    for _ in range(5):
        QApplication.processEvents()
        qtbot.wait(10)


def test_a_view_with_nothing_new_is_not_repainted(qtbot, window):
    window.show_finished_run(make_run(workers=2, tasks=12))
    _settle(qtbot)
    timeline, cpu = window.timeline, window.cpu_view
    painted, redrawn = timeline.item.paints, cpu.redraws
    for _ in range(5):
        window.presenter.sig_run_ticked.emit(window.presenter.run)  # ticks with nothing new
        _settle(qtbot)
    assert timeline.item.paints == painted
    assert cpu.redraws == redrawn


def test_arriving_events_are_drawn_without_waiting_for_the_heartbeat(qtbot, window):
    """The heartbeat is made an hour long: every frame of this run is one the arrival
    of events asked for, and the run's end too (the reader wakes the window at EOF)."""
    window.presenter.heartbeat_ms = 3_600_000
    run = start(qtbot, window, Experiment(model="pool-map", workers=2, tasks=30, workload="square"))
    wait_over(qtbot, window)
    assert run.state == "finished", run.message
    assert window.timeline.index.bars == 30
    _settle(qtbot)
    # Everything applied was painted: nothing waits to be shown, and the lag says so.
    assert window.presenter.shown.waiting == 0
    assert window.presenter.ticks >= 2


def test_each_tick_that_applied_events_is_followed_by_a_painted_frame(qtbot, window):
    """The lag meter counts an event as shown only once the timeline painted after it
    was applied: a tick's events are waiting until then, never lost."""
    window.presenter.heartbeat_ms = 3_600_000
    shown = window.presenter.shown
    applied_then_painted = []
    original = shown.painted

    def painted(now_ns: int) -> None:
        applied_then_painted.append(shown.waiting)
        original(now_ns)

    shown.painted = painted
    run = start(qtbot, window, Experiment(model="pool-map", workers=2, tasks=20, workload="square"))
    wait_over(qtbot, window)
    _settle(qtbot)
    assert run.state == "finished", run.message
    assert sum(applied_then_painted) >= 40  # each task's start and finish was painted
    assert shown.waiting == 0


def _live_run_with_samples(count: int) -> Run:
    run = make_run(workers=2, tasks=4)
    run.state = "running"  # seen as live by the views
    t = run.t0
    run.apply([], [Sample(t + k * 100 * MS, [50.0, 50.0], []) for k in range(count)])
    return run


def test_frames_wait_longer_when_making_them_costs_much(qtbot, window):
    """Dear frames (a huge run, a slow machine): the frame interval grows with what a
    frame costs (a third of a core at most), up to a limit, and comes back."""
    presenter = window.presenter
    least = presenter.frame_s
    for _ in range(30):
        presenter._frame_took(0.020)
    assert abs(presenter.frame_s - 0.060) < 0.005
    for _ in range(30):
        presenter._frame_took(1.0)
    assert presenter.frame_s == pytest.approx(0.1)
    for _ in range(60):
        presenter._frame_took(0.002)
    assert presenter.frame_s == least


def test_the_cpu_strips_take_in_live_samples_at_their_own_pace(qtbot, monkeypatch):
    monkeypatch.setattr(cpu_view_module, "LIVE_INTERVAL_S", 3600.0)
    view = cpu_view_module.CpuView()
    qtbot.addWidget(view)
    run = _live_run_with_samples(3)
    view.set_run(run)
    assert view.redraws == 1
    run.apply([], [Sample(run.t0 + 400 * MS, [60.0, 40.0], [])])
    view.refresh()  # new samples, but too soon: they wait
    assert view.redraws == 1 and view._samples_seen == 3
    run.state = "finished"
    view.refresh()  # the run is over: everything at once
    assert view.redraws == 2 and view._samples_seen == 4


def test_the_lag_is_the_slowest_percent_of_what_was_painted_in_the_last_second():
    lag = ShownLag()
    now = 10_000 * MS
    lag.applied(np.array([now - 30 * MS] * 99 + [now - 80 * MS]))
    lag.painted(now)
    assert abs(lag.lag_s(now) - 0.080) < 0.0005
    # A second later those are gone; without anything new the last figure stays.
    assert abs(lag.lag_s(now + 1500 * MS) - 0.080) < 0.0005


def test_the_lag_grows_while_events_wait_to_be_shown():
    lag = ShownLag()
    now = 10_000 * MS
    lag.applied(np.array([now - 5 * MS]))
    lag.painted(now)
    lag.applied(np.array([now + 10 * MS, now + 20 * MS]))  # applied, never painted
    assert abs(lag.lag_s(now + 500 * MS) - 0.490) < 0.0005
    assert lag.waiting == 2
    # Events received but not applied count too.
    assert abs(lag.lag_s(now + 500 * MS, received_ns=now) - 0.500) < 0.0005


def _pixels(image) -> np.ndarray:
    from PySide6.QtGui import QImage

    image = image.convertToFormat(QImage.Format.Format_RGB32)
    rows = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes())
    return rows.reshape(image.height(), image.bytesPerLine())[:, : image.width() * 4].copy()


def test_a_frame_that_repaints_only_what_changed_leaves_nothing_stale(qtbot, window):
    """Live frames repaint the time their events changed, not the whole view. After
    every few ticks, what the window shows (its backing store) must equal a fresh full
    render of the timeline at that moment, pixel for pixel."""
    window.resize(1280, 720)
    compared, stale = [], []

    def compare(_run) -> None:
        if window.presenter.ticks % 3:
            return
        view = window.timeline.plot.viewport()
        area = view.rect().translated(view.mapTo(window, view.rect().topLeft()))
        shown = window.screen().grabWindow(window.winId()).toImage().copy(area)
        fresh = window.grab().toImage().copy(area)
        compared.append(1)
        if (_pixels(shown) != _pixels(fresh)).any():
            stale.append(window.presenter.ticks)

    # Connected after the window's own handler: the tick's frame is painted by now.
    window.presenter.sig_run_ticked.connect(compare)
    experiment = Experiment(
        model="pool-map", workers=2, tasks=600, workload="io", size=2.0, distribution="uniform"
    )
    run = start(qtbot, window, experiment)
    wait_over(qtbot, window)
    assert run.state == "finished", run.message
    assert window.timeline.partial_frames > 0
    assert len(compared) >= 3
    assert stale == []
