"""Live figures repaint their label without laying the window out again."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMainWindow, QVBoxLayout, QWidget

from coreography.gui.widgets.steady_label import SteadyLabel


class LayoutRequests(QObject):
    """Counts the LayoutRequest events a widget receives."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__()
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:
            self.count += 1
        return False


def _window(qtbot, label: QLabel) -> QMainWindow:
    window = QMainWindow()
    inner = QWidget()
    row = QHBoxLayout()
    row.addWidget(label)
    row.addStretch(1)
    column = QVBoxLayout(inner)
    column.addLayout(row)
    column.addWidget(QLabel("something else"))
    window.setCentralWidget(inner)
    qtbot.addWidget(window)
    window.resize(600, 200)
    window.show()
    qtbot.waitExposed(window)
    return window


def _write(qtbot, label: QLabel, texts: list[str]) -> None:
    for text in texts:
        label.setText(text)
        qtbot.wait(5)  # the posted layout requests are delivered


def test_a_held_label_does_not_lay_the_window_out(qtbot):
    plain, steady = QLabel("0 events"), SteadyLabel("0 events")
    counts = []
    for label in (plain, steady):
        window = _window(qtbot, label)
        if isinstance(label, SteadyLabel):
            label.hold(True)
        qtbot.wait(20)
        requests = LayoutRequests(window)
        _write(qtbot, label, [f"{n:,} events" for n in range(1, 400, 37)])
        counts.append(requests.count)
        window.close()
    assert counts[0] > 5  # a plain label lays the window out at each new text
    assert counts[1] <= 2  # held: only when it had to grow


def test_a_held_label_grows_never_shrinks_and_is_natural_again_when_released(qtbot):
    label = SteadyLabel("9 s")
    window = _window(qtbot, label)
    label.hold(True)
    narrow = label.width()
    label.setText("1,234,567 s")
    qtbot.wait(10)
    wide = label.width()
    assert wide > narrow
    assert label.width() >= label.sizeHint().width()  # the whole text shows
    label.setText("2 s")
    qtbot.wait(10)
    assert label.width() == wide  # no jitter while live
    label.hold(False)
    qtbot.wait(20)
    assert label.width() < wide  # natural again
    assert label.minimumWidth() == 0
    window.close()


def test_a_held_label_follows_a_new_font_and_keeps_its_least_width(qtbot):
    label = SteadyLabel("123 tasks")
    label.set_least_width(150)
    window = _window(qtbot, label)
    label.hold(True)
    assert label.width() >= 150
    label.setText("123,456,789 tasks done of 987,654,321")
    small = label.width()
    font = QFont(label.font())
    font.setPointSizeF(font.pointSizeF() * 2)
    label.setFont(font)  # presentation mode
    qtbot.wait(10)
    assert label.width() > small
    assert label.width() >= label.sizeHint().width()
    window.close()
