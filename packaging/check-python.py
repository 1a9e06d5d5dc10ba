"""Refuse to build the environment with a Python older than 3.11, with a clear message."""

import sys

if sys.version_info < (3, 11):
    sys.exit(
        f"Coreography needs Python 3.11 or newer; {sys.executable} is "
        f"{sys.version.split()[0]}. Run: make PYTHON=python3.11 run"
    )
