"""The lesson registry: every bundled lesson loads; bad files are refused by name."""

from __future__ import annotations

import pytest

from coreography.lessons.registry import (
    LessonError,
    SweepSpec,
    all_lessons,
    get_lesson,
    parse_lesson,
    shrink,
)
from coreography.model.experiment import Experiment, available_start_methods

EXPECTED_IDS = [
    "one-process",
    "pool-of-squares",
    "four-processes",
    "threads-vs-processes-cpu",
    "threads-vs-processes-io",
    "scaling-amdahl",
    "chunksize",
    "load-imbalance",
    "start-methods",
    "queues",
    "locks-and-races",
    "sharing-big-data",
    "one-machine-is-not-enough",
]

GOOD = """
id = "x"
title = "X"
explanation = "Why."
question = "What?"
captions = ["Look."]

[[experiment]]
label = "a"
model = "pool-map"
workers = "cores"
"""


def test_every_lesson_loads_in_order_with_text_and_experiments():
    lessons = all_lessons()
    assert [lesson.id for lesson in lessons] == EXPECTED_IDS
    assert [lesson.number for lesson in lessons] == list(range(1, len(EXPECTED_IDS) + 1))
    for lesson in lessons:
        assert lesson.title and lesson.explanation and lesson.question
        assert lesson.captions
        for scale in ("full", "tiny"):
            runs = lesson.experiments(scale)
            assert runs, lesson.id
            for run in runs:
                assert run.label
                assert run.experiment.validate() is run.experiment


def test_lookup_by_id_or_number_and_unknown_names_the_known_ids():
    assert get_lesson("pool-of-squares").number == 2
    assert get_lesson("2").id == "pool-of-squares"
    assert get_lesson("09").id == "start-methods"
    with pytest.raises(KeyError, match="known lessons: one-process"):
        get_lesson("nope")


def test_seed_examples_are_as_the_issue_describes():
    one = get_lesson("one-process").experiments()[0].experiment
    assert (one.model, one.tasks, one.workload) == ("processes", 1, "hello")
    squares = get_lesson("pool-of-squares").experiments()[0].experiment
    assert (squares.model, squares.workers, squares.tasks, squares.workload) == (
        "pool-map",
        4,
        10,
        "square",
    )
    four = get_lesson("four-processes").experiments()[0].experiment
    assert (four.model, four.tasks, four.workload) == ("processes", 4, "print-number")


def test_cores_in_a_lesson_follow_the_machine():
    lesson = get_lesson("threads-vs-processes-cpu")
    assert {r.experiment.workers for r in lesson.experiments(cores=6)} == {6}
    scaling = get_lesson("scaling-amdahl")
    assert [r.experiment.workers for r in scaling.experiments(cores=3)] == [1, 2, 3, 4, 5, 6]
    assert [r.experiment.workers for r in scaling.experiments("tiny", cores=3)] == [1, 3, 6]


def test_start_methods_lesson_offers_only_what_the_system_has():
    methods = [r.experiment.start_method for r in get_lesson("start-methods").experiments()]
    assert methods == available_start_methods()


def test_sweep_values_as_a_list_or_a_range():
    assert SweepSpec("workers", (1, 3)).resolve(8) == [1, 3]
    assert SweepSpec("workers", "2..cores").resolve(4) == [2, 3, 4]
    assert SweepSpec("workers", "1..2xcores").resolve(2) == [1, 2, 3, 4]


def test_shrink_keeps_the_shape_and_cuts_the_cost():
    big = Experiment(model="pool-map", workers=8, tasks=5000, workload="cpu", size=500, speed=3)
    small = shrink(big)
    assert small.model == "pool-map" and small.workload == "cpu"
    assert small.tasks <= 10 and small.size <= 20 and small.speed == 1 and small.workers <= 4


def test_a_good_file_parses():
    lesson = parse_lesson(GOOD, "x.toml", 1)
    assert lesson.experiments(cores=3)[0].experiment.workers == 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('title = "X"', "title = 3"), "x.toml: title: expected non-empty text"),
        (('captions = ["Look."]', "captions = []"), "x.toml: captions"),
        (('model = "pool-map"', 'model = "nope"'), "x.toml: a: model: 'nope'"),
        (('workers = "cores"', 'workers = "lots"'), "x.toml: a: workers"),
        (('label = "a"', ""), "x.toml: experiment 1: label"),
        (('question = "What?"', 'question = "What?"\ncolour = 1'), "x.toml: colour"),
        (("[[experiment]]", "[[experiment]]\nbogus = 1"), "x.toml: a: bogus"),
        (('id = "x"', 'id = "x'), "x.toml: not valid TOML"),
        (
            ('workers = "cores"', 'workers = 1\n[sweep]\nfield = "colour"\nvalues = [1]'),
            "x.toml: sweep.field",
        ),
        (
            ('workers = "cores"', 'workers = 1\n[sweep]\nfield = "workers"\nvalues = "a..b"'),
            "x.toml: sweep.values",
        ),
    ],
)
def test_bad_files_are_refused_with_file_and_field(change, message):
    old, new = change
    assert old in GOOD
    with pytest.raises(LessonError) as info:
        parse_lesson(GOOD.replace(old, new, 1), "x.toml")
    assert message in str(info.value)
    assert "\n" not in str(info.value)
