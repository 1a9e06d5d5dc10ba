"""Time to the first painted main window vs a bare QMainWindow holding one PlotWidget.

Each variant runs in a fresh interpreter (imports count: they are most of start-up); the
parent measures from launching it to the child reporting its first paint. Prints medians.
Run: ``PYTHONPATH=src QT_QPA_PLATFORM=offscreen python bench/startup.py``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

RUNS = 7

PAINT_PROBE = """
from PySide6.QtCore import QEvent, QObject, QTimer
class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            QTimer.singleShot(0, lambda: (print("painted", flush=True), app.quit()))
            obj.removeEventFilter(self)
        return False
probe = FirstPaint()
"""

BARE = PAINT_PROBE.join(
    [
        """
from PySide6.QtWidgets import QApplication, QMainWindow
import pyqtgraph as pg
app = QApplication([])
""",
        """
window = QMainWindow()
window.setCentralWidget(pg.PlotWidget())
window.resize(1440, 900)
window.centralWidget().viewport().installEventFilter(probe)
window.show()
app.exec()
""",
    ]
)

COREOGRAPHY = PAINT_PROBE.join(
    [
        """
from coreography.gui.app import create_app
from coreography.gui.main_window import MainWindow
app = create_app([])
""",
        """
window = MainWindow()
window.timeline.plot.viewport().installEventFilter(probe)
window.show()
app.exec()
""",
    ]
)


def time_to_paint(code: str) -> float:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["QT_LOGGING_RULES"] = "qt.qpa.*=false"
    # As installed: pip and the frozen app ship compiled bytecode (see main()).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    line = proc.stdout.readline() if proc.stdout else ""
    elapsed = time.perf_counter() - start
    proc.wait(timeout=30)
    if "painted" not in line:
        raise RuntimeError("the window never painted")
    return elapsed * 1000


def main() -> int:
    # An installed app starts from bytecode that pip (or the frozen build) compiled;
    # compile ours now so that the first process does not pay for it.
    import compileall

    import coreography

    compileall.compile_dir(os.path.dirname(coreography.__file__), quiet=1)
    bare, ours = [], []
    for _ in range(RUNS):  # interleaved, so both see the same machine state
        bare.append(time_to_paint(BARE))
        ours.append(time_to_paint(COREOGRAPHY))
    b, o = statistics.median(bare), statistics.median(ours)
    print(f"time to first paint, median of {RUNS} fresh processes:")
    print(f"  bare QMainWindow + PlotWidget: {b:8.1f} ms")
    print(f"  Coreography main window:       {o:8.1f} ms")
    print(f"  ratio {o / b:.2f} (target <= 1.5): {'yes' if o / b <= 1.5 else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
