"""The History dock shows every column without a sideways scroll, long titles elided."""

from __future__ import annotations

from coreography.gui.widgets.history_panel import COLUMNS, HistoryPanel
from coreography.model.history import History
from tests.model.test_history import synthetic_run


def test_every_column_is_in_view_at_a_narrow_dock(qtbot, tmp_path):
    long_title = "pool-map · 4 workers · 200 tasks of cpu:20ms · chunksize auto · " * 3
    with History(tmp_path / "history.sqlite3") as history:
        history.add(synthetic_run(tasks=20, title=long_title))
        history.add(synthetic_run(tasks=20, title="short"))
        panel = HistoryPanel(history)
        qtbot.addWidget(panel)
        panel.resize(420, 300)
        panel.show()
        qtbot.waitExposed(panel)
        tree = panel.tree
        assert tree.horizontalScrollBar().maximum() == 0
        header = tree.header()
        viewport = tree.viewport().width()
        for column in range(1, len(COLUMNS)):
            right = header.sectionViewportPosition(column) + header.sectionSize(column)
            assert right <= viewport + 1, (COLUMNS[column], right, viewport)
            # Each figure column is wide enough for its own text.
            assert header.sectionSize(column) >= tree.sizeHintForColumn(column) - 1
        item = (
            tree.topLevelItem(1)
            if tree.topLevelItem(0).text(0) == "short"
            else tree.topLevelItem(0)
        )
        assert long_title.strip() in item.toolTip(0)
