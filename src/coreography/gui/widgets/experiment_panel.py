"""The experiment panel: every option of an Experiment as a control, with Run and Stop."""

from __future__ import annotations

import os

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from coreography.gui import theme
from coreography.model import models
from coreography.model.experiment import (
    DISTRIBUTIONS,
    FAULTS,
    LIMITS,
    TIMED_WORKLOADS,
    WORKLOADS,
    Experiment,
    ExperimentError,
    Fault,
    available_start_methods,
)
from coreography.model.user_code import EXAMPLE

START_METHODS = {
    "fork": "Copy the parent process (fast; Linux only; unsafe with threads)",
    "spawn": "Start a fresh interpreter and import the main module (slow, portable)",
    "forkserver": "Fork from a small clean server process (Python 3.14's Linux default)",
}
DISTRIBUTION_TIPS = {
    "fixed": "Every task the same size",
    "uniform": "Sizes spread evenly between half and one and a half times the size",
    "exponential": "Mostly short tasks, a few long ones",
    "straggler": "All the same, except one task ten times longer",
}
FAULT_TIPS = {
    "none": "No failure",
    "raise": "The task raises an exception",
    "exit": "The worker calls os._exit(3) during the task",
    "kill": "The worker is killed with SIGKILL during the task",
    "segv": "The worker crashes with a segmentation fault during the task",
    "hang": "The task never returns (press Stop)",
}


def _combo(items: dict[str, str] | tuple[str, ...], tips: dict[str, str] | None = None):
    box = QComboBox()
    for key in items:
        box.addItem(key)
        tip = items[key] if isinstance(items, dict) else (tips or {}).get(key, "")
        box.setItemData(box.count() - 1, tip, 3)  # 3: Qt.ToolTipRole
    return box


