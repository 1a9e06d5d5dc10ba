"""A lesson's "What to notice" lines judged against constructed measurements: shown,
or flagged as not shown this time with the likely reason."""

from __future__ import annotations

import dataclasses

import pytest

from coreography.lessons.claims import judge
from coreography.lessons.registry import LessonError, get_lesson, parse_lesson
from coreography.model.series import summarize
from tests.model.fakes import MS, big_run

THREADS, PROCESSES = "ThreadPoolExecutor (threads)", "Pool.map (processes)"


def lesson_points(walls: dict[str, list[float]], workers: dict[str, int] | None = None):
    """Summaries of runs of one work (8 tasks) with these wall times (ms) per label."""
    entries = []
    for index in range(max(len(v) for v in walls.values())):
        for label, values in walls.items():
            if index < len(values):
                run = big_run(8, workers=(workers or {}).get(label, 2))
                run.run_finished_ns = run.run_started_ns + int(values[index] * MS)
                entries.append((label, run))
    return summarize(entries)


def test_threads_beating_processes_on_cpu_work_is_not_asserted():
    lesson = get_lesson("threads-vs-processes-cpu")
    points = lesson_points({THREADS: [30, 31, 32], PROCESSES: [60, 62, 61]})
    verdicts = {v.caption: v for v in judge(lesson, points, cores=2)}
    third = verdicts[3]
    assert third.shown is False
    assert third.sentence().startswith("Not shown this time: wall time")
    assert "Likely reason" in third.sentence()
    # Told the machine was busy, that is the reason given, with the figure.
    busy = [dataclasses.replace(p, machine_busy=True, others_share=0.62) for p in points]
    third = {v.caption: v for v in judge(lesson, busy, cores=2)}[3]
    assert third.shown is False and "other programs used up to 62%" in third.reason


def test_processes_beating_threads_is_shown():
    lesson = get_lesson("threads-vs-processes-cpu")
    points = lesson_points({THREADS: [80, 82, 81], PROCESSES: [40, 42, 41]})
    third = {v.caption: v for v in judge(lesson, points, cores=2)}[3]
    assert third.shown is True and third.sentence().startswith("Shown this time")
    assert "not reliable" not in third.sentence()
    # Shown on a busy machine: said, with the warning.
    busy = [dataclasses.replace(p, machine_busy=True, others_share=0.4) for p in points]
    third = {v.caption: v for v in judge(lesson, busy, cores=2)}[3]
    assert (
        third.shown is True
        and "40% of the machine: the figures are not reliable" in third.sentence()
    )


def test_overlapping_repeats_are_named_as_the_reason():
    lesson = get_lesson("threads-vs-processes-cpu")
    points = lesson_points({THREADS: [40, 60, 45], PROCESSES: [50, 41, 70]})
    third = {v.caption: v for v in judge(lesson, points, cores=2)}[3]
    assert third.shown is False and "ranges overlap" in third.reason


def test_a_sweep_that_did_not_scale_up_to_the_cores_is_flagged():
    lesson = get_lesson("scaling-amdahl")
    labels = {n: f"Pool.map, CPU-bound, workers = {n}" for n in (1, 2, 3, 4)}
    # 1.0 / 0.76 / 1.3 / 1.8x for 1..4 workers on 2 cores, as once measured.
    walls = {labels[n]: [100 / s] for n, s in zip((1, 2, 3, 4), (1.0, 0.76, 1.3, 1.8), strict=True)}
    points = lesson_points(walls, {labels[n]: n for n in labels})
    for point, n in zip(points, (1, 2, 3, 4), strict=True):
        assert point.experiment.workers == n
    verdicts = {v.caption: v for v in judge(lesson, points, cores=2)}
    assert verdicts[1].shown is False  # 2 workers slower than 1
    assert "2: 0.76×" in verdicts[1].measured
    assert verdicts[2].shown is False  # and past the cores it went on growing
    good = lesson_points(
        {labels[n]: [100 / s] for n, s in zip((1, 2, 3, 4), (1.0, 1.9, 1.85, 1.9), strict=True)},
        {labels[n]: n for n in labels},
    )
    assert all(v.shown for v in judge(lesson, good, cores=2))


def test_a_missing_run_is_not_measured_rather_than_contradicted():
    lesson = get_lesson("threads-vs-processes-cpu")
    points = lesson_points({THREADS: [30]})
    third = {v.caption: v for v in judge(lesson, points, cores=2)}[3]
    assert third.shown is None and third.sentence().startswith("Not measured this time")


LESSON = """
id = "x"
title = "X"
explanation = "E"
question = "Q?"
captions = ["one"]
[[experiment]]
label = "a"
model = "pool-map"
[[check]]
caption = {caption}
kind = "{kind}"
runs = {runs}
"""


@pytest.mark.parametrize(
    ("caption", "kind", "runs", "problem"),
    [
        (2, "faster", '["a", "a"]', "caption"),
        (1, "slower", '["a", "a"]', "kind"),
        (1, "faster", '["b", "a"]', "runs"),
        (1, "faster", '["a"]', "needs two"),
        (1, "scales-to-cores", "[]", "sweep over workers"),
    ],
)
def test_a_bad_check_names_the_file_and_field(caption, kind, runs, problem):
    text = LESSON.format(caption=caption, kind=kind, runs=runs)
    with pytest.raises(LessonError, match=problem):
        parse_lesson(text, "x.toml")
