"""PySide6's look at every imported module is made cheap, with the same answers."""

from __future__ import annotations

import sys

import coreography.gui  # noqa: F401  (installs the cheaper check)


def check():
    return sys.modules["shibokensupport.feature"]._mod_uses_pyside


def test_the_window_package_installs_the_cheaper_check():
    assert hasattr(check(), "own_check")


def test_it_answers_as_pyside6_does_for_every_module_loaded():
    import numpy  # noqa: F401
    import pyqtgraph  # noqa: F401

    import coreography.gui.main_window  # noqa: F401  (hundreds of modules of every kind)

    ours, theirs = check(), check().own_check
    modules = [m for m in list(sys.modules.values()) if m is not None]
    assert len(modules) > 300
    kinds = {"source": 0, "other": 0}
    differ = []
    for module in modules:
        path = getattr(module, "__file__", None)
        kinds["source" if isinstance(path, str) and path.endswith(".py") else "other"] += 1
        if ours(module) != theirs(module):
            differ.append(module.__name__)
    assert not differ
    assert kinds["source"] > 200 and kinds["other"] > 20  # builtins, extensions, namespaces
    # Both ways round: the window's own modules use PySide6, numpy's do not.
    assert ours(sys.modules["coreography.gui.main_window"]) is True
    assert ours(sys.modules["numpy"]) is False
    assert ours(sys) is False


def test_a_module_whose_file_is_gone_is_left_to_pyside6(tmp_path):
    import types

    module = types.ModuleType("gone")
    module.__file__ = str(tmp_path / "gone.py")
    assert check()(module) is check().own_check(module) is False
