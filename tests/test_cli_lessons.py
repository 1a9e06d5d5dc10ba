"""The CLI's lessons: listing them, running one headless, refusing an unknown id."""

from __future__ import annotations

import pytest

from coreography.cli import EXIT_OK, EXIT_USAGE, main
from coreography.lessons.registry import all_lessons


def test_lessons_lists_every_id_and_title(capsys):
    assert main(["lessons"]) == EXIT_OK
    out = capsys.readouterr().out
    for lesson in all_lessons():
        assert lesson.id in out and lesson.title in out


@pytest.mark.slow
def test_run_a_lesson_prints_captions_table_and_findings(capsys):
    assert main(["run", "--lesson", "one-process", "--quiet", "--show-output"]) == EXIT_OK
    out = capsys.readouterr().out
    lesson = all_lessons()[0]
    for caption in lesson.captions:
        assert caption in out
    assert "Worker process" in out
    assert "Wall time" in out and "Lane" in out  # the summary table
    assert lesson.question in out


@pytest.mark.slow
def test_run_a_lesson_by_number(capsys):
    assert main(["run", "--lesson", "2", "--quiet"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "Result: [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]" in out
    assert "* Tasks were shorter than the overhead" in out  # a diagnosis finding


def test_unknown_lesson_is_one_line_and_exit_2(capsys):
    assert main(["run", "--lesson", "no-such-lesson"]) == EXIT_USAGE
    err = capsys.readouterr().err.strip()
    assert "no lesson 'no-such-lesson'" in err and "\n" not in err
