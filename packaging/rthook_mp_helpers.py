# Runtime hook: freeze_support() also recognises multiprocessing's helper processes
# (resource tracker, forkserver) whatever interpreter flags precede "-c".
#
# A frozen app has no interpreter, so multiprocessing starts these helpers as
# `<app> <interpreter flags> -c "from multiprocessing.... import main; main(...)"`.
# PyInstaller's own hook only recognises them when the flags equal those the child
# would compute itself; Coreography adds a -W option (sys.warnoptions, to quiet the
# tracker), so the check failed and the tracker ran the whole app instead: a second,
# hidden window per session, never exiting. The packaging tests count app entries.
#
# It wraps PyInstaller's freeze_support (the spec orders this hook after PyInstaller's)
# rather than running the helper right here: the forkserver must run from the app's
# __main__, which is what its workers compare with their own main module.
import multiprocessing
import multiprocessing.spawn
import sys


def _run_helper() -> None:
    if "-c" not in sys.argv[1:]:
        return
    at = sys.argv.index("-c")
    flags = sys.argv[1:at]
    command = sys.argv[at + 1] if at + 1 < len(sys.argv) else ""
    helpers = (
        "from multiprocessing.resource_tracker import main",
        "from multiprocessing.forkserver import main",
        "import sys; from multiprocessing.forkserver import main",
    )
    if not command.startswith(helpers) or not all(f.startswith("-") for f in flags):
        return
    import warnings

    for flag in flags:  # the bootloader ignores -W: apply it as the interpreter would
        if flag.startswith("-W") and len(flag) > 2:
            try:
                warnings._setoption(flag[2:])
            except Exception:
                pass
    exec(command)
    sys.exit()


_pyinstaller_freeze_support = multiprocessing.freeze_support


def _freeze_support() -> None:
    _run_helper()
    _pyinstaller_freeze_support()


multiprocessing.freeze_support = multiprocessing.spawn.freeze_support = _freeze_support
