"""Desktop conventions around the main window: themes, presentation, pause/scrub, settings,
help, picture export, title and the unsaved-run prompt, around an :class:`AppWindow`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QByteArray, QObject, QSize, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication, QMessageBox, QVBoxLayout, QWidget

from coreography.assets import asset
from coreography.gui import theme as themes
from coreography.gui.accessibility import name_controls
from coreography.gui.desktop_menus import add_menus
from coreography.gui.legend import TimelineLegend
from coreography.gui.look import apply_app_look, apply_look
from coreography.gui.playback import PlaybackBar, ViewFreezer
from coreography.gui.presentation import BANNER_SCALE, CaptionLabel, Presentation
from coreography.gui.scripts import ScriptTools
from coreography.gui.settings import Settings
from coreography.gui.state_rate import StateRate
from coreography.gui.widgets.python_highlighter import PythonHighlighter
from coreography.gui.window import AppWindow

#: Answers of the unsaved-run prompt.
SAVE, DISCARD, CANCEL = "save", "discard", "cancel"


def app_icon() -> QIcon:
    """The application icon, rendered from the bundled SVG."""
    # QSvgRenderer draws each size crisply and needs no image-format plugin (a frozen
    # app ships none).
    renderer = QSvgRenderer(QByteArray(asset("icons", "coreography.svg").read_bytes()))
    icon = QIcon()
    for size in (16, 24, 32, 48, 64, 128, 256):
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        renderer.render(painter)
        painter.end()
        icon.addPixmap(pixmap)
    return icon


class Desktop(QObject):
    """Owns the look (theme × scale) and the conventions; see module docstring.

    ``ask_unsaved`` decides what closing with an unsaved finished run does: it returns
    SAVE, DISCARD or CANCEL. None (the default, and in tests) closes without asking.
    ``lesson_scale`` is the scale lessons are loaded at ("full", or "tiny" in tests).
    ``defer`` leaves the window's icon and its controls' accessible names for
    :meth:`complete` (the app calls it once the window is on screen).
    """

    sig_lesson_loaded = Signal(object)
    """A lesson was loaded into the panel (its captions shown); argument: the Lesson."""
    sig_lesson_closed = Signal()
    """The lesson's captions were taken down (a run or recording not of the lesson)."""

    def __init__(self, window: AppWindow, lesson_scale: str = "full", defer: bool = False) -> None:
        super().__init__(window)
        self.window = window
        self.deferred = defer
        self.completed = False
        self.settings: Settings | None = None
        self.ask_unsaved: Callable[[], str] | None = None
        self.theme_choice = "system"  # presentation mode keeps it: the teacher chose it
        self.unsaved_run = None
        self.recording_name = ""
        self.presentation = Presentation(window, self._on_presentation_look)
        self.caption = CaptionLabel()
        self.legend = TimelineLegend()
        self.playback = PlaybackBar()
        self.freezer = ViewFreezer(window.presenter, window.timeline, window.cpu_view)
        self.lesson_scale = lesson_scale
        #: The lesson whose captions are shown (runs of other experiments close it).
        self.lesson = None
        self.default_state = None
        self.lessons_dialog = None  # the open Help → Lessons dialog, if any
        self.finished = False
        self._wrap_central()
        self.actions = add_menus(self)
        # your own script, recent files, drag and drop
        self.scripts = ScriptTools(window)
        # Run → Thread states: how often runs read each lane's state from the kernel
        self.state_rate = StateRate(window)
        if not defer:
            self.complete()
        window.resize(default_size(window).boundedTo(window.size()))
        self._connect()
        # The application's part now, before the other parts build their widgets (each
        # is polished once, as it is made); the whole look once they are all there.
        apply_app_look(self.current_theme())
        self._look: tuple[object, ...] = ()

    def finish(self) -> None:
        """Once every part has added its docks and menus (the composition root calls
        this): remember the default layout, let every shortcut work without the menu
        bar, name every control, style every plot. Idempotent."""
        if self.finished:
            return
        self.finished = True
        window = self.window
        self.default_state = window.saveState()  # "Reset layout" goes back to this
        for action in window.findChildren(QAction):
            if action.shortcuts() and action not in window.actions():
                window.addAction(action)
        self.scripts.finish()
        if not self.deferred:
            name_controls(window)
        self.apply_look()

    def complete(self) -> None:
        """What the first paint does without: the window's icon (an SVG drawn at seven
        sizes) and, once every part is built, every control's accessible name (a walk
        over all the window's widgets): about 10 ms. Idempotent."""
        if self.completed:
            return
        self.completed = True
        self.window.setWindowIcon(app_icon())
        if self.deferred:
            name_controls(self.window)

    # -- assembly -----------------------------------------------------------------------
    def _wrap_central(self) -> None:
        window = self.window
        central = window.takeCentralWidget()
        container = QWidget()
        container.setObjectName("central")
        layout = QVBoxLayout(container)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.caption)
        layout.addWidget(central, 1)
        layout.addWidget(self.legend)
        layout.addWidget(self.playback)
        window.setCentralWidget(container)

    def _connect(self) -> None:
        presenter, window = self.window.presenter, self.window
        presenter.sig_run_started.connect(self._on_presenter_run_started)
        presenter.sig_run_ended.connect(self._on_presenter_run_ended)
        presenter.sig_pause_changed.connect(self._on_presenter_pause_changed)
        window.sig_file_written.connect(self._on_window_file_written)
        window.sig_recording_opened.connect(self._on_window_recording_opened)
        self.playback.sig_pause_toggled.connect(self._on_playback_pause_toggled)
        self.playback.sig_scrub_moved.connect(self._on_playback_scrub_moved)
        self.playback.sig_speed_chosen.connect(self._on_playback_speed_chosen)
        window.experiment_panel.speed.valueChanged.connect(self.playback.show_speed)
        self.playback.show_speed(window.experiment_panel.speed.value())
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_hints_scheme_changed)

    # -- settings -------------------------------------------------------------------------
    def attach(self, settings: Settings) -> None:
        """Restore what ``settings`` remember, and save there from now on."""
        self.finish()
        self.settings = settings
        self.scripts.recent.attach(settings.store)
        self.state_rate.attach(settings)
        self.theme_choice = settings.theme
        self.presentation.scale = settings.zoom
        geometry, state = settings.window_geometry(), settings.window_state()
        if geometry is not None:
            self.window.restoreGeometry(geometry)
        if state is not None:
            self.window.restoreState(state)
            self.window.docks_fitted = True  # the user's own layout stays as it was
        experiment = settings.last_experiment()
        if experiment is not None:
            self.window.experiment_panel.set_experiment(experiment)
            self.window.code_from_file = settings.code_from_file
        if settings.set_aside is not None:
            message = f"The settings were damaged and start afresh; a copy: {settings.set_aside}"
            self.window.statusBar().showMessage(message, 60_000)
        if self._look != self._look_key():  # the settings chose another look
            self.apply_look()

    def save(self) -> None:
        settings = self.settings
        if settings is None:
            return
        if self.presentation.active:
            self.presentation.set_active(False)
        settings.theme = self.theme_choice
        settings.zoom = self.presentation.scale
        settings.save_window(self.window.saveGeometry(), self.window.saveState())
        settings.save_experiment(self.window.experiment_panel.experiment())
        settings.code_from_file = self.window.code_from_file
        settings.sync()

    def reset_layout(self) -> None:
        """Docks back where they start, every one visible, the default size."""
        if self.presentation.active:
            self.presentation.set_active(False)
        window = self.window
        self.finish()
        window.restoreState(self.default_state)
        for dock in window.docks.values():
            dock.show()
        window.showNormal()
        window.resize(default_size(window))
        window.fit_docks()
        if self.settings is not None:
            self.settings.forget_window()

    # -- look -----------------------------------------------------------------------------
    def current_theme(self) -> themes.Theme:
        return themes.resolve(self.theme_choice)

    def set_theme(self, choice: str) -> None:
        """Use ``choice`` ("system", "light", "dark", "high-contrast"), in presentation
        mode as well."""
        self.theme_choice = choice
        self.apply_look()

    def cycle_theme(self) -> None:
        """The next theme (light → dark → high contrast → light): T, with no menu bar."""
        names = list(themes.THEMES)
        current = self.current_theme().name
        self.set_theme(names[(names.index(current) + 1) % len(names)])
        self.window.statusBar().showMessage(f"Theme: {self.current_theme().title}", 4000)

    def _look_key(self) -> tuple[object, ...]:
        presenting = self.presentation.active
        scale = self.presentation.scale if presenting else 1.0
        return (self.theme_choice, self.current_theme(), scale, presenting)

    def apply_look(self) -> None:
        presenting = self.presentation.active
        scale = self.presentation.scale if presenting else 1.0
        theme = self.current_theme()
        self._look = self._look_key()
        apply_look(self.window, theme, scale)
        self.caption.restyle(theme.text, theme.track, scale)
        self.legend.updateGeometry()
        self.actions.sync_theme(self.theme_choice)
        bar = self.window.statusBar()
        # In presentation the status bar is the class's banner: larger and bold.
        size = QApplication.font().pointSizeF() * BANNER_SCALE
        bar.setStyleSheet(
            f"QStatusBar, QStatusBar QLabel {{ font-size: {size:.1f}pt; font-weight: bold; }}"
            if presenting
            else ""
        )
        for highlighter in self.window.findChildren(PythonHighlighter):
            highlighter.restyle()
        self.window.console.restyle()
        self.window.console.set_wrap(presenting)
        self.window.status.set_compact(presenting)

    def _on_presentation_look(self, active: bool, scale: float) -> None:
        self.apply_look()
        self.actions.presentation.setChecked(active)

    def follow_system_scheme(self) -> None:
        """The system's colour scheme changed: restyle if a theme follows it."""
        if self.theme_choice == "system":
            self.apply_look()

    def _on_hints_scheme_changed(self, _scheme) -> None:
        self.follow_system_scheme()

    # -- lessons and captions ---------------------------------------------------------------
    def load_lesson(self, lesson) -> None:
        """Show ``lesson``'s first experiment in the panel and its captions above the
        timeline; ``sig_lesson_loaded`` tells the rest (e.g. the lessons dock)."""
        runs = lesson.experiments(scale=self.lesson_scale)
        if runs:
            self.window.experiment_panel.set_experiment(runs[0].experiment)
        self.show_captions(lesson)
        self.window.statusBar().showMessage(f"Lesson {lesson.number}: {lesson.title}", 8000)
        self.sig_lesson_loaded.emit(lesson)

    def show_captions(self, lesson) -> None:
        """Show what to notice in ``lesson`` above the timeline."""
        self.lesson = lesson
        self.caption.set_captions(lesson.captions)

    def close_lesson(self) -> None:
        """Take the lesson's captions down: what is shown is not the lesson's."""
        if self.lesson is None and not self.caption.captions:
            return
        self.lesson = None
        self.caption.set_captions(())
        self.sig_lesson_closed.emit()

    def belongs_to_lesson(self, experiment) -> bool:
        """Whether ``experiment`` is one of the open lesson's (slow motion aside)."""
        if self.lesson is None:
            return False
        ours = {
            run.experiment.replace(speed=1.0) for run in self.lesson.experiments(self.lesson_scale)
        }
        return experiment.replace(speed=1.0) in ours

    # -- pause and scrub ----------------------------------------------------------------------
    def toggle_pause(self) -> None:
        self.playback.pause.toggle()

    def _on_playback_pause_toggled(self, paused: bool) -> None:
        if paused and self.window.presenter.run is not None:
            self.playback.set_paused(True, self.freezer.pause())
        else:
            self.freezer.resume()
            self.playback.set_paused(False)

    def _on_presenter_pause_changed(self, paused: bool) -> None:
        if not paused:  # e.g. a new run resumed the views: the bar says so
            self.playback.set_paused(False)

    def _on_playback_scrub_moved(self, fraction: float) -> None:
        self.playback.show_position(self.freezer.scrub(fraction))

    def _on_playback_speed_chosen(self, factor: float) -> None:
        self.window.experiment_panel.speed.setValue(factor)

    # -- runs, files, title -------------------------------------------------------------------
    def _on_presenter_run_started(self, run) -> None:
        if not self.belongs_to_lesson(run.experiment):
            self.close_lesson()  # its captions would describe another program
        self.unsaved_run = None
        if not run.is_over:
            self.recording_name = ""
            self._update_title("new run")

    def _on_presenter_run_ended(self, run) -> None:
        self.unsaved_run = run

    def _on_window_file_written(self, run, path: str) -> None:
        if run is self.unsaved_run:
            self.unsaved_run = None
        if path.endswith((".json", ".gz")) and ".coreo." in Path(path).name:
            self._update_title(Path(path).name)

    def _on_window_recording_opened(self, run, path: str) -> None:
        self.close_lesson()
        self.unsaved_run = None
        self._update_title(Path(path).name)

    def _update_title(self, name: str) -> None:
        self.recording_name = name
        self.window.setWindowTitle(f"{name} — Coreography" if name else "Coreography")

    def confirm_close(self) -> bool:
        """Whether the window may close now (asks about an unsaved finished run)."""
        run = self.unsaved_run
        if run is not None and self.ask_unsaved is not None:
            answer = self.ask_unsaved()
            if answer == CANCEL:
                return False
            if answer == SAVE and not self.window.save_interactively():
                return False
        self.save()
        return True


def default_size(window: QWidget) -> QSize:
    """1440×900, or less on a smaller screen (it fits a 1366×768 laptop)."""
    screen = window.screen()
    if screen is None:
        return QSize(1280, 720)
    room = screen.availableGeometry().size()
    return QSize(min(1440, int(room.width() * 0.95)), min(900, int(room.height() * 0.92)))


def ask_unsaved_dialog(window: QWidget) -> str:
    """The real prompt: Save, Discard or Cancel (blocks; only the running app uses it)."""
    buttons = QMessageBox.StandardButton
    answer = QMessageBox.question(
        window,
        "Save this run?",
        "The last run was not saved or exported. Save it as a recording before closing?",
        buttons.Save | buttons.Discard | buttons.Cancel,
        buttons.Save,
    )
    return {buttons.Save: SAVE, buttons.Discard: DISCARD}.get(answer, CANCEL)
