"""Presentation mode: full screen, everything larger, only what the class needs to see."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QSizePolicy, QToolBar, QWidget

from coreography.gui.look import SCALE_RANGE
from coreography.gui.parts import DockId
from coreography.gui.settings import DEFAULT_ZOOM

if TYPE_CHECKING:
    from coreography.gui.window import AppWindow

ZOOM_STEP = 1.15
#: Docks a class does not need to see (the teacher drives with the keyboard). The
#: console stays: what the lesson's programs print, and every failure, is for the class.
NON_ESSENTIAL_DOCKS = (
    DockId.EXPERIMENT,
    DockId.LESSONS,
    DockId.HISTORY,
    DockId.FINDINGS,
    DockId.CORES,
)
#: Docks whose width should grow with the scale (their numbers must not be cut off)...
GROWING_DOCKS = {DockId.METRICS: 320}
#: ...up to this share of the window, so that the timeline keeps the most room.
GROWING_SHARE = 0.3
#: The status bar is the class's banner: bold, and this much larger than the rest (which
#: is already the presentation's scale larger).
BANNER_SCALE = 1.0
BOTTOM_PLOT_DOCKS = (DockId.CPU, DockId.CORES)
BOTTOM_PLOT_SHARE = 0.34
CAPTION_SCALE = 1.35  # the caption is larger than everything else


class CaptionLabel(QLabel):
    """The lesson's "what to notice", large, above the timeline; hidden without a lesson."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("caption")
        self.setWordWrap(True)
        self.setAccessibleName("What to notice")
        self.setToolTip("What to notice in this lesson (N: next caption)")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.setMargin(6)
        self.captions: tuple[str, ...] = ()
        self.index = 0
        self.hide()

    def set_captions(self, captions: tuple[str, ...] | list[str]) -> None:
        self.captions = tuple(captions)
        self.index = 0
        self._show_current()

    def next_caption(self) -> None:
        if self.captions:
            self.index = (self.index + 1) % len(self.captions)
            self._show_current()

    def _show_current(self) -> None:
        if not self.captions:
            self.clear()
            self.hide()
            return
        count = len(self.captions)
        prefix = f"{self.index + 1}/{count} · " if count > 1 else ""
        caption = html.escape(self.captions[self.index])  # "<pid>" is text, not markup
        self.setText(f"<b>What to notice:</b> {prefix}{caption}")
        self.show()

    def restyle(self, text: str, background: str, scale: float) -> None:
        """Colors and size for the current theme and scale (a stylesheet: the caption
        stands out from the palette on purpose)."""
        size = self.font().pointSizeF() if self.font().pointSizeF() > 0 else 10.0
        base = getattr(self, "_base_pt", None) or size / max(scale, 0.1)
        self._base_pt = base
        self.setStyleSheet(
            f"QLabel#caption {{ color: {text}; background: {background};"
            f" font-size: {base * scale * CAPTION_SCALE:.1f}pt; }}"
        )


