"""Views that redraw a few times a second while a run is live (metrics, status bar, CPU
and cores plots) still show a run's end and a failure at once, and a tick paints the
timeline before they spend its time."""

from __future__ import annotations

import pytest

from coreography.gui.widgets import cores_view, cpu_view, metrics_panel, status
from coreography.model.experiment import Experiment, Fault
from coreography.model.metrics import compute_metrics

from .conftest import start, wait_over

HOUR_S = 3600.0


@pytest.fixture
def slow_views(monkeypatch):
    """The paced views may redraw only once an hour while a run is live: whatever they
    show after the first tick comes from a run's end or a change of its state."""
    for module in (cores_view, cpu_view, metrics_panel, status):
        monkeypatch.setattr(module, "LIVE_INTERVAL_S", HOUR_S)


def test_paced_views_show_the_final_state_when_the_run_ends(qtbot, window, slow_views):
    experiment = Experiment(model="pool-map", workers=2, tasks=40, workload="cpu", size=10.0)
    run = start(qtbot, window, experiment)
    wait_over(qtbot, window)
    assert run.state == "finished", run.message
    assert "finished" in window.status.state.text()
    assert window.status.message.text().startswith("40 / 40 tasks")
    shown = compute_metrics(run)
    for name, _label, _tip in metrics_panel.FIELDS:
        expected = metrics_panel.format_value(name, metrics_panel.metric(shown, name))
        shown_text = window.metrics.values[name].text()
        if name in metrics_panel.TIMING_FIELDS:  # followed by how far to trust it
            assert shown_text.startswith(expected), name
        else:
            assert shown_text == expected, name
    assert len(run.cpu_t) > 0
    assert window.cpu_view._samples_seen == len(run.cpu_t)  # every sample is drawn
    assert window.cores_view._seen == len(run.proc_samples)


def test_a_failure_is_shown_by_the_tick_that_takes_it_in(qtbot, window, slow_views):
    """Each tick is checked right after the window handled it: the state the status bar
    shows is the run's, whatever the pacing."""
    seen: list[tuple[str, str]] = []

    def after_tick(run) -> None:
        seen.append((run.state, window.status.state.text()))

    window.presenter.sig_run_ticked.connect(after_tick)  # after the window's own handler
    experiment = Experiment(
        model="pool-map", workers=2, tasks=10, workload="cpu", size=20.0, fault=Fault("kill", 3)
    )
    run = start(qtbot, window, experiment)
    wait_over(qtbot, window)
    assert run.state == "failed"
    assert any(state == "failed" for state, _shown in seen)
    for state, shown in seen:
        assert shown == f"● {state}"
    assert "signal 9" in window.status.message.text() or "SIGKILL" in window.status.message.text()


def test_a_tick_paints_the_timeline_before_the_paced_views_refresh(qtbot, window):
    order: list[str] = []
    tick, timeline_refresh = window.presenter.tick, window.timeline.refresh
    metrics_refresh = window.metrics.refresh

    def on_tick() -> None:
        order.append("tick")
        tick()

    def on_timeline_refresh() -> None:
        order.append("timeline")
        timeline_refresh()

    def on_metrics_refresh(*args, **kwargs) -> None:
        order.append("metrics")
        metrics_refresh(*args, **kwargs)

    def on_cpu_refresh() -> None:
        order.append("cpu")
        cpu_refresh()

    cpu_refresh = window.cpu_view.refresh
    window.cpu_view.refresh = on_cpu_refresh
    window.presenter.tick = on_tick
    window.timeline.refresh = on_timeline_refresh
    window.metrics.refresh = on_metrics_refresh
    window.timeline.item.sig_painted.connect(lambda: order.append("painted"))
    experiment = Experiment(model="pool-map", workers=2, tasks=60, workload="cpu", size=10.0)
    run = start(qtbot, window, experiment)
    # The reader was told when each frame comes, to have the frames read by then.
    qtbot.waitUntil(lambda: window.presenter.controller.next_frame_at is not None, timeout=20_000)
    wait_over(qtbot, window)
    assert run.state == "finished", run.message
    text = " ".join(order)
    ticks = [part.split() for part in text.split("tick")[1:]]
    with_metrics = [t for t in ticks if "metrics" in t]
    assert with_metrics
    for t in with_metrics:
        assert "timeline" in t and t.index("timeline") < t.index("metrics")
        if "painted" in t:
            assert t.index("painted") < t.index("metrics")
    assert any("painted" in t for t in with_metrics)
    assert all(t.count("timeline") <= 1 for t in ticks)  # refreshed once a tick, first
