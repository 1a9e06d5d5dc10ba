"""What a run's views load on first use is loaded once the window is on screen, not in
the first frames of the first run, and not before the first paint either."""

from __future__ import annotations

import json
import os
import subprocess
import sys

AHEAD = ("numpy.ma", "coreography.model.metrics", "coreography.model.diagnosis")

PROGRAM = """
import json, sys, time
from coreography.gui.app import create_app
from coreography.gui.main_window import MainWindow
from coreography.model.history import History

app = create_app([])
window = MainWindow(history=History(":memory:"))
made = [m for m in {ahead} if m in sys.modules]
window.show()
deadline = time.monotonic() + 15
while time.monotonic() < deadline and not all(m in sys.modules for m in {ahead}):
    app.processEvents()
print(json.dumps({{"made": made, "shown": [m for m in {ahead} if m in sys.modules]}}))
window.close()
"""


def test_a_shown_window_loads_what_runs_need_after_its_first_paint(tmp_path):
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(sys.path),
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM.format(ahead=AHEAD)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["made"] == []  # the window's making (its first paint) waits for none
    assert seen["shown"] == list(AHEAD)
