"""The experiment: a validated, plain description of what to run (no Qt, no processes)."""

from __future__ import annotations

import dataclasses
import math
import multiprocessing
import random
import re
from dataclasses import dataclass, field
from typing import Any

from coreography.model import models
from coreography.model.user_code import CodeProblem, check_code

#: The model of a traced program's recording (registered, but not one to choose for a new
#: run: the program itself decides what runs).
TRACE_MODEL = "trace"

WORKLOADS: dict[str, str] = {
    "cpu": "Pure-Python loop; holds the GIL (size in ms)",
    "io": "time.sleep; releases the GIL (size in ms)",
    "nogil": "zlib/hashlib on a buffer; releases the GIL (size in ms)",
    "square": "Return x * x (the classic Pool example)",
    "print-number": "Print 'Process ID: <pid> - Number: <n>'",
    "primes": "Count primes below n by trial division (size is n)",
    "hello": "Print 'Worker process' (the one-process example)",
    "custom": "Your own def task(x), x = the task number",
}
#: Workloads whose size is a duration in milliseconds.
TIMED_WORKLOADS = frozenset({"cpu", "io", "nogil"})
DISTRIBUTIONS = ("fixed", "uniform", "exponential", "straggler")
FAULTS = ("none", "raise", "exit", "kill", "segv", "hang")
#: Faults that end the worker process running the task.
WORKER_EXIT_FAULTS = frozenset({"exit", "kill", "segv"})

LIMITS = {
    "workers": (1, 64),
    "tasks": (1, 1_000_000),
    "chunksize": (0, 100_000),
    "size": (0.0, 600_000.0),
    "seed": (0, 2**31 - 1),
    "speed": (1.0, 100.0),
    "array_mb": (0.01, 64.0),
    "threads_per_worker": (1, 16),
}


class ExperimentError(ValueError):
    """An experiment setting is out of range; the message names field, value and range."""

    def __init__(self, name: str, value: Any, allowed: str) -> None:
        self.field = name
        super().__init__(f"{name}: {value!r} is not allowed; {allowed}")


class CodeError(ExperimentError):
    """The user's task code cannot run; ``problem`` has the line and the explanation."""

    def __init__(self, problem: CodeProblem) -> None:
        self.field = "code"
        self.problem = problem
        ValueError.__init__(self, f"code: {problem}")


def available_start_methods() -> list[str]:
    """The start methods this operating system offers, in a stable order."""
    offered = set(multiprocessing.get_all_start_methods())
    return [m for m in ("fork", "spawn", "forkserver") if m in offered]


def default_start_method() -> str:
    """This Python's own default on this OS (fork on Linux before 3.14, else spawn or
    forkserver), so a run behaves like the user's plain script would."""
    return multiprocessing.get_context().get_start_method()


@dataclass(frozen=True)
class Fault:
    """A deliberate failure injected into one task, to see what a crash looks like."""

    kind: str = "none"
    task: int = 0

    @classmethod
    def parse(cls, text: str) -> Fault:
        """Read ``kind`` or ``kind:task`` (e.g. ``kill:3``)."""
        kind, _, task = text.partition(":")
        try:
            number = int(task) if task else 0
        except ValueError:
            raise ExperimentError(
                "fault", text, "expected KIND or KIND:TASK, e.g. kill:3"
            ) from None
        return cls(kind.strip(), number)


