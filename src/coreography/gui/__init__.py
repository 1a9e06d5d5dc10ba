"""The Qt window: the only package that imports PySide6 or pyqtgraph.

PySide6 is imported here, before anything else of the window, to make one of its costs
smaller. Once loaded, PySide6 looks at every module imported after it (for its optional
``__feature__`` switches) and asks whether the module's source mentions "PySide6"
through ``inspect.getsource``, which goes through ``linecache`` line by line: about
0.1 ms per module, and the window imports some 400 (numpy, pyqtgraph, its own), some
40 ms of every start. :func:`_read_sources_plainly` asks the same question of the
file's bytes; anything that is not a plain source file is left to PySide6's own check.
"""

from __future__ import annotations

import sys
from types import ModuleType

import PySide6.QtCore  # noqa: F401  (loads PySide6's import hook, made cheaper below)


def _read_sources_plainly() -> None:
    feature = sys.modules.get("shibokensupport.feature")
    own_check = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or own_check is None or hasattr(own_check, "own_check"):
        return  # another PySide6 than the one this was written for, or done already

    def uses_pyside(module: ModuleType) -> bool:
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.endswith(".py"):
            try:
                with open(path, "rb") as source:
                    return b"PySide6" in source.read()
            except OSError:
                pass
        return bool(own_check(module))

    uses_pyside.own_check = own_check  # type: ignore[attr-defined]
    setattr(feature, "_mod_uses_pyside", uses_pyside)  # noqa: B010 (a module's private name)


_read_sources_plainly()
