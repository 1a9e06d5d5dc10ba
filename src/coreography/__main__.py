"""Entry point: ``coreography`` opens the window; ``coreography run|export|…`` is the CLI."""

from __future__ import annotations

import multiprocessing
import os
import sys
from typing import NoReturn

CLI_COMMANDS = {
    "run",
    "trace",
    "export",
    "summary",
    "lessons",
    "calibrate",
    "sweep",
    "-h",
    "--help",
    "--version",
}


def main(argv: list[str] | None = None) -> int:
    # First thing, before Qt: in a frozen app every worker process re-enters this
    # function, and freeze_support() turns it into the worker it is meant to be.
    multiprocessing.freeze_support()
    _note_entry()
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in CLI_COMMANDS and _runs_experiments(args):
        # The run's driver starts now and loads the engine while this process loads
        # the command line: the two overlap instead of following each other.
        from coreography.engine.standby import start_early

        start_early()
    if args and (args[0] in CLI_COMMANDS or args[0] == "--self-test"):
        # The window sweeps once it is on screen (gui/app.py), beside its early driver.
        _remove_stale_files()
    if args and args[0] == "--self-test":
        from coreography.selftest import main as selftest_main

        return selftest_main(args[1:])
    if args and args[0] in CLI_COMMANDS:
        from coreography.cli import main as cli_main

        code = cli_main(args)
        if argv is None:  # the command itself, not a caller: leave now
            _leave(code)
        return code
    if args and not _names_a_file(args[0]):
        return _unknown_command(args[0])
    problem = _no_display()
    if problem:
        print(f"coreography: the window cannot open: {problem}", file=sys.stderr)
        return 1
    try:
        from coreography.gui.app import main as gui_main
    except ImportError as exc:
        print(f"coreography: the window cannot open: {exc}", file=sys.stderr)
        return 1
    return gui_main(args)


#: What a recording's or a script's name ends with: such a word opens in the window even
#: if missing (the window then says why it cannot be read).
RECORDING_ENDINGS = (".json", ".gz")
SCRIPT_ENDINGS = (".py",)
EXIT_USAGE = 2


def _names_a_file(word: str) -> bool:
    """Whether ``word`` is for the window (an option, a recording, a script) rather than
    a command."""
    endings = RECORDING_ENDINGS + SCRIPT_ENDINGS
    return word.startswith("-") or word.lower().endswith(endings) or os.path.exists(word)


def _unknown_command(word: str) -> int:
    import difflib

    commands = sorted(c for c in CLI_COMMANDS if not c.startswith("-"))
    close = difflib.get_close_matches(word, commands, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    print(
        f"usage: coreography [FILE.coreo.json | SCRIPT.py] | coreography COMMAND ...\n"
        f"coreography: error: unknown command {word!r}{hint}; commands: "
        f"{', '.join(commands)} (coreography --help)",
        file=sys.stderr,
    )
    return EXIT_USAGE


def _runs_experiments(args: list[str]) -> bool:
    """Whether the command will start an experiment's driver (not for help)."""
    return args[0] in ("run", "sweep") and not {"-h", "--help"} & set(args)


def _no_display() -> str:
    """Why no window can open here (Linux without a display), or "" if it can."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return ""
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return ""
    return (
        "no display (DISPLAY and WAYLAND_DISPLAY are not set). Start it from a desktop "
        "session, or use the command line: coreography run --help"
    )


def _remove_stale_files() -> None:
    """What an app or CLI killed earlier left in the temporary folder goes now."""
    from coreography.engine.cleanup import remove_stale_files

    remove_stale_files()


def _leave(code: int) -> NoReturn:
    """The command is done: leave as the run's driver does, without the interpreter's
    teardown, which frees every module and object one by one (numpy, psutil, the run
    model: measured 15 to 50 ms of CPU, for a command of about 0.3 s). What exit does that
    matters still happens: atexit's work (the controller ends its runs and drivers,
    multiprocessing joins its children) and the flush of stdout and stderr."""
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that left (| head): not all was said
            code = code or 1
    os._exit(code)


def _note_entry() -> None:
    """Append this process's pid and arguments to $COREOGRAPHY_ENTRY_LOG: the packaging
    tests count the lines to prove that helper processes never get past freeze_support()."""
    path = os.environ.get("COREOGRAPHY_ENTRY_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(f"{os.getpid()} {sys.argv!r}\n")


if __name__ == "__main__":
    sys.exit(main())