@dataclass(frozen=True)
class Experiment:
    """Everything that decides what a run does. Build it, then call :meth:`validate`."""

    model: str = "pool-map"
    workers: int = 2
    tasks: int = 10
    workload: str = "cpu"
    size: float = 5.0
    distribution: str = "fixed"
    chunksize: int = 0  # 0: the library's own choice
    start_method: str = field(default_factory=lambda: default_start_method())
    seed: int = 1
    fault: Fault = field(default_factory=Fault)
    #: Slow motion: task sizes are multiplied by this, so a class can follow each task.
    speed: float = 1.0
    title: str = ""
    #: The user's own task module (workload "custom"): must define ``def task(x)``.
    code: str = ""
    #: A cluster model's scheduler (``tcp://host:8786``): use that cluster, and leave it
    #: running; empty: the run starts a cluster of its own and closes it at the end.
    scheduler: str = ""
    #: Size of the big array the sharing models (pickled-array, shared-array) hand their
    #: tasks, in MB (2**20 bytes) of 8-byte floats.
    array_mb: float = 8.0
    #: A cluster model's threads in each worker of the cluster the run starts (Dask's
    #: ``threads_per_worker``); a cluster at a ``scheduler`` has its own.
    threads_per_worker: int = 1

    # -- validation -------------------------------------------------------------------
    def validate(self) -> Experiment:
        """Return ``self`` if every field is in range; raise :class:`ExperimentError`."""
        _choice("model", self.model, models.names())
        _choice("workload", self.workload, WORKLOADS)
        _choice("distribution", self.distribution, DISTRIBUTIONS)
        _choice("start_method", self.start_method, available_start_methods())
        for name in ("workers", "tasks", "chunksize", "seed", "threads_per_worker"):
            if not (name == "tasks" and self.model == TRACE_MODEL and self.tasks == 0):
                _int_range(name, getattr(self, name))
        for name in ("size", "speed", "array_mb"):
            _float_range(name, getattr(self, name))
        cap = self.execution_model.max_tasks
        if cap is not None and self.tasks > cap:
            raise ExperimentError(
                "tasks", self.tasks, f"the {self.model!r} model starts one per task: 1 to {cap}"
            )
        if not isinstance(self.code, str) or len(self.code) > 200_000:
            raise ExperimentError(
                "code", "…", "expected Python source of at most 200,000 characters"
            )
        if self.workload == "custom" and self.model != TRACE_MODEL:  # a script has no task()
            problem = check_code(self.code)
            if problem is not None:
                raise CodeError(problem)
        _scheduler(self)
        _threads_per_worker(self)
        if not isinstance(self.fault, Fault):
            raise ExperimentError("fault", self.fault, "expected a Fault")
        _choice("fault", self.fault.kind, FAULTS)
        if self.fault.kind != "none" and not 0 <= self.fault.task < self.tasks:
            raise ExperimentError(
                "fault",
                f"{self.fault.kind}:{self.fault.task}",
                f"task must be 0 to {self.tasks - 1}",
            )
        if (
            self.fault.kind in WORKER_EXIT_FAULTS
            and not self.execution_model.allows_worker_exit_faults
        ):
            raise ExperimentError(
                "fault", self.fault.kind, "ending a worker process needs a process model"
            )
        return self

    # -- derived ------------------------------------------------------------------------
    @property
    def execution_model(self) -> models.ExecutionModel:
        """The registered record of :attr:`model` (``KeyError`` before validation)."""
        return models.get(self.model)

    @property
    def parallel_workers(self) -> int:
        """How many tasks can run at once under this model."""
        return self.execution_model.parallel_workers(self.workers * self.threads_each, self.tasks)

    @property
    def threads_each(self) -> int:
        """Threads in each worker the run starts (1 where the model has no such setting)."""
        return self.threads_per_worker if self.execution_model.cluster else 1

    @property
    def array_length(self) -> int:
        """How many 8-byte floats the sharing models' array holds."""
        return max(1, int(self.array_mb * 2**20) // 8)

    def task_sizes(self) -> list[float]:
        """Size of each task (ms for timed workloads, n otherwise), reproducible by seed."""
        rng = random.Random(self.seed)
        base = self.size
        if self.distribution == "fixed":
            sizes = [base] * self.tasks
        elif self.distribution == "uniform":
            sizes = [rng.uniform(0.5 * base, 1.5 * base) for _ in range(self.tasks)]
        elif self.distribution == "exponential":
            sizes = [rng.expovariate(1.0 / base) if base > 0 else 0.0 for _ in range(self.tasks)]
        else:  # straggler: one task ten times longer, the rest as given
            sizes = [base] * self.tasks
            sizes[rng.randrange(self.tasks)] = base * 10
        if self.workload in TIMED_WORKLOADS:
            return [s * self.speed for s in sizes]
        return sizes

    def task_args(self) -> list[Any]:
        """The argument each task receives (what the generated code would pass)."""
        if self.workload == "print-number":  # the classic program numbers from 1
            return list(range(1, self.tasks + 1))
        if self.workload in ("square", "hello", "custom"):
            return list(range(self.tasks))
        if self.workload == "primes":
            return [int(s) for s in self.task_sizes()]
        return self.task_sizes()

    # -- plain data -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["fault"] = (
            f"{self.fault.kind}:{self.fault.task}" if self.fault.kind != "none" else "none"
        )
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Experiment:
        """Build and validate from plain data; unknown keys are refused by name."""
        if not isinstance(data, dict):
            raise ExperimentError("experiment", type(data).__name__, "expected a table of settings")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ExperimentError(
                unknown[0], data[unknown[0]], f"known settings: {', '.join(sorted(known))}"
            )
        values = dict(data)
        if "fault" in values:
            fault = values["fault"]
            values["fault"] = Fault.parse(fault) if isinstance(fault, str) else Fault(**fault)
        types = {
            "workers": int,
            "tasks": int,
            "chunksize": int,
            "seed": int,
            "size": float,
            "speed": float,
            "array_mb": float,
            "threads_per_worker": int,
        }
        for name, kind in types.items():
            if name in values:
                values[name] = _coerce(name, values[name], kind)
        for name in (
            "model",
            "workload",
            "distribution",
            "start_method",
            "title",
            "code",
            "scheduler",
        ):
            if name in values and not isinstance(values[name], str):
                raise ExperimentError(name, values[name], "expected text")
        return cls(**values).validate()

    def replace(self, **changes: Any) -> Experiment:
        return dataclasses.replace(self, **changes)


