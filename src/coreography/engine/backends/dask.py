"""Dask: ``client.map`` + ``gather`` and ``submit`` + ``as_completed`` on a cluster.

The run starts a ``distributed.LocalCluster`` of ``workers`` worker processes of
``threads_per_worker`` threads each (children of the driver, so Stop ends them with the
rest of the tree) and closes it at the end, or connects to the experiment's
``scheduler`` and leaves that cluster running. Each thread of a Dask worker is a lane,
named by the worker's name and address (and the thread's number); what its
tasks do arrives over Dask's event channel (:mod:`coreography.engine.dask_worker`) and is
written to the app's pipe here as that worker's own frames (the frame's pid is the
worker's), so the run model sees it as it sees any worker process.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from coreography.engine.backends import register
from coreography.model import models, wire
from coreography.model.events import Kind

Items = list[tuple[int, Any]]
#: How long the end of a run waits for the workers' last batches.
LAST_BATCHES_S = 3.0
#: A LocalCluster that does not come up in this time is a failure, not a hang.
CLUSTER_START_S = 60.0
CLOSE_S = 10.0
#: How long the start waits for the hellos of the workers that took the plugin.
HELLOS_S = 10.0
SUBSCRIBE_S = 20.0
#: How long to wait for a LocalCluster nanny's words on how its worker process ended.
NANNY_WORDS_S = 2.0

_NANNY_EXIT = re.compile(
    r"Worker process (\d+) (?:was killed by signal (\d+)|exited with status (\d+))"
)


class RunStopped(Exception):
    """Stop (SIGTERM) arrived while the cluster worked: cancel, close, leave."""


@dataclass
class _Worker:
    pid: int
    name: str
    address: str
    host: str
    delay_s: float
    #: Another machine than this one: its clock is moved by Dask's estimate of its offset.
    remote: bool = False
    #: Its host's logical CPUs and physical memory (bytes), as the worker found them.
    cores: int = 0
    memory_total: int = 0
    #: Its lanes: one per thread that runs tasks (announced at its hello, or when a
    #: thread beyond those ran its first task).
    lanes: int = 1
    sent: int = 0
    batches: int = 0
    cpu: float = 0.0
    gone: bool = False


@dataclass
class Forwarder:
    """Turns the workers' batches into frames on the app's pipe, as their own."""

    conn: Any
    write_lock: Any
    #: Scheduler-clock ns + shift = this machine's perf_counter ns.
    shift_ns: int
    #: This machine's wall-clock ns + shift = its perf_counter ns.
    local_shift_ns: int
    log: Callable[[str], None]
    workers: dict[str, _Worker] = field(default_factory=dict)  # address -> worker
    by_pid: dict[int, _Worker] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: The scheduler forwards the run's topic to this client (a ping came back).
    subscribed: threading.Event = field(default_factory=threading.Event)
    #: The hellos of the workers there at the start, kept until all have come
    #: (:meth:`release_hellos`) so that their lanes are made host by host; None after.
    held: list[dict[str, Any]] | None = field(default_factory=list)

    def __call__(self, event: Any) -> None:
        """``subscribe_topic`` handler: ``event`` is ``(time, message)``."""
        try:
            _stamp, message = event
            if "ping" in message:
                self.subscribed.set()
            elif "hello" in message:
                self._hello(message["hello"])
            else:
                self._batch(message)
        except Exception as exc:  # a malformed message must not end the client's loop
            self.log(f"a Dask worker's report could not be read: {type(exc).__name__}: {exc}")

    def _hello(self, hello: dict[str, Any]) -> None:
        with self.lock:
            if self.held is not None:
                self.held.append(hello)
                return
        self._join(hello)

    def release_hellos(self, addresses: set[str], timeout_s: float) -> None:
        """Make the lanes of the workers at ``addresses`` (there when the run began) once
        each has said hello, or ``timeout_s`` is over: grouped by host, then by worker
        name; a worker that joins later gets its lanes when it says hello."""
        deadline = time.monotonic() + timeout_s
        while True:
            with self.lock:
                held = self.held or []
                arrived = {str(hello.get("address")) for hello in held}
                if addresses <= arrived or time.monotonic() > deadline:
                    self.held = None
                    break
            time.sleep(0.01)
        for hello in sorted(held, key=_worker_order):
            self._join(hello)

    def _join(self, hello: dict[str, Any]) -> None:
        worker = _Worker(
            int(hello["pid"]),
            str(hello["name"]),
            str(hello["address"]),
            str(hello["host"]),
            float(hello["delay_s"]),
            remote=str(hello.get("hostname", "")) != socket.gethostname(),
            cores=int(hello.get("cpus") or 0),
            memory_total=int(hello.get("memory_total") or 0),
            lanes=max(int(hello.get("nthreads") or 1), 1),
        )
        with self.lock:
            self.workers[worker.address] = worker
            self.by_pid[worker.pid] = worker
        t = int(hello["t"]) + self.shift(worker)
        # Every thread's lane at once, so that a worker's lanes are neighbours.
        events, texts = [], []
        for lane in range(worker.lanes):
            native = int(hello.get("task_thread", 0)) if lane == 0 else 0
            aux = native if lane else worker.pid  # a thread lane's aux is its native id
            events.append((int(Kind.WORKER_READY), 0, lane, -1, t, 0.0, aux))
            texts.append(self._lane_info(worker, lane, native, t))
        # The lanes' names, hosts and task threads first, in frames of their own: a
        # lane is never seen (by the thread-state sampler above all) as a plain
        # process's, whose main thread would be the one to read.
        self._send(worker, [], texts)
        self._send(worker, events, [])
        where = f"Dask worker {worker.name} at {worker.address} (PID {worker.pid})"
        if worker.remote:
            self.log(
                f"{where} runs on {hello.get('hostname', worker.host)}: its clock is "
                f"{worker.delay_s * 1000:+.3f} ms from the scheduler's, as Dask estimates "
                "it from its heartbeats; its times are moved by that"
            )
        else:
            self.log(f"{where} runs on this machine: one clock, no correction")

    def _lane_info(self, worker: _Worker, lane: int, native: int, t: int) -> tuple[Any, ...]:
        info = {
            "event": "worker",
            "name": worker.name,
            "address": worker.address,
            "host": worker.host,
            "label": lane_label(
                worker.name, worker.address, worker.pid, lane if worker.lanes > 1 else None
            ),
            "native_id": native,
        }
        return (int(Kind.LANE_INFO), lane, -1, t, 0.0, json.dumps(info))

    def shift(self, worker: _Worker) -> int:
        """Worker-clock ns + this = this machine's perf_counter ns."""
        if not worker.remote:
            return self.local_shift_ns
        return self.shift_ns + int(worker.delay_s * 1e9)

    def _batch(self, message: dict[str, Any]) -> None:
        pid = int(message["pid"])
        worker = self.by_pid.get(pid)
        if worker is None:
            return
        worker.delay_s = float(message.get("delay_s", worker.delay_s))
        shift = self.shift(worker)
        events: list[tuple[Any, ...]] = []
        infos: list[tuple[Any, ...]] = []
        for lane, native, seen in message.get("threads", ()):
            lane, native, t = int(lane), int(native), int(seen) + shift
            if lane >= worker.lanes:  # a thread beyond those it started with
                worker.lanes = lane + 1
                events.append((int(Kind.WORKER_READY), 0, lane, -1, t, 0.0, native))
            infos.append(self._lane_info(worker, lane, native, t))
        self._send(worker, [], infos)  # first: see _join
        texts: list[tuple[Any, ...]] = []
        wait = int(Kind.WAIT)
        events += [
            (
                int(kind),
                int(flags),
                int(lane),
                int(task),
                int(t) + shift,
                float(value),
                int(aux) + shift if kind == wait else int(aux),  # a span's end is a time
            )
            for kind, task, t, value, aux, flags, lane in message["records"]
        ]
        texts += [
            (int(kind), int(lane), int(task), int(t) + shift, 0.0, str(text))
            for kind, task, t, text, lane in message["texts"]
        ]
        self._send(worker, events, texts)
        worker.batches = max(worker.batches, int(message["n"]))

    def done(self, worker: _Worker, t: int, cpu_seconds: float = float("nan")) -> None:
        """The worker's lane ends (it left the cluster, or the run is over)."""
        if not worker.gone:
            worker.gone = True
            done = [
                (int(Kind.WORKER_DONE), 0, lane, -1, t, cpu_seconds if lane == 0 else math.nan, 0)
                for lane in range(worker.lanes)
            ]
            self._send(worker, done, [])

    def _send(
        self, worker: _Worker, events: list[tuple[Any, ...]], texts: list[tuple[Any, ...]]
    ) -> None:
        if not (events or texts):
            return
        with self.lock:
            frames, worker.sent = wire.encode_frames(worker.pid, worker.sent, events, texts)
            try:
                if self.write_lock is None:
                    for frame in frames:
                        self.conn.send_bytes(frame)
                else:
                    with self.write_lock:
                        for frame in frames:
                            self.conn.send_bytes(frame)
            except OSError:
                pass  # the app is gone; the driver's parent watch ends the tree


