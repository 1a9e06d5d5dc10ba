"""CPU per core: a strip per core, the experiment's share under everything else's."""

from __future__ import annotations

import itertools

import numpy as np

from coreography.gui.widgets.cpu_view import CpuView
from coreography.model.recording import run_from_dict, run_to_dict
from tests.engine.helpers import run_experiment


def _ys(item) -> np.ndarray:
    return np.asarray(item.getData()[1], dtype=np.float64)


def test_each_core_has_its_own_strip_with_the_experiment_under_the_whole(qtbot):
    run, _ = run_experiment(model="pool-map", workers=2, tasks=4, workload="cpu", size=150.0)
    view = CpuView()
    qtbot.addWidget(view)
    view.set_run(run)
    assert len(view.curves) == len(view.totals) == run.cores
    strips = []
    for core, (share, whole) in enumerate(zip(view.curves, view.totals, strict=True)):
        base = view._base(core)
        mine, everything = _ys(share) - base, _ys(whole) - base
        assert len(mine) == len(run.cpu_t)
        assert np.allclose(everything, run.cpu_percore.view()[:, core], atol=1e-3)
        assert (mine <= everything + 1e-3).all() and (mine >= -1e-3).all()
        strips.append((base, base + 100.0))
    # No core's strip overlaps another's: no line can hide another core's line.
    strips.sort()
    assert all(a[1] < b[0] for a, b in itertools.pairwise(strips))
    # The experiment did use CPU, and the view says what other programs did.
    assert sum(float((_ys(c) - view._base(i)).sum()) for i, c in enumerate(view.curves)) > 0
    assert "Other programs used" in view.note.text()


def test_a_recording_without_the_split_says_so(qtbot):
    run, _ = run_experiment(model="sequential", tasks=2, workload="cpu", size=50.0)
    data = run_to_dict(run)
    for name in ("experiment", "experiment_total", "app"):
        del data["cpu_samples"][name]
    old = run_from_dict(data)
    assert np.isnan(old.cpu_experiment.view()).all()
    view = CpuView()
    qtbot.addWidget(view)
    view.set_run(old)
    assert "does not tell the experiment from other programs" in view.note.text()
    assert all((_ys(c) == view._base(i)).all() for i, c in enumerate(view.curves))
