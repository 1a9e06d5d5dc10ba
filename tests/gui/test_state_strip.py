"""The state strip on the timeline: drawn from the run's thread states, with a legend."""

from __future__ import annotations

from pathlib import Path

from coreography.model.thread_states import ThreadState

from .synthetic import make_run

SHOTS = Path("/tmp/states-shots")
CYCLE = (
    ThreadState.ON_CPU,
    ThreadState.WAITING_FOR_CORE,
    ThreadState.BLOCKED_LOCK,
    ThreadState.BLOCKED_IO,
)


def _run_with_states():
    run = make_run(workers=2, tasks=6, task_ms=120.0, prints=False)
    rows = []
    for lane in run.worker_lanes():
        tasks = lane.task_ids()
        t, end = int(run.task_start[tasks].min()), int(run.task_end[tasks].max())
        step = (end - t) // 8
        for k in range(8):
            rows.append((lane.index, t + k * step, t + (k + 1) * step, CYCLE[(k + lane.index) % 4]))
    run.thread_states.source = "linux"
    run.apply([], [], rows)
    return run


def test_the_strip_draws_every_state_and_the_legend_names_them(qtbot, window):
    SHOTS.mkdir(exist_ok=True)
    run = _run_with_states()
    for theme in ("light", "dark", "high-contrast"):
        window.desktop.set_theme(theme)
        for size in ((1280, 720), (1920, 1080)):
            window.resize(*size)
            window.timeline.set_run(run)
            window.timeline.fit_all()
            qtbot.wait(50)
            window.grab().save(str(SHOTS / f"window-{theme}-{size[0]}x{size[1]}.png"))
            shot = window.timeline.grab()
            shot.save(str(SHOTS / f"timeline-{theme}-{size[0]}x{size[1]}.png"))
            drawn = window.timeline.states.last_rects
            # Every stretch of both lanes: two of each state in each.
            assert drawn == {int(s): 4 for s in CYCLE}, drawn
    legend = window.timeline.state_legend
    assert legend.isVisible()
    text = legend.label.text()
    for words in ("on a CPU", "ready, no free core", "blocked: GIL or lock", "I/O or sleep"):
        assert words in text


def test_no_states_no_strip_and_no_legend(qtbot, window):
    window.timeline.set_run(make_run(workers=2, tasks=4))
    qtbot.wait(20)
    window.timeline.grab()
    assert window.timeline.states.last_rects == {}
    assert not window.timeline.state_legend.isVisible()


def test_the_cores_view_names_the_process_of_a_slice(qtbot):
    import time as _time

    from coreography.gui.widgets.cores_view import CoresView
    from coreography.model.run import Sample

    run = make_run(workers=2, tasks=4)
    now = _time.perf_counter_ns()
    run.apply(
        [],
        [
            Sample(
                now - 200_000_000 + k * 100_000_000,
                [90.0, 80.0],
                [(2000, 95.0, 1, 1), (2001, 90.0, 0, 1)],
            )
            for k in range(3)
        ],
    )
    view = CoresView()
    qtbot.addWidget(view)
    view.set_run(run)
    assert "Worker 1 · PID 2000" in view.note.text() and "Worker 2 · PID 2001" in view.note.text()
    x = float(run.seconds(now - 100_000_000))
    assert "Worker 1 · PID 2000: 95 %" in view.describe_at(x, 1.5)
    assert "Worker 2" not in view.describe_at(x, 1.5)
    assert "Worker 2 · PID 2001: 90 %" in view.describe_at(x, 0.5)


def test_neighbours_in_one_state_merge_into_one_stretch():
    import numpy as np

    from coreography.gui.widgets.state_strip import merge_touching

    on, wait = int(ThreadState.ON_CPU), int(ThreadState.WAITING_FOR_CORE)
    left = np.array([0.0, 10.0, 20.0, 30.0, 50.0, 60.0])
    right = np.array([10.0, 20.0, 30.0, 40.0, 60.0, 60.0])  # the last is under a pixel
    states = np.array([on, on, wait, wait, wait, on])
    got = merge_touching(left, right, states)
    assert [a.tolist() for a in got] == [[0, 20, 50, 60], [20, 40, 60, 61], [on, wait, wait, on]]


def test_the_strip_is_drawn_from_its_pixmap_until_new_states_come(qtbot, window):
    run = _run_with_states()
    window.timeline.set_run(run)
    window.timeline.fit_all()
    qtbot.wait(50)
    strip, bars = window.timeline.states, window.timeline.item
    painted, strip_painted = bars.paints, strip.paints
    bars.update()  # the bars change; the strip does not
    qtbot.waitUntil(lambda: bars.paints > painted)
    assert strip.paints == strip_painted
    lane = run.worker_lanes()[0]
    end = int(run.task_end[lane.task_ids()].max())
    run.apply([], [], [(lane.index, end, end + 1000, ThreadState.BLOCKED_IO)])
    window.timeline.refresh()
    qtbot.waitUntil(lambda: strip.paints > strip_painted)
    assert strip.last_rects[int(ThreadState.BLOCKED_IO)] >= 1
