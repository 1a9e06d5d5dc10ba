"""The window: the run views, their docks, the File/Run/View/Help menus and the commands.

It knows nothing of the desktop or teaching tools: :mod:`main_window` builds them around it.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QGraphicsView,
    QMainWindow,
    QMenu,
    QMessageBox,
    QScrollArea,
    QStyle,
    QTabBar,
    QWidget,
)

from coreography.gui.actions import add_action
from coreography.gui.code_trust import CodeTrustMixin
from coreography.gui.first_paint import after_first_paint
from coreography.gui.parts import DockId, MenuId, RunView
from coreography.gui.presenter import Controller, Presenter
from coreography.gui.run_files import RunFilesMixin
from coreography.gui.settings import DEFAULT_STATE_HZ
from coreography.gui.widgets.console import ConsoleView
from coreography.gui.widgets.cores_view import CoresView
from coreography.gui.widgets.cpu_view import CpuView, show_hosts
from coreography.gui.widgets.experiment_panel import ExperimentPanel
from coreography.gui.widgets.metrics_panel import MetricsPanel
from coreography.gui.widgets.status import RunStatus
from coreography.gui.widgets.timeline import TimelineView
from coreography.model import models
from coreography.model.experiment import Experiment, ExperimentError
from coreography.model.run import Run


def load_ahead() -> None:
    """Import, while the window waits for its first Run, what a run's views and findings
    import when they first need it (the run's figures, its findings, its recording, and
    ``numpy.ma``, which ``numpy.unique`` and ``numpy.median`` load on their first call):
    some 25 ms of one core, otherwise taken from the first frames of the first run."""
    import numpy.ma  # noqa: F401

    import coreography.model.diagnosis
    import coreography.model.metrics
    import coreography.model.recording  # noqa: F401


LEFT = Qt.DockWidgetArea.LeftDockWidgetArea
RIGHT = Qt.DockWidgetArea.RightDockWidgetArea
BOTTOM = Qt.DockWidgetArea.BottomDockWidgetArea
OPEN = QKeySequence.StandardKey.Open
SAVE = QKeySequence.StandardKey.Save


class AppWindow(CodeTrustMixin, RunFilesMixin, QMainWindow):
    """Experiment panel left, timeline in the middle, metrics right, graphs and console below."""

    sig_file_written = Signal(object, str)
    """The run was written to a file (recording, trace or CSV); arguments: Run, path."""
    sig_recording_opened = Signal(object, str)
    """A recording is shown; arguments: Run, path."""

    def __init__(self, controller: Controller | None = None) -> None:
        super().__init__()
        self.setWindowTitle("Coreography")
        self.resize(1440, 900)
        self.presenter = Presenter(controller, self)
        self.experiment_panel = ExperimentPanel()
        self.timeline = TimelineView()
        self.cpu_view = CpuView()
        self.cores_view = CoresView()
        self.console = ConsoleView()
        self.metrics = MetricsPanel()
        self.status = RunStatus()
        self.views: list[RunView] = []
        self._plots: list[QGraphicsView] | None = None  # what paint_now flushes
        self.docks: dict[str, QDockWidget] = {}
        self.menus: dict[str, QMenu] = {}
        self.message_box: QMessageBox | None = None
        #: Thread-state readings per second of the runs started here (0: none); the
        #: desktop keeps the user's choice in the settings.
        self.state_hz = DEFAULT_STATE_HZ
        #: The docks were given sizes for the window's size (or a saved layout restored).
        self.docks_fitted = False
        self._regrow_pending = False  # a regrow of the side docks is queued
        self.setCentralWidget(self.timeline)
        self._add_menus()
        self._add_docks()
        for view in (self.timeline, self.cpu_view, self.cores_view, self.console, self.metrics):
            self.add_view(view)
        self.statusBar().addWidget(self.status, 1)
        self.statusBar().addPermanentWidget(self.status.progress)
        # A passing message takes the run's place rather than being drawn over it.
        self.statusBar().messageChanged.connect(self._on_status_bar_message_changed)

        # The cores view follows the timeline's time range (not pyqtgraph's XLink, which
        # aligns by screen position and docks have different widths).
        self.timeline.view_box.sigXRangeChanged.connect(self._on_timeline_x_range_changed)
        self.experiment_panel.sig_run_requested.connect(self._on_panel_run_requested)
        self.experiment_panel.sig_stop_requested.connect(self._on_panel_stop_requested)
        self.presenter.sig_run_started.connect(self._on_presenter_run_started)
        self.presenter.sig_run_ticked.connect(self._on_presenter_run_ticked)
        self.presenter.sig_run_ended.connect(self._on_presenter_run_ended)
        self.presenter.sig_pause_changed.connect(self._on_presenter_pause_changed)
        # What the timeline paints is what the user sees: the lag is measured there.
        self.timeline.item.sig_painted.connect(self._on_timeline_painted)
        self.status.show_idle()
        # One event-loop turn after the first paint: what that paint queued comes first.
        after_first_paint(self, lambda: QTimer.singleShot(0, self, load_ahead))

    # -- extension points -----------------------------------------------------------
    def add_view(self, view: RunView) -> None:
        """Show every run in ``view`` and refresh it on every tick (unless paused)."""
        self.views.append(view)
        self._plots = None
        if self.presenter.run is not None:
            view.set_run(self.presenter.run)

    def add_dock(
        self,
        dock_id: DockId | str,
        title: str,
        widget: QWidget,
        area: Qt.DockWidgetArea = LEFT,
        beside: DockId | str | None = None,
    ) -> QDockWidget:
        """A closable dock named ``dock_id`` (tabbed with the dock ``beside``, if given),
        with its show/hide toggle in the View menu."""
        neighbour = self.docks.get(str(beside)) if beside is not None else None
        dock = QDockWidget(title, self)
        dock.setObjectName(str(dock_id))
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.addDockWidget(self.dockWidgetArea(neighbour) if neighbour else area, dock)
        if neighbour is not None:
            self.tabifyDockWidget(neighbour, dock)
        toggle = dock.toggleViewAction()
        toggle.setObjectName(f"toggle_{dock_id}")
        toggle.setToolTip(f"Show or hide the {title} dock")
        self.menu(MenuId.VIEW).insertAction(self._dock_toggles_end, toggle)
        self.docks[str(dock_id)] = dock
        return dock

    def dock(self, dock_id: DockId | str) -> QDockWidget:
        return self.docks[str(dock_id)]

    def menu(self, menu_id: MenuId | str) -> QMenu:
        return self.menus[str(menu_id)]

    def add_menu(self, menu_id: MenuId | str, title: str, parent: QMenu | None = None) -> QMenu:
        """A menu named ``menu_id``: a submenu of ``parent``, or a top-level menu placed
        before Help (Help stays last)."""
        menu = QMenu(title, self)
        menu.setObjectName(str(menu_id))
        if parent is not None:
            parent.addMenu(menu)
        else:
            help_menu = self.menus.get(MenuId.HELP)
            bar = self.menuBar()
            if help_menu is None:
                bar.addMenu(menu)
            else:
                bar.insertMenu(help_menu.menuAction(), menu)
        self.menus[str(menu_id)] = menu
        return menu

    # -- assembly -------------------------------------------------------------------
    @staticmethod
    def _scrolling(widget: QWidget) -> QScrollArea:
        """Panels whose height grows with the run (one row per worker) scroll instead of
        stretching the window."""
        scroll = QScrollArea()
        scroll.setWidget(widget)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        return scroll

    def _add_docks(self) -> None:
        self.add_dock(DockId.EXPERIMENT, "Experiment", self._scrolling(self.experiment_panel))
        metrics_scroll = self._scrolling(self.metrics)
        # The figures wrap under their names instead: never a sideways scroll.
        metrics_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        metrics = self.add_dock(DockId.METRICS, "Metrics", metrics_scroll, RIGHT)
        self.resizeDocks([metrics], [320], Qt.Orientation.Horizontal)
        cpu = self.add_dock(DockId.CPU, "CPU per core", self.cpu_view, BOTTOM)
        cores = self.add_dock(DockId.CORES, "Cores", self.cores_view, BOTTOM)
        console = self.add_dock(DockId.CONSOLE, "Console", self.console, BOTTOM)
        self.splitDockWidget(cpu, cores, Qt.Orientation.Horizontal)
        self.splitDockWidget(cores, console, Qt.Orientation.Horizontal)
        self.resizeDocks([cpu], [300], Qt.Orientation.Vertical)

    def _add_menus(self) -> None:
        file_menu = self.add_menu(MenuId.FILE, "&File")
        add_action(self, file_menu, "&Open recording…", self._on_open_triggered, OPEN)
        self.save_action = add_action(
            self, file_menu, "&Save recording…", self._on_save_triggered, SAVE
        )
        export = self.add_menu(MenuId.EXPORT, "&Export", file_menu)
        add_action(self, export, "Perfetto trace…", self._on_export_perfetto_triggered)
        add_action(self, export, "Chrome trace (JSON)…", self._on_export_trace_triggered)
        add_action(self, export, "CSV of tasks…", self._on_export_csv_triggered)
        add_action(self, export, "PNG of the window…", self._on_export_png_triggered)
        file_menu.addSeparator()
        add_action(self, file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        run_menu = self.add_menu(MenuId.RUN, "&Run")
        self.run_action = add_action(self, run_menu, "&Run", self.start_run, Qt.Key.Key_Space)
        self.stop_action = add_action(self, run_menu, "&Stop", self.stop_run, Qt.Key.Key_Escape)
        self.stop_action.setEnabled(False)
        view_menu = self.add_menu(MenuId.VIEW, "&View")
        add_action(self, view_menu, "&Fit timeline", self.timeline.fit_all, "F")
        add_action(self, view_menu, "Zoom to &work", self.timeline.zoom_to_work, "W")
        view_menu.addSeparator()
        # Every dock's toggle goes above this separator, whoever adds the dock.
        self._dock_toggles_end: QAction = view_menu.addSeparator()
        self.add_menu(MenuId.HELP, "&Help")

    # -- commands -------------------------------------------------------------------
    def start_run(self) -> Run | None:
        """Start the experiment the panel shows; a bad setting is shown, not raised."""
        if self.presenter.live:
            return None
        try:
            experiment = self.experiment_panel.experiment()
        except ExperimentError as error:
            return self._refuse(error)
        return self.start_experiment(experiment)

    def start_experiment(self, experiment: Experiment) -> Run | None:
        """Start ``experiment`` (nothing if a run is live); errors are shown, not raised.
        Code from a file that the user has not agreed to run is shown instead."""
        if self.presenter.live:
            return None
        if self.needs_review(experiment):
            self.review_code(experiment)
            return None
        record = models.find(experiment.model)
        missing = record.missing() if record is not None else ""
        if missing:  # an optional extra the model needs: say how to get it
            self.show_error("Cannot start this experiment", f"{missing[0].upper()}{missing[1:]}.")
            return None
        try:
            controller = self.presenter.controller
            if hasattr(controller, "state_hz"):  # the engine's (a test's may have none)
                controller.state_hz = self.state_hz
            return self.presenter.start(experiment)
        except ExperimentError as error:
            return self._refuse(error)
        except (RuntimeError, OSError) as error:  # e.g. no more processes allowed
            self.show_error("Cannot start this experiment", str(error))
            return None

    def _refuse(self, error: ExperimentError) -> None:
        self.experiment_panel.show_error(error)
        self.show_error("Cannot start this experiment", str(error))

    def title_bottom_docks(self, run: Run | None, suffix: str = "") -> None:
        """The CPU and Cores docks say what they show: a cluster run's hosts, from their
        workers' own readings, or this machine's cores."""
        hosts = show_hosts(run)
        self.dock(DockId.CPU).setWindowTitle(("CPU per host" if hosts else "CPU per core") + suffix)
        self.dock(DockId.CORES).setWindowTitle(("Memory per host" if hosts else "Cores") + suffix)

    def stop_run(self) -> None:
        self.presenter.stop()

    def show_finished_run(self, run: Run) -> None:
        """Show a run that is over (a recording or a stored run) in every view."""
        record = models.find(run.experiment.model)
        if record is None or record.choosable:  # a traced program's has no settings here
            self.experiment_panel.set_experiment(run.experiment)
        self.presenter.show_run(run)
        self._on_presenter_run_ended(run)

    def show_error(self, title: str, text: str) -> QMessageBox:
        """A non-blocking message box (``open()``, not ``exec()``): the app keeps running."""
        box = QMessageBox(
            QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.message_box = box
        return box

    # -- menu handlers --------------------------------------------------------------
    def _on_timeline_x_range_changed(self, _view_box, x_range) -> None:
        self.cores_view.plot.setXRange(*x_range, padding=0.0)

    def _on_timeline_painted(self) -> None:
        self.presenter.frame_painted()

    def _on_status_bar_message_changed(self, message: str) -> None:
        self.status.setVisible(not message)

    def _on_panel_run_requested(self) -> None:
        self.start_run()

    def _on_panel_stop_requested(self) -> None:
        self.stop_run()

    # -- presenter handlers ---------------------------------------------------------
    def _on_presenter_run_started(self, run: Run) -> None:
        self._plots = None
        for view in self.views:
            view.set_run(run)
        self.title_bottom_docks(run)
        live = not run.is_over
        self.experiment_panel.set_running(live)
        self.run_action.setEnabled(not live)
        self.stop_action.setEnabled(live)
        self.status.set_run(run)

    def _on_presenter_run_ticked(self, run: Run) -> None:
        # The timeline first, painted at once: what just arrived is on screen before the
        # other views (which redraw a few times a second) spend the tick's time; what
        # they change is painted in a second, smaller pass.
        if not self.presenter.paused:
            self.timeline.refresh()
            self.paint_now()
            self._refresh_views(skip=self.timeline)
        self.status.refresh(self.presenter)  # the run's state stays live, paused or not
        self.paint_now()

    def paint_now(self) -> None:
        """Paint what the tick changed before anything else runs: the plots' scenes work
        out their dirty regions at once (Qt would queue that), then the window paints
        and flushes in one pass, instead of a few event-loop hops later, in two."""
        if not self.isVisible():
            return
        if self._plots is None:  # looked up once per run (docks come and go between runs)
            self._plots = self.findChildren(QGraphicsView)
        try:
            for view in self._plots:
                scene = view.scene()
                if scene is not None and view.isVisible():
                    QCoreApplication.sendPostedEvents(scene, QEvent.Type.MetaCall)
        except RuntimeError:  # a plot was deleted: Qt paints it (or not) as usual
            self._plots = None
        QCoreApplication.sendPostedEvents(self.window(), QEvent.Type.UpdateRequest)

    def _on_presenter_run_ended(self, run: Run) -> None:
        self.experiment_panel.set_running(False)
        self.run_action.setEnabled(True)
        self.stop_action.setEnabled(False)
        if not self.presenter.paused:  # paused views take in the end on resume
            self._finish_views()
        self.status.refresh(self.presenter)

    def _on_presenter_pause_changed(self, paused: bool) -> None:
        run = self.presenter.run
        if paused or run is None:
            return
        self._refresh_views()  # catch up with everything that arrived meanwhile
        if run.is_over and not self.presenter.live:
            self._finish_views()

    def _refresh_views(self, skip: RunView | None = None) -> None:
        """Every view's refresh but ``skip``'s (a tick refreshes and paints the timeline
        first). Each view paces its own redraws while a run is live."""
        for view in self.views:
            if view is not skip:
                view.refresh()

    def _finish_views(self) -> None:
        self.console.refresh(catch_up=True)  # no more ticks: write what is still waiting
        self.metrics.refresh(force=True)
        if self.timeline.follow.isChecked():  # a view the user zoomed into stays put
            self.timeline.fit_all()

    def fit_docks(self) -> None:
        """Dock sizes for the window's present size: the Experiment panel as wide as its
        fields and buttons ask, Metrics 320 px, each at most a quarter of the width; the
        bottom row at most 30 % of the height, so the timeline keeps the most room."""
        sides = [self.docks[str(DockId.EXPERIMENT)], self.docks[str(DockId.METRICS)]]
        self.resizeDocks(sides, list(self._side_widths()), Qt.Orientation.Horizontal)
        bottom = min(300, self.height() * 3 // 10)
        self.resizeDocks([self.docks[str(DockId.CPU)]], [bottom], Qt.Orientation.Vertical)
        # The console reads whole lines ("[Worker 1 · PID …] …"): a third of the row.
        row = [self.docks[str(d)] for d in (DockId.CPU, DockId.CORES, DockId.CONSOLE)]
        third = self.width() // 3
        self.resizeDocks(row, [third, third, third], Qt.Orientation.Horizontal)

    def _side_widths(self) -> tuple[int, int]:
        """What the Experiment and Metrics docks are given: the panel's fields and
        buttons whole, Metrics 320 px, each at most a quarter of the window's width."""
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        quarter = max(self.width() // 4, 200)
        left = min(max(self.experiment_panel.sizeHint().width() + bar + 8, 260), quarter)
        return left, min(320, quarter)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # Made narrower, the window squeezed its side docks; made wider again, it would
        # give all the room to the timeline and leave them squeezed (the panel's fields
        # cut, a sideways scroll bar).
        grew = event.size().width() > event.oldSize().width() > 0
        if self.docks_fitted and grew and not self._regrow_pending:  # once per drag step
            self._regrow_pending = True
            QTimer.singleShot(0, self, self.regrow_side_docks)

    def regrow_side_docks(self) -> None:
        """Give the Experiment and Metrics docks back the width their content asks, as
        far as the window now has room for it: they only grow, and only up to that."""
        self._regrow_pending = False
        if not self.side_docks_follow_size():
            return
        docks, widths = [], []
        for dock_id, want in zip(
            (DockId.EXPERIMENT, DockId.METRICS), self._side_widths(), strict=True
        ):
            dock = self.docks.get(str(dock_id))
            if (
                dock is not None
                and dock.isVisible()
                and not dock.isFloating()
                and dock.width() < want - 4
            ):
                docks.append(dock)
                widths.append(want)
        if docks:
            self.resizeDocks(docks, widths, Qt.Orientation.Horizontal)

    def side_docks_follow_size(self) -> bool:
        """Whether the side docks regrow with the window (a mode that sizes its docks
        itself, as presentation does, says no)."""
        return True

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._hide_stale_tab_bars()
        if not self.docks_fitted:  # once, unless a saved layout was restored
            # Now, before the first paint: the window is first painted with its docks
            # at their sizes, not drawn once more a moment later.
            self.docks_fitted = True
            self.fit_docks()

    def _hide_stale_tab_bars(self) -> None:
        """Hide the dock tab bars Qt made and then left behind as docks were tabbed
        together (a third dock tabbed with two leaves the two's bar where it was, drawn
        over whatever is there now): a bar whose tabs are all in another bar is one."""
        bars = [bar for bar in self.findChildren(QTabBar) if bar.parent() is self]
        tabs = {bar: {bar.tabText(i) for i in range(bar.count())} for bar in bars}
        for bar in bars:
            if bar.isVisibleTo(self) and any(
                tabs[bar] < tabs[other] for other in bars if other is not bar
            ):
                bar.hide()

    def closeEvent(self, event: QCloseEvent) -> None:
        # Closing mid-run ends every experiment process before the window goes.
        self.presenter.shutdown()
        super().closeEvent(event)
