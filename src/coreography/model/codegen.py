"""The plain-Python program an experiment stands for, to read, copy and run anywhere."""

from __future__ import annotations

import textwrap

from coreography.model.experiment import TIMED_WORKLOADS, Experiment
from coreography.model.models import Code
from coreography.model.user_code import ENTRY

#: What a millisecond of the cpu workload is in the generated program (a fixed amount of
#: work, so that waiting for the GIL or a core shows as a longer task).
DEFAULT_LOOPS_PER_MS = 20_000
DEFAULT_BLOCKS_PER_MS = 20

_FUNCTIONS = {
    "square": ("square", "def square(x):\n    return x * x\n"),
    "print-number": (
        "print_number",
        "def print_number(number):\n"
        "    # flush: a pool ends its workers at the end of 'with', before they would\n"
        '    print(f"Process ID: {os.getpid()} - Number: {number}", flush=True)\n'
        "    return number\n",
    ),
    "hello": ("worker", 'def worker(x=None):\n    print("Worker process", flush=True)\n'),
    "cpu": (
        "cpu_task",
        "def cpu_task(ms):\n"
        '    """Pure-Python arithmetic: holds the GIL the whole time."""\n'
        "    total = 0\n"
        "    for i in range(int(ms * LOOPS_PER_MS)):\n"
        "        total += i * i % 7\n"
        "    return ms\n",
    ),
    "io": (
        "io_task",
        'def io_task(ms):\n    """Waits, like a network or disk call: releases the GIL."""\n'
        "    time.sleep(ms / 1000)\n    return ms\n",
    ),
    "nogil": (
        "hash_task",
        "def hash_task(ms):\n"
        '    """SHA-256 over 64 KiB blocks: hashlib releases the GIL for each block."""\n'
        "    digest = hashlib.sha256()\n"
        "    for _ in range(max(1, round(ms * BLOCKS_PER_MS))):\n"
        "        digest.update(BLOCK)\n"
        "    return ms\n",
    ),
    "primes": (
        "count_primes",
        "def count_primes(n):\n"
        "    count = 0\n"
        "    for candidate in range(2, n):\n"
        "        divisor = 2\n"
        "        while divisor * divisor <= candidate:\n"
        "            if candidate % divisor == 0:\n"
        "                break\n"
        "            divisor += 1\n"
        "        else:\n"
        "            count += 1\n"
        "    return count\n",
    ),
}


def generate(
    experiment: Experiment, loops_per_ms: float | None = None, blocks_per_ms: float | None = None
) -> str:
    """Return a runnable program that does what ``experiment`` does, without Coreography.

    Parameters
    ----------
    experiment
        A validated experiment.
    loops_per_ms, blocks_per_ms
        How much ``cpu`` / ``nogil`` work makes a millisecond on this machine: the
        calibration the runs use (``engine.calibration``), so that the program's
        "100 ms" tasks are 100 ms here too. None: not calibrated yet; a default is
        written, and the program says so.

    Returns
    -------
    str
        Python source: imports, the task function, and an ``if __name__ == "__main__":``
        block with the Pool / Process / thread code.
    """
    exp = experiment
    name, function = _task_function(exp)
    code = exp.execution_model.code(exp, name)
    imports = _imports(exp, code)
    lines = [docstring_literal(_docstring(exp)), "", *imports, ""]
    if exp.workload == "cpu":
        loops, note = _constant(loops_per_ms, DEFAULT_LOOPS_PER_MS)
        lines += [f"LOOPS_PER_MS = {int(loops)}  # loop iterations per millisecond, {note}", ""]
    if exp.workload == "nogil":
        blocks, note = _constant(blocks_per_ms, DEFAULT_BLOCKS_PER_MS)
        lines += [
            "BLOCK = bytes(range(256)) * 256  # 64 KiB",
            f"BLOCKS_PER_MS = {round(float(blocks), 3)!r}  # 64 KiB blocks per millisecond, {note}",
            "",
        ]
    lines += ["", function.rstrip(), "", ""]
    if code.functions:
        lines += [*code.functions, "", ""]
    lines += _arguments(exp)
    lines += ["", "", 'if __name__ == "__main__":']
    body = []
    if exp.execution_model.uses_start_method:
        body.append(f"multiprocessing.set_start_method({string_literal(exp.start_method)})")
    body += ["args = task_arguments()", "start = time.perf_counter()"]
    body += code.body
    body.append('print(f"took {time.perf_counter() - start:.3f} s")')
    if code.prints_results:
        body.append("print(results)")
    lines += [textwrap.indent(line, "    ") for line in body]
    return "\n".join(lines) + "\n"


