"""Render the app icon (resources/icons/coreography.svg) to the PNG sizes installers need.

Usage: python packaging/render-icons.py OUT_DIR  → OUT_DIR/coreography-<size>.png, and
the recording (MIME type) icon as OUT_DIR/recording/coreography-recording-<size>.png
PNGs are build outputs, not committed: the SVG is the one source.
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # build machines have no display

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

SIZES = (16, 24, 32, 48, 64, 128, 256, 512)  # hicolor sizes; 256 also feeds .ico/.icns
ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
SOURCE = ICONS / "coreography.svg"
RECORDING = ICONS / "coreography-recording.svg"


def render(out_dir: Path, source: Path = SOURCE) -> None:
    renderer = QSvgRenderer(str(source))
    if not renderer.isValid():
        sys.exit(f"render-icons: {source} is not a valid SVG")
    out_dir.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        path = out_dir / f"{source.stem}-{size}.png"
        if not image.save(str(path)):
            sys.exit(f"render-icons: cannot write {path}")


if __name__ == "__main__":
    app = QGuiApplication([])
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "build/icons")
    render(out)
    render(out / "recording", RECORDING)
