"""The lesson registry: reads resources/lessons/*.toml, validates them, finds lessons by id."""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from typing import Any

from coreography.assets import list_assets
from coreography.model.experiment import (
    TIMED_WORKLOADS,
    Experiment,
    ExperimentError,
    available_start_methods,
)

SCALES = ("full", "tiny")
#: Fields a sweep may vary: whole-number settings of an experiment.
SWEEP_FIELDS = ("workers", "chunksize", "tasks")
#: Test-size ceilings: every lesson runs headless in a few seconds on two cores.
TINY_TASKS = 10
TINY_TASKS_FREE = 200  # tasks that cost almost nothing (square): many, to show dispatch cost
TINY_MS = {"cpu": 20.0, "nogil": 20.0, "io": 40.0}
TINY_PRIMES = 3000.0
TINY_SWEEP_POINTS = 3
TINY_ARRAY_MB = 2.0
_REQUIRED_TEXT = ("id", "title", "explanation", "question")
_CORES = re.compile(r"(?:(\d+)\s*x\s*)?cores")


class LessonError(ValueError):
    """A lesson file is malformed; the message names the file and the field."""


@dataclass(frozen=True)
class SweepSpec:
    """One setting varied over several values (e.g. workers 1..2xcores)."""

    field: str
    values: str | tuple[int, ...]

    def resolve(self, cores: int) -> list[int]:
        """The concrete values on a machine with ``cores`` cores."""
        if isinstance(self.values, tuple):
            return list(self.values)
        low, _, high = self.values.partition("..")
        return list(range(_count(low, cores), _count(high, cores) + 1))


#: What a lesson's ``[[check]]`` may test of the run's measurement (lessons/claims.py).
CHECK_KINDS = {
    "faster": "the first run's median wall time is below the second's",
    "speedup-above": "every listed run's median speedup is above value",
    "speedup-below": "every listed run's median speedup is below value",
    "starts-sooner": "the first run's workers are ready sooner (median mean start-up)",
    "scales-to-cores": "a sweep's speedup grows with each worker up to the core count",
    "flat-past-cores": "a sweep's speedup past the core count stays near its value there",
}
_CHECK_RUNS = {"faster": 2, "starts-sooner": 2, "speedup-above": 1, "speedup-below": 1}


@dataclass(frozen=True)
class Check:
    """A "What to notice" line (``caption``, 1-based) as a test of the measurement."""

    caption: int
    kind: str
    runs: tuple[str, ...] = ()  # experiment labels
    value: float | None = None


@dataclass(frozen=True)
class LessonRun:
    """One experiment of a lesson, with the label shown beside its run."""

    label: str
    experiment: Experiment


@dataclass(frozen=True)
class Lesson:
    """A guided lesson: text for the class and the experiments that show it."""

    id: str
    number: int
    title: str
    explanation: str
    question: str
    captions: tuple[str, ...]
    settings: tuple[tuple[str, dict[str, Any]], ...]  # (label, Experiment fields)
    sweep: SweepSpec | None = None
    source: str = ""
    checks: tuple[Check, ...] = ()

    @property
    def repeatable(self) -> bool:
        """Its runs are compared (several experiments, or a sweep): each is repeated."""
        return len(self.settings) > 1 or self.sweep is not None

    def experiments(self, scale: str = "full", cores: int | None = None) -> list[LessonRun]:
        """The lesson's runs, in order; a sweep expands into one run per value.

        Parameters
        ----------
        scale
            ``"full"`` as written, or ``"tiny"``: few, short tasks, for the test suite.
        cores
            Cores to plan for ("cores" in a lesson file); default: this machine's.

        Returns
        -------
        list of LessonRun
            Experiments whose start method this system lacks are left out.
        """
        if scale not in SCALES:
            raise ValueError(f"scale: {scale!r} is not one of {', '.join(SCALES)}")
        if not cores:
            import psutil  # with the first lesson's runs, not with the window

            cores = psutil.cpu_count() or 1
        offered = available_start_methods()
        runs = []
        for label, fields in self.settings:
            if fields.get("start_method", offered[0]) not in offered:
                continue
            experiment = _build(fields, cores, self.source, label)
            if scale == "tiny":
                experiment = shrink(experiment)
            if self.sweep is None:
                runs.append(LessonRun(label, experiment))
                continue
            values = self.sweep.resolve(cores)
            if scale == "tiny":
                values = _spread(values, TINY_SWEEP_POINTS)
            for value in values:
                point = experiment.replace(**{self.sweep.field: value}).validate()
                runs.append(LessonRun(f"{label}, {self.sweep.field} = {value}", point))
        return runs


