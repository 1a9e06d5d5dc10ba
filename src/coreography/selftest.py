"""The self-test (``coreography --self-test``): the real window runs small experiments.

It is what an installer's smoke test runs: it proves that the app opens, that worker
processes start under every start method the OS offers (in a frozen app, too: each
one re-enters the executable and ``freeze_support()`` must turn it into a worker), that
every event arrives, that results are right and that the window shows the lanes.
Exit code 0, or 1 with a one-line reason.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from coreography.model.experiment import Experiment, available_start_methods

WORKERS = 4
TASKS = 20
RUN_TIMEOUT_S = 120.0  # a loaded 2-core machine starts 4 frozen spawn workers slowly


class SelfTestFailure(Exception):
    """One check failed; the message is the one-line reason."""


@dataclass
class Outcome:
    runs: int = 0
    processes: int = 0


def plan() -> list[Experiment]:
    """Squares through ``Pool.map`` and ``ProcessPoolExecutor`` under every start method,
    then one run with visible CPU-bound bars (for the screenshot)."""
    experiments = [
        Experiment(
            model=model,
            workers=WORKERS,
            tasks=TASKS,
            workload="square",
            start_method=method,
            title=f"self-test {model} {method}",
        )
        for method in available_start_methods()
        for model in ("pool-map", "process-pool")
    ]
    experiments.append(
        Experiment(
            model="pool-map",
            workers=WORKERS,
            tasks=TASKS,
            workload="cpu",
            size=20.0,
            chunksize=1,
            start_method=available_start_methods()[-1],
            title="self-test cpu",
        )
    )
    return experiments


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="coreography --self-test",
        description="Open the window, run small experiments under every start method, check.",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=0.0,
        help="keep running experiments for at least this long (a soak test)",
    )
    parser.add_argument("--screenshot", type=Path, help="save a PNG of the window here")
    return parser.parse_args(argv)


def _wait_for_end(app, window, timeout_s: float) -> None:
    """Run Qt's event loop until the presenter says the run is over."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    window.presenter.sig_run_ended.connect(loop.quit)
    deadline = QTimer()
    deadline.setSingleShot(True)
    deadline.timeout.connect(loop.quit)
    deadline.start(int(timeout_s * 1000))
    try:
        if window.presenter.live:
            loop.exec()
    finally:
        window.presenter.sig_run_ended.disconnect(loop.quit)
        deadline.stop()
    app.processEvents()
    if window.presenter.live:
        window.stop_run()
        raise SelfTestFailure(f"the run did not end within {timeout_s:.0f} s")


def check_run(run, window, experiment: Experiment) -> str:
    """Raise :class:`SelfTestFailure` unless ``run`` went right and the window shows it;
    return a one-line description."""
    name = f"{experiment.model}/{experiment.start_method}"
    if run.state != "finished":
        logs = " | ".join(getattr(run, "logs", []))[-600:]
        raise SelfTestFailure(
            f"{name}: run {run.state}: {run.message}" + (f" (stderr: {logs})" if logs else "")
        )
    lost = run.events_lost()
    if lost != 0:
        raise SelfTestFailure(f"{name}: {run.describe_loss()}")
    done = [r is not None for r in run.results()]
    if not all(done):
        raise SelfTestFailure(f"{name}: {done.count(False)} of {run.n_tasks} tasks have no result")
    if experiment.workload == "square":
        wrong = [i for i, r in enumerate(run.results()) if r != i * i]
        if wrong:
            raise SelfTestFailure(f"{name}: wrong results for tasks {wrong[:5]}")
    workers = run.worker_lanes()
    if not 1 <= len(workers) <= experiment.workers:
        raise SelfTestFailure(f"{name}: {len(workers)} worker lanes for {experiment.workers}")
    if any(lane.qt_loaded for lane in workers):
        raise SelfTestFailure(f"{name}: a worker process loaded Qt")
    if window.presenter.run is not run:
        raise SelfTestFailure(f"{name}: the window does not show the run")
    timeline = window.timeline.index
    if timeline.bars != run.n_tasks or len(timeline.lanes) != len(run.lanes):
        raise SelfTestFailure(
            f"{name}: the timeline shows {timeline.bars} bars in {len(timeline.lanes)} lanes, "
            f"the run has {run.n_tasks} tasks in {len(run.lanes)} lanes"
        )
    seconds = (run.end_ns - run.t0) / 1e9
    return (
        f"{name} ({experiment.workload}): {run.n_tasks} tasks in {len(workers)} worker "
        f"processes, {run.events_received()} events, none lost, {seconds:.2f} s"
    )


