"""The Dask models for real: a LocalCluster the run starts, and a cluster of a real
``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1 (``--scheduler``)."""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest

from coreography.engine.controller import RunController
from coreography.model import models
from coreography.model.experiment import Experiment, ExperimentError, Fault
from coreography.model.metrics import compute_metrics
from coreography.model.models import ExecutionModel
from coreography.model.run import DONE, FAILED, FINISHED, NO_TIME, RUN_FAILED, RUNNING

from .helpers import alive, experiment_pids, run_experiment

pytest.importorskip("distributed")
pytestmark = pytest.mark.slow

DASK = Path(sys.executable).with_name("dask")
RUN_DEADLINE_S = 90.0


def _descendants() -> set[int]:
    """This test process's children, less multiprocessing's own helper (its resource
    tracker lives as long as the test process)."""
    out = set()
    for proc in psutil.Process().children(recursive=True):
        try:
            if "multiprocessing.resource_tracker" not in " ".join(proc.cmdline()):
                out.add(proc.pid)
        except psutil.Error:
            pass
    return out


def _wait_for(predicate, controller: RunController, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        controller.poll(budget=100_000)
        if predicate():
            return True
        time.sleep(0.02)
    return False


def _dask_lanes(run):
    return [lane for lane in run.worker_lanes() if lane.label.startswith("Dask worker")]


def test_local_cluster_lanes_bars_and_a_raised_task_with_its_traceback():
    before = _descendants()
    run, _ = run_experiment(
        timeout=RUN_DEADLINE_S,
        model="dask-map",
        workers=2,
        tasks=8,
        workload="cpu",
        size=10.0,
        fault=Fault("raise", 5),
    )
    assert run.state == RUN_FAILED, run.message
    assert run.message.startswith("task 5 raised RuntimeError: deliberate failure in task 5")
    assert "Dask worker" in run.message  # the lane that ran it, by its Dask name
    lanes = _dask_lanes(run)
    assert len(lanes) == 2, [lane.label for lane in run.lanes]
    for lane in lanes:  # named by Dask name, address and pid; grouped by their host
        assert lane.host == "127.0.0.1"
        assert re.fullmatch(rf"Dask worker \d+ · PID {lane.pid}", lane.label), lane.label
        assert lane.ready_ns >= lane.requested_ns > 0
        assert lane.native_id not in (0, lane.pid)  # the thread that runs its tasks
    assert run.task_status[5] == FAILED
    error = run.task_errors[5]
    assert error.startswith("RuntimeError: deliberate failure in task 5")
    assert "Traceback" in error and "inject_fault" in error
    assert run.task_lane[5] in {lane.index for lane in lanes}
    done = run.task_status == DONE
    assert (run.task_start[done] != NO_TIME).all() and (
        run.task_end[done] >= run.task_start[done]
    ).all()
    assert run.events_lost() == 0
    # Even a run this short has its host's readings: the scheduler holds what the
    # workers sent when they joined, and is asked again at the end.
    host = run.hosts.hosts["127.0.0.1"]
    assert len(host) >= 1 and host.workers == 2 and (host.memory > 0).all()
    assert not alive(experiment_pids(run))
    left = alive(_descendants() - before)
    assert not left, [psutil.Process(p).cmdline() for p in left]


def test_a_worker_of_several_threads_has_a_lane_per_thread_grouped_under_it():
    before = _descendants()
    run, _ = run_experiment(
        timeout=RUN_DEADLINE_S,
        model="dask-map",
        workers=2,
        threads_per_worker=3,
        tasks=12,
        workload="io",
        size=400.0,
    )
    assert run.state == FINISHED, run.message
    lanes = _dask_lanes(run)
    assert len(lanes) == 6, [lane.label for lane in run.lanes]
    pids = sorted({lane.pid for lane in lanes})
    assert len(pids) == 2
    for pid in pids:
        mine = [lane for lane in lanes if lane.pid == pid]
        # One worker's lanes are neighbours, in thread order, and named under the worker.
        assert [lane.index for lane in mine] == list(range(mine[0].index, mine[0].index + 3))
        assert [lane.thread for lane in mine] == [0, 1, 2]
        for k, lane in enumerate(mine):
            assert re.fullmatch(rf"Dask worker \d+ · PID {pid} · thread {k + 1}", lane.label)
        # Each lane is a thread of its own (the thread-state sampler reads it).
        natives = [lane.native_id for lane in mine]
        assert len(set(natives)) == 3 and pid not in natives and 0 not in natives
    # Every task ran on the lane of the thread that ran it: the threads of one worker
    # slept at the same time (io tasks release the GIL), so their bars overlap.
    assert (run.task_status == DONE).all()
    for pid in pids:
        spans = sorted(
            (int(run.task_start[t]), int(run.task_end[t]))
            for lane in lanes
            if lane.pid == pid
            for t in lane.task_ids()
        )
        assert any(b[0] < a[1] for a, b in itertools.pairwise(spans)), spans
    # The task's CPU is its own thread's, from its start and end in that thread.
    assert (run.task_cpu[run.task_status == DONE] > 0).all()
    assert run.events_lost() == 0
    assert not alive(_descendants() - before)


def test_a_task_that_secedes_from_the_thread_pool_still_ends_its_bar():
    code = "from distributed import secede\n\ndef task(x):\n    secede()\n    return x + 1\n"
    run, _ = run_experiment(
        timeout=RUN_DEADLINE_S, model="dask-map", workers=2, tasks=4, workload="custom", code=code
    )
    assert run.state == FINISHED, run.message
    assert run.results() == [1, 2, 3, 4]
    assert (run.task_status == DONE).all()  # not left running, then interrupted
    assert (run.task_end >= run.task_start).all()


def test_a_task_shows_while_it_runs_and_stop_leaves_no_process():
    before = _descendants()
    controller = RunController(sample_hz=20)
    run = controller.start(
        Experiment(model="dask-submit", workers=2, tasks=4, workload="io", size=20_000.0)
    )
    try:
        # Both workers' first tasks are bars before either has finished: they appear when
        # they start executing, not when Dask has a result.
        assert _wait_for(lambda: (run.task_status == RUNNING).sum() == 2, controller), (
            run.message,
            run.logs,
        )
        running = run.task_status == RUNNING
        assert (run.task_start[running] != NO_TIME).all()
        assert (run.task_end[running] == NO_TIME).all()
        assert len({int(lane) for lane in run.task_lane[running]}) == 2
        pids = {lane.pid for lane in _dask_lanes(run)}
        assert len(pids) == 2 and alive(pids) == pids
        # The workers' own readings, per host, arrive while they work.
        assert _wait_for(
            lambda: any(s.workers == 2 and len(s) >= 2 for s in run.hosts.series()), controller
        ), [(s.host, s.workers, len(s)) for s in run.hosts.series()]
        host = run.hosts.hosts["127.0.0.1"]
        assert host.cores == os.cpu_count() and host.threads == 2
        assert (host.memory > 0).all() and host.memory_limit > 0
        assert (host.t > run.t0).all() and (host.t <= time.perf_counter_ns()).all()
        assert (host.cpu >= 0).all()
        controller.stop()
        assert controller.wait(timeout=30), "Stop did not end the run"
    finally:
        controller.shutdown()
    assert run.state == "stopped", run.message
    assert not alive(pids)
    assert not alive(_descendants() - before), "Stop left a process of the cluster running"


@pytest.mark.parametrize("threads", [1, 2])
def test_a_killed_worker_is_named_and_its_task_moves_or_the_run_fails_by_name(threads):
    controller = RunController(sample_hz=20)
    before = _descendants()
    run = controller.start(
        Experiment(
            model="dask-map",
            workers=2,
            threads_per_worker=threads,
            tasks=6,
            workload="io",
            size=1500.0,
        )
    )
    try:
        assert _wait_for(lambda: (run.task_status == RUNNING).sum() >= 1, controller)
        victim_task = int(next(iter((run.task_status == RUNNING).nonzero()[0])))
        victim = run.lanes[int(run.task_lane[victim_task])]
        os.kill(victim.pid, signal.SIGKILL)
        assert controller.wait(timeout=RUN_DEADLINE_S), "the run hung after a worker died"
    finally:
        controller.shutdown()
    lost = [log for log in run.logs if f"PID {victim.pid}" in log and "was lost" in log]
    assert lost, run.logs
    assert "killed by signal 9 (SIGKILL)" in lost[0]
    victim = run.lane(victim.pid, 0)
    assert victim.exit_code == -signal.SIGKILL
    # Every thread's lane of the killed worker ends at its death (when its nanny said
    # so), not when the run closed the cluster.
    mine = [lane for lane in run.lanes if lane.pid == victim.pid]
    assert len(mine) == threads
    assert all(lane.end_ns() == victim.exited_ns != NO_TIME for lane in mine), [
        (lane.label, lane.end_ns(), lane.exited_ns) for lane in mine
    ]
    if run.state == FINISHED:  # Dask ran the task again on another worker
        assert (
            f"task {victim_task}" in lost[0]
            or f"tasks {victim_task}" in lost[0]
            or str(victim_task) in lost[0]
        )
        assert (run.task_status == DONE).all()
        assert run.lanes[int(run.task_lane[victim_task])].pid != victim.pid
        assert run.results() == [1500.0] * 6
    else:
        assert run.state == RUN_FAILED and run.message, run.message
    assert not alive(_descendants() - before)


# -- a cluster the test starts: `dask scheduler` and two `dask worker` processes --------------
@contextmanager
def _a_cluster(folder: Path, workers: list[tuple[str, str]]):
    """A real ``dask scheduler`` on 127.0.0.1 and one ``dask worker`` of one thread per
    ``(name, host)``, started one after the other (each joined before the next starts);
    yields the scheduler's address and the processes, and ends them all."""
    info = folder / "scheduler.json"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    log = open(folder / "cluster.log", "w")  # noqa: SIM115
    common = {"cwd": folder, "env": env, "stdout": log, "stderr": log, "start_new_session": True}
    scheduler = [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0"]
    procs = [
        subprocess.Popen([*scheduler, "--no-dashboard", "--scheduler-file", str(info)], **common)
    ]
    try:
        deadline = time.monotonic() + 60
        while not info.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        address = json.loads(info.read_text())["address"]
        from distributed import Client

        with Client(address, timeout=30) as client:
            for count, (name, host) in enumerate(workers, 1):
                worker = [str(DASK), "worker", address, "--nthreads", "1", "--no-nanny"]
                procs.append(
                    subprocess.Popen(
                        [*worker, "--no-dashboard", "--name", name, "--host", host], **common
                    )
                )
                client.wait_for_workers(count, timeout=60)
        yield address, procs
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dask")
    with _a_cluster(folder, [("alpha", "127.0.0.1"), ("beta", "127.0.0.1")]) as found:
        yield found


def test_a_host_whose_worker_stops_answering_is_behind_and_catches_up(cluster):
    """A stopped worker (SIGSTOP: no heartbeats) leaves its host's readings behind the
    run's live edge; they come again once it goes on (SIGCONT)."""
    from coreography.model.host_metrics import STALE_S

    address, procs = cluster
    controller = RunController(sample_hz=20)
    run = controller.start(
        Experiment(
            model="dask-submit", workers=2, tasks=16, workload="io", size=600.0, scheduler=address
        )
    )
    beta = procs[2]
    try:
        assert _wait_for(lambda: any(len(s) >= 2 for s in run.hosts.series()), controller)
        host = run.hosts.hosts["127.0.0.1"]
        assert host.workers == 2
        os.kill(beta.pid, signal.SIGSTOP)
        try:
            assert _wait_for(
                lambda: host.age_s(run.last_time()) > STALE_S + 1.0, controller, timeout=30
            ), (host.age_s(run.last_time()), len(host))
            stalled = len(host)
        finally:
            os.kill(beta.pid, signal.SIGCONT)
        # Fresh readings again (the first after the stop may still be an old one's).
        assert _wait_for(
            lambda: len(host) > stalled and host.age_s(run.last_time()) < STALE_S,
            controller,
            timeout=30,
        ), (host.age_s(run.last_time()), len(host), stalled)
        assert controller.wait(timeout=RUN_DEADLINE_S)
    finally:
        controller.shutdown()
    assert run.state == FINISHED, (run.message, run.logs)
    assert alive({proc.pid for proc in procs}) == {proc.pid for proc in procs}


def _scheduler_tasks(address: str) -> int:
    from distributed import Client

    with Client(address, timeout=30) as client:
        return int(client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks)))


