"""Series of runs in the window: a lesson's experiments one after another, and sweeps."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QActionGroup

from coreography.model.experiment import Experiment, ExperimentError
from coreography.model.repeats import DEFAULT_REPEATS

if TYPE_CHECKING:  # the engine's series loads with the first series, lessons with theirs
    from coreography.gui.run_series import RunSeries
    from coreography.lessons.registry import Lesson

CHUNKSIZES = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
#: Offered in Run → Repeats per point.
REPEAT_CHOICES = (1, 3, 5)


class SeriesMixin:
    """Lessons and sweeps for :class:`coreography.gui.teaching.TeachingTools` (which
    provides the window, presenter, widgets and :meth:`start`)."""

    # -- repeats ----------------------------------------------------------------------
    @property
    def repeats(self) -> int:
        """Runs of each point of a sweep or multi-run lesson (kept in the settings)."""
        settings = getattr(getattr(self.window, "desktop", None), "settings", None)
        if settings is not None:
            return settings.repeats
        return getattr(self, "_repeats", DEFAULT_REPEATS)

    @repeats.setter
    def repeats(self, value: int) -> None:
        self._repeats = value
        settings = getattr(getattr(self.window, "desktop", None), "settings", None)
        if settings is not None:
            settings.repeats = value
        for action in self.repeat_actions:
            action.setChecked(action.data() == self.repeats)

    def _build_repeats_menu(self, menu) -> None:
        """Run → Repeats per point: 1, 3 or 5 runs of each point (median and range)."""
        sub = menu.addMenu("&Repeats per point")
        sub.setToolTip("Sweeps and lessons that compare runs run each point this many times")
        group = QActionGroup(sub)
        self.repeat_actions: list[QAction] = []
        for count in REPEAT_CHOICES:
            text = f"{count} run" if count == 1 else f"{count} runs (median, min–max)"
            action = QAction(text, sub, checkable=True)
            action.setData(count)
            action.setChecked(count == self.repeats)
            action.triggered.connect(lambda _=False, n=count: setattr(self, "repeats", n))
            group.addAction(action)
            sub.addAction(action)
            self.repeat_actions.append(action)
        sub.aboutToShow.connect(
            lambda: [a.setChecked(a.data() == self.repeats) for a in self.repeat_actions]
        )

    # -- series -------------------------------------------------------------------------
    def run_lesson(self, lesson: Lesson) -> RunSeries | None:
        """Run every experiment of ``lesson`` in turn (a sweep lesson draws its chart);
        a lesson that compares runs repeats each one (:attr:`repeats`)."""
        speed = self.window.experiment_panel.speed.value()  # slow motion stays chosen
        runs = [
            (r.label, r.experiment.replace(speed=speed))
            for r in lesson.experiments(self.lesson_scale)
        ]
        self.lesson = lesson
        kind = "lesson" if lesson.sweep is None else lesson.sweep.field
        return self._run_series(runs, kind, self.repeats if lesson.repeatable else 1)

    def run_lesson_experiment(self, lesson: Lesson, index: int) -> RunSeries | None:
        """Run experiment ``index`` of ``lesson`` alone (PgUp/PgDn in presentation)."""
        chosen = lesson.experiments(self.lesson_scale)[index]
        speed = self.window.experiment_panel.speed.value()
        self.lesson = lesson
        return self._run_series([(chosen.label, chosen.experiment.replace(speed=speed))], "lesson")

    def run_sweep(
        self, field: str, values: list[int], base: Experiment | None = None
    ) -> RunSeries | None:
        """Run ``base`` (default: the panel's experiment) once per value of ``field``."""
        base = base or self.window.experiment_panel.experiment()
        if self.window.needs_review(base):  # someone else's code: seen and agreed first
            self.window.review_code(base, lambda agreed: self.run_sweep(field, values, agreed))
            return None
        runs = [(f"{field} = {v}", base.replace(**{field: v})) for v in values]
        try:
            for _label, experiment in runs:
                experiment.validate()
        except ExperimentError as error:
            self.window.show_error("Cannot sweep this experiment", str(error))
            return None
        self.lesson = None
        return self._run_series(runs, field, self.repeats)

    def _run_series(
        self, runs: list[tuple[str, Experiment]], kind: str, repeats: int = 1
    ) -> RunSeries | None:
        if self.presenter.live or (self.series is not None and not self.series.done):
            self.window.statusBar().showMessage("A run is in progress: stop it first.", 5000)
            return None
        try:
            from coreography.gui.run_series import RunSeries

            series = RunSeries(self.presenter, self.start, runs, self, repeats=repeats)
        except ExperimentError as error:
            self.window.show_error("Cannot run this series", str(error))
            return None
        self.series_kind = kind
        self.series = series
        series.sig_series_progressed.connect(self._on_series_progressed)
        series.sig_series_finished.connect(self._on_series_finished)
        if kind != "lesson":
            self.sweep_chart.set_points(kind, [], self.cores, f"Sweeping {kind}: starting…")
            self.show_tab(self.sweep_chart)
        self.lesson_panel.show_results([], [])
        self.window.metrics.set_baseline(None)
        self._set_series_running(True, series)
        series.begin()
        return series

    def stop_series(self) -> None:
        if self.series is not None and not self.series.done:
            self.series.stop()
        else:
            self.window.stop_run()

    def _set_series_running(self, running: bool, series: RunSeries) -> None:
        done = len(series.points)
        if running:
            message = f"Run {min(done + 1, series.total)} of {series.total}…"
            if series.repeats > 1:
                message += f" (each point {series.repeats} times)"
        else:
            message = f"{'Stopped' if series.stopped else 'Done'}: {done} of {series.total} runs."
        if self.series_kind == "lesson" or self.lesson is not None:
            self.lesson_panel.set_running(running, message)
        if self._sweep_chart is not None or (running and self.series_kind != "lesson"):
            self.sweep_chart.set_running(running and self.series_kind != "lesson")

    def _share_baseline(self, series: RunSeries) -> None:
        """The metrics panel measures the series' runs against its measured baseline."""
        measured = [p for p in series.summary() if p.baseline and not p.baseline.estimated]
        if measured:
            point = measured[0]
            from coreography.model.speedup import work_key

            self.window.metrics.set_baseline(work_key(point.experiment), point.baseline)

    def _on_series_progressed(self, series: RunSeries) -> None:
        self._share_baseline(series)
        if self.lesson is not None:
            self._show_lesson_results(series, verdicts=False)
        if self.series_kind != "lesson":
            field = self.series_kind
            points = [(getattr(p.experiment, field), p.run) for p in series.finished_points()]
            status = f"Sweeping {field}: {len(series.points)} of {series.total} runs over"
            self.sweep_chart.set_points(field, points, self.cores, status)
        self._set_series_running(not series.done, series)

    def _show_lesson_results(self, series: RunSeries, verdicts: bool) -> list:
        summary = series.summary()
        from coreography.lessons.claims import judge
        from coreography.model.diagnosis import diagnose

        entries = [(p, diagnose(p.representative)) for p in summary]
        judged = judge(self.lesson, summary, self.cores) if verdicts and self.lesson else []
        self.lesson_panel.show_results(entries, judged)
        return summary

    def _on_series_finished(self, series: RunSeries) -> None:
        self._set_series_running(False, series)
        summary = (
            self._show_lesson_results(series, verdicts=True) if self.lesson is not None else []
        )
        if self.series_kind != "lesson":
            field = self.series_kind
            points = [(getattr(p.experiment, field), p.run) for p in series.finished_points()]
            ended = "stopped" if series.stopped else "done"
            measured = len({value for value, _run in points})
            planned = series.sweep.points_planned
            status = f"Sweep over {field} {ended}: {measured} of {planned} points measured"
            if series.repeats > 1:
                status += f", {len(points)} of {series.total} runs finished"
            self.sweep_chart.set_points(field, points, self.cores, status)
        elif len(summary) >= 2:
            self.compare_view.set_points(summary)  # every experiment of the lesson
            self.show_tab(self.compare_view)

    def _on_sweep_workers_triggered(self) -> None:
        self.run_sweep("workers", list(range(1, 2 * self.cores + 1)))

    def _on_sweep_chunksize_triggered(self) -> None:
        base = self.window.experiment_panel.experiment()
        if not base.execution_model.uses_chunksize:
            self.window.show_error(
                "Chunk size does not apply",
                f"{base.model} hands out tasks one by one. Choose a Pool map/imap/starmap "
                "model or process-pool to sweep the chunk size.",
            )
            return
        values = [0, *(c for c in CHUNKSIZES if c <= max(base.tasks // base.workers, 1))]
        self.run_sweep("chunksize", values, base)
