"""Run → Thread states: how often runs started from the window read each lane's thread
state from the kernel (off, or 10 to 100 readings a second), kept in the settings."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QActionGroup

from coreography.gui.parts import MenuId
from coreography.gui.settings import DEFAULT_STATE_HZ, Settings

#: Offered in Run → Thread states (0: not sampled).
STATE_RATE_CHOICES = (0.0, 10.0, 25.0, 50.0, 100.0)
MENU_TIP = (
    "How often each lane's thread is read from the kernel while a run goes: on a CPU, "
    "waiting for a core, blocked on the GIL or a lock, or on I/O. Off: no state strips"
)


def rate_text(hz: float) -> str:
    """The words for a rate in the menu and the status bar."""
    if hz == 0:
        return "Off"
    text = f"{hz:g} readings a second"
    return text + " (default)" if hz == DEFAULT_STATE_HZ else text


class StateRate(QObject):
    """The Run → Thread states choice of ``window`` (an AppWindow): it sets
    ``window.state_hz``, which the window hands to the engine at each start."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.settings: Settings | None = None
        menu = window.menu(MenuId.RUN).addMenu("Thread &states")
        menu.setToolTipsVisible(True)
        menu.menuAction().setToolTip(MENU_TIP)
        self.menu = menu
        group = QActionGroup(menu)
        self.actions: dict[float, QAction] = {}
        for hz in STATE_RATE_CHOICES:
            action = QAction(rate_text(hz), menu, checkable=True)
            action.setData(hz)
            action.setToolTip(MENU_TIP)
            action.triggered.connect(lambda _=False, value=hz: self.set_hz(value))
            group.addAction(action)
            menu.addAction(action)
            self.actions[hz] = action
        menu.aboutToShow.connect(self._sync)
        self._sync()

    @property
    def hz(self) -> float:
        return float(self.window.state_hz)

    def attach(self, settings: Settings) -> None:
        """Use the rate ``settings`` keep, and keep the user's choices there."""
        self.settings = settings
        self.window.state_hz = settings.state_hz
        self._sync()

    def set_hz(self, hz: float) -> None:
        """Runs started from now on read thread states ``hz`` times a second (0: never)."""
        self.window.state_hz = float(hz)
        if self.settings is not None:
            self.settings.state_hz = hz
        self._sync()
        self.window.statusBar().showMessage(
            f"Thread states: {rate_text(hz).lower()} from the next run on", 5000
        )

    def _sync(self) -> None:
        for hz, action in self.actions.items():
            action.setChecked(hz == self.hz)