def shrink(experiment: Experiment) -> Experiment:
    """The same experiment at test size: few, short tasks, no slow motion.

    Parameters
    ----------
    experiment
        Any valid experiment.

    Returns
    -------
    Experiment
        At most a few hundred trivial tasks or ten timed ones of tens of milliseconds.
    """
    workload = experiment.workload
    cap = TINY_TASKS_FREE if workload in ("square",) else TINY_TASKS
    size = experiment.size
    if workload in TIMED_WORKLOADS:
        size = min(size, TINY_MS[workload])
    elif workload == "primes":
        size = min(size, TINY_PRIMES)
    return experiment.replace(
        tasks=min(experiment.tasks, cap),
        workers=min(experiment.workers, 4),
        size=size,
        speed=1.0,
        fault=experiment.fault,
        array_mb=min(experiment.array_mb, TINY_ARRAY_MB),
    ).validate()


@functools.lru_cache(maxsize=1)
def all_lessons() -> tuple[Lesson, ...]:
    """Every bundled lesson, in file-name order (validated; raises :class:`LessonError`)."""
    lessons = []
    for number, item in enumerate(list_assets("lessons", suffix=".toml"), start=1):
        lessons.append(parse_lesson(item.read_text(encoding="utf-8"), item.name, number))
    ids = [lesson.id for lesson in lessons]
    for lesson in lessons:
        if ids.count(lesson.id) > 1:
            raise LessonError(f"{lesson.source}: id: {lesson.id!r} is used by another lesson")
    return tuple(lessons)


def get_lesson(key: str) -> Lesson:
    """The lesson with this id, or this number in the list (``"2"``, ``"02"``).

    Raises
    ------
    KeyError
        With a one-line message listing the known ids.
    """
    lessons = all_lessons()
    for lesson in lessons:
        if key == lesson.id or (key.isdigit() and int(key) == lesson.number):
            return lesson
    known = ", ".join(lesson.id for lesson in lessons)
    raise KeyError(f"no lesson {key!r}; known lessons: {known}")