def _constant(measured: float | None, default: float) -> tuple[float, str]:
    """A work constant and where it comes from (written next to it in the program)."""
    if measured is not None and measured > 0:
        return measured, "as measured on this machine"
    return default, "a guess: run `coreography calibrate` for this machine's figure"


def docstring_literal(text: str) -> str:
    """``text`` as a triple-quoted Python literal that reads back as exactly ``text``:
    quotes and backslashes are escaped, so no text can end the string and add code."""
    return '"""' + _escaped(text, keep_newlines=True) + '"""'


def string_literal(text: str) -> str:
    """``text`` as a one-line double-quoted Python literal (escaped like a docstring)."""
    return '"' + _escaped(text, keep_newlines=False) + '"'


def _escaped(text: str, keep_newlines: bool) -> str:
    out = []
    for char in text:
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif (char == "\n" and keep_newlines) or (char.isprintable() and char != "\n"):
            out.append(char)
        else:  # a NUL, a carriage return, a line separator: written as its escape
            out.append(ascii(char)[1:-1])
    return "".join(out)


def _docstring(exp: Experiment) -> str:
    title = exp.title or f"{exp.model} with {exp.workload} tasks"
    note = ""
    if exp.fault.kind != "none":
        note = " (Coreography's deliberate fault is not part of this program.)"
    return f"{title}: {exp.tasks} tasks, written out as plain Python.{note}"


def _task_function(exp: Experiment) -> tuple[str, str]:
    if exp.workload == "custom":
        return ENTRY, exp.code
    return _FUNCTIONS[exp.workload]


def _imports(exp: Experiment, code: Code) -> list[str]:
    modules = {"time", *code.modules}
    if exp.execution_model.uses_start_method:
        modules.add("multiprocessing")
    if exp.workload == "print-number":
        modules.add("os")
    if exp.workload == "nogil":
        modules.add("hashlib")
    if exp.distribution != "fixed" and exp.workload in TIMED_WORKLOADS | {"primes"}:
        modules.add("random")
    return [f"import {module}" for module in sorted(modules)] + list(code.imports)


def _arguments(exp: Experiment) -> list[str]:
    """A function returning each task's argument, the same ones Coreography uses."""
    head = ["def task_arguments():"]
    if exp.workload == "print-number":  # numbered from 1, as the classic program
        return [*head, f"    return list(range(1, {exp.tasks + 1}))"]
    if exp.workload not in TIMED_WORKLOADS | {"primes"}:
        return [*head, f"    return list(range({exp.tasks}))"]
    size = exp.size * (exp.speed if exp.workload in TIMED_WORKLOADS else 1)
    convert = "int" if exp.workload == "primes" else ""
    if exp.distribution == "fixed":
        value = f"{int(size)}" if convert else repr(float(size))
        return [*head, f"    return [{value}] * {exp.tasks}"]
    body = [f"    rng = random.Random({exp.seed})", f"    base = {float(exp.size)!r}"]
    if exp.distribution == "uniform":
        body.append(
            f"    sizes = [rng.uniform(0.5 * base, 1.5 * base) for _ in range({exp.tasks})]"
        )
    elif exp.distribution == "exponential":
        body.append(
            f"    sizes = [rng.expovariate(1.0 / base) if base > 0 else 0.0 "
            f"for _ in range({exp.tasks})]"
        )
    else:
        body += [
            f"    sizes = [base] * {exp.tasks}",
            f"    sizes[rng.randrange({exp.tasks})] = base * 10  # one straggler",
        ]
    if exp.workload in TIMED_WORKLOADS and exp.speed != 1:
        body.append(f"    sizes = [s * {float(exp.speed)!r} for s in sizes]  # slow motion")
    body.append("    return [int(s) for s in sizes]" if convert else "    return sizes")
    return head + body
