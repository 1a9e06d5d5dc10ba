"""What the window benchmarks share: a real window (offscreen) showing one real run, each
in a fresh interpreter, possibly of another source tree.

:func:`spawn` starts a child (``python bench/<script>.py --child ...``) with ``PYTHONPATH``
set to the source tree to measure, and private settings and history folders (the
calibration cache is the user's own, so no run measures it again); the child prints one
JSON line that :func:`spawn` returns. :func:`show_run` is the child's side: the window,
the run, and the Qt event loop until the run is over.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OWN_SRC = HERE.parent / "src"


def experiment_for(size_ms: float, seconds: float) -> dict[str, Any]:
    """A pool-map of 2 workers whose CPU-bound tasks take ``size_ms`` each, about
    ``seconds`` of work in all (the per-task cost of the pool itself counted roughly)."""
    per_task_s = size_ms / 1000.0 + 20e-6
    tasks = max(int(2 * seconds / per_task_s), 10)
    return {"model": "pool-map", "workers": 2, "tasks": tasks, "workload": "cpu", "size": size_ms}


def spawn(script: str, src: Path, args: list[str], timeout: float = 300.0) -> dict[str, Any]:
    """Run ``bench/<script> --child ARGS`` over the source tree ``src``; its JSON line."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(src)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["QT_LOGGING_RULES"] = "qt.qpa.*=false"
    with tempfile.TemporaryDirectory(prefix="coreography-bench-") as home:
        env["XDG_CONFIG_HOME"] = str(Path(home) / "config")
        env["XDG_DATA_HOME"] = str(Path(home) / "data")
        proc = subprocess.run(
            [sys.executable, str(HERE / script), "--child", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{script} child failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def show_run(
    experiment: dict[str, Any],
    on_started: Callable[[Any, Any], None] | None = None,
    timeout_s: float = 120.0,
) -> tuple[Any, Any]:
    """Open the main window (1440×900, shown), start ``experiment`` as the Run button
    does, and run the event loop until the run is over and the window took its end.
    ``on_started(window, run)`` is called right after the start. Returns (window, run)."""
    from PySide6.QtCore import QTimer

    from coreography.gui.app import create_app
    from coreography.gui.main_window import MainWindow
    from coreography.model.experiment import Experiment

    app = create_app([])
    window = MainWindow()
    window.resize(1440, 900)
    window.show()
    for _ in range(20):  # let the first paints happen before the run starts
        app.processEvents()
    window.experiment_panel.set_experiment(Experiment(**experiment))
    run = window.start_run()
    if run is None:
        raise RuntimeError("the window refused the experiment")
    if on_started is not None:
        on_started(window, run)
    presenter = window.presenter

    def check() -> None:
        if run.is_over and not presenter.timer.isActive():
            app.quit()

    watch = QTimer()
    watch.timeout.connect(check)
    watch.start(50)
    QTimer.singleShot(int(timeout_s * 1000), app.quit)
    app.exec()
    watch.stop()
    if not run.is_over:
        raise RuntimeError("the run did not end in time")
    return window, run


def close(window: Any) -> None:
    """Close the window without asking to save the run."""
    from PySide6.QtWidgets import QApplication

    window.desktop.confirm_close = lambda: True
    window.close()
    QApplication.processEvents()


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, nearest rank; nan if empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = min(max(round(q * (len(ordered) - 1)), 0), len(ordered) - 1)
    return ordered[rank]


def load_average() -> float:
    """The 1-minute load average (nan where the OS has none)."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return float("nan")
