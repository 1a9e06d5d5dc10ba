"""Experiment files: an Experiment saved as a small .toml file and read back, validated."""

from __future__ import annotations

import math
import os
import tomllib
from typing import Any

from coreography.model.experiment import Experiment, ExperimentError
from coreography.model.files import read_regular, write_atomic

FORMAT = "coreography-experiment"
VERSION = 1
SUFFIX = ".toml"
#: Larger than any sensible experiment with its code; a guard against the wrong file.
MAX_BYTES = 1024 * 1024
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\f": "\\f", "\r": "\\r"}


class ExperimentFileError(ValueError):
    """An experiment file cannot be read; the one-line message names file and problem."""


# -- writing -----------------------------------------------------------------------------
def dumps_experiment(experiment: Experiment) -> str:
    """The TOML text for ``experiment`` (every setting, the user's code kept exactly).

    Parameters
    ----------
    experiment
        A valid experiment.

    Returns
    -------
    str
        Text that :func:`loads_experiment` turns back into an equal experiment.
    """
    lines = [
        "# A Coreography experiment: open it in Coreography, or edit the values below.",
        f"format = {_string(FORMAT)}",
        f"version = {VERSION}",
        "",
        "[experiment]",
    ]
    for name, value in experiment.to_dict().items():
        lines.append(f"{name} = {_value(name, value)}")
    return "\n".join(lines) + "\n"


def save_experiment(experiment: Experiment, path: str | os.PathLike[str]) -> None:
    """Write ``experiment`` to ``path`` (through a temporary file: never half a file)."""
    data = dumps_experiment(experiment).encode("utf-8")
    try:
        write_atomic(path, lambda stream: stream.write(data))
    except OSError as exc:
        raise ExperimentFileError(f"{path}: cannot write: {exc.strerror or exc}") from None


def _value(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ExperimentError(name, value, "expected a finite number")
        text = repr(value)
        return text if any(c in text for c in ".en") else text + ".0"
    if isinstance(value, str):
        return _multiline(value) if "\n" in value else _string(value)
    raise ExperimentError(name, value, "cannot be written to a file")


def _escape(text: str, keep: str) -> str:
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char in keep:
            out.append(char)
        elif char == "\t":
            out.append("\\t")
        elif char == "\n":
            out.append("\\n")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return "".join(out)


def _string(text: str) -> str:
    return '"' + _escape(text, keep="") + '"'


def _multiline(text: str) -> str:
    # TOML drops a newline right after the opening quotes, so the text starts on the
    # next line exactly as written; tabs and newlines stay literal for readability.
    return '"""\n' + _escape(text, keep="\t\n") + '"""'


# -- reading -----------------------------------------------------------------------------
def loads_experiment(text: str, source: str = "<experiment>") -> Experiment:
    """Read an experiment from TOML text.

    Parameters
    ----------
    text
        What :func:`dumps_experiment` wrote (or a hand-edited version of it).
    source
        Name used in error messages.

    Raises
    ------
    ExperimentFileError
        One line naming the source and the problem.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ExperimentFileError(f"{source}: not valid TOML: {_one_line(exc)}") from None
    except RecursionError:  # arrays or tables nested thousands deep
        raise ExperimentFileError(f"{source}: not valid TOML: nested too deeply") from None
    if data.get("format") != FORMAT:
        raise ExperimentFileError(f"{source}: not a Coreography experiment (format is missing)")
    version = data.get("version")
    if type(version) is not int or not 1 <= version <= VERSION:
        raise ExperimentFileError(
            f"{source}: version {version!r:.40} is not supported; "
            f"this Coreography reads 1 to {VERSION}"
        )
    table = data.get("experiment")
    if not isinstance(table, dict):
        raise ExperimentFileError(f"{source}: the [experiment] table is missing")
    try:
        return Experiment.from_dict(table)
    except (ExperimentError, TypeError, ValueError, ArithmeticError) as exc:
        raise ExperimentFileError(f"{source}: {_one_line(exc)}") from None


def load_experiment(path: str | os.PathLike[str]) -> Experiment:
    """Read an experiment file written by :func:`save_experiment`."""
    try:
        raw = read_regular(path, MAX_BYTES)
    except OSError as exc:
        raise ExperimentFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ExperimentFileError(f"{path}: not UTF-8 text") from None
    return loads_experiment(text, source=str(path))


def _one_line(exc: Exception) -> str:
    """The error's message on one line (messages quoting a value may hold newlines), cut
    short when it quotes a huge value."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:299] + "…"