class ExperimentPanel(QWidget):
    """Edits an :class:`Experiment`; never starts anything itself."""

    sig_run_requested = Signal()
    """The user pressed Run; no arguments (read :meth:`experiment`)."""
    sig_stop_requested = Signal()
    """The user pressed Stop; no arguments."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = _combo(models.descriptions())
        self.model.setToolTip("How the tasks are run: a loop, threads, processes or a pool")
        self.workers = QSpinBox()
        self.workers.setRange(*LIMITS["workers"])
        self.workers.setToolTip("Pool size (ignored by sequential, threads and processes)")
        self.tasks = QSpinBox()
        self.tasks.setRange(*LIMITS["tasks"])
        self.tasks.setGroupSeparatorShown(True)
        self.tasks.setToolTip("How many tasks to run")
        self.workload = _combo(WORKLOADS)
        self.workload.setToolTip("What each task does")
        self.size = QDoubleSpinBox()
        self.size.setRange(*LIMITS["size"])
        self.size.setDecimals(1)
        self.size.setToolTip("Task size: milliseconds for cpu/io/nogil, n for primes")
        self.distribution = _combo(DISTRIBUTIONS, DISTRIBUTION_TIPS)
        self.distribution.setToolTip("How task sizes vary")
        self.chunksize = QSpinBox()
        self.chunksize.setRange(*LIMITS["chunksize"])
        self.chunksize.setSpecialValueText("auto")
        self.chunksize.setToolTip("Tasks sent to a worker at once (auto: the library's choice)")
        self.start_method = _combo({m: START_METHODS.get(m, "") for m in available_start_methods()})
        self.start_method.setToolTip("How worker processes are started")
        self.array_mb = QDoubleSpinBox()
        self.array_mb.setRange(*LIMITS["array_mb"])
        self.array_mb.setDecimals(2)
        self.array_mb.setSuffix(" MB")
        self.array_mb.setToolTip(
            "Size of the array every task gets (pickled-array: a copy with each task; "
            "shared-array: one copy in shared memory)"
        )
        self.scheduler = QLineEdit()
        self.scheduler.setPlaceholderText("(a new LocalCluster)")
        self.scheduler.setToolTip(
            "A cluster model's scheduler, e.g. tcp://127.0.0.1:8786: use that cluster and "
            "leave it running. Empty: the run starts a LocalCluster of Workers processes "
            "and closes it at the end"
        )
        self.threads_per_worker = QSpinBox()
        self.threads_per_worker.setRange(*LIMITS["threads_per_worker"])
        self.threads_per_worker.setToolTip(
            "Threads in each worker of the LocalCluster a Dask model starts (each thread "
            "is a lane, grouped under its worker); a cluster at a scheduler has its own"
        )
        self.seed = QSpinBox()
        self.seed.setRange(*LIMITS["seed"])
        self.seed.setToolTip("Random seed for task sizes (same seed, same sizes)")
        self.fault = _combo(FAULTS, FAULT_TIPS)
        self.fault.setToolTip("Inject a failure to see what it looks like")
        self.fault_task = QSpinBox()
        self.fault_task.setToolTip("Which task fails")
        self.speed = QDoubleSpinBox()
        self.speed.setRange(*LIMITS["speed"])
        self.speed.setSuffix("×")
        self.speed.setToolTip("Slow motion: timed task sizes are multiplied by this")
        self.code = QPlainTextEdit()
        self.code.setPlaceholderText(EXAMPLE)
        self.code.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.code.setMinimumHeight(140)
        self.code.setToolTip(
            "Your task module for the 'custom' workload: define task(x) at "
            "top level (every worker runs this source)"
        )
        self.code_label = QLabel("Task code")
        self.title = QLineEdit()
        self.title.setPlaceholderText("(optional)")
        self.title.setToolTip("A name for this run, saved with recordings")
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {theme.FAILED_COLOR}")
        self.run_button = QPushButton("Run")
        self.run_button.setToolTip("Start the experiment (Space)")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("End the experiment and all its processes (Esc)")
        self.stop_button.setEnabled(False)

        form = QFormLayout()
        for label, widget in (
            ("Model", self.model),
            ("Workers", self.workers),
            ("Tasks", self.tasks),
            ("Workload", self.workload),
            ("Size", self.size),
            ("Distribution", self.distribution),
            ("Chunk size", self.chunksize),
            ("Start method", self.start_method),
            ("Scheduler", self.scheduler),
            ("Threads / worker", self.threads_per_worker),
            ("Array size", self.array_mb),
            ("Seed", self.seed),
            ("Fault", self.fault),
            ("Fault in task", self.fault_task),
            ("Slow motion", self.speed),
            ("Title", self.title),
        ):
            form.addRow(label, widget)
        form.addRow(self.code_label)
        form.addRow(self.code)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.stop_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        layout.addStretch(1)

        for box in (self.model, self.workload, self.fault):
            box.currentTextChanged.connect(self._on_choice_changed)
        self.tasks.valueChanged.connect(self._on_choice_changed)
        self.fault_task.valueChanged.connect(self._on_choice_changed)
        self.code.textChanged.connect(self._on_choice_changed)
        self.scheduler.textChanged.connect(self._on_choice_changed)
        self.run_button.clicked.connect(self.sig_run_requested)
        self.stop_button.clicked.connect(self.sig_stop_requested)
        self.set_experiment(Experiment(workers=min(os.cpu_count() or 2, 4)))

    # -- experiment <-> controls ----------------------------------------------------
    def set_experiment(self, experiment: Experiment) -> None:
        """Show ``experiment``'s settings (e.g. from a recording)."""
        self.model.setCurrentText(experiment.model)
        self.workers.setValue(experiment.workers)
        self.tasks.setValue(experiment.tasks)
        self.workload.setCurrentText(experiment.workload)
        self.size.setValue(experiment.size)
        self.distribution.setCurrentText(experiment.distribution)
        self.chunksize.setValue(experiment.chunksize)
        self.start_method.setCurrentText(experiment.start_method)
        self.array_mb.setValue(experiment.array_mb)
        self.seed.setValue(experiment.seed)
        self.fault.setCurrentText(experiment.fault.kind)
        self.fault_task.setValue(experiment.fault.task)
        self.speed.setValue(experiment.speed)
        self.title.setText(experiment.title)
        self.scheduler.setText(experiment.scheduler)
        self.threads_per_worker.setValue(experiment.threads_per_worker)
        self.code.setPlainText(experiment.code)
        self._on_choice_changed()

    def experiment(self) -> Experiment:
        """The experiment the controls describe (not validated)."""
        return Experiment(
            model=self.model.currentText(),
            workers=self.workers.value(),
            tasks=self.tasks.value(),
            workload=self.workload.currentText(),
            size=self.size.value(),
            distribution=self.distribution.currentText(),
            chunksize=self.chunksize.value(),
            start_method=self.start_method.currentText(),
            seed=self.seed.value(),
            fault=Fault(self.fault.currentText(), self.fault_task.value()),
            speed=self.speed.value(),
            title=self.title.text().strip(),
            code=self.code.toPlainText() if self.workload.currentText() == "custom" else "",
            scheduler=self.scheduler.text().strip() if self._takes_scheduler() else "",
            array_mb=self.array_mb.value(),
            threads_per_worker=(
                self.threads_per_worker.value() if self._takes_threads_per_worker() else 1
            ),
        )

    def _takes_scheduler(self) -> bool:
        record = models.find(self.model.currentText())
        return record is not None and record.cluster

    def _takes_threads_per_worker(self) -> bool:
        """A cluster model on a LocalCluster of the run's own (not at a scheduler)."""
        return self._takes_scheduler() and not self.scheduler.text().strip()

    def show_error(self, error: ExperimentError | None) -> None:
        self.error.setText(str(error) if error else "")

    def set_running(self, running: bool) -> None:
        """Lock the settings while a run is going."""
        for widget in self.findChildren(QWidget):
            if widget not in (self.stop_button, self.error):
                widget.setEnabled(not running)
        self.stop_button.setEnabled(running)
        if not running:
            self._on_choice_changed()

    def _on_choice_changed(self, *_args) -> None:
        model = self.model.currentText()
        record = models.find(model)
        self.workers.setEnabled(record is not None and record.uses_workers)
        self.chunksize.setEnabled(record is not None and record.uses_chunksize)
        self.start_method.setEnabled(record is None or not record.cluster)
        self.scheduler.setEnabled(self._takes_scheduler())
        self.threads_per_worker.setEnabled(self._takes_threads_per_worker())
        self.array_mb.setEnabled(record is not None and record.uses_array)
        self.size.setSuffix(" ms" if self.workload.currentText() in TIMED_WORKLOADS else "")
        self.speed.setEnabled(self.workload.currentText() in TIMED_WORKLOADS)
        custom = self.workload.currentText() == "custom"
        if custom and not self.code.toPlainText().strip():
            self.code.setPlainText(EXAMPLE)  # a working start the user can edit
        self.code.setVisible(custom)
        self.code_label.setVisible(custom)
        cap = record.max_tasks if record is not None else None
        self.tasks.setMaximum(cap if cap is not None else LIMITS["tasks"][1])
        self.fault_task.setRange(0, max(self.tasks.value() - 1, 0))
        self.fault_task.setEnabled(self.fault.currentText() != "none")
        try:
            self.experiment().validate()
        except ExperimentError as error:
            self.show_error(error)
        else:
            missing = record.missing() if record is not None else ""
            self.error.setText(f"{missing[0].upper()}{missing[1:]}" if missing else "")
