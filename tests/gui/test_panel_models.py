"""The experiment panel takes its choices and enable rules from the model registry."""

from __future__ import annotations

import importlib
import sys

from coreography.engine import backends
from coreography.gui.app import create_app
from coreography.gui.widgets.experiment_panel import ExperimentPanel
from coreography.model import models

PLUGIN = "tests.engine.queue_threads_model"


def _panel(qtbot) -> ExperimentPanel:
    create_app()
    panel = ExperimentPanel()
    qtbot.addWidget(panel)
    return panel


def _choose(panel: ExperimentPanel, model: str) -> None:
    panel.model.setCurrentText(model)
    assert panel.model.currentText() == model


def test_shipped_models_enable_only_the_options_that_apply(qtbot):
    panel = _panel(qtbot)
    offered = [panel.model.itemText(i) for i in range(panel.model.count())]
    assert offered == models.choices()
    for name in models.choices():
        record = models.get(name)
        _choose(panel, name)
        assert panel.workers.isEnabled() == record.uses_workers, name
        assert panel.chunksize.isEnabled() == record.uses_chunksize, name
        assert panel.array_mb.isEnabled() == record.uses_array, name
        cap = record.max_tasks or 1_000_000
        assert panel.tasks.maximum() == cap, name
    _choose(panel, "pool-apply-async")
    assert not panel.chunksize.isEnabled()
    _choose(panel, "processes")
    assert panel.tasks.maximum() == 256 and not panel.workers.isEnabled()
    _choose(panel, "dask-map")
    assert panel.threads_per_worker.isEnabled()
    panel.threads_per_worker.setValue(3)
    assert panel.experiment().validate().threads_per_worker == 3  # it reaches the run
    panel.scheduler.setText("tcp://127.0.0.1:8786")  # that cluster has its own threads
    assert not panel.threads_per_worker.isEnabled()
    assert panel.experiment().validate().threads_per_worker == 1
    panel.scheduler.setText("")
    _choose(panel, "pool-map")
    assert not panel.threads_per_worker.isEnabled()
    assert panel.experiment().threads_per_worker == 1
    _choose(panel, "shared-array")
    panel.array_mb.setValue(3.5)
    assert panel.experiment().validate().array_mb == 3.5  # the array size reaches the run
    assert panel.array_mb.isEnabled() and panel.array_mb.suffix() == " MB"


def test_a_registered_model_is_offered_with_its_rules(qtbot):
    module = importlib.import_module(PLUGIN)
    try:
        panel = _panel(qtbot)
        _choose(panel, module.NAME)
        assert panel.workers.isEnabled() and not panel.chunksize.isEnabled()
        assert panel.tasks.maximum() == 1000
        panel.workers.setValue(3)
        experiment = panel.experiment()
        assert experiment.model == module.NAME and experiment.validate().parallel_workers == 3
        assert panel.error.text() == ""
    finally:
        models.unregister(module.NAME)
        backends.unregister(module.NAME)
        sys.modules.pop(PLUGIN, None)
