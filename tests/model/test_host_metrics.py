"""A cluster's per-host readings in the run model: taken from HOST_METRICS texts, repeats
and damage refused, ages measured, and kept by recordings."""

from __future__ import annotations

import json

import numpy as np
import pytest

from coreography.model.events import Kind
from coreography.model.experiment import Experiment
from coreography.model.host_metrics import STALE_S, HostMetrics
from coreography.model.recording import RecordingError, load_run, save_run
from coreography.model.run import Run
from tests.model.fakes import text_frame

S = 1_000_000_000
DRIVER = 100


def _reading(host: str, t: int, cpu: float, memory: float, **more) -> str:
    info = {
        "host": host,
        "t": t,
        "cpu": cpu,
        "memory": memory,
        "cores": 4,
        "memory_total": 16 * 2**30,
        "memory_limit": 8 * 2**30,
        "threads": 2,
        "workers": 2,
        **more,
    }
    return json.dumps(info)


def _run_with(texts: list[str]) -> Run:
    run = Run(Experiment(model="dask-map", tasks=4), cores=2, t0=10 * S)
    run.set_driver(DRIVER)
    items = [[int(Kind.HOST_METRICS), 0, -1, 11 * S, 0.0, text] for text in texts]
    run.apply([text_frame(DRIVER, items, len(items))])
    return run


def test_readings_become_one_series_per_host_in_the_order_hosts_reported():
    run = _run_with(
        [
            _reading("10.0.0.2", 11 * S, 150.0, 2**30),
            _reading("10.0.0.1", 11 * S, 40.0, 2**29),
            _reading("10.0.0.2", 12 * S, 390.0, 2**31),
        ]
    )
    assert [s.host for s in run.hosts.series()] == ["10.0.0.2", "10.0.0.1"]
    two = run.hosts.hosts["10.0.0.2"]
    assert two.t.tolist() == [11 * S, 12 * S]
    assert two.cpu.tolist() == [150.0, 390.0]
    assert np.allclose(two.cpu_share(), [37.5, 97.5])  # % of its 4 cores
    assert (two.cores, two.workers, two.threads, two.memory_limit) == (4, 2, 2, 8 * 2**30)
    assert run.bad_frames == 0


def test_a_reading_no_newer_than_the_last_is_a_repeat_and_damage_is_counted():
    run = _run_with(
        [
            _reading("h", 12 * S, 10.0, 1.0),
            _reading("h", 12 * S, 99.0, 1.0),  # the same heartbeat, polled twice
            _reading("h", 11 * S, 99.0, 1.0),
            "not json",
            json.dumps({"host": "h", "t": "soon", "cpu": 1.0, "memory": 1.0}),
            json.dumps({"host": "h", "t": 13 * S, "cpu": float("nan"), "memory": 1.0}),
            json.dumps(["h"]),
        ]
    )
    assert run.hosts.hosts["h"].cpu.tolist() == [10.0]
    assert run.bad_frames == 4


def test_age_is_measured_from_the_newest_reading():
    metrics = HostMetrics()
    assert metrics.add(json.loads(_reading("h", 5 * S, 1.0, 1.0)))
    series = metrics.hosts["h"]
    assert series.age_s(5 * S + S // 2) == 0.5
    assert series.age_s(5 * S + int((STALE_S + 1) * S)) > STALE_S
    assert series.age_s(4 * S) == 0.0  # never negative
    assert HostMetrics().series() == []


def test_a_recording_keeps_each_hosts_readings(tmp_path):
    run = _run_with(
        [
            _reading("10.0.0.1", 9 * S, 10.0, 2**20),  # before t0: kept as it was
            _reading("10.0.0.1", 11 * S, 20.0, 2**21),
            _reading("10.0.0.2", 11 * S, 30.0, 2**22, cores=8),
        ]
    )
    run.finish("finished", "", 12 * S)
    path = tmp_path / "run.coreo.json"
    save_run(run, path)
    loaded = load_run(path)
    assert loaded.hosts.to_dict(0) == run.hosts.to_dict(0)
    assert loaded.hosts.hosts["10.0.0.2"].cores == 8
    data = json.loads(path.read_text())
    data["hosts"][0]["cpu"] = ["many"] * 2
    path.write_text(json.dumps(data))
    with pytest.raises(RecordingError, match=r"hosts\[0\]"):
        load_run(path)


def test_a_run_without_hosts_saves_no_hosts_section(tmp_path):
    run = _run_with([])
    run.finish("finished", "", 12 * S)
    path = tmp_path / "run.coreo.json"
    save_run(run, path)
    assert "hosts" not in json.loads(path.read_text())
    assert not load_run(path).hosts


def test_the_summary_has_a_line_per_host_and_says_when_the_newest_reading_is_late():
    from coreography.model.summary_json import host_summaries, host_table, summary_dict

    run = _run_with(
        [
            _reading("10.0.0.1", 11 * S, 100.0, 2**30),
            _reading("10.0.0.1", 12 * S, 300.0, 2**31),
            _reading("10.0.0.2", 11 * S, 50.0, 2**29),  # then nothing more from it
        ]
    )
    run.task_end[0] = 12 * S + S // 2  # the last task ended at 12.5 s
    one, two = host_summaries(run)
    assert (one["cpu_mean"], one["cpu_peak"], one["memory_peak"]) == (200.0, 300.0, 2**31)
    assert one["newest_age_s"] == 0.5 and two["newest_age_s"] == 1.5
    run.task_end[0] = 14 * S
    table = host_table(run).splitlines()
    assert table[0].split()[:3] == ["Host", "Workers", "Cores"]
    assert "2.0 s before the end" in table[1] and "(late)" not in table[1]
    assert "3.0 s before the end (late)" in table[2]
    assert json.loads(json.dumps(summary_dict(run), allow_nan=False))["hosts"][1]["host"] == (
        "10.0.0.2"
    )
    assert host_table(_run_with([])) == ""
