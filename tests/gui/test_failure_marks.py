"""A killed worker's run as the window shows it: the failed task drawn unlike the tasks the
run's end interrupted, the cause in the status bar, Metrics and Findings; a busy machine
said in the status bar and the metrics panel."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor

from coreography.gui import theme
from coreography.gui.widgets.metrics_panel import MetricsPanel
from coreography.gui.widgets.status import RunStatus
from coreography.gui.widgets.timeline_item import mark_style
from coreography.model.experiment import Experiment, Fault
from coreography.model.run import FAILED, INTERRUPTED, Run, Sample
from tests.gui.conftest import start, wait_over
from tests.model.fakes import full_run

KILLED = Experiment(
    model="pool-map",
    workers=2,
    tasks=12,
    workload="io",
    size=300.0,
    chunksize=1,
    start_method="forkserver",
    fault=Fault("kill", 5),
)


def test_failed_and_interrupted_marks_differ_beyond_color():
    failed_pen, failed_brush, failed_prefix = mark_style("failed")
    cut_pen, cut_brush, cut_prefix = mark_style("interrupted")
    assert failed_brush.style() != cut_brush.style()  # pattern
    assert (failed_pen.style(), failed_pen.width()) != (cut_pen.style(), cut_pen.width())
    assert failed_prefix != cut_prefix  # ✕ against ‖
    assert failed_brush.color() != cut_brush.color()


def _bar_pixels(timeline, run: Run, task: int) -> np.ndarray:
    """The timeline's pixels (RGB) inside the bar of ``task``, from a grab of its plot."""
    lane = int(run.task_lane[task])
    start = float(run.seconds(int(run.task_start[task])))
    bars = timeline.index.lanes[lane]
    position = int(np.flatnonzero(bars.ids.view() == task)[0])
    end = float(bars.ends.view()[position])
    view = timeline.view_box
    plot = timeline.plot

    def device(x: float, y: float):
        return plot.mapFromScene(view.mapViewToScene(QPointF(x, y)))

    a, b = device(start, lane + 0.3), device(end, lane + 0.7)
    image = plot.grab().toImage()
    left, right = sorted((a.x(), b.x()))
    top, bottom = sorted((a.y(), b.y()))
    right = max(right, left + 3)
    pixels = [
        QColor(image.pixel(x, y)).getRgb()[:3]
        for x in range(left + 1, right)
        for y in range(top + 1, bottom)
    ]
    assert pixels, (left, right, top, bottom)
    return np.asarray(pixels)


def _near(pixels: np.ndarray, color: str, tolerance: int = 40) -> int:
    target = np.asarray(QColor(color).getRgb()[:3])
    return int(np.count_nonzero(np.abs(pixels - target).sum(axis=1) <= tolerance))


@pytest.mark.slow
def test_a_killed_workers_run_in_the_window(qtbot, window, tmp_path):
    window.resize(1280, 720)
    run = start(qtbot, window, KILLED)
    wait_over(qtbot, window)
    assert run.state == "failed" and run.failure is not None
    # The status bar and the metrics panel name the cause and count the failure.
    assert "was killed by signal 9 (SIGKILL) while running task 5" in window.status.message.text()
    assert window.metrics.values["tasks_failed"].text() == "1"
    # Findings lead with the failure and its cause (the first line is the run's title).
    findings = [line for line in window.teaching.findings.plain_text().splitlines() if line]
    assert "was killed by signal 9 (SIGKILL) while running task 5" in findings[1], findings
    # The timeline: task 5 failed and ends at its worker's death; another was interrupted.
    timeline = window.timeline
    timeline.fit_all()
    qtbot.wait(100)
    failed = [int(b.ids.view()[p]) for b in timeline.index.lanes for p in b.failed]
    cut = [int(b.ids.view()[p]) for b in timeline.index.lanes for p in b.interrupted]
    assert failed == [5], (failed, cut)
    # The other worker is nearly always inside a task when the run ends (then that task
    # is cut short); on a very busy machine it may be between two, and nothing is cut.
    assert all(run.task_status[t] == INTERRUPTED for t in cut)
    assert cut == [t for t in range(run.n_tasks) if run.task_status[t] == INTERRUPTED]
    assert run.task_status[5] == FAILED
    lane = run.lane(run.failure.pid)
    bars = timeline.index.lanes[int(run.task_lane[5])]
    drawn_end = float(bars.ends.view()[bars.failed[0]])
    assert math.isclose(drawn_end, float(run.seconds(lane.exited_ns)), abs_tol=1e-6)
    # Drawn differently: vermillion cross-hatching in the failed bar, none in the other.
    first = int(run.task_start[cut[0] if cut else 5])
    timeline.plot.setXRange(
        float(run.seconds(first)) - 0.05,
        float(run.seconds(run.end_ns)) + 0.05,
        padding=0,
    )
    qtbot.wait(100)
    timeline.item.update()
    qtbot.waitUntil(lambda: timeline.item.last_marks.get("failed", 0) >= 1, timeout=3000)
    failed_px = _bar_pixels(timeline, run, 5)
    assert _near(failed_px, theme.FAILED_COLOR) > 0
    if cut:
        assert timeline.item.last_marks.get("interrupted", 0) >= 1
        cut_px = _bar_pixels(timeline, run, cut[0])
        assert _near(cut_px, theme.FAILED_COLOR) == 0
        assert _near(cut_px, theme.FOREGROUND, 120) > 0  # its lines, in the text color
    _screenshots(qtbot, window, "killed-worker")