def parse_task(text: str) -> tuple[str, float]:
    """Read a ``--task`` value: ``cpu:5ms``, ``io:20ms``, ``primes:20000``, ``square``."""
    match = re.fullmatch(r"\s*([a-z-]+)\s*(?::\s*([0-9.]+)\s*(ms|s|us)?)?\s*", text)
    if not match or match.group(1) not in WORKLOADS:
        raise ExperimentError(
            "task", text, f"expected KIND[:SIZE], KIND one of {', '.join(WORKLOADS)} (e.g. cpu:5ms)"
        )
    kind, number, unit = match.groups()
    if number is None:
        return kind, Experiment.size if kind in TIMED_WORKLOADS else _default_size(kind)
    value = float(number)
    value *= {"s": 1000.0, "us": 0.001}.get(unit or "ms", 1.0)
    return kind, value


def _default_size(kind: str) -> float:
    return 20000.0 if kind == "primes" else 0.0


def _choice(name: str, value: Any, allowed: Any) -> None:
    if value not in allowed:
        raise ExperimentError(name, value, f"choose one of: {', '.join(allowed)}")


#: A scheduler address: ``host:port``, optionally with a protocol (``tcp://``, ``tls://``).
_ADDRESS = re.compile(
    r"([a-z]+://)?[A-Za-z0-9_.\-]+:[0-9]{1,5}|([a-z]+://)?\[[0-9a-fA-F:]+\]:[0-9]{1,5}"
)


def _threads_per_worker(exp: Experiment) -> None:
    if exp.threads_per_worker == 1:
        return
    if not exp.execution_model.cluster:
        raise ExperimentError(
            "threads_per_worker",
            exp.threads_per_worker,
            "only a cluster model runs several threads in each worker",
        )
    if exp.scheduler:
        raise ExperimentError(
            "threads_per_worker",
            exp.threads_per_worker,
            "a cluster at a scheduler has its own threads per worker: 1 here",
        )


def _scheduler(exp: Experiment) -> None:
    if not isinstance(exp.scheduler, str):
        raise ExperimentError("scheduler", exp.scheduler, "expected text")
    if not exp.scheduler:
        return
    if not exp.execution_model.cluster:
        cluster = ", ".join(m.name for m in models.all_models() if m.cluster and m.choosable)
        raise ExperimentError(
            "scheduler", exp.scheduler, f"only a cluster model uses a scheduler ({cluster})"
        )
    if len(exp.scheduler) > 300 or not _ADDRESS.fullmatch(exp.scheduler):
        raise ExperimentError(
            "scheduler", exp.scheduler, "expected HOST:PORT, e.g. tcp://127.0.0.1:8786"
        )


def _int_range(name: str, value: Any) -> None:
    low, high = LIMITS[name]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ExperimentError(name, value, f"expected a whole number from {low} to {high:,}")


def _float_range(name: str, value: Any) -> None:
    low, high = LIMITS[name]
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not low <= value <= high
    ):
        raise ExperimentError(name, value, f"expected a number from {low:g} to {high:g}")


def _coerce(name: str, value: Any, kind: type) -> Any:
    if isinstance(value, bool):
        raise ExperimentError(name, value, "expected a number")
    if kind is int and isinstance(value, float) and value.is_integer():
        return int(value)
    if kind is float and isinstance(value, int):
        return float(value)
    return value
