"""Apply a theme and a scale to a whole window: Qt palette and fonts, every pyqtgraph plot.

Plots are found, not registered: any ``pg.PlotWidget`` under the window (including views
added later) gets the theme's background, axis colors, scaled fonts, legends and pens.
Pens stay cosmetic and non-antialiased: thick antialiased pens cost seconds per frame.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtGui import QColor, QFont, QPen
from PySide6.QtWidgets import QApplication, QStyleFactory, QWidget

from coreography.gui import theme as themes
from coreography.gui.focus_ring import show_focus
from coreography.gui.theme import Theme

#: Widest line any view draws (device pixels, non-antialiased): fast at any size.
MAX_PEN_PX = 3
SCALE_RANGE = (0.8, 3.0)
#: Widget classes a platform theme may give fonts of their own (tabs, dock titles, menus).
CLASS_FONTS = ("QTabBar", "QDockWidget", "QMenuBar", "QMenu", "QHeaderView", "QToolButton")


@runtime_checkable
class FontCaching(Protocol):
    """A custom painted item that measures its text once per font."""

    def forget_font(self) -> None: ...


_BASE = "_coreography_base"  # attribute holding an object's unscaled font / pen / width


def _base(obj: object, current, key: str = _BASE):
    """The value ``obj`` had before any scaling (remembered on first use)."""
    if not hasattr(obj, key):
        setattr(obj, key, current)
    return getattr(obj, key)


def scaled_font(font: QFont, scale: float) -> QFont:
    """``font`` ``scale`` times larger (point or pixel sized alike)."""
    font = QFont(font)
    if font.pointSizeF() > 0:
        font.setPointSizeF(font.pointSizeF() * scale)
    elif font.pixelSize() > 0:
        font.setPixelSize(max(round(font.pixelSize() * scale), 1))
    return font


#: What the application wears now (theme, scale): set on the QApplication.
_APPLIED = "_coreography_look"


def apply_app_look(theme: Theme, scale: float = 1.0) -> None:
    """The application-wide part of the look: the Fusion style, the palette, the fonts and
    the focus ring. Each of the first three makes Qt polish every widget again (tens of ms
    in a built window), so this does nothing when ``theme`` and ``scale`` are already
    worn; called before a window is built, its widgets are polished once, as they are
    made. No application style sheet: it would put every widget under Qt's style sheet
    engine (see :mod:`coreography.gui.focus_ring`)."""
    app = QApplication.instance()
    themes.use(theme)
    if not isinstance(app, QApplication) or getattr(app, _APPLIED, None) == (theme, scale):
        return
    if getattr(app, _APPLIED, None) is None and app.style().name().lower() != "fusion":
        app.setStyle(QStyleFactory.create("Fusion"))  # honours every palette role
    app.setPalette(themes.palette(theme))
    app.setFont(scaled_font(_base(app, QApplication.font()), scale))
    fonts = _base(app, None, "_coreography_class_fonts") or {}
    if not fonts:
        fonts = {name: QApplication.font(name) for name in CLASS_FONTS}
        app._coreography_class_fonts = fonts  # type: ignore[attr-defined]
    for name, font in fonts.items():  # the platform may give these their own fonts
        app.setFont(scaled_font(font, scale), name)
    # Qt posts the change to each window: every widget wears it now, as it is asked.
    for change in (QEvent.Type.ApplicationPaletteChange, QEvent.Type.ApplicationFontChange):
        QCoreApplication.sendPostedEvents(None, change)
    show_focus(app, theme)
    setattr(app, _APPLIED, (theme, scale))


def wear_current_look(widget: QWidget) -> None:
    """A part built after the window was styled (a view made on first use) takes the
    application's present theme and scale (nothing if no look was applied yet)."""
    worn = getattr(QApplication.instance(), _APPLIED, None)
    if worn is not None:
        apply_look(widget, *worn)


def apply_look(window: QWidget, theme: Theme, scale: float = 1.0) -> None:
    """Paint ``window`` and everything in it with ``theme``, fonts and lines × ``scale``."""
    apply_app_look(theme, scale)
    for widget in window.findChildren(QWidget):
        if widget.testAttribute(Qt.WidgetAttribute.WA_SetFont):
            widget.setFont(scaled_font(_base(widget, widget.font()), scale))
    font = QApplication.font()
    plots = window.findChildren(pg.PlotWidget)
    if isinstance(window, pg.PlotWidget):  # a plot made on first use, styled alone
        plots.insert(0, window)
    for plot in plots:
        style_plot(plot, theme, scale, font)
    _scale_painted_widgets(window, scale)
    window.update()


def style_plot(plot: pg.PlotWidget, theme: Theme, scale: float, font: QFont) -> None:
    """Background, axes, legend and curve pens of one plot."""
    plot.setBackground(theme.plot)
    item = plot.getPlotItem()
    text = QColor(theme.text)
    for name in ("left", "bottom", "right", "top"):
        axis = item.getAxis(name)
        axis.setPen(QPen(text, 0))
        axis.setTextPen(text)
        axis.setTickFont(font)
        axis.labelStyle = {**axis.labelStyle, "font-size": f"{font.pointSizeF():.1f}pt"}
        if axis.labelText:
            axis.setLabel(axis.labelText, axis.labelUnits or None, **axis.labelStyle)
        width = _base(axis, axis.fixedWidth)
        if width is not None:
            axis.setWidth(round(width * scale))
    legend = item.legend
    if legend is not None:
        style_legend(legend, theme, font)
    for curve in item.listDataItems():
        curve.setPen(scaled_pen(curve, theme, scale))
    for child in item.items:  # custom painted items cache their font's metrics
        if isinstance(child, FontCaching):
            child.forget_font()
        child.update()


def style_legend(legend: pg.LegendItem, theme: Theme, font: QFont) -> None:
    fill = QColor(theme.plot)
    fill.setAlpha(220)
    legend.setBrush(fill)
    legend.setPen(QPen(QColor(theme.muted), 0))
    legend.setLabelTextColor(QColor(theme.text))
    legend.setLabelTextSize(f"{font.pointSizeF():.1f}pt")
    for _sample, label in legend.items:
        label.setText(label.text)  # re-render with the new size and color


def scaled_pen(curve: pg.PlotDataItem, theme: Theme, scale: float) -> QPen:
    """The curve's own pen, thicker by ``scale`` (and the theme's line scale), at most
    MAX_PEN_PX; black ink becomes the theme's text color so it shows on dark backgrounds."""
    base = QPen(_base(curve, pg.mkPen(curve.opts["pen"])))
    if base.color().name().upper() in (themes.BLACK, "#202020"):
        base.setColor(QColor(theme.text))
    width = max(base.widthF(), 1.0) * scale * theme.line_scale
    base.setWidth(min(max(round(width), 1), MAX_PEN_PX))
    base.setCosmetic(True)
    return base


def _scale_painted_widgets(window: QWidget, scale: float) -> None:
    """Widgets that paint bars of a fixed height in pixels (ROW) grow with the fonts."""
    for widget in window.findChildren(QWidget):
        row = getattr(type(widget), "ROW", None)
        if isinstance(row, int):
            widget.ROW = max(round(row * scale), 1)
            widget.updateGeometry()
            widget.update()
