"""Pictures of views: PNGs decode, SVGs parse, the clipboard holds both."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import pytest
from PySide6.QtGui import QGuiApplication, QImage

from coreography.gui import export
from coreography.gui.desktop_menus import all_views, current_view


def test_png_and_svg_of_a_plot_are_valid(qtbot, window, tmp_path):
    window.resize(1280, 720)
    png = export.export_widget(window.cpu_view, tmp_path / "cpu.png")
    image = QImage(str(png))
    assert not image.isNull() and image.width() == window.cpu_view.width()
    svg = export.export_widget(window.timeline, tmp_path / "timeline.svg")
    root = ElementTree.parse(svg).getroot()
    assert root.tag.endswith("svg")
    assert "Coreography" in svg.read_text() or root.find(".//{*}title") is not None
    double = export.export_widget(window.timeline, tmp_path / "big.png", scale=2.0)
    assert QImage(str(double)).width() == 2 * window.timeline.width()


def test_bad_names_are_refused(tmp_path, window):
    with pytest.raises(export.ExportError):
        export.export_widget(window.timeline, tmp_path / "picture.gif")
    with pytest.raises(export.ExportError):
        export.export_widget(window.timeline, tmp_path / "missing" / "x.svg")


def test_copy_puts_an_image_and_svg_on_the_clipboard(qtbot, window):
    export.copy_widget(current_view(window))
    mime = QGuiApplication.clipboard().mimeData()
    assert mime.hasImage()
    assert ElementTree.fromstring(bytes(mime.data("image/svg+xml"))).tag.endswith("svg")


def test_every_view_is_written_in_both_formats(qtbot, window, tmp_path):
    views = all_views(window)
    assert len(views) >= 4
    written = export.export_many(views, tmp_path, parent=window)
    assert len(written) == 2 * len(views)
    for path in written:
        if path.suffix == ".png":
            assert not QImage(str(path)).isNull()
        else:
            ElementTree.parse(path)
