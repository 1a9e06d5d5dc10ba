"""The one way the window's parts make menu actions and ask for file paths."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QWidget

Keys = str | QKeySequence | QKeySequence.StandardKey | int


def add_action(
    parent: QWidget,
    menu: QMenu,
    text: str,
    handler: Callable[..., object],
    keys: Keys | Iterable[Keys] = (),
    tip: str = "",
    checkable: bool = False,
) -> QAction:
    """An action in ``menu`` (owned by ``parent``) that calls ``handler`` when triggered.

    Parameters
    ----------
    keys
        One shortcut or several (strings, standard keys or Qt keys).
    tip
        The tooltip; by default the text without its mnemonic and ellipsis.
    """
    action = QAction(text, parent)
    if isinstance(keys, str | QKeySequence | QKeySequence.StandardKey | int):
        keys = [keys]
    sequences = [QKeySequence(key) for key in keys]
    if sequences:
        action.setShortcuts(sequences)
    action.setToolTip(tip or text.replace("&", "").rstrip("…"))
    action.setCheckable(checkable)
    action.triggered.connect(handler)
    menu.addAction(action)
    return action


def ask_path(
    parent: QWidget,
    title: str,
    filter_: str,
    save: bool,
    suffix: str = "",
    accept: tuple[str, ...] = (),
) -> str:
    """Ask for a file to open or save; "" if cancelled.

    A file to save gets ``suffix`` unless its name already ends with it or with one of
    ``accept`` (case-insensitive), e.g. a recording keeps ".json" and ".gz".
    """
    dialog = QFileDialog.getSaveFileName if save else QFileDialog.getOpenFileName
    path, _ = dialog(parent, title, "", filter_)
    endings = tuple(ending.lower() for ending in (suffix, *accept) if ending)
    if path and save and endings and not path.lower().endswith(endings):
        path += suffix
    return path


def ask_folder(parent: QWidget, title: str) -> str:
    """Ask for a folder; "" if cancelled."""
    return QFileDialog.getExistingDirectory(parent, title)