def test_an_existing_cluster_runs_the_tasks_and_is_left_running(cluster):
    address, procs = cluster
    run, _ = run_experiment(
        timeout=RUN_DEADLINE_S,
        model="dask-map",
        workers=2,
        tasks=10,
        workload="square",
        scheduler=address,
    )
    assert run.state == FINISHED, run.message
    assert run.results() == [i * i for i in range(10)]
    lanes = _dask_lanes(run)
    assert sorted(lane.label.split(" · ")[0] for lane in lanes) == [
        "Dask worker alpha",
        "Dask worker beta",
    ]
    assert {lane.pid for lane in lanes} == {p.pid for p in procs[1:]}
    assert sum(len(lane.task_ids()) for lane in lanes) == 10
    metrics = compute_metrics(run)  # the workers' own counts of what they sent
    assert metrics.events_expected == metrics.events_received > 10 * 2
    pids = {proc.pid for proc in procs}
    assert alive(pids) == pids, "the run closed a cluster not its own"
    assert any("runs on this machine" in log for log in run.logs), run.logs


def test_stop_on_an_existing_cluster_cancels_its_futures_and_leaves_the_cluster(cluster):
    address, procs = cluster
    before = _descendants()
    controller = RunController(sample_hz=20)
    run = controller.start(
        Experiment(
            model="dask-submit", workers=2, tasks=20, workload="io", size=500.0, scheduler=address
        )
    )
    try:
        assert _wait_for(lambda: run.n_started >= 2, controller), (
            run.state,
            run.message,
            run.logs,
        )
        controller.stop()
        assert controller.wait(timeout=30)
    finally:
        controller.shutdown()
    assert run.state == "stopped", (run.message, run.logs)
    assert not alive(_descendants() - before - {p.pid for p in procs})
    assert alive({proc.pid for proc in procs}) == {proc.pid for proc in procs}
    deadline = time.monotonic() + 20
    while _scheduler_tasks(address) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _scheduler_tasks(address) == 0, "the stopped run's tasks are still on the cluster"