def run_all(app, window, seconds: float, log) -> Outcome:
    """Run the plan once, then again until ``seconds`` have passed."""
    outcome = Outcome()
    t0 = time.monotonic()
    while True:
        for experiment in plan():
            window.experiment_panel.set_experiment(experiment)
            run = window.start_run()
            if run is None:
                raise SelfTestFailure(f"{experiment.model}: the window refused to start it")
            _wait_for_end(app, window, RUN_TIMEOUT_S)
            log(check_run(run, window, experiment))
            outcome.runs += 1
            outcome.processes += len(run.worker_lanes()) + 1  # and the driver
        if time.monotonic() - t0 >= seconds:
            return outcome


def check_numpy() -> str:
    """Raise :class:`SelfTestFailure` unless numpy's linear algebra (its bundled BLAS,
    which a careless strip of an installer's libraries corrupts) computes right."""
    import numpy

    n = 64
    a = numpy.arange(n * n, dtype=numpy.float64).reshape(n, n) / n
    product = a @ a.T
    # Three entries recomputed in plain Python: exact, as every term is a multiple of 1/n².
    for i, j in ((0, 0), (7, 63), (63, 31)):
        expected = sum(a[i, k].item() * a[j, k].item() for k in range(n))
        if product[i, j].item() != expected:
            raise SelfTestFailure(f"numpy: dot product [{i},{j}] {product[i, j]} != {expected}")
    return f"numpy {numpy.__version__}: a {n}x{n} dot product is right"


def _quiet_offscreen_hints() -> None:
    """The offscreen platform warns on every dock's size hint (an uncategorised warning
    that logging rules cannot filter): noise in a smoke test's log, not a finding."""
    from PySide6.QtCore import qInstallMessageHandler

    previous = None

    def handler(mode, context, message: str) -> None:
        if "propagateSizeHints" in message:
            return
        if previous is not None:
            previous(mode, context, message)
        else:
            print(message, file=sys.stderr)

    previous = qInstallMessageHandler(handler)


def main(argv: list[str] | None = None) -> int:
    """Run the self-test; 0 when every check passed, else 1 with a one-line reason."""
    args = _parse(list(sys.argv[1:] if argv is None else argv))
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # a headless machine
    t0 = time.monotonic()

    def log(line: str) -> None:
        print(f"self-test: {line}", flush=True)

    try:
        from coreography.gui.app import create_app
        from coreography.gui.main_window import MainWindow
        from coreography.model.history import History

        _quiet_offscreen_hints()
        app = create_app([])
        # A history of its own: the check must not add to the user's run history, and
        # it proves the frozen app has a working sqlite3.
        scratch = tempfile.TemporaryDirectory(prefix="coreography-self-test-")
        history = History(Path(scratch.name) / "history.sqlite3")
        window = MainWindow(history=history)
        window.show()
        frozen = " (frozen)" if getattr(sys, "frozen", False) else ""
        log(
            f"Python {sys.version.split()[0]}{frozen}, Qt platform {app.platformName()}, "
            f"start methods {', '.join(available_start_methods())}"
        )
        try:
            log(check_numpy())
            outcome = run_all(app, window, args.seconds, log)
            if args.screenshot is not None:
                app.processEvents()
                if not window.grab().save(str(args.screenshot)):
                    raise SelfTestFailure(f"cannot write the screenshot {args.screenshot}")
                log(f"screenshot {args.screenshot}")
        finally:
            window.close()
            app.processEvents()
            history.close()
            scratch.cleanup()
    except SelfTestFailure as failure:
        print(f"self-test: FAILED: {failure}", file=sys.stderr, flush=True)
        return 1
    except Exception as error:  # anything else is a failure too, said in one line
        reason = f"{type(error).__name__}: {error}".splitlines()[0]
        print(f"self-test: FAILED: {reason}", file=sys.stderr, flush=True)
        return 1
    log(
        f"passed: {outcome.runs} runs, {outcome.processes} experiment processes, "
        f"{time.monotonic() - t0:.1f} s"
    )
    return 0
