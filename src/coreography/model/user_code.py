"""The user's own task function: checked before a run, with plain explanations.

The user writes ``def task(x): ...`` (plus any imports and helpers). Every worker runs
that source itself, so nothing needs pickling on the way in; but the program the user
takes away (see :mod:`coreography.model.codegen`) will pickle ``task`` by name under
``spawn``/``forkserver``, so the rules of real multiprocessing are enforced here: a
top-level ``def``, no lambda, no nested function.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

FILENAME = "your_code.py"
ENTRY = "task"

EXAMPLE = '''import math


def task(x):
    """Runs once per task; x is the task number (0, 1, 2, …)."""
    return sum(math.isqrt(i) for i in range(20_000 + x))
'''


@dataclass(frozen=True)
class CodeProblem:
    """What is wrong with the code, where, and what to do about it."""

    line: int  # 1-based; 0 when it is not about one line
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


def check_code(source: str) -> CodeProblem | None:
    """Return the first problem of ``source`` as a task module, or None if it is fine."""
    if not source.strip():
        return CodeProblem(0, f"write a function: def {ENTRY}(x): …")
    try:
        tree = ast.parse(source, filename=FILENAME)
        compile(tree, FILENAME, "exec")
    except SyntaxError as exc:
        return CodeProblem(exc.lineno or 0, _explain_syntax(exc))
    top_level: dict[str, ast.stmt] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == ENTRY:
            top_level[ENTRY] = node
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == ENTRY for t in node.targets
        ):
            if isinstance(node.value, ast.Lambda):
                return CodeProblem(
                    node.lineno,
                    f"{ENTRY} is a lambda. Worker processes started with spawn or forkserver "
                    "receive functions by name (pickle), and a lambda has none: write "
                    f"'def {ENTRY}(x):' at the top level instead.",
                )
            top_level[ENTRY] = node
    if ENTRY not in top_level:
        nested = _find_nested(tree)
        if nested is not None:
            return CodeProblem(
                nested.lineno,
                f"{ENTRY} is defined inside another function. Worker processes find "
                "functions by name at the top level of a module (that is how pickle sends "
                f"them): move 'def {ENTRY}' out to the left margin.",
            )
        return CodeProblem(0, f"no function named '{ENTRY}': write def {ENTRY}(x): …")
    node = top_level[ENTRY]
    if isinstance(node, ast.AsyncFunctionDef):
        return CodeProblem(node.lineno, f"{ENTRY} must be a plain def, not async def")
    if isinstance(node, ast.FunctionDef):
        args = node.args
        positional = len(args.posonlyargs) + len(args.args)
        required = positional - len(args.defaults)
        if required > 1 or (positional == 0 and args.vararg is None):
            return CodeProblem(
                node.lineno, f"{ENTRY} must take exactly one argument, the task number"
            )
    return None


def load_task(source: str) -> Callable[[Any], Any]:
    """Run ``source`` as a module and return its ``task`` function (in a worker)."""
    namespace: dict[str, Any] = {"__name__": "your_code", "__file__": FILENAME}
    exec(compile(source, FILENAME, "exec"), namespace)  # the user's own code, on purpose
    task: Callable[[Any], Any] = namespace[ENTRY]
    return task


def _find_nested(tree: ast.AST) -> ast.stmt | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            for inner in ast.walk(node):
                named = getattr(inner, "name", None) == ENTRY
                if named and isinstance(inner, ast.stmt) and inner is not node:
                    return inner
    return None


def _explain_syntax(exc: SyntaxError) -> str:
    text = exc.msg
    hints = {
        "expected ':'": "a def, if, for or while line must end with ':'",
        "unexpected indent": "this line is indented more than the block it is in",
        "unindent does not match any outer indentation level": (
            "this line's indentation does not line up with the lines above"
        ),
        "expected an indented block": "the line after a ':' must be indented",
        "invalid syntax": "Python cannot read this line",
        "unterminated string literal": "a quote is opened but never closed",
        "'(' was never closed": "a '(' is opened but never closed",
    }
    for key, hint in hints.items():
        if text.startswith(key):
            return f"{text} — {hint}"
    return text