# -- without distributed ------------------------------------------------------------------
def test_a_model_whose_package_is_missing_says_how_to_get_it():
    record = ExecutionModel(
        "needs-nothing-here",
        "test",
        "process",
        "coreography.engine.backends.dask",
        models.get("dask-map").code,
        cluster=True,
        requires=("coreography_no_such_package",),
        install_hint="pip install 'coreography[dask]'",
    )
    assert record.missing() == (
        "the 'needs-nothing-here' model needs coreography_no_such_package, which is not "
        "installed: pip install 'coreography[dask]'"
    )
    assert models.get("dask-map").missing() == ""


def test_threads_per_worker_are_a_setting_of_the_cluster_a_run_starts():
    with pytest.raises(ExperimentError, match="only a cluster model runs several threads"):
        Experiment(model="pool-map", threads_per_worker=2).validate()
    with pytest.raises(ExperimentError, match="has its own threads per worker"):
        Experiment(
            model="dask-map", threads_per_worker=2, scheduler="tcp://127.0.0.1:8786"
        ).validate()
    with pytest.raises(ExperimentError, match="from 1 to 16"):
        Experiment(model="dask-map", threads_per_worker=0).validate()
    exp = Experiment(model="dask-map", workers=2, threads_per_worker=3, tasks=10).validate()
    assert exp.parallel_workers == 6
    code = "\n".join(exp.execution_model.code(exp, "task").body)
    assert "LocalCluster(n_workers=2, threads_per_worker=3, processes=True)" in code
    assert Experiment.from_dict(exp.to_dict()) == exp


