"""Synthetic runs for model tests: frames packed with the real protocol, fed to Run.apply."""

from __future__ import annotations

import json

import numpy as np

from coreography.model import wire
from coreography.model.events import RECORDS_PER_FRAME, Kind
from coreography.model.experiment import Experiment
from coreography.model.run import FINISHED, RECORD_DTYPE, Run, Sample

DRIVER = 1000
MS = 1_000_000


class FakeProcess:
    """One experiment process: buffers events and packs them as the probe does."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.sent = 0
        self.events: list[tuple] = []
        self.texts: list[tuple] = []

    def emit(
        self,
        kind: int,
        t: int,
        task: int = -1,
        value: float = 0.0,
        aux: int = 0,
        lane: int = 0,
        flags: int = 0,
    ) -> None:
        self.events.append((int(kind), flags, lane, task, t, value, aux))

    def text(self, kind: int, t: int, text: str, task: int = -1, lane: int = 0) -> None:
        self.texts.append((int(kind), lane, task, t, 0.0, text))

    def frames(self) -> list[bytes]:
        """Everything buffered, as the frames Probe.flush sends (the same codec)."""
        frames, self.sent = wire.encode_frames(self.pid, self.sent, self.events, self.texts)
        self.events, self.texts = [], []
        return frames


def header(pid: int, frame_type: int, sent: int) -> bytes:
    return wire.header(frame_type, pid, sent)


def text_frame(pid: int, items: list, sent: int) -> bytes:
    return wire.text_frame(pid, sent, items)


def experiment(**changes) -> Experiment:
    base = Experiment(
        model="pool-map", workers=2, tasks=6, workload="cpu", size=5.0, start_method="spawn"
    )
    return base.replace(**changes).validate()


def full_run(finish: bool = True) -> Run:
    """A two-worker run with every feature: results in text, a failure, prints, samples.

    Task i runs on worker i % 2 from 10 + 6*(i//2) ms for 5 ms using 4 ms of CPU; task 3
    fails, task 4 returns text, task 5 is still running unless the run is finished.
    """
    t0 = 5_000 * MS
    run = Run(experiment(), cores=2, t0=t0)
    run.set_driver(DRIVER)
    driver = FakeProcess(DRIVER)
    workers = [FakeProcess(2001), FakeProcess(2002)]
    driver.emit(Kind.RUN_STARTED, t0 + 1 * MS, value=6)
    driver.emit(Kind.WORKERS_REQUESTED, t0 + 2 * MS, value=2)
    driver.emit(Kind.TASKS_SUBMITTED, t0 + 8 * MS, task=0, value=6)
    for number, worker in enumerate(workers):
        worker.emit(Kind.WORKER_READY, t0 + (6 + number) * MS, aux=worker.pid)
    for task in range(6):
        worker = workers[task % 2]
        start = t0 + (10 + 6 * (task // 2)) * MS
        worker.emit(Kind.TASK_STARTED, start, task, aux=100 * MS)
        if task == 5 and not finish:
            worker.text(Kind.STDOUT, start + MS, "still going", task)
            continue
        if task == 3:
            worker.text(Kind.TASK_FAILED, start + 5 * MS, "ValueError: bad\nTraceback ...", task)
            continue
        flags, value = (2, float("nan")) if task == 4 else (0, float(task * task))
        worker.emit(Kind.TASK_FINISHED, start + 5 * MS, task, value, 104 * MS, flags=flags)
        if task == 4:
            worker.text(Kind.RESULT, start + 5 * MS, "'sixteen'", task)
        worker.text(Kind.STDOUT, start + 2 * MS, f"Number: {task}", task)
    samples = [
        Sample(
            t0 + k * 10 * MS,
            [50.0 + k, 40.0 - k],
            [(2001, 99.0, 0, 10_000_000), (2002, 98.5, 1, 11_000_000)],
        )
        for k in range(4)
    ]
    run.apply([f for p in (driver, *workers) for f in p.frames()], samples)
    if not finish:
        return run
    for number, worker in enumerate(workers):
        # The second worker says it found Qt loaded (flag 1), which must survive a recording.
        worker.emit(
            Kind.WORKER_DONE, t0 + (30 + number) * MS, value=0.25 + number / 8, flags=number
        )
    driver.emit(Kind.WORKER_EXITED, t0 + 33 * MS, value=0, aux=2001)
    driver.emit(Kind.WORKER_EXITED, t0 + 34 * MS, value=-9, aux=2002)
    driver.text(Kind.LOG, t0 + 35 * MS, "pool closed")
    status = {"state": FINISHED, "message": "done", "result": "[0, 1, 4]"}
    driver.text(Kind.RUN_FINISHED, t0 + 36 * MS, json.dumps(status))
    run.apply([f for p in (driver, *workers) for f in p.frames()])
    produced = {p.pid: p.sent for p in (driver, *workers)}
    run.finish(FINISHED, "", t0 + 40 * MS, produced=produced)
    return run


def big_run(n: int, workers: int = 4, task_ns: int = MS) -> Run:
    """A finished run of ``n`` back-to-back tasks, built with numpy (the probe's byte layout)."""
    t0 = 1_000 * MS
    exp = experiment(tasks=n, workers=workers, size=task_ns / MS)
    run = Run(exp, cores=2, t0=t0)
    run.set_driver(DRIVER)
    frames = [wire.binary_frame(DRIVER, 1, [(Kind.RUN_STARTED, 0, 0, -1, t0 + MS, n, 0)])]
    tasks = np.arange(n)
    slot = tasks // workers
    for w in range(workers):
        mine = tasks[tasks % workers == w]
        rec = np.zeros(2 * len(mine) + 2, RECORD_DTYPE)
        rec[0] = (Kind.WORKER_READY, 0, 0, -1, t0 + 2 * MS, 0.0, 3000 + w)
        starts = t0 + 5 * MS + slot[mine] * task_ns
        rec["kind"][1:-1:2], rec["kind"][2:-1:2] = Kind.TASK_STARTED, Kind.TASK_FINISHED
        rec["task"][1:-1] = np.repeat(mine, 2)
        rec["t"][1:-1:2], rec["t"][2:-1:2] = starts, starts + task_ns - 1000
        rec["aux"][1:-1:2], rec["aux"][2:-1:2] = starts, starts + task_ns // 2
        rec["value"][2:-1:2] = mine.astype(float) ** 2
        end = int(starts[-1]) + task_ns
        rec[-1] = (Kind.WORKER_DONE, 0, 0, -1, end, 0.5 * len(mine) * task_ns / 1e9, 3000 + w)
        for i in range(0, len(rec), RECORDS_PER_FRAME):
            chunk = rec[i : i + RECORDS_PER_FRAME]
            frames.append(wire.records_frame(3000 + w, i + len(chunk), chunk))
    run.apply(frames)
    end = t0 + 10 * MS + int(slot[-1] + 1) * task_ns
    status = json.dumps({"state": FINISHED, "message": "", "result": ""})
    run.apply([text_frame(DRIVER, [[Kind.RUN_FINISHED, 0, -1, end, 0.0, status]], 2)])
    run.finish(FINISHED, "", end + MS, produced=dict(run.received))
    return run


def assert_runs_equal(a: Run, b: Run) -> None:
    """Every recorded field of two runs is the same (listeners and change counters aside)."""
    assert a.experiment == b.experiment
    for name in (
        "cores",
        "t0",
        "n_tasks",
        "state",
        "message",
        "result_text",
        "run_started_ns",
        "run_finished_ns",
        "end_ns",
        "driver_pid",
        "pending_request_ns",
        "requests_by_task",
        "received",
        "reported_sent",
        "produced",
        "bad_frames",
        "n_done",
        "n_failed",
        "n_started",
        "task_text",
        "task_errors",
        "texts",
        "logs",
        "_lane_of",
    ):
        assert getattr(a, name) == getattr(b, name), name
    for name in (
        "task_lane",
        "task_start",
        "task_end",
        "task_submitted",
        "task_status",
        "task_value",
        "task_cpu",
    ):
        left, right = getattr(a, name), getattr(b, name)
        assert left.dtype == right.dtype, name
        np.testing.assert_array_equal(left, right, err_msg=name)
    for name in ("cpu_t", "cpu_percore", "proc_samples"):
        left, right = getattr(a, name).view(), getattr(b, name).view()
        assert left.dtype == right.dtype, name
        np.testing.assert_array_equal(left, right, err_msg=name)
    assert len(a.lanes) == len(b.lanes)
    for left, right in zip(a.lanes, b.lanes, strict=True):
        np.testing.assert_array_equal(left.task_ids(), right.task_ids())
        for name in (
            "index",
            "pid",
            "thread",
            "role",
            "label",
            "number",
            "requested_ns",
            "ready_ns",
            "done_ns",
            "exited_ns",
            "exit_code",
            "native_id",
            "qt_loaded",
        ):
            assert getattr(left, name) == getattr(right, name), (left.index, name)
        assert left.cpu_seconds == right.cpu_seconds or (
            np.isnan(left.cpu_seconds) and np.isnan(right.cpu_seconds)
        )


def thread_run() -> Run:
    """A finished thread-pool run: two threads of the driver ran four tasks."""
    t0 = 7_000 * MS
    run = Run(experiment(model="thread-pool", tasks=4, workload="io", size=10.0), cores=2, t0=t0)
    run.set_driver(DRIVER)
    driver = FakeProcess(DRIVER)
    driver.emit(Kind.RUN_STARTED, t0 + MS, value=4)
    for lane in (1, 2):
        driver.emit(Kind.WORKER_READY, t0 + (1 + lane) * MS, aux=50_000 + lane, lane=lane)
    for task in range(4):
        lane, start = 1 + task % 2, t0 + (5 + 10 * (task // 2)) * MS
        driver.emit(Kind.TASK_STARTED, start, task, aux=0, lane=lane)
        driver.emit(Kind.TASK_FINISHED, start + 10 * MS, task, float(task), MS // 10, lane=lane)
    driver.emit(Kind.WORKER_DONE, t0 + 30 * MS, value=0.125)
    driver.text(Kind.RUN_FINISHED, t0 + 30 * MS, json.dumps({"state": FINISHED}))
    run.apply(driver.frames())
    run.finish(FINISHED, "", t0 + 31 * MS, produced={DRIVER: driver.sent})
    return run
