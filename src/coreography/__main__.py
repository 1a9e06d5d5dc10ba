"""Entry point: ``coreography`` opens the window; ``coreography run|export|…`` is the CLI."""

from __future__ import annotations

import multiprocessing
import sys

CLI_COMMANDS = {"run", "export", "summary", "lessons", "-h", "--help", "--version"}


def main(argv: list[str] | None = None) -> int:
    # First thing, before Qt: in a frozen app every worker process re-enters this
    # function, and freeze_support() turns it into the worker it is meant to be.
    multiprocessing.freeze_support()
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in CLI_COMMANDS:
        from coreography.cli import main as cli_main

        return cli_main(args)
    try:
        from coreography.gui.app import main as gui_main
    except ImportError as exc:
        print(f"coreography: the window cannot open: {exc}", file=sys.stderr)
        return 1
    return gui_main(args)


if __name__ == "__main__":
    sys.exit(main())
