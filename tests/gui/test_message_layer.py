"""The timeline's messages: arrows lane to lane, waits as their own spans, queue depth."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from coreography.gui.widgets.timeline import TimelineView
from coreography.model.events import WAIT_QUEUE, Kind
from coreography.model.experiment import Experiment
from coreography.model.messages import SENT_DTYPE, WAIT_DTYPE
from coreography.model.run import Run
from tests.gui.conftest import start, wait_over
from tests.model.fakes import DRIVER, MS, FakeProcess

WORKER = 2001


def _talking_run() -> Run:
    """Main puts 3 tasks on queue 1 (at 2, 3, 4 ms); the worker takes two (at 3 and, after
    waiting from 5 ms, at 7 ms) and answers the first on queue 2 (4 → 8 ms)."""
    t0 = 1_000 * MS
    run = Run(Experiment(model="queue-workers", tasks=3, start_method="spawn"), cores=2, t0=t0)
    run.set_driver(DRIVER)
    main, worker = FakeProcess(DRIVER), FakeProcess(WORKER)
    main.emit(Kind.RUN_STARTED, t0 + MS, value=3)
    main.text(Kind.CHANNEL_INFO, t0, json.dumps({"id": 1, "name": "tasks", "kind": "queue"}))
    worker.emit(Kind.WORKER_READY, t0 + MS, aux=WORKER)
    for n in range(3):
        main.emit(Kind.MESSAGE_SENT, t0 + (2 + n) * MS, task=1, value=35.0, aux=DRIVER << 32 | n)
    worker.emit(Kind.MESSAGE_RECEIVED, t0 + 3 * MS, task=1, value=35.0, aux=DRIVER << 32 | 0)
    worker.emit(Kind.MESSAGE_SENT, t0 + 4 * MS, task=2, value=20.0, aux=WORKER << 32 | 1)
    worker.emit(Kind.WAIT, t0 + 5 * MS, task=1, aux=t0 + 7 * MS, flags=WAIT_QUEUE)
    worker.emit(Kind.MESSAGE_RECEIVED, t0 + 7 * MS, task=1, value=35.0, aux=DRIVER << 32 | 2)
    main.emit(Kind.MESSAGE_RECEIVED, t0 + 8 * MS, task=2, value=20.0, aux=WORKER << 32 | 1)
    run.apply(worker.frames() + main.frames())
    return run


@pytest.fixture
def timeline(qtbot):
    view = TimelineView()
    qtbot.addWidget(view)
    view.resize(1000, 500)
    view.show()
    qtbot.waitExposed(view)
    return view


def _show(view, run, x0, x1, qtbot) -> None:
    view.set_run(run)
    view.follow.setChecked(False)
    view.plot.setXRange(x0, x1, padding=0.0)
    view.refresh()
    view.grab()  # paints
    qtbot.wait(10)


def test_each_taken_message_is_an_arrow_and_the_wait_is_its_own_span(qtbot, timeline):
    run = _talking_run()
    _show(timeline, run, 0.0, 0.010, qtbot)
    layer = timeline.messages
    assert layer.last_arrows == 3 and layer.last_heads  # the fourth was never taken
    assert layer.last_waits == 1
    # Hover half-way along the first arrow (main at 2 ms → worker at 3 ms).
    main, worker = run.lane(DRIVER).index, run.lane(WORKER).index
    text = layer.describe_at(0.0025, (main + worker + 1) / 2)
    assert "Message on tasks · 35 bytes" in text and "1.000 ms in flight" in text
    assert text.splitlines()[1].startswith("from Main")
    wait = layer.describe_at(0.006, worker + 0.7)
    assert "waiting for the queue (tasks): 2.000 ms" in wait
    assert layer.describe_at(0.0095, worker + 0.7) == ""
    # The depth track shows the queue's depth ending at the one message no one took.
    assert timeline.depth_track.isVisible()
    _x, y = timeline.depth_track._curves[1].getData()
    assert y[-1] == 1


def test_hovering_one_of_two_short_waits_side_by_side_names_the_one_under_the_pointer(
    qtbot, timeline
):
    from coreography.model.events import WAIT_CONDITION, WAIT_EVENT

    run = _talking_run()
    waiter = FakeProcess(WORKER + 1)
    for channel, kind in ((4, "event"), (5, "condition")):
        info = {"id": channel, "name": f"my {kind}", "kind": kind}
        waiter.text(Kind.CHANNEL_INFO, run.t0, json.dumps(info))
    waiter.emit(Kind.WORKER_READY, run.t0 + MS, aux=WORKER + 1)
    # An event waited for 1 ms, then at once a condition for 1 ms: at 1,000 px for 200 ms
    # both are within a few pixels of either's middle.
    t = run.t0 + 100 * MS
    waiter.emit(Kind.WAIT, t, task=4, aux=t + MS, flags=WAIT_EVENT)
    waiter.emit(Kind.WAIT, t + MS, task=5, aux=t + 2 * MS, flags=WAIT_CONDITION)
    run.apply(waiter.frames())
    _show(timeline, run, 0.0, 0.200, qtbot)
    lane = run.lane(WORKER + 1).index
    first = timeline.messages.describe_at(0.1005, lane + 0.7)
    second = timeline.messages.describe_at(0.1015, lane + 0.7)
    assert "waiting for the event (my event): 1.000 ms" in first
    assert "waiting for the condition (my condition): 1.000 ms" in second


def test_a_run_without_messages_draws_none_and_hides_the_depth_track(qtbot, timeline):
    from tests.gui.synthetic import make_run

    _show(timeline, make_run(), 0.0, 1.0, qtbot)
    assert timeline.messages.last_arrows == 0 and timeline.messages.last_waits == 0
    assert not timeline.depth_track.isVisible()


def test_a_hundred_thousand_arrows_merge_by_pixel_column(qtbot, timeline):
    run = _talking_run()
    n = 100_000
    rng = np.random.default_rng(1)
    sent = np.zeros(n, SENT_DTYPE)
    sent["id"] = np.arange(n) + (7 << 40)
    sent["lane"] = rng.integers(0, 2, n)
    sent["t"] = run.t0 + np.sort(rng.integers(0, 1000 * MS, n))
    sent["size"], sent["channel"] = 40, 1
    received = sent.copy()
    received["lane"] = 1 - sent["lane"]
    received["t"] = sent["t"] + rng.integers(MS // 10, 2 * MS, n)
    waits = np.zeros(n, WAIT_DTYPE)
    waits["lane"], waits["start"], waits["end"] = 1, sent["t"], sent["t"] + MS // 100
    run.messages.extend(sent, received, waits)
    _show(timeline, run, 0.0, 1.0, qtbot)
    layer = timeline.messages
    width = timeline.plot.width()
    # At most one arrow per pair of lanes, put column and get column; here far fewer
    # than the messages, and without heads at this density.
    assert 0 < layer.last_arrows < n // 4 and not layer.last_heads
    assert layer.last_arrows <= 4 * width * 25
    assert 0 < layer.last_waits <= width


@pytest.mark.slow
def test_screenshots_of_arrows_and_waits_in_every_theme(qtbot, window, tmp_path):
    folder = Path(os.environ.get("COREOGRAPHY_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    experiment = Experiment(
        model="queue-workers", workers=3, tasks=12, workload="io", size=30.0, start_method="fork"
    )
    run = start(qtbot, window, experiment)
    wait_over(qtbot, window)
    assert run.state == "finished", run.message
    arrows = run.messages.arrows()
    first, last = run.seconds(int(arrows["sent"].min())), run.seconds(int(arrows["received"].max()))
    for size in ((1280, 720), (1920, 1080)):
        for look in ("light", "dark", "high-contrast"):
            window.desktop.set_theme(look)
            window.resize(*size)
            qtbot.wait(50)
            window.timeline.plot.setXRange(first - 0.01, last + 0.01, padding=0.0)
            qtbot.wait(50)
            image = window.grab()
            assert image.save(str(folder / f"messages-{size[0]}x{size[1]}-{look}.png"))
            assert window.timeline.messages.last_arrows > 0
            assert window.timeline.messages.last_waits > 0


@pytest.mark.slow
def test_screenshots_of_a_pickled_arrays_sending_in_every_theme(qtbot, window, tmp_path):
    folder = Path(os.environ.get("COREOGRAPHY_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    experiment = Experiment(
        model="pickled-array",
        workers=2,
        tasks=6,
        workload="cpu",
        size=20.0,
        array_mb=8.0,
        start_method="fork",
    )
    run = start(qtbot, window, experiment)
    wait_over(qtbot, window)
    assert run.state == "finished", run.message
    for size in ((1280, 720), (1920, 1080)):
        for look in ("light", "dark", "high-contrast"):
            window.desktop.set_theme(look)
            window.resize(*size)
            qtbot.wait(50)
            window.timeline.plot.autoRange()
            qtbot.wait(50)
            image = window.grab()
            assert image.save(str(folder / f"sending-{size[0]}x{size[1]}-{look}.png"))
            assert window.timeline.messages.last_sendings > 0


def test_the_depth_track_is_made_with_the_first_run_with_messages_in_the_windows_look(
    qtbot, window
):
    from coreography.gui import theme
    from coreography.gui.widgets.message_layer import DepthTrack
    from tests.gui.synthetic import make_run

    timeline = window.timeline
    assert not window.findChildren(DepthTrack)  # no plot for it at start
    window.desktop.set_theme("dark")
    window.presenter.show_run(make_run())
    assert not window.findChildren(DepthTrack)  # a run without messages needs none
    window.presenter.show_run(_talking_run())
    qtbot.waitUntil(lambda: timeline.depth_track.isVisible())
    assert window.findChildren(DepthTrack) == [timeline.depth_track]
    track = timeline.depth_track
    assert track.backgroundBrush().color().name() == theme.THEMES["dark"].plot.lower()
    assert track.getAxis("left").shown_width() == timeline.lane_axis.shown_width()
    window.desktop.set_theme("light")
    assert track.backgroundBrush().color().name() == theme.THEMES["light"].plot.lower()
    window.presenter.show_run(make_run())
    assert not track.isVisible()
