"""A script as a run of the window: what to start, and the controller that starts it.

:class:`ScriptController` is the presenter's plug-in for traced programs
(:meth:`coreography.gui.presenter.Presenter.start_with`): it starts the program with the
engine's :class:`~coreography.engine.trace.runner.TraceController`, as
``coreography trace`` does, and adds the plain-words explanations of the common mistakes
to the run once it is over (the Console, the history and recordings then have them).
"""

from __future__ import annotations

import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from coreography.model.experiment import TRACE_MODEL
from coreography.model.run import Run

#: What a file must end with to be opened as a script.
SCRIPT_SUFFIX = ".py"


class ScriptError(ValueError):
    """A script that cannot be started as given (no such file, bad arguments)."""


@dataclass(frozen=True)
class Script:
    """``python PATH ARGS…`` run in ``cwd`` (default: the script's own folder)."""

    path: str
    args: tuple[str, ...] = field(default_factory=tuple)
    cwd: str = ""

    @classmethod
    def from_text(cls, path: str, args: str, cwd: str = "") -> Script:
        """From what a user typed: the arguments split as a shell would (quotes kept)."""
        try:
            words = tuple(shlex.split(args))
        except ValueError as error:
            raise ScriptError(f"Arguments: {error} (check the quotes)") from None
        return cls(path.strip(), words, cwd.strip())

    @property
    def args_text(self) -> str:
        return shlex.join(self.args)

    @property
    def folder(self) -> str:
        """Where the program runs: ``cwd``, else the script's folder."""
        return self.cwd or str(Path(self.path).expanduser().resolve().parent)

    def validate(self) -> Script:
        """This script with absolute paths; raises ScriptError if it cannot start."""
        if not self.path:
            raise ScriptError("Choose a script to run (File → Open Script…).")
        path = Path(self.path).expanduser()
        if not path.is_file():
            raise ScriptError(f"{self.path}: no such file")
        if path.suffix != SCRIPT_SUFFIX:
            raise ScriptError(f"{path.name}: not a Python script ({SCRIPT_SUFFIX})")
        cwd = Path(self.cwd).expanduser() if self.cwd else path.resolve().parent
        if not cwd.is_dir():
            raise ScriptError(f"Working directory {self.cwd}: no such folder")
        return Script(str(path.resolve()), self.args, str(cwd.resolve()))

    def argv(self) -> list[str]:
        return [self.path, *self.args]

    def source(self) -> str:
        """The script's text ("" if it cannot be read)."""
        try:
            return Path(self.path).expanduser().read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return ""


def is_traced(run: Run | None) -> bool:
    """Whether ``run`` is a traced program's (live, stored or from a recording)."""
    return run is not None and run.experiment.model == TRACE_MODEL


def script_of(run: Run) -> Script | None:
    """The script a traced run ran, as far as the run knows it (a recording of a module
    run, ``-m pkg``, has none)."""
    command = list(getattr(run, "command", []) or [])
    if not command:  # a recording: the title is the command line
        try:
            command = shlex.split(run.experiment.title)
        except ValueError:
            return None
    if not command or command[0] == "-m" or not command[0].endswith(SCRIPT_SUFFIX):
        return None
    return Script(command[0], tuple(command[1:]))


class ScriptController:
    """Runs one :class:`Script` at a time through the engine's trace controller.

    The program reads nothing from the window's terminal (its stdin is empty); what it
    prints goes to the window's stdout as it would, and to the Console by process.
    """

    def __init__(self, sample_hz: float = 10.0) -> None:
        from coreography.engine.trace.runner import TraceController

        self.trace = TraceController(sample_hz=sample_hz)
        self.script: Script | None = None
        self._explained: Run | None = None

    @property
    def run(self) -> Run | None:
        return self.trace.run

    @property
    def state_hz(self) -> float:
        """Thread-state readings per second of the next run (0: none)."""
        return self.trace.state_hz

    @state_hz.setter
    def state_hz(self, hz: float) -> None:
        self.trace.state_hz = hz

    @property
    def running(self) -> bool:
        return self.trace.running

    def start(self, request: Script) -> Run:
        """Start ``request`` (raises ScriptError, or OSError if no process can start)."""
        script = request.validate()
        run = self.trace.start(script.argv(), cwd=script.cwd, stdin=subprocess.DEVNULL)
        self.script = script
        self._explained = None
        return run

    def poll(self, budget: int = 100_000) -> bool:
        changed = self.trace.poll(budget)
        self._explain_once()
        return changed

    def stop(self) -> None:
        self.trace.stop()
        self._explain_once()

    def shutdown(self) -> None:
        self.trace.shutdown()
        self._explain_once()

    def _explain_once(self) -> None:
        """Once the run is over: the common mistakes it shows, in plain words."""
        run = self.trace.run
        if run is None or self.trace.running or self._explained is run:
            return
        from coreography.model.trace_explain import explain

        self._explained = run
        run.logs.extend(explain(run))