class Presentation(QObject):
    """Turns presentation mode on and off; the look itself is applied by ``apply_look``.

    Parameters
    ----------
    window
        The main window.
    apply_look
        Called with (presenting, scale) whenever either changes.
    """

    sig_mode_changed = Signal(bool)
    """Presentation mode was turned on (True) or off (False)."""
    sig_scale_changed = Signal(float)
    """The presentation scale changed; argument: the new factor."""

    def __init__(self, window: AppWindow, apply_look: Callable[[bool, float], None]) -> None:
        super().__init__(window)
        self.window = window
        self.active = False
        self.scale = DEFAULT_ZOOM
        self._apply_look = apply_look
        self._saved_state = None
        self._saved_corner = Qt.DockWidgetArea.BottomDockWidgetArea
        self._saved_window_state = Qt.WindowState.WindowNoState
        self._hidden: list[QWidget] = []
        # A projector's resolution is often set after the mode is on: the docks follow.
        self._refit = QTimer(self)
        self._refit.setSingleShot(True)
        self._refit.setInterval(0)
        self._refit.timeout.connect(self._on_refit_timeout)
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Resize and self.active:
            self._refit.start()
        return False

    def _on_refit_timeout(self) -> None:
        if self.active:
            self._widen_docks()

    def toggle(self) -> None:
        self.set_active(not self.active)

    def set_active(self, active: bool, full_screen: bool = True) -> None:
        """Enter or leave presentation mode (``full_screen=False`` keeps the window's size,
        for screenshots at a chosen resolution)."""
        if active == self.active:
            return
        window = self.window
        self.active = active
        if active:
            self._saved_state = window.saveState()
            self._saved_window_state = window.windowState()
            self._hide_chrome()
            # The right column (Metrics or the Compare table's place) runs to the bottom
            # edge: at 720 lines its figures need the whole height.
            self._saved_corner = window.corner(Qt.Corner.BottomRightCorner)
            window.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
            if full_screen:
                window.showFullScreen()
            self._widen_docks()
        else:
            window.setCorner(Qt.Corner.BottomRightCorner, self._saved_corner)
            self._restore_chrome()
            if window.isFullScreen():
                window.setWindowState(self._saved_window_state)
                if not self._saved_window_state & (
                    Qt.WindowState.WindowMaximized | Qt.WindowState.WindowFullScreen
                ):
                    window.showNormal()
        self._apply_look(active, self.scale)
        if active:  # again once the full-screen size and the larger fonts are in place
            QTimer.singleShot(0, self._widen_docks)
        self.sig_mode_changed.emit(active)

    def set_scale(self, scale: float) -> None:
        scale = round(min(max(scale, SCALE_RANGE[0]), SCALE_RANGE[1]), 3)
        if scale == self.scale:
            return
        self.scale = scale
        if self.active:
            self._apply_look(True, scale)
            self._widen_docks()
        self.sig_scale_changed.emit(scale)

    def zoom_in(self) -> None:
        self.set_scale(self.scale * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_scale(self.scale / ZOOM_STEP)

    def zoom_reset(self) -> None:
        self.set_scale(DEFAULT_ZOOM)

    def _hide_chrome(self) -> None:
        window = self.window
        chrome: list[QWidget] = [window.menuBar()]
        chrome += window.findChildren(QToolBar)
        chrome += [window.docks[name] for name in NON_ESSENTIAL_DOCKS if name in window.docks]
        self._hidden = [widget for widget in chrome if widget.isVisible()]
        for widget in self._hidden:
            widget.hide()

    def _widen_docks(self) -> None:
        docks = self.window.docks
        growing = [name for name in GROWING_DOCKS if name in docks]
        if growing:
            room = round(self.window.width() * GROWING_SHARE)
            widths = [min(round(GROWING_DOCKS[name] * self.scale), room) for name in growing]
            wide = [docks[name] for name in growing]
            self.window.resizeDocks(wide, widths, Qt.Orientation.Horizontal)
        # The CPU and cores plots keep a share of the height, or their larger fonts
        # leave no room for the curves.
        plots = [docks[name] for name in BOTTOM_PLOT_DOCKS if name in docks]
        plots = [dock for dock in plots if dock.isVisible()]
        if plots:
            height = round(self.window.height() * BOTTOM_PLOT_SHARE)
            self.window.resizeDocks(plots, [height] * len(plots), Qt.Orientation.Vertical)
        # The plot and the console share the bottom row half and half.
        bottom = [docks[name] for name in (*BOTTOM_PLOT_DOCKS, DockId.CONSOLE) if name in docks]
        bottom = [dock for dock in bottom if dock.isVisible()]
        if len(bottom) > 1:
            half = self.window.width() // len(bottom)
            self.window.resizeDocks(bottom, [half] * len(bottom), Qt.Orientation.Horizontal)

    def _restore_chrome(self) -> None:
        for widget in self._hidden:
            widget.show()
        self._hidden = []
        if self._saved_state is not None:
            self.window.restoreState(self._saved_state)
            self._saved_state = None
