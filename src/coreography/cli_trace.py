"""``coreography trace``: run the user's own program unmodified and record what it did."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

EXIT_USAGE = 2
EXIT_TIMEOUT = 124
USAGE = (
    "coreography trace [--out FILE] [--timeout S] [--quiet] [--sample-hz HZ] [--state-hz HZ]"
    " (script.py | -m module) [ARGS…]"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coreography trace",
        usage=USAGE,
        description="Run your program exactly as `python script.py ARGS` would (same "
        "output, same exit code) and record its processes, threads and tasks. The summary "
        "goes to stderr at the end.",
    )
    parser.add_argument("--out", type=Path, metavar="FILE", help="write a recording")
    parser.add_argument(
        "--timeout", type=float, default=0, metavar="SECONDS", help="end the program after this"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no summary, only the program")
    parser.add_argument(
        "--sample-hz", type=float, default=10.0, metavar="HZ", help="psutil samples per second"
    )
    parser.add_argument(
        "--state-hz",
        type=float,
        default=50.0,
        metavar="HZ",
        help="thread-state readings per second from the kernel, 1 to 200, 0 for none (default: 50)",
    )
    return parser


def split_command(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """Coreography's options, then the program: ``script.py ARGS`` or ``-m mod ARGS``."""
    argv = list(argv)
    takes_value = {"--out", "--timeout", "--sample-hz", "--state-hz"}
    i = 0
    while i < len(argv):
        token = argv[i]
        if token == "-m":
            return argv[:i], argv[i:]
        if token == "--":
            return argv[:i], argv[i + 1 :]
        if not token.startswith("-"):
            return argv[:i], argv[i:]
        i += 2 if token in takes_value else 1
    return argv, []


def main(argv: Sequence[str]) -> int:
    options, command = split_command(argv)
    args = build_parser().parse_args(options)
    if not command or command == ["-m"]:
        print(f"usage: {USAGE}\ncoreography: error: give a script or -m module", file=sys.stderr)
        return EXIT_USAGE
    if command[0] != "-m" and not Path(command[0]).is_file():
        print(f"coreography: error: {command[0]}: no such file", file=sys.stderr)
        return EXIT_USAGE
    if args.out is not None and not args.out.parent.exists():
        print(f"coreography: error: {args.out.parent}: no such folder", file=sys.stderr)
        return EXIT_USAGE
    from coreography.engine.trace.runner import NoPython, TraceController, program_python
    from coreography.model.thread_states import HZ_RANGE
    from coreography.model.trace_summary import format_summary

    if args.state_hz != 0 and not HZ_RANGE[0] <= args.state_hz <= HZ_RANGE[1]:
        print(
            f"coreography: error: --state-hz: {args.state_hz:g} is not allowed; expected 0 "
            f"or {HZ_RANGE[0]:g} to {HZ_RANGE[1]:g}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        python = program_python()
    except NoPython as exc:
        print(f"coreography: error: {exc}", file=sys.stderr)
        return 1
    controller = TraceController(sample_hz=args.sample_hz, state_hz=args.state_hz)
    # Ctrl-C reaches the program directly when it has the terminal; one that reaches
    # this process instead (no terminal, or typed while the program starts) is passed
    # on, as the terminal would have; a second one, or 2 s without an end, stops it.
    interrupts: list[float] = []
    previous = signal.signal(signal.SIGINT, lambda *_: interrupts.append(time.monotonic()))
    timed_out = False
    try:
        run = controller.start(command, python=python, terminal=_terminal_we_lead())
        deadline = time.monotonic() + args.timeout if args.timeout else None
        handled = 0
        while controller.running:
            controller.poll()
            now = time.monotonic()
            if len(interrupts) > handled:
                handled = len(interrupts)
                controller.interrupt() if handled == 1 else controller.stop()
            elif interrupts and now - interrupts[0] > 2.0:
                controller.stop()
            elif deadline is not None and now > deadline:
                timed_out = True
                controller.stop()
            time.sleep(0.05)
    finally:
        controller.shutdown()
        signal.signal(signal.SIGINT, previous)
    if timed_out:
        run.message = f"ended after --timeout {args.timeout:g} s"
    if not args.quiet:
        sys.stderr.flush()
        print("\n── coreography ──\n" + format_summary(run), file=sys.stderr)
    if args.out is not None:
        from coreography.model.recording import save_run
        from coreography.model.trace_explain import explain

        run.logs.extend(explain(run))
        save_run(run, args.out)
        if not args.quiet:
            print(f"recording written to {args.out}", file=sys.stderr)
    if timed_out:
        return EXIT_TIMEOUT
    code = run.exit_code if run.exit_code is not None else 1
    return 128 - code if code < 0 else code


def _terminal_we_lead() -> int | None:
    """stdin's terminal if this process is in its foreground (the program gets it)."""
    import os

    try:
        fd = sys.stdin.fileno()
        if os.isatty(fd) and os.tcgetpgrp(fd) == os.getpgrp():
            return fd
    except (OSError, ValueError, AttributeError):
        pass
    return None
