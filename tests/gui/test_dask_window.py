"""A Dask run in the window: the panel's scheduler field, lanes named by Dask worker, a
bar per task and the Code view's Dask program."""

from __future__ import annotations

import pytest

from coreography.model.experiment import Experiment
from tests.gui.conftest import start, wait_over

pytest.importorskip("distributed")
pytestmark = pytest.mark.slow


def test_dask_map_in_the_window_shows_each_worker_as_a_lane(qtbot, window):
    panel = window.experiment_panel
    panel.set_experiment(Experiment(model="pool-map"))
    assert not panel.scheduler.isEnabled() and panel.start_method.isEnabled()
    panel.scheduler.setText("tcp://127.0.0.1:8786")
    assert panel.experiment().scheduler == ""  # not a cluster model: not used
    panel.set_experiment(Experiment(model="dask-map", workers=2, tasks=12, size=20.0))
    assert panel.scheduler.isEnabled() and not panel.start_method.isEnabled()
    panel.scheduler.setText("not an address")
    assert "expected HOST:PORT" in panel.error.text()
    panel.scheduler.setText("")
    assert panel.error.text() == ""

    run = start(qtbot, window, panel.experiment())
    wait_over(qtbot, window, timeout=90_000)
    assert run.state == "finished", run.message
    workers = run.worker_lanes()
    assert len(workers) == 2
    ticks = [label for _pos, label in window.timeline.lane_axis._tickLevels[0]]
    for lane in workers:
        assert lane.label.startswith("Dask worker ") and f"PID {lane.pid}" in lane.label
        assert lane.label in ticks
    ids = sorted(i for bars in window.timeline.index.lanes for i in bars.ids.view().tolist())
    assert ids == list(range(12))
