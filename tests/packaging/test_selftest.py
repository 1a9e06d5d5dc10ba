"""The self-test mode from source: it passes, writes a screenshot, and fails in one line."""

from __future__ import annotations

import os
import subprocess
import sys
from types import SimpleNamespace

import pytest

from coreography import selftest
from coreography.model.experiment import available_start_methods


def test_plan_covers_both_models_under_every_start_method():
    plan = selftest.plan()
    pairs = {(e.model, e.start_method) for e in plan if e.workload == "square"}
    methods = available_start_methods()
    assert pairs == {(m, s) for m in ("pool-map", "process-pool") for s in methods}
    for experiment in plan:
        experiment.validate()


def _finished_run(**changes):
    lane = SimpleNamespace(qt_loaded=False)
    run = SimpleNamespace(
        state="finished",
        message="finished",
        n_tasks=3,
        lanes=[lane, lane],
        t0=0,
        end_ns=10**9,
        events_lost=lambda: 0,
        describe_loss=lambda: "2 events lost (2 from Worker 1)",
        results=lambda: [0, 1, 4],
        worker_lanes=lambda: [lane],
        events_received=lambda: 9,
    )
    for name, value in changes.items():
        setattr(run, name, value)
    return run


def _window_showing(run, bars=3, lanes=2):
    index = SimpleNamespace(bars=bars, lanes=[None] * lanes)
    timeline = SimpleNamespace(index=index)
    return SimpleNamespace(presenter=SimpleNamespace(run=run), timeline=timeline)


def _experiment():
    return selftest.plan()[0].replace(tasks=3)


def test_check_run_accepts_a_good_run():
    run = _finished_run()
    line = selftest.check_run(run, _window_showing(run), _experiment())
    assert "3 tasks" in line and "none lost" in line


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"events_lost": lambda: 2}, "2 events lost"),
        ({"results": lambda: [0, 1, 5]}, "wrong results for tasks [2]"),
        ({"results": lambda: [0, None, 4]}, "1 of 3 tasks have no result"),
        ({"state": "failed", "message": "worker 2 killed"}, "run failed: worker 2 killed"),
    ],
)
def test_check_run_names_what_went_wrong(changes, reason):
    run = _finished_run(**changes)
    with pytest.raises(selftest.SelfTestFailure, match=reason.replace("[", r"\[")):
        selftest.check_run(run, _window_showing(run), _experiment())


def test_check_run_fails_when_the_timeline_does_not_show_the_run():
    run = _finished_run()
    with pytest.raises(selftest.SelfTestFailure, match="timeline shows 1 bars"):
        selftest.check_run(run, _window_showing(run, bars=1), _experiment())


@pytest.mark.slow
def test_self_test_from_source_passes_and_enters_main_once(tmp_path):
    entries = tmp_path / "entries"
    shot = tmp_path / "window.png"
    result = subprocess.run(
        [sys.executable, "-m", "coreography", "--self-test", "--screenshot", str(shot)],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "COREOGRAPHY_ENTRY_LOG": str(entries)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "self-test: passed" in result.stdout
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(entries.read_text().splitlines()) == 1


def test_numpy_check_computes_a_dot_product():
    assert "dot product is right" in selftest.check_numpy()
