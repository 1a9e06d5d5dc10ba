"""Pictures of views for slides: PNG (pixels) and SVG (vectors), to files or the clipboard."""

from __future__ import annotations

import atexit
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMimeData, QPoint, QRect, QSize
from PySide6.QtGui import QGuiApplication, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QProgressDialog, QWidget

FORMATS = ("png", "svg")


class ExportError(OSError):
    """A picture could not be written; the message names the file."""


def svg_bytes(widget: QWidget, title: str = "") -> bytes:
    """The widget as it looks now, drawn into an SVG document (text stays text)."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    generator = QSvgGenerator()
    generator.setOutputDevice(buffer)
    size = widget.size()
    generator.setSize(size)
    generator.setViewBox(QRect(0, 0, size.width(), size.height()))
    generator.setTitle(title or widget.accessibleName() or "Coreography")
    generator.setDescription("Exported from Coreography")
    painter = QPainter()
    if not painter.begin(generator):
        raise ExportError("the SVG painter could not start")
    try:
        widget.render(painter, QPoint(0, 0))
    finally:
        painter.end()
    buffer.close()
    return bytes(data.data())


def export_widget(widget: QWidget, path: str | Path, scale: float = 1.0) -> Path:
    """Write ``widget`` to ``path`` as PNG or SVG (by suffix). PNGs may be rendered at
    ``scale`` times the widget's pixels (e.g. 2 for crisp slides).

    Raises
    ------
    ExportError
        Unknown suffix, or the file could not be written.
    """
    path = Path(path)
    kind = path.suffix.lower().lstrip(".")
    if kind not in FORMATS:
        raise ExportError(f"{path}: choose a .png or .svg file name")
    try:
        if kind == "svg":
            path.write_bytes(svg_bytes(widget, path.stem))
            return path
    except OSError as error:
        raise ExportError(f"{path}: {error.strerror or error}") from None
    pixmap = widget.grab()
    if scale != 1.0:
        pixmap = _render_scaled(widget, scale)
    if not pixmap.save(str(path), "PNG"):
        raise ExportError(f"{path}: the picture could not be written")
    return path


def _render_scaled(widget: QWidget, scale: float):
    from PySide6.QtGui import QPixmap

    size = widget.size()
    pixmap = QPixmap(QSize(round(size.width() * scale), round(size.height() * scale)))
    pixmap.setDevicePixelRatio(scale)
    widget.render(pixmap)
    return pixmap


def copy_widget(widget: QWidget) -> None:
    """Put the widget on the clipboard as an image and as SVG (slides take either)."""
    mime = QMimeData()
    mime.setImageData(widget.grab().toImage())
    mime.setData("image/svg+xml", QByteArray(svg_bytes(widget)))
    QGuiApplication.clipboard().setMimeData(mime)
    global _clear_at_exit
    if _clear_at_exit:
        # Qt 6.11 crashes at interpreter exit while the clipboard holds data set from
        # Python (seen under the offscreen platform): take it back before that.
        atexit.register(_release_clipboard)
        _clear_at_exit = False


_clear_at_exit = True


def _release_clipboard() -> None:
    if QGuiApplication.instance() is not None:
        clipboard = QGuiApplication.clipboard()
        if clipboard.ownsClipboard() or QGuiApplication.platformName() == "offscreen":
            clipboard.clear()


def export_many(
    views: Iterable[tuple[str, QWidget]],
    folder: str | Path,
    kinds: tuple[str, ...] = FORMATS,
    parent: QWidget | None = None,
) -> list[Path]:
    """Write every view in every format to ``folder``, with a cancellable progress dialog.

    Returns the files written (fewer if the user cancelled).
    """
    views = list(views)
    folder = Path(folder)
    steps = len(views) * len(kinds)
    progress = QProgressDialog("Exporting views…", "Cancel", 0, steps, parent)
    progress.setWindowTitle("Export")
    progress.setMinimumDuration(300)
    written: list[Path] = []
    try:
        for name, widget in views:
            for kind in kinds:
                if progress.wasCanceled():
                    return written
                progress.setLabelText(f"Exporting {name} ({kind.upper()})…")
                written.append(export_widget(widget, folder / f"{_file_name(name)}.{kind}"))
                progress.setValue(len(written))
    finally:
        progress.close()
        progress.deleteLater()
    return written


def _file_name(name: str) -> str:
    keep = "".join(c if c.isalnum() else "-" for c in name.lower())
    return "-".join(part for part in keep.split("-") if part) or "view"
