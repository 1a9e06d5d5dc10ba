"""A stand-in controller that streams a synthetic run, tick by tick, with no processes."""

from __future__ import annotations

import time

from coreography.model.events import Kind
from coreography.model.experiment import Experiment
from coreography.model.run import Run, Sample
from tests.gui.synthetic import binary_frame, text_frame


class StreamingController:
    """Each ``poll`` finishes ``per_tick`` tasks per worker, prints a line for each and adds
    one CPU sample: a steady live run for soak tests and benchmarks."""

    def __init__(self, workers: int = 4, per_tick: int = 5, tasks: int = 1_000_000) -> None:
        self.workers = workers
        self.per_tick = per_tick
        self.tasks = tasks
        self.run: Run | None = None
        self._next = 0
        self._running = False

    @property
    def running(self) -> bool:
        return self._running

    @property
    def backlog(self) -> int:
        return 0

    def start(self, experiment: Experiment) -> Run:
        experiment = experiment.replace(tasks=self.tasks, workers=self.workers)
        now = time.perf_counter_ns()
        self.run = Run(experiment, cores=2, t0=now)
        self.run.set_driver(100)
        frames = [binary_frame(100, [(Kind.RUN_STARTED, 0, 0, -1, now, self.tasks, 0)])]
        for w in range(self.workers):
            frames.append(binary_frame(200 + w, [(Kind.WORKER_READY, 0, 0, -1, now, 0, 200 + w)]))
        self.run.apply(frames)
        self._next = 0
        self._running = True
        return self.run

    def poll(self, budget: int = 5000) -> bool:
        run = self.run
        if run is None or not self._running:
            return False
        now = time.perf_counter_ns()
        step = 100_000  # 0.1 ms per task, back to back
        frames = []
        for w in range(self.workers):
            rows, texts = [], []
            for k in range(self.per_tick):
                task = self._next
                if task >= self.tasks:
                    break
                self._next += 1
                start = now - (self.per_tick - k) * step
                rows.append((Kind.TASK_STARTED, 0, 0, task, start, 0.0, 0))
                rows.append((Kind.TASK_FINISHED, 0, 0, task, start + step - 1000, 1.0, 0))
                texts.append([int(Kind.STDOUT), 0, task, start, 0.0, f"task {task} on {w}"])
            if rows:
                frames.append(binary_frame(200 + w, rows))
                frames.append(text_frame(200 + w, texts))
        sample = Sample(
            now, [50.0, 75.0], [(200 + w, 90.0, w % 2, 1 << 20) for w in range(self.workers)]
        )
        run.apply(frames, [sample])
        return True

    def stop(self) -> None:
        if self._running and self.run is not None:
            self._running = False
            self.run.finish("stopped", "stopped by the user", time.perf_counter_ns(), {})

    def shutdown(self) -> None:
        self.stop()