def parse_lesson(text: str, source: str = "<lesson>", number: int = 0) -> Lesson:
    """Read and check one lesson file's text.

    Parameters
    ----------
    text
        TOML text of a lesson.
    source
        File name used in error messages.
    number
        Position in the lesson list (1-based).

    Returns
    -------
    Lesson
        Every experiment in it was built and validated once for this machine.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LessonError(f"{source}: not valid TOML: {exc}") from None
    for name in _REQUIRED_TEXT:
        value = data.get(name)
        if not isinstance(value, str) or not value.strip():
            raise LessonError(f"{source}: {name}: expected non-empty text")
    captions = data.get("captions")
    if (
        not isinstance(captions, list)
        or not captions
        or not all(isinstance(c, str) and c.strip() for c in captions)
    ):
        raise LessonError(f"{source}: captions: expected a list of one or more texts")
    tables = data.get("experiment")
    if not isinstance(tables, list) or not tables:
        raise LessonError(f"{source}: experiment: expected one or more [[experiment]] tables")
    settings = []
    for index, table in enumerate(tables, start=1):
        fields = dict(table)
        label = fields.pop("label", None)
        if not isinstance(label, str) or not label.strip():
            raise LessonError(f"{source}: experiment {index}: label: expected non-empty text")
        settings.append((label, fields))
    sweep = _parse_sweep(data.get("sweep"), source)
    checks = _parse_checks(data.get("check", []), source, len(captions), settings, sweep)
    unknown = sorted(set(data) - {*_REQUIRED_TEXT, "captions", "experiment", "sweep", "check"})
    if unknown:
        raise LessonError(f"{source}: {unknown[0]}: not a lesson field")
    lesson = Lesson(
        id=data["id"],
        number=number,
        title=data["title"].strip(),
        explanation=data["explanation"].strip(),
        question=data["question"].strip(),
        captions=tuple(c.strip() for c in captions),
        settings=tuple(settings),
        sweep=sweep,
        source=source,
        checks=checks,
    )
    lesson.experiments(cores=2)  # a bad setting fails now, with the file named
    return lesson


def _parse_sweep(table: Any, source: str) -> SweepSpec | None:
    if table is None:
        return None
    if not isinstance(table, dict):
        raise LessonError(f"{source}: sweep: expected a table with field and values")
    field = table.get("field")
    if field not in SWEEP_FIELDS:
        raise LessonError(f"{source}: sweep.field: {field!r}; choose one of {SWEEP_FIELDS}")
    values = table.get("values")
    if isinstance(values, list) and values and all(type(v) is int for v in values):
        return SweepSpec(field, tuple(values))
    if isinstance(values, str) and ".." in values:
        spec = SweepSpec(field, values.strip())
        try:
            if not spec.resolve(2):
                raise ValueError("empty range")
        except ValueError as exc:
            raise LessonError(f"{source}: sweep.values: {values!r}: {exc}") from None
        return spec
    raise LessonError(
        f"{source}: sweep.values: expected a list of whole numbers or a range like '1..2xcores'"
    )


def _parse_checks(
    tables: Any, source: str, captions: int, settings: list, sweep: SweepSpec | None
) -> tuple[Check, ...]:
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise LessonError(f"{source}: check: expected [[check]] tables")
    labels = {label for label, _fields in settings}
    checks = []
    for index, table in enumerate(tables, start=1):
        where = f"{source}: check {index}"
        unknown = sorted(set(table) - {"caption", "kind", "runs", "value"})
        if unknown:
            raise LessonError(f"{where}: {unknown[0]}: not a check field")
        caption, kind = table.get("caption"), table.get("kind")
        if type(caption) is not int or not 1 <= caption <= captions:
            raise LessonError(f"{where}: caption: expected a caption number, 1 to {captions}")
        if kind not in CHECK_KINDS:
            raise LessonError(f"{where}: kind: {kind!r}; choose one of {', '.join(CHECK_KINDS)}")
        runs = table.get("runs", [])
        if not isinstance(runs, list) or not all(r in labels for r in runs):
            raise LessonError(f"{where}: runs: expected labels of this lesson's experiments")
        wanted = _CHECK_RUNS.get(kind, 0)
        if (wanted == 2 and len(runs) != 2) or (wanted == 1 and not runs):
            raise LessonError(f"{where}: runs: {kind} needs {'two' if wanted == 2 else 'some'}")
        if wanted == 0 and (sweep is None or sweep.field != "workers"):
            raise LessonError(f"{where}: kind: {kind} needs a sweep over workers")
        value = table.get("value")
        if kind.startswith("speedup-") and not isinstance(value, int | float):
            raise LessonError(f"{where}: value: expected a number")
        checks.append(Check(caption, kind, tuple(runs), None if value is None else float(value)))
    return tuple(checks)


def _count(text: str, cores: int) -> int:
    """A whole number, ``cores`` or ``Nxcores``."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    match = _CORES.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a number, 'cores' or 'Nxcores'")
    return int(match.group(1) or 1) * cores


def _build(fields: dict[str, Any], cores: int, source: str, label: str) -> Experiment:
    values = dict(fields)
    for name, value in fields.items():
        if isinstance(value, str) and name in ("workers", "tasks", "chunksize"):
            try:
                values[name] = _count(value, cores)
            except ValueError as exc:
                raise LessonError(f"{source}: {label}: {name}: {exc}") from None
    try:
        return Experiment.from_dict(values)
    except (ExperimentError, TypeError) as exc:
        raise LessonError(f"{source}: {label}: {exc}") from None


def _spread(values: list[int], count: int) -> list[int]:
    """At most ``count`` of ``values``: the first, the last and evenly between."""
    if len(values) <= count:
        return values
    picks = {round(i * (len(values) - 1) / (count - 1)) for i in range(count)}
    return [values[i] for i in sorted(picks)]