def test_only_a_cluster_model_takes_a_scheduler():
    with pytest.raises(ExperimentError, match="only a cluster model uses a scheduler"):
        Experiment(model="pool-map", scheduler="tcp://127.0.0.1:8786").validate()
    with pytest.raises(ExperimentError, match="expected HOST:PORT"):
        Experiment(model="dask-map", scheduler="not an address").validate()
    assert Experiment(model="dask-map", scheduler="tcp://127.0.0.1:8786").validate()


def test_lanes_of_an_existing_cluster_are_grouped_by_host_then_worker(tmp_path):
    """Three workers join in the order beta@127.0.0.3, alpha@127.0.0.2, gamma@127.0.0.3
    (each listening on its own loopback address, as on hosts of their own): the lanes
    come host by host, then by worker name, whatever the order of their hellos."""
    joining = [("beta", "127.0.0.3"), ("alpha", "127.0.0.2"), ("gamma", "127.0.0.3")]
    with _a_cluster(tmp_path, joining) as (address, _procs):
        run, _ = run_experiment(
            timeout=RUN_DEADLINE_S,
            model="dask-map",
            workers=3,
            tasks=9,
            workload="square",
            scheduler=address,
        )
        assert run.state == FINISHED, run.message
        lanes = _dask_lanes(run)
        assert [(lane.host, lane.label.split(" · ")[0]) for lane in lanes] == [
            ("127.0.0.2", "Dask worker alpha"),
            ("127.0.0.3", "Dask worker beta"),
            ("127.0.0.3", "Dask worker gamma"),
        ]
