"""A cluster run's hosts in the CPU and Cores views' place: a strip per host, labelled
with it, drawn from its workers' readings, and a host whose readings stopped said so."""

from __future__ import annotations

import json
import time

import numpy as np

from coreography.gui.widgets.cores_view import CoresView
from coreography.gui.widgets.cpu_view import CpuView
from coreography.model.events import Kind
from coreography.model.experiment import Experiment
from coreography.model.host_metrics import STALE_S
from coreography.model.run import Run
from tests.gui.synthetic import binary_frame, make_run, text_frame

S = 1_000_000_000
DRIVER = 1000


def _cluster_run(stale_host_s: float = 0.0) -> Run:
    """A live dask-map run whose two hosts reported every 0.5 s; ``beta``'s readings
    stopped ``stale_host_s`` before the newest event."""
    now = time.perf_counter_ns()
    t0 = now - 10 * S
    run = Run(Experiment(model="dask-map", workers=2, tasks=4), cores=2, t0=t0)
    run.set_driver(DRIVER)
    items = []
    for k in range(18):
        t = t0 + S + k * S // 2
        for host, cpu, memory, cores in (
            ("alpha", 150.0, 300 * 2**20, 2),
            ("beta", 50.0, 2**30, 4),
        ):
            if host == "beta" and t > now - int(stale_host_s * S):
                continue
            info = {
                "host": host,
                "t": t,
                "cpu": cpu,
                "memory": memory,
                "cores": cores,
                "memory_total": 8 * 2**30,
                "memory_limit": 4 * 2**30,
                "threads": 1,
                "workers": 1,
            }
            items.append([int(Kind.HOST_METRICS), 0, -1, t, 0.0, json.dumps(info)])
    frames = [
        binary_frame(DRIVER, [(Kind.RUN_STARTED, 0, 0, -1, t0 + S // 10, 4, 0)]),
        text_frame(DRIVER, items[:100]),
        text_frame(DRIVER, items[100:]),
        # The live edge: an event of now.
        binary_frame(DRIVER, [(Kind.TASKS_SUBMITTED, 0, 0, 0, now, 4, 0)]),
    ]
    run.apply(frames)
    return run


def _ticks(view) -> list[str]:
    return [label for _pos, label in view.plot.getAxis("left")._tickLevels[0]]


def test_a_cluster_run_shows_one_cpu_strip_per_host_in_place_of_the_cores(qtbot):
    run = _cluster_run()
    view = CpuView()
    qtbot.addWidget(view)
    view.show()
    view.set_run(run)
    hosts = view.hosts
    assert hosts.isVisible() and not view.plot.isVisible()
    assert hosts.hosts == ["alpha", "beta"]
    assert {"alpha", "beta"} <= set(_ticks(hosts))
    for index, series in enumerate(run.hosts.series()):
        x, y = hosts.curves[index].getData()
        assert np.allclose(x, run.seconds(series.t))
        # % of the host's cores: alpha's 150 % of one core on 2 cores is 75 % of it.
        expected = {"alpha": 75.0, "beta": 12.5}[series.host]
        assert np.allclose(np.asarray(y) - hosts._base(index), expected)
        assert not hosts.shades[index].isVisible()
    note = hosts.note.text()
    assert "alpha</b> (2 cores)" in note and "150 % of one core" in note
    assert "no reading for" not in note


def test_a_host_whose_readings_stopped_is_said_to_be_behind_and_shaded(qtbot):
    run = _cluster_run(stale_host_s=STALE_S + 2.0)
    view = CpuView()
    qtbot.addWidget(view)
    view.set_run(run)
    beta = view.hosts.hosts.index("beta")
    lines = view.hosts.note.text().split("<br>")
    assert "no reading for" in lines[beta] and "no reading for" not in lines[1 - beta]
    age = float(lines[beta].split("no reading for ")[1].split(" s")[0])
    assert STALE_S + 1.5 <= age <= STALE_S + 3.0  # readings every 0.5 s, none after
    shade = view.hosts.shades[beta]
    assert shade.isVisible()
    newest = float(run.seconds(int(run.hosts.hosts["beta"].t[-1])))
    assert abs(shade.rect().left() - newest) < 1e-6  # from its newest reading on
    assert not view.hosts.shades[1 - beta].isVisible()


def test_the_cores_view_shows_each_hosts_memory_and_a_local_run_keeps_its_cores(qtbot):
    run = _cluster_run()
    view = CoresView()
    qtbot.addWidget(view)
    view.show()
    view.set_run(run)
    assert view.hosts.isVisible() and not view.plot.isVisible()
    labels = _ticks(view.hosts)
    assert {"alpha", "beta"} <= set(labels)
    assert "500 MiB" in labels and "2.0 GiB" in labels  # a round top above each peak
    assert "Dask's limit 4.0 GiB: 300 MiB" in view.hosts.note.text()
    local = make_run()
    view.set_run(local)
    assert view.plot.isVisible() and not view.hosts.isVisible()
    assert view.hosts.run is None


def test_the_host_views_are_made_with_the_first_cluster_run_in_the_windows_look(qtbot, window):
    from coreography.gui import theme

    cpu, cores = window.cpu_view, window.cores_view
    assert cpu._hosts is None and cores._hosts is None  # no plots for them at start
    window.desktop.set_theme("dark")
    local = make_run()
    cpu.set_run(local)
    assert cpu._hosts is None  # a local run needs none
    run = _cluster_run()
    for view in (cpu, cores):
        view.set_run(run)
        assert view.hosts.isVisible() and not view.plot.isVisible()
        background = view.hosts.plot.backgroundBrush().color().name()
        assert background == theme.THEMES["dark"].plot.lower()  # as every other plot
    window.desktop.set_theme("light")
    assert cpu.hosts.plot.backgroundBrush().color().name() == theme.THEMES["light"].plot.lower()
    cpu.set_run(local)
    assert cpu.plot.isVisible() and not cpu.hosts.isVisible()
