"""Start-up hook of every Python process of a traced run (first on its PYTHONPATH)."""

import os
import sys


def _install_probe() -> None:
    settings = os.environ.get("COREOGRAPHY_TRACE")
    if not settings:
        return
    here = os.path.dirname(os.path.abspath(__file__))
    # The probe's own package is imported from where it is installed, without leaving
    # that folder on the program's sys.path.
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(here))))
    added = package_root not in sys.path
    if added:
        sys.path.append(package_root)
    try:
        from coreography.engine.trace import tracer

        tracer.install_from_environment(settings)
    except Exception as exc:  # tracing must never stop the program itself
        if sys.__stderr__ is not None:  # None in a program started without one
            sys.__stderr__.write(f"coreography: tracing is off in PID {os.getpid()}: {exc!r}\n")
    finally:
        if added and package_root in sys.path:
            sys.path.remove(package_root)


def _chain_to_next_sitecustomize() -> None:
    """Run the sitecustomize this one shadows, as Python would have."""
    import importlib.machinery
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    while here in sys.path:
        sys.path.remove(here)
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", sys.path)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules["sitecustomize"] = module
    spec.loader.exec_module(module)


_install_probe()
_chain_to_next_sitecustomize()
