"""Themes reach Qt widgets and every pyqtgraph view alike; every control is named."""

from __future__ import annotations

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from coreography.gui import theme
from coreography.gui.accessibility import focusable_controls
from coreography.model.run import Sample
from tests.gui.synthetic import make_run


def _plot_colors(win) -> dict[str, str]:
    cpu = win.cpu_view.plot
    return {
        "timeline background": win.timeline.plot.backgroundBrush().color().name(),
        "cpu background": cpu.backgroundBrush().color().name(),
        "axis": cpu.getAxis("left").pen().color().name(),
        "axis text": cpu.getAxis("left").textPen().color().name(),
    }


def test_switching_theme_recolors_qt_and_pyqtgraph(qtbot, window):
    run = make_run(workers=2, tasks=4)  # a run with CPU samples: the CPU view draws lines
    run.apply([], [Sample(run.t0 + 10**8, [10.0, 30.0], [])])
    window.cpu_view.set_run(run)
    window.desktop.set_theme("light")
    light_palette = QApplication.palette().color(QPalette.ColorRole.Window).name()
    light = _plot_colors(window)
    assert light["timeline background"] == theme.THEMES["light"].plot.lower()

    window.desktop.set_theme("dark")
    dark_palette = QApplication.palette().color(QPalette.ColorRole.Window).name()
    dark = _plot_colors(window)
    assert dark_palette != light_palette
    assert all(dark[key] != light[key] for key in light), (light, dark)
    assert QApplication.palette().color(QPalette.ColorRole.Window).lightness() < 80
    assert theme.THEMES["dark"].plot == theme.BACKGROUND  # what custom painting reads
    # The CPU view's whole-core lines (black ink on light) turn to the theme's text color.
    totals = window.cpu_view.totals
    assert len(totals) == run.cores and all(len(line.yData) == 1 for line in totals)
    for line in totals:
        assert line.opts["pen"].color().name() == theme.THEMES["dark"].text.lower()
    window.desktop.set_theme("light")


def test_high_contrast_draws_thicker_lines_without_antialiasing(qtbot, window):
    window.cpu_view._make_curves(2)
    window.desktop.set_theme("light")
    thin = [curve.opts["pen"].width() for curve in window.cpu_view.plot.listDataItems()]
    window.desktop.set_theme("high-contrast")
    thick = [curve.opts["pen"].width() for curve in window.cpu_view.plot.listDataItems()]
    assert all(b > a for a, b in zip(thin, thick, strict=True))
    for curve in window.cpu_view.plot.listDataItems():
        assert not curve.opts["antialias"]
        assert curve.opts["pen"].width() <= 3
    assert window.desktop.actions.themes["high-contrast"].isChecked()
    window.desktop.set_theme("light")


def test_system_choice_follows_the_scheme_qt_reports(qtbot, window, monkeypatch):
    monkeypatch.setattr(theme, "system_scheme", lambda: "dark")
    window.desktop.set_theme("system")
    assert window.desktop.current_theme().name == "dark"
    monkeypatch.setattr(theme, "system_scheme", lambda: "")
    window.desktop.follow_system_scheme()
    assert window.desktop.current_theme().name == "light"


def test_every_control_has_an_accessible_name_and_a_tooltip(qtbot, window):
    assert window.desktop.finished  # the window is whole once built
    missing = [
        f"{type(w).__name__} {w.objectName()!r}"
        for w in focusable_controls(window)
        if not (w.accessibleName() and w.toolTip())
    ]
    assert not missing, missing


def test_views_have_legends(qtbot, window):
    assert window.desktop.legend.isVisible()
    assert "failed" in window.desktop.legend.toolTip().lower()
    assert window.cpu_view.legend is not None


def test_the_focused_control_wears_a_ring_in_the_themes_highlight(qtbot, window):
    import shiboken6
    from PySide6.QtCore import QRect
    from PySide6.QtWidgets import QDialog, QPushButton, QVBoxLayout

    from coreography.gui.focus_ring import FocusRing, current_ring

    def ring() -> FocusRing:
        shown = current_ring()
        assert shown is not None
        return shown

    window.desktop.set_theme("light")
    window.activateWindow()
    qtbot.waitActive(window)
    button = window.experiment_panel.run_button
    button.setFocus()
    qtbot.waitUntil(lambda: ring().parentWidget() is button and ring().isVisible())
    assert ring().geometry() == QRect(0, 0, button.width(), button.height())  # inside it
    assert ring().color.name() == theme.THEMES["light"].highlight.lower()
    assert ring().line_width == 1
    window.desktop.set_theme("high-contrast")
    assert (ring().color.name(), ring().line_width) == (
        theme.THEMES["high-contrast"].highlight.lower(),
        2,
    )
    window.desktop.set_theme("light")
    window.console.text.setFocus()  # not a control that shows focus: no ring
    qtbot.waitUntil(lambda: not ring().isVisible())

    # A dialog deleted while its control has the ring: the next control has one again.
    dialog = QDialog(window)
    ok = QPushButton("OK", dialog)
    QVBoxLayout(dialog).addWidget(ok)
    dialog.show()
    qtbot.waitActive(dialog)
    ok.setFocus()
    qtbot.waitUntil(lambda: ring().parentWidget() is ok)
    dialog.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(ok))
    window.activateWindow()
    qtbot.waitActive(window)
    button.setFocus()
    qtbot.waitUntil(lambda: ring().parentWidget() is button and ring().isVisible())
