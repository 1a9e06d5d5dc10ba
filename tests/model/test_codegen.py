"""The generated program runs with plain python and agrees with the engine."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from coreography.model import models
from coreography.model.builtin_models import INCREMENTS_PER_TASK
from coreography.model.codegen import generate
from coreography.model.experiment import Experiment
from tests.engine.helpers import run_experiment


def run_program(source: str, tmp_path) -> list[str]:
    path = tmp_path / "program.py"
    path.write_text(source)
    done = subprocess.run(
        [sys.executable, "-I", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "coreography" not in done.stderr
    return done.stdout.strip().splitlines()


def _keeps_results(model: str) -> bool:
    return models.get(model).code(Experiment(model=model), "task").prints_results


@pytest.mark.slow
@pytest.mark.parametrize("model", [m for m in models.choices() if _keeps_results(m)])
def test_generated_program_gives_the_engines_results(model, tmp_path):
    experiment = Experiment(
        model=model, workers=3, tasks=10, workload="square", start_method="spawn"
    )
    source = generate(experiment)
    assert 'if __name__ == "__main__":' in source
    lines = run_program(source, tmp_path)
    generated = ast.literal_eval(lines[-1])
    run, _ = run_experiment(
        model=model, workers=3, tasks=10, workload="square", start_method="spawn"
    )
    engine = ast.literal_eval(run.result_text)
    if model == "pool-imap-unordered":
        assert sorted(generated) == sorted(engine)
    else:
        assert generated == engine == [i * i for i in range(10)]


@pytest.mark.slow
def test_generated_lock_counter_prints_the_engines_total(tmp_path):
    experiment = Experiment(model="lock-counter", tasks=6, workload="square", start_method="spawn")
    lines = run_program(generate(experiment), tmp_path)
    total = INCREMENTS_PER_TASK * 6
    assert f"counter.value = {total} of {total}" in lines
    run, _ = run_experiment(model="lock-counter", tasks=6, workload="square", start_method="spawn")
    assert run.stdout_lines() == [f"counter.value = {total}"]


@pytest.mark.slow
def test_generated_processes_print_like_the_engine(tmp_path):
    experiment = Experiment(
        model="processes", tasks=4, workload="print-number", start_method="spawn"
    )
    lines = run_program(generate(experiment), tmp_path)
    printed = sorted(line.split(" - ")[1] for line in lines if line.startswith("Process ID:"))
    run, _ = run_experiment(
        model="processes", tasks=4, workload="print-number", start_method="spawn"
    )
    assert printed == sorted(line.split(" - ")[1] for line in run.stdout_lines())
    assert printed == [f"Number: {n}" for n in range(1, 5)]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("workload", "size", "distribution"),
    [
        ("cpu", 2.0, "uniform"),
        ("io", 3.0, "straggler"),
        ("nogil", 1.0, "exponential"),
        ("primes", 500.0, "fixed"),
        ("hello", 0.0, "fixed"),
    ],
)
def test_every_workload_generates_a_program_that_runs(workload, size, distribution, tmp_path):
    experiment = Experiment(
        model="pool-map",
        workers=2,
        tasks=5,
        workload=workload,
        size=size,
        distribution=distribution,
        speed=2.0,
    )
    lines = run_program(generate(experiment), tmp_path)
    results = ast.literal_eval(lines[-1])
    if workload in ("cpu", "io", "nogil", "primes"):
        expected = experiment.task_args()
        if workload == "primes":
            from coreography.engine.workloads import count_primes

            expected = [count_primes(n) for n in expected]
        assert results == pytest.approx(expected)
    else:
        assert lines.count("Worker process") == 5


def test_users_own_code_is_carried_verbatim(tmp_path):
    code = "import math\n\n\ndef task(x):\n    return math.factorial(x)\n"
    experiment = Experiment(
        model="process-pool", workers=2, tasks=6, workload="custom", code=code, start_method="spawn"
    )
    source = generate(experiment)
    assert code.strip() in source
    assert ast.literal_eval(run_program(source, tmp_path)[-1]) == [1, 1, 2, 6, 24, 120]


@pytest.mark.parametrize(
    "title",
    [
        'Demo"""\nimport os\nos.system("echo injected")\n"""',
        'ends in a quote"',
        "ends in a backslash\\",
        "tab\tnul\x00 cr\r line-sep\u2028 ''' quotes",
    ],
)
def test_a_title_from_a_file_can_never_become_code(title, tmp_path):
    source = generate(Experiment(model="sequential", tasks=3, workload="square", title=title))
    tree = ast.parse(source)
    docstring = ast.get_docstring(tree, clean=False)
    assert docstring is not None and docstring.startswith(title + ":")
    # Only the program's own statements: the docstring, imports, functions, __main__.
    kinds = [type(node).__name__ for node in tree.body]
    assert kinds[0] == "Expr" and "Expr" not in kinds[1:], kinds
    assert all(kind in {"Expr", "Import", "ImportFrom", "FunctionDef", "If"} for kind in kinds)
    lines = run_program(source, tmp_path)
    assert "injected" not in lines
    assert ast.literal_eval(lines[-1]) == [0, 1, 4]