def _worker_order(hello: dict[str, Any]) -> tuple[Any, ...]:
    """Host, then name (numbers in numeric order: worker 2 before worker 10), then
    address."""
    name = str(hello.get("name", ""))
    number = (0, int(name), "") if name.isdigit() else (1, 0, name)
    return (str(hello.get("host", "")), number, str(hello.get("address", "")))


def lane_label(name: str, address: str, pid: int, thread: int | None = None) -> str:
    """``Dask worker 0 · PID 4711`` (by its name), or ``Dask 127.0.0.1:40123 · PID 4711``
    for a worker named by its address; ``… · thread 2`` for its second task thread when
    it has several."""
    if name and name != address:
        label = f"Dask worker {name} · PID {pid}"
    else:
        label = f"Dask {address.split('://', 1)[-1]} · PID {pid}"
    return label if thread is None else f"{label} · thread {thread + 1}"


class _NannyExits(logging.Handler):
    """Reads the LocalCluster nannies' own words on a worker process's end (exit code or
    signal), which the scheduler does not know."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.codes: dict[int, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        match = _NANNY_EXIT.search(record.getMessage())
        if match:
            pid, sig, status = match.groups()
            self.codes[int(pid)] = -int(sig) if sig else int(status)


def _require_distributed(name: str) -> None:
    missing = models.get(name).missing()
    if missing:
        raise RuntimeError(missing)


@contextmanager
def _stop_on_sigterm() -> Iterator[None]:
    """Stop's SIGTERM becomes :class:`RunStopped` in the main thread, so the futures are
    cancelled and a cluster the run started is closed before the driver leaves."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        # One is enough: another SIGTERM while the futures are cancelled and the cluster
        # closed must not interrupt that (it would end the run as failed, not stopped).
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise RunStopped("stopped")

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class Session:
    """One run's cluster, client, plugin and event subscription."""

    def __init__(self, driver: Any) -> None:
        from coreography.engine import dask_worker

        self.driver = driver
        exp = driver.experiment
        self.run_id = uuid.uuid4().hex[:12]
        self.topic = f"coreography-{self.run_id}"
        self.cluster: Any = None
        self.nanny_exits = _NannyExits()
        self.futures: list[Any] = []
        self.lost_reported: set[str] = set()
        driver.requested(-1, float(exp.workers if not exp.scheduler else 0))
        try:
            self._connect()
            self._set_up(dask_worker)
        except BaseException:
            self.close_quietly()
            raise

    def _connect(self) -> None:
        from distributed import Client, LocalCluster

        exp = self.driver.experiment
        if exp.scheduler:
            self.client = Client(exp.scheduler, timeout=10, set_as_default=True)
            return
        logging.getLogger("distributed.nanny").addHandler(self.nanny_exits)
        self.cluster = LocalCluster(
            n_workers=exp.workers,
            threads_per_worker=exp.threads_each,
            processes=True,
            # Its HTTP server on a free port: the default, 8787, may be taken.
            dashboard_address="127.0.0.1:0",
            worker_dashboard_address="127.0.0.1:0",
            scheduler_port=0,
            host="127.0.0.1",
            # Its errors are the run's (a task's traceback, a lost worker), said by the
            # run; the workers' own shutdown chatter is not.
            silence_logs=logging.CRITICAL,
            timeout=CLUSTER_START_S,
        )
        self.client = Client(self.cluster, set_as_default=True)

    def close_quietly(self) -> None:
        """After a failed start: close whatever did start."""
        watch = getattr(self, "host_watch", None)
        if watch is not None:
            watch.stop()
        for part in (getattr(self, "client", None), self.cluster):
            if part is not None:
                try:
                    part.close(timeout=CLOSE_S)
                except Exception:
                    pass

    def _set_up(self, dask_worker: Any) -> None:
        exp = self.driver.experiment
        driver = self.driver
        offset_ns, spread_ns = self._scheduler_offset()
        self.forwarder = Forwarder(
            driver.spec.conn,
            driver.spec.write_lock,
            time.perf_counter_ns() - time.time_ns() - offset_ns,
            time.perf_counter_ns() - time.time_ns(),
            self.log,
        )
        if exp.scheduler and spread_ns:
            self.log(
                f"the scheduler at {exp.scheduler}: its clock is {offset_ns / 1e6:+.3f} ms "
                f"from this machine's (within ±{spread_ns / 1e6:.3f} ms, one round trip); "
                "every worker's times are moved onto this machine's clock"
            )
        self.client.subscribe_topic(self.topic, self.forwarder)
        self.client.subscribe_topic("all", self._cluster_event)
        self._await_subscription()
        config = dask_worker.TaskConfig(
            self.run_id,
            exp.workload,
            driver.worker_spec.calibration,
            driver.worker_spec.fault_kind,
            driver.worker_spec.fault_task,
            driver.worker_spec.code,
        )
        answers = self.client.register_plugin(dask_worker.Observer(config, self.topic))
        # Every worker there now has said hello (its plugin's setup ran); the hellos
        # travel through the scheduler, so wait for them before making the lanes.
        there = set(answers) if isinstance(answers, dict) else set()
        self.forwarder.release_hellos(there, HELLOS_S)
        from coreography.engine.dask_hosts import HostWatch

        self.host_watch = HostWatch(self.client, self.forwarder, driver.probe)
        self.host_watch.start()
        self.flush_fn = dask_worker.flush
        self.keys = dask_worker.task_keys
        self.task_fn = dask_worker.run_task

    def _await_subscription(self) -> None:
        """A subscription travels on the client's stream, a plugin's registration as a
        call of its own that may overtake it: the workers' first words would be lost.
        So ping the topic until the ping comes back."""
        deadline = time.monotonic() + SUBSCRIBE_S
        while not self.forwarder.subscribed.is_set():
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"the Dask scheduler did not forward events in {SUBSCRIBE_S:g} s"
                )
            self.client.log_event(self.topic, {"ping": 1})
            self.forwarder.subscribed.wait(0.2)

    def log(self, text: str) -> None:
        self.driver.probe.text(Kind.LOG, 0, -1, text)

    def _scheduler_offset(self) -> tuple[int, int]:
        """The scheduler's clock minus this machine's, ns, and the uncertainty: 0 for a
        scheduler in this process; else the best of three round trips."""
        if self.cluster is not None:
            return 0, 0
        if self.client.run_on_scheduler(socket.gethostname) == socket.gethostname():
            return 0, 0  # the same machine: one clock
        best: tuple[int, int] | None = None
        for _ in range(3):
            before = time.time_ns()
            theirs = int(self.client.run_on_scheduler(time.time_ns))
            after = time.time_ns()
            sample = (after - before, theirs - (before + after) // 2)
            best = sample if best is None or sample < best else best
        assert best is not None
        return best[1], best[0] // 2

    def _cluster_event(self, event: Any) -> None:
        """The scheduler's own log: a worker that left while it ran tasks of this run."""
        try:
            _stamp, message = event
            if message.get("action") != "remove-worker":
                return
            self._worker_lost(str(message.get("worker", "")), message)
        except Exception as exc:
            self.log(f"a Dask scheduler event could not be read: {type(exc).__name__}: {exc}")

    def _worker_lost(self, address: str, message: dict[str, Any]) -> None:
        worker = self.forwarder.workers.get(address)
        if worker is None or address in self.lost_reported:
            return
        self.lost_reported.add(address)
        prefix = f"coreography-{self.run_id}-"
        mine = sorted(
            int(key[len(prefix) :])
            for key in message.get("processing-tasks", ())
            if isinstance(key, str) and key.startswith(prefix)
        )
        now = time.perf_counter_ns()
        if message.get("expected") and not mine:
            self.forwarder.done(worker, now)
            return
        if self.cluster is None:
            self._say_lost(worker, mine, now, None)
            return
        # A LocalCluster's nanny says how its process ended, from this same event loop:
        # wait for its words in another thread.
        threading.Thread(
            target=self._say_lost, args=(worker, mine, now, NANNY_WORDS_S), daemon=True
        ).start()

    def _say_lost(self, worker: _Worker, mine: list[int], now: int, wait_s: float | None) -> None:
        code = None
        deadline = time.monotonic() + (wait_s or 0.0)
        while True:
            code = self.nanny_exits.codes.get(worker.pid)
            if code is not None or time.monotonic() >= deadline:
                break
            time.sleep(0.01)
        if code is not None:
            self.driver.probe.emit(Kind.WORKER_EXITED, 0, -1, float(code), worker.pid, t=now)
            self.driver.probe.flush()
            how = _describe_code(code)
            # Its lanes (every thread's) end at its death, not when the run closes.
            self.forwarder.done(worker, now)
        else:
            self.forwarder.done(worker, now)
            how = "its connection to the scheduler was lost"
        tasks = ", ".join(str(task) for task in mine)
        moved = (
            f"; the scheduler moves its task{'s' if len(mine) > 1 else ''} {tasks} to another "
            "worker (Dask gives up on a task after its worker died "
            f"{_allowed_failures() + 1} times: KilledWorker)"
            if mine
            else ""
        )
        self.log(f"{lane_label(worker.name, worker.address, worker.pid)} was lost: {how}{moved}")

    # -- the end ---------------------------------------------------------------------------
    def drain(self) -> None:
        """Have every worker send what its plugin holds, and wait until it has arrived."""
        try:
            counts = self.client.run(self.flush_fn, run_id=self.run_id, wait=True)
        except Exception:
            return
        deadline = time.monotonic() + LAST_BATCHES_S
        while time.monotonic() < deadline:
            behind = [
                address
                for address, count in counts.items()
                if address in self.forwarder.workers
                and self.forwarder.workers[address].batches < count
            ]
            if not behind:
                return
            time.sleep(0.01)

    def close(self, failed: bool, stopped: bool = False) -> None:
        """Cancel what is left (a failure, Stop), take in the workers' last reports
        (not on Stop: its grace period is short), and close the client and a cluster
        the run started."""
        now = time.perf_counter_ns()
        watch = getattr(self, "host_watch", None)
        if watch is not None:
            watch.stop(last=not stopped)
        if failed and self.futures:
            try:
                self.client.cancel(self.futures, force=True)
            except Exception:
                pass
        if not stopped:
            self.drain()
        for worker in list(self.forwarder.workers.values()):
            self.forwarder.done(worker, time.perf_counter_ns() if not failed else now)
        try:
            self.client.unregister_worker_plugin(f"coreography-{self.run_id}")
        except Exception:
            pass
        self.client.unsubscribe_topic(self.topic)
        self.client.unsubscribe_topic("all")
        self.client.close(timeout=CLOSE_S)
        if self.cluster is not None:
            self.cluster.close(timeout=CLOSE_S)
            logging.getLogger("distributed.nanny").removeHandler(self.nanny_exits)

    def mark(self, exc: BaseException) -> BaseException:
        """A KilledWorker names its task by key: give it the task id the run knows."""
        key = getattr(exc, "task", None)
        prefix = f"coreography-{self.run_id}-"
        if isinstance(key, str) and key.startswith(prefix):
            try:
                exc.coreography_task = int(key[len(prefix) :])  # type: ignore[attr-defined]
            except (AttributeError, ValueError):
                pass
        return exc


def _describe_code(code: int) -> str:
    from coreography.model.failure import signal_name

    if code < 0:
        return f"its process was killed by signal {-code} ({signal_name(-code)})"
    return f"its process exited with code {code}"


def _allowed_failures() -> int:
    import dask.config

    return int(dask.config.get("distributed.scheduler.allowed-failures", 3))


def _run(driver: Any, items: Items, collect: Callable[[Session, Items], list[Any]]) -> list[Any]:
    _require_distributed(driver.experiment.model)
    stopped = False
    with _stop_on_sigterm():
        session: Session | None = None
        failed = True
        try:
            session = Session(driver)  # a Stop may come while the cluster starts, too
            results = collect(session, items)
            failed = False
        except RunStopped:
            stopped = True
            raise
        except BaseException as exc:
            if session is not None:
                session.mark(exc)
            raise
        finally:
            if session is not None:
                session.close(failed, stopped)
            if stopped:  # end as Stop ends any driver: by its SIGTERM, with no report
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                os.kill(os.getpid(), signal.SIGTERM)
        driver.mark_collected()
        return results


@register("dask-map")
def run_map(driver: Any, items: Items) -> list[Any]:
    def collect(session: Session, items: Items) -> list[Any]:
        from functools import partial

        ids = [task_id for task_id, _ in items]
        driver.probe.emit(Kind.TASKS_SUBMITTED, 0, 0, float(len(items)))
        session.futures = session.client.map(
            partial(session.task_fn, session.run_id),
            ids,
            [arg for _, arg in items],
            key=session.keys(session.run_id, ids),
            pure=False,
        )
        return list(session.client.gather(session.futures))

    return _run(driver, items, collect)


@register("dask-submit")
def run_submit(driver: Any, items: Items) -> list[Any]:
    def collect(session: Session, items: Items) -> list[Any]:
        from distributed import as_completed

        keys = session.keys(session.run_id, [task_id for task_id, _ in items])
        for (task_id, arg), key in zip(items, keys, strict=True):
            driver.probe.emit(Kind.TASKS_SUBMITTED, 0, task_id, 1.0)
            session.futures.append(
                session.client.submit(
                    session.task_fn, session.run_id, task_id, arg, key=key, pure=False
                )
            )
        index = {future.key: i for i, future in enumerate(session.futures)}
        results: list[Any] = [None] * len(items)
        for future in as_completed(session.futures):
            results[index[future.key]] = future.result()
        return results

    return _run(driver, items, collect)
