"""Time to the first painted window: Coreography against a bare QMainWindow with one plot.

Three ways, each in a fresh interpreter (imports are most of a start-up), measured from
launching the interpreter to the child reporting the first paint of its plot:

* **bare**: a ``QMainWindow`` holding one ``pg.PlotWidget`` (PySide6 and pyqtgraph
  imported, nothing else);
* **window**: ``MainWindow()`` as tests and embedders make it (no settings, no log);
* **coreography**: the ``coreography`` command itself (``coreography.__main__.main``):
  the stale-file sweep, the single-instance check, the log, the settings, the window,
  and whatever the app starts for its first run — everything a user waits for. Its
  settings live in a folder of the bench's own (already welcomed, so that the lessons
  dialog of a first launch does not open) and its instance name is the bench's.

The ways alternate in rotating order within each round, so that a busy moment of this
shared machine hurts every way alike. Prints each way's median and range, the ratio of
medians and the range of the per-round ratios, and the load average.

Run: ``QT_QPA_PLATFORM=offscreen python bench/startup.py [--runs 9]``.
Goal (issue 17): coreography <= 1.3x bare.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

TARGET = 1.3

PAINT_PROBE = """
import time as _time
from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer
class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            obj.removeEventFilter(self)
            QTimer.singleShot(0, self.done)
        return False
    def done(self):
        print("painted", _time.process_time(), flush=True)
        QCoreApplication.quit()
probe = FirstPaint()
"""

BARE = (
    """
from PySide6.QtWidgets import QApplication, QMainWindow
import pyqtgraph as pg
app = QApplication([])
"""
    + PAINT_PROBE
    + """
window = QMainWindow()
window.setCentralWidget(pg.PlotWidget())
window.resize(1440, 900)
window.centralWidget().viewport().installEventFilter(probe)
window.show()
app.exec()
"""
)

WINDOW = (
    """
from coreography.gui.app import create_app
from coreography.gui.main_window import MainWindow
app = create_app([])
"""
    + PAINT_PROBE
    + """
window = MainWindow()
window.timeline.plot.viewport().installEventFilter(probe)
window.show()
app.exec()
"""
)

# The real entry; the probe goes onto the timeline once the window is made (the class
# the app instantiates is wrapped, nothing else changes).
COMMAND = (
    """
import sys
import coreography.gui.app as app_module
"""
    + PAINT_PROBE
    + """
class Probed(app_module.MainWindow):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timeline.plot.viewport().installEventFilter(probe)
app_module.MainWindow = Probed
from coreography.__main__ import main
sys.exit(main([]))
"""
)

WAYS = {"bare": BARE, "window": WINDOW, "coreography": COMMAND}


def environment(home: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["QT_LOGGING_RULES"] = "qt.qpa.*=false"
    # As installed: pip and the frozen app ship compiled bytecode (see main()).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["XDG_CONFIG_HOME"] = os.path.join(home, "config")
    env["COREOGRAPHY_LOG_DIR"] = os.path.join(home, "log")
    env["COREOGRAPHY_INSTANCE_NAME"] = f"coreography-bench-{os.getpid()}"
    env.pop("COREOGRAPHY_NEW_INSTANCE", None)
    return env


def welcomed(home: str) -> None:
    """Settings of a user who has seen the welcome already."""
    folder = os.path.join(home, "config", "Coreography")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "Coreography.conf"), "w", encoding="utf-8") as conf:
        conf.write("[General]\nwelcomed=true\n")


def time_to_paint(code: str, env: dict[str, str]) -> tuple[float, float]:
    """Milliseconds from launch to the first paint, and the CPU time the process had
    used by then (its own threads; less sensitive to a busy machine than wall time)."""
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
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if not line.startswith("painted"):
        raise RuntimeError("the window never painted")
    return elapsed * 1000, float(line.split()[1]) * 1000


def report(title: str, times: dict[str, list[float]]) -> float:
    """Print each way's median, range and ratio to bare; return coreography's ratio."""
    bare = statistics.median(times["bare"])
    print(f"\n{title}")
    print(f"{'way':<14}{'median':>10}{'range':>20}{'× bare':>9}{'per-round ratios':>20}")
    for name, values in times.items():
        median = statistics.median(values)
        spread = f"{min(values):.0f}–{max(values):.0f} ms"
        ratios = [v / b for v, b in zip(values, times["bare"], strict=True)]
        ratio_spread = f"{min(ratios):.2f}–{max(ratios):.2f}"
        print(f"{name:<14}{median:>8.0f}ms{spread:>20}{median / bare:>8.2f}×{ratio_spread:>20}")
    return statistics.median(times["coreography"]) / bare


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="rounds (each way once a round)")
    args = parser.parse_args()
    # An installed app starts from bytecode that pip (or the frozen build) compiled;
    # compile ours now so that the first process does not pay for it.
    import compileall

    import coreography

    compileall.compile_dir(os.path.dirname(coreography.__file__), quiet=1)
    wall: dict[str, list[float]] = {name: [] for name in WAYS}
    cpu: dict[str, list[float]] = {name: [] for name in WAYS}
    names = list(WAYS)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="coreography-startup-") as home:
        welcomed(home)
        env = environment(home)
        for round_ in range(args.runs + 1):  # the first round only warms the disk cache
            order = names[round_ % len(names) :] + names[: round_ % len(names)]
            for name in order:
                spent, used = time_to_paint(WAYS[name], env)
                if round_:
                    wall[name].append(spent)
                    cpu[name].append(used)
    load_after = os.getloadavg()[0]
    print(
        f"first paint, {args.runs} rounds of fresh processes, load average "
        f"{load_before:.2f} -> {load_after:.2f} on {os.cpu_count()} cores"
        + (" (busy: wall times spread)" if max(load_before, load_after) > 1.0 else "")
    )
    ratio = report("wall time from launch to the first paint (the goal):", wall)
    report("CPU time of the app's process by its first paint:", cpu)
    verdict = "yes" if ratio <= TARGET else "NO"
    print(f"\ncoreography / bare, wall: {ratio:.2f} (target <= {TARGET}): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