def _screenshots(qtbot, window, name: str) -> None:
    folder = Path(os.environ.get("COREOGRAPHY_SCREENSHOTS") or "")
    if not folder.name:
        return  # pictures only where asked for (make screenshots, or by hand)
    folder.mkdir(parents=True, exist_ok=True)
    for theme_name in ("light", "dark"):
        window.desktop.set_theme(theme_name)
        for width, height in ((1280, 720), (1920, 1080)):
            window.resize(width, height)
            qtbot.waitUntil(lambda w=width, h=height: (window.width(), window.height()) == (w, h))
            window.timeline.fit_all()
            qtbot.wait(150)
            path = folder / f"{name}-{theme_name}-{width}x{height}.png"
            assert window.grab().save(str(path))
    window.desktop.set_theme("light")


def _busy(run: Run, others: float) -> Run:
    """``run`` with samples in which other programs used ``others`` of the machine."""
    t = run.run_finished_ns
    samples = [
        Sample(
            t + k * 100_000_000,
            [100.0 * others + 10.0] * run.cores,
            [],
            experiment_percore=[10.0] * run.cores,
            experiment=10.0 * run.cores,
            app=0.0,
        )
        for k in range(1, 6)
    ]
    run.apply([], samples)
    return run


@pytest.mark.parametrize("others", [0.6, 0.02])
def test_a_busy_machine_is_said_in_the_status_bar_and_the_metrics_panel(qtbot, others):
    run = _busy(full_run(), others)
    panel, status = MetricsPanel(), RunStatus()
    qtbot.addWidget(panel)
    qtbot.addWidget(status)
    panel.show()
    panel.set_run(run)
    status.set_run(run)
    status.refresh(None)
    busy = others > 0.15
    assert panel.busy_note.isVisibleTo(panel) == busy
    assert panel.values["others_share"].text() == f"{others * 100:.0f} %"
    speedup = panel.values["speedup"].text()
    assert speedup.endswith("(unreliable)") == busy, speedup
    assert panel.values["efficiency"].text().endswith("(unreliable)") == busy
    if busy:
        assert f"{others:.0%} of the machine" in panel.busy_note.text()
        assert f"other programs {others:.0%}" in status.machine.text()
        assert "unreliable" in status.machine.text()
        assert f"{others:.0%} of the machine" in status.machine.toolTip()
    else:
        assert status.machine.text() == ""


def test_cpu_time_is_what_is_known_never_a_false_zero(qtbot):
    panel = MetricsPanel()
    qtbot.addWidget(panel)
    live = full_run(finish=False)  # no goodbyes yet; the sampler saw both workers busy
    panel.set_run(live)
    assert panel.values["cpu_s"].text() not in ("0.0 ms", "—")
    empty = Run(Experiment(), cores=2, t0=0)  # nothing measured anything
    panel.set_run(empty)
    assert panel.values["cpu_s"].text() == "—"


def test_a_run_too_small_to_measure_has_no_speedup(qtbot):
    run = full_run()
    run.experiment = run.experiment.replace(workload="square")  # µs of work, 35 ms of run
    run.task_cpu[:] = 20_000  # 20 µs each
    panel = MetricsPanel()
    qtbot.addWidget(panel)
    panel.set_run(run)
    assert panel.values["speedup"].text() == "not measurable"
    assert panel.values["efficiency"].text() == "not measurable"
    assert "not measurable" in panel.values["speedup"].toolTip()


@pytest.mark.parametrize("others", [0.6, 0.02])
def test_a_sweep_on_a_busy_machine_says_its_fit_is_not_reliable(qtbot, others):
    from coreography.gui.widgets.sweep_chart import SweepChart

    chart = SweepChart()
    qtbot.addWidget(chart)
    points = [(1, full_run()), (2, _busy(full_run(), others)), (3, full_run())]
    chart.set_points("workers", points, cores=2)
    text = chart.fit_label.text()
    assert "serial fraction" in text
    busy = others > 0.15
    assert ("the fit is not reliable" in text) == busy, text
    if busy:
        assert f"up to {others:.0%} of the machine" in text


def test_a_run_over_before_any_cpu_sample_says_so_not_waiting(qtbot):
    from coreography.gui.widgets.cpu_view import NO_SAMPLE_NOTE, CpuView
    from coreography.model.run import FINISHED

    view = CpuView()
    qtbot.addWidget(view)
    run = Run(Experiment(), cores=2, t0=0)
    view.set_run(run)
    view.refresh()
    assert "Waiting" in view.note.text()  # live: the first reading may still come
    run.finish(FINISHED, "", 5_000_000, produced={})
    view.refresh()
    assert view.note.text() == NO_SAMPLE_NOTE
