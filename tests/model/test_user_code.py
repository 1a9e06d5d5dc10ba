"""The user's own task code: problems explained with line numbers, before anything runs."""

from __future__ import annotations

import pytest

from coreography.model.experiment import CodeError, Experiment
from coreography.model.user_code import EXAMPLE, check_code


@pytest.mark.parametrize(
    ("source", "line", "words"),
    [
        ("def task(x)\n    return x\n", 1, "must end with ':'"),
        ("def task(x):\nreturn x\n", 2, "must be indented"),
        ("import math\n\ntask = lambda x: x\n", 3, "lambda"),
        ("def outer():\n    def task(x):\n        return x\n", 2, "inside another function"),
        ("def work(x):\n    return x\n", 0, "no function named 'task'"),
        ("def task():\n    return 1\n", 1, "exactly one argument"),
        ("def task(a, b):\n    return 1\n", 1, "exactly one argument"),
        ("async def task(x):\n    return 1\n", 1, "not async"),
        ("", 0, "write a function"),
        ("def task(x):\n    return (x\n", 2, "never closed"),
    ],
)
def test_problems_name_the_line_and_explain(source, line, words):
    problem = check_code(source)
    assert problem is not None
    assert problem.line == line
    assert words in problem.message
    with pytest.raises(CodeError) as caught:
        Experiment(workload="custom", code=source).validate()
    assert str(caught.value).startswith("code: ")
    assert caught.value.problem == problem


@pytest.mark.parametrize(
    "source",
    [
        EXAMPLE,
        "def task(x, scale=2):\n    return x * scale\n",
        "def helper(y):\n    return y + 1\n\ndef task(x):\n    return helper(x)\n",
    ],
)
def test_good_code_passes(source):
    assert check_code(source) is None
    Experiment(workload="custom", code=source).validate()
