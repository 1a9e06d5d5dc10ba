"""``coreography trace``: real programs, traced and plain, compared; nothing left running."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import psutil
import pytest

from coreography.model.recording import load_run
from coreography.model.run import DONE, FAILED, STOPPED

PROGRAMS = Path(__file__).with_name("trace_programs")
METHODS = ["fork", "spawn", "forkserver"]
DEADLINE = 120


def _env(mark: str) -> dict[str, str]:
    env = dict(os.environ, COREOGRAPHY_TEST_MARK=mark)
    env.pop("COREOGRAPHY_TRACE", None)
    return env


def plain(program: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(PROGRAMS / program), *args],
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        env=_env(uuid.uuid4().hex),
    )


def traced(program: str, *args: str, out: Path, options: tuple = ()) -> subprocess.CompletedProcess:
    mark = uuid.uuid4().hex
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "coreography",
            "trace",
            "--quiet",
            "--out",
            str(out),
            *options,
            str(PROGRAMS / program),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        env=_env(mark),
    )
    assert not _left_running(mark), "the traced program left processes running"
    return done


def _left_running(mark: str, wait: float = 3.0) -> list[int]:
    """Processes of a run (they all carry its mark in their environment), after ``wait``."""
    deadline = time.monotonic() + wait
    while True:
        found = []
        for proc in psutil.process_iter():
            try:
                if proc.environ().get("COREOGRAPHY_TEST_MARK") == mark and (
                    proc.status() != psutil.STATUS_ZOMBIE
                ):
                    found.append(proc.pid)
            except psutil.Error:
                continue
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def _masked(text: str) -> list[str]:
    """Lines with pids and addresses masked, in order."""
    text = re.sub(r"0x[0-9a-f]+", "0x…", text)
    return [re.sub(r"\b\d{3,}\b", "N", line) for line in text.splitlines()]


def _same_as_plain(program: str, method: str, tmp_path: Path, ordered: bool = True):
    """Run ``program`` plain and traced: same output, same exit code. With ``ordered``
    False, several processes share the terminal and Python itself interleaves their
    writes: then the same printed pieces are expected, in any order."""
    expected = plain(program, method)
    out = tmp_path / "run.coreo.json"
    got = traced(program, method, out=out)
    assert got.returncode == expected.returncode, got.stderr
    if ordered:
        assert _masked(got.stdout) == _masked(expected.stdout)
    else:
        pieces = re.compile(r"Process ID: \d+ - Number: \d")
        assert sorted(_masked("\n".join(pieces.findall(got.stdout)))) == sorted(
            _masked("\n".join(pieces.findall(expected.stdout)))
        )
    assert _masked(got.stderr) == _masked(expected.stderr)
    return got, load_run(out)


def _labels(run) -> list[str]:
    return [run.task_labels.get(task, "") for task in range(run.n_tasks)]


def _lanes(run, prefix: str):
    return [lane for lane in run.lanes if lane.label.startswith(prefix)]


@pytest.mark.slow
@pytest.mark.parametrize("method", METHODS)
def test_one_process_prints_and_is_one_lane_with_its_run(method, tmp_path):
    _, run = _same_as_plain("one_process.py", method, tmp_path)
    (lane,) = _lanes(run, "Process-1")
    assert lane.exit_code == 0 and lane.pid != run.driver_pid
    assert _labels(run) == ["greet()"]
    assert run.task_status.tolist() == [DONE]
    assert [(run.lanes[t.lane].pid, t.text) for t in run.texts] == [(lane.pid, "Worker process")]
    assert run.events_lost() == 0


@pytest.mark.slow
@pytest.mark.parametrize("method", METHODS)
def test_pool_map_is_one_bar_per_call_in_four_worker_lanes(method, tmp_path):
    got, run = _same_as_plain("pool_squares.py", method, tmp_path)
    assert got.stdout == "[0, 1, 4, 9, 16, 25, 36, 49, 64, 81]\n"
    assert sorted(_labels(run)) == sorted(f"square({n})" for n in range(10))
    assert (run.task_status == DONE).all()
    workers = [lane for lane in run.lanes if "PoolWorker" in lane.label]
    assert len(workers) == 4
    assert sum(len(lane.tasks) for lane in workers) == 10
    assert all(lane.requested_ns <= lane.ready_ns for lane in workers)
    main = run.lanes[0]
    assert main.label.startswith("Main") and [t.text for t in run.texts] == [got.stdout.strip()]
    assert not run.messages  # the pool's own queues and locks are not the program's


@pytest.mark.parametrize("method", ["fork", pytest.param("spawn", marks=pytest.mark.slow)])
def test_four_processes_print_their_pid_in_their_own_lane(method, tmp_path):
    _, run = _same_as_plain("four_processes.py", method, tmp_path, ordered=False)
    printed = {}
    for line in run.texts:
        pid, number = re.fullmatch(r"Process ID: (\d+) - Number: (\d)", line.text).groups()
        assert run.lanes[line.lane].pid == int(pid)  # said by the process that printed it
        printed[int(number)] = int(pid)
    assert sorted(printed) == [1, 2, 3, 4]
    assert sorted(_labels(run)) == [f"show({n})" for n in range(1, 5)]


def test_executor_calls_are_bars_and_results_unchanged(tmp_path):
    got, run = _same_as_plain("executor_primes.py", "spawn", tmp_path)
    assert "97 is prime: True" in got.stdout and "submit: True" in got.stdout
    labels = _labels(run)
    assert sorted(labels) == sorted(
        [f"is_prime({n})" for n in (112272535095293, 15, 97, 1000003, 221, 7919)] + ["is_prime(13)"]
    )
    assert {run.lanes[int(i)].label.split("-")[0] for i in run.task_lane} == {"SpawnProcess"}


@pytest.mark.slow
def test_producer_and_consumer_are_named_lanes(tmp_path):
    got, run = _same_as_plain("producer_consumer.py", "forkserver", tmp_path)
    assert got.stdout == "total 4950\n"
    assert {lane.label.split(" ")[0] for lane in run.worker_lanes()} >= {"producer", "consumer"}
    assert sorted(label.split("(")[0] for label in _labels(run)) == ["consume", "produce"]


def test_apply_async_failure_is_a_failed_bar_with_its_traceback(tmp_path):
    got, run = _same_as_plain("apply_callbacks.py", "fork", tmp_path)
    assert "errors ['odd one out: 3']" in got.stdout
    labels = _labels(run)
    failed = [labels[t] for t in range(run.n_tasks) if run.task_status[t] == FAILED]
    assert failed == ["halve(3)"]
    (error,) = run.task_errors.values()
    assert error.startswith("ValueError: odd one out: 3") and "Traceback" in error


@pytest.mark.slow
@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_process_with_its_own_pool(method, tmp_path):
    _, run = _same_as_plain("process_with_pool.py", method, tmp_path)
    (boss,) = _lanes(run, "boss")
    assert sorted(_labels(run)) == sorted(
        ["manager('" + method + "')"] + [f"cube({n})" for n in range(6)]
    )
    pool_lanes = [lane for lane in run.lanes if "PoolWorker" in lane.label]
    assert len(pool_lanes) == 2 and all(lane.pid != boss.pid for lane in pool_lanes)


def test_thread_pool_threads_are_lanes_of_the_main_process(tmp_path):
    got, run = _same_as_plain("thread_pool.py", "fork", tmp_path)
    assert got.stdout.splitlines()[0] == str([2 * n for n in range(8)])
    threads = [lane for lane in run.lanes if lane.thread]
    assert {lane.pid for lane in threads} == {run.driver_pid}
    assert any(lane.label.startswith("helper") for lane in threads)
    assert sorted(_labels(run)) == sorted(
        [f"wait_and_double({n})" for n in range(8)] + ["print('from a thread')"]
    )


@pytest.mark.slow
@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_missing_main_guard_is_explained(method, tmp_path):
    _, run = _same_as_plain("no_main_guard.py", method, tmp_path)
    assert any("__name__" in log and "spawn" in log for log in run.logs)


def test_lambda_sent_to_a_pool_is_explained(tmp_path):
    _, run = _same_as_plain("lambda_pool.py", "fork", tmp_path)
    assert any("lambda" in log and "top level" in log for log in run.logs)


def test_a_killed_process_is_shown_with_its_signal(tmp_path):
    _, run = _same_as_plain("killed_worker.py", "fork", tmp_path)
    (victim,) = _lanes(run, "victim")
    assert victim.exit_code == -signal.SIGKILL
    assert run.task_status.tolist() == [FAILED]
    assert "killed by signal 9" in next(iter(run.task_errors.values()))


def test_programs_processes_load_no_gui_stack(tmp_path):
    got, _ = _same_as_plain("modules_seen.py", "spawn", tmp_path)
    assert got.stdout == "main []\nworker []\n"


def test_deadlock_is_ended_by_timeout_with_nothing_left(tmp_path):
    out = tmp_path / "run.coreo.json"
    got = traced("deadlock.py", "fork", out=out, options=("--timeout", "2"))
    assert got.returncode == 124
    assert got.stdout == "waiting\n"
    run = load_run(out)
    assert run.state == STOPPED
    assert _labels(run) == ["wait_forever(<multiprocessing.queues.Queue object at 0x…>)"] or (
        _labels(run)[0].startswith("wait_forever(")
    )


def _start_in_background(mark: str, program: str) -> subprocess.Popen:
    app = subprocess.Popen(
        [sys.executable, "-m", "coreography", "trace", str(PROGRAMS / program), "spawn"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=_env(mark),
        start_new_session=True,
    )
    assert app.stdout.readline() == b"waiting\n"  # the program and its child are up
    return app


@pytest.mark.slow
def test_sigkill_of_the_app_leaves_none_of_the_programs_processes(tmp_path):
    mark = uuid.uuid4().hex
    app = _start_in_background(mark, "deadlock.py")
    assert len(_left_running(mark, wait=0)) >= 3  # app, program, its child
    app.kill()
    app.wait(10)
    app.stdout.close()
    assert _left_running(mark, wait=3.0) == []


def test_ctrl_c_ends_the_program_and_everything_it_started(tmp_path):
    mark = uuid.uuid4().hex
    app = _start_in_background(mark, "deadlock.py")
    app.send_signal(signal.SIGINT)
    app.wait(20)
    app.stdout.close()
    assert app.returncode != 0
    assert _left_running(mark, wait=3.0) == []


def test_module_mode_runs_like_python_dash_m(tmp_path):
    out = tmp_path / "run.coreo.json"
    command = [sys.executable, "-m", "coreography", "trace", "--quiet", "--out", str(out)]
    got = subprocess.run(
        [*command, "-m", "pool_squares", "fork"],
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        cwd=PROGRAMS,
        env=_env(uuid.uuid4().hex),
    )
    assert (got.returncode, got.stdout) == (0, "[0, 1, 4, 9, 16, 25, 36, 49, 64, 81]\n")
    assert load_run(out).n_tasks == 10


def test_subprocess_children_are_lanes(tmp_path):
    _, run = _same_as_plain("subprocess_children.py", "fork", tmp_path)
    children = run.worker_lanes()
    assert sorted(lane.label.split(" ")[0] for lane in children) == sorted(
        [Path(sys.executable).name, "sleep"]
    )
    assert all(lane.exit_code == 0 for lane in children)
    python_child = next(
        lane for lane in children if lane.label.startswith(Path(sys.executable).name)
    )
    assert [t.text for t in run.texts if t.lane == python_child.index] == ["python child"]


def test_a_process_never_joined_is_explained(tmp_path):
    _, run = _same_as_plain("never_joined.py", "fork", tmp_path)
    assert any("never joined" in log and "sleeper" in log for log in run.logs)


def test_exit_code_of_the_program_is_kept(tmp_path):
    got, run = _same_as_plain("top_level_error.py", "forkserver", tmp_path)
    assert got.returncode == 3 and run.state == "failed"
    assert sorted(_labels(run)) == [f"double({n})" for n in range(4)]


@pytest.mark.slow
def test_sixty_four_processes_some_leaving_oddly(tmp_path):
    got, run = _same_as_plain("many_processes.py", "fork", tmp_path)
    assert got.stdout == "[0, 1, 7]\n"
    assert len(run.worker_lanes()) == 64
    codes = sorted(lane.exit_code for lane in run.worker_lanes())
    assert codes.count(7) == 4 and codes.count(1) == 1 and codes.count(0) == 59
    status = dict(zip(_labels(run), run.task_status.tolist(), strict=True))
    assert status["work(10)"] == FAILED and status["work(5)"] == FAILED
    assert status["work(0)"] == DONE


def test_a_pool_worker_leaving_mid_task_is_failed_and_the_hang_ended(tmp_path):
    out = tmp_path / "run.coreo.json"
    got = traced("pool_worker_exits.py", "fork", out=out, options=("--timeout", "3"))
    assert got.returncode == 124 and got.stdout == ""
    run = load_run(out)
    status = dict(zip(_labels(run), run.task_status.tolist(), strict=True))
    assert status["fragile(2)"] == FAILED
    error = next(
        text for task, text in run.task_errors.items() if _labels(run)[task] == "fragile(2)"
    )
    assert "exited with code 1" in error
    assert any("wait forever" in log and "fragile(2)" in log for log in run.logs)


def test_the_programs_own_sitecustomize_still_runs(tmp_path):
    (tmp_path / "sitecustomize.py").write_text(  # said by the program's processes only
        "import sys\n"
        "if 'coreography' not in sys.orig_argv[1:3] and '-m' not in sys.orig_argv[1:2]:\n"
        "    print('own start-up hook')\n"
    )
    out = tmp_path / "run.coreo.json"
    env = dict(_env(uuid.uuid4().hex), PYTHONPATH=str(tmp_path))
    program = str(PROGRAMS / "one_process.py")
    command = [sys.executable, "-m", "coreography", "trace", "--quiet", "--out", str(out)]
    expected = subprocess.run(
        [sys.executable, program, "spawn"], capture_output=True, text=True, env=env, timeout=60
    )
    got = subprocess.run(
        [*command, program, "spawn"], capture_output=True, text=True, env=env, timeout=60
    )
    assert expected.stdout.count("own start-up hook") >= 2  # main, child (and helpers)
    # Python itself may interleave the processes' writes: compare what was written.
    assert got.stdout.count("own start-up hook") == expected.stdout.count("own start-up hook")
    assert "Worker process" in got.stdout
    assert load_run(out).task_labels == {0: "greet()"}


def _drive_terminal(argv: list[str], answer: bytes, when: bytes, mark: str):
    """Run ``argv`` on a pseudo-terminal (as from a shell); type ``answer`` once
    ``when`` has been printed. Returns (everything printed, exit code)."""
    import pty
    import select

    env = _env(mark)
    pid, fd = pty.fork()
    if pid == 0:  # the child: becomes the command at once
        os.execve(sys.executable, [sys.executable, *argv], env)
    out, typed, deadline = b"", False, time.monotonic() + DEADLINE
    try:
        while time.monotonic() < deadline:
            if select.select([fd], [], [], 0.2)[0]:
                try:
                    data = os.read(fd, 1024)
                except OSError:  # the terminal closed: the command is over
                    break
                if not data:
                    break
                out += data
            if not typed and when in out:
                os.write(fd, answer)
                typed = True
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    return out, os.waitstatus_to_exitcode(status)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pseudo-terminal test")
def test_the_program_reads_the_terminal(tmp_path):
    trace = ["-m", "coreography", "trace", "--quiet"]
    out, code = _drive_terminal(
        [*trace, str(PROGRAMS / "ask_name.py")], b"Ada\n", b"name? ", uuid.uuid4().hex
    )
    assert (out.replace(b"\r\n", b"\n"), code) == (b"name? Ada\nhello Ada\n", 0)


@pytest.mark.slow
@pytest.mark.parametrize("method", METHODS)
def test_the_programs_queues_and_locks_are_drawn_unchanged(method, tmp_path):
    from coreography.model.summary_json import summary_dict

    got, run = _same_as_plain("queues_and_locks.py", method, tmp_path)
    assert got.stdout == "pong 1\npong 2\npong 3\nsquares 2470\ntotal 190\n"
    kinds = {c.name.split(" ")[0]: c for c in run.messages.channels.values()}
    assert set(kinds) == {"Queue", "SimpleQueue", "JoinableQueue", "Lock", "Pipe"}
    arrows = run.messages.arrows()
    assert (arrows["to_lane"] >= 0).all()  # every message put was taken, and drawn
    main = run.lanes[0].index
    labels = {lane.index: lane.label for lane in run.lanes}

    def on(name):
        return arrows[arrows["channel"] == kinds[name].id]

    tasks, squares, words = on("Queue"), on("SimpleQueue"), on("JoinableQueue")
    assert len(tasks) == 22 and (tasks["from_lane"] == main).all()  # 20 numbers, 2 Nones
    assert len(squares) == 20 and (squares["to_lane"] == main).all()
    workers = set(tasks["to_lane"].tolist())
    assert main not in workers and set(squares["from_lane"].tolist()) <= workers
    # Each worker put as many squares as it took numbers (its None aside).
    for lane in workers:
        taken = int(np.count_nonzero(tasks["to_lane"] == lane))
        assert int(np.count_nonzero(squares["from_lane"] == lane)) == taken - 1, labels[lane]
    assert len(words) == 4 and len(set(words["to_lane"].tolist()) - workers) == 1
    pings = on("Pipe")  # ping, pong, three times, then None: alternating ends
    (partner,) = set(pings["to_lane"].tolist()) - {main}
    ends = list(zip(pings["from_lane"].tolist(), pings["to_lane"].tolist(), strict=True))
    assert ends == [(main, partner), (partner, main)] * 3 + [(main, partner)]
    assert (arrows["size"] > 0).all() and (arrows["received"] >= arrows["sent"]).all()
    waits = run.messages.waits()
    lock_waits = waits[waits["channel"] == kinds["Lock"].id]
    assert set(lock_waits["on"].tolist()) <= {3} and set(lock_waits["lane"].tolist()) <= workers
    counted = {c["name"].split(" ")[0]: c for c in summary_dict(run)["channels"]}
    assert counted["Queue"]["messages_received"] == 22
    assert counted["Lock"]["waits"] == len(lock_waits)


@pytest.mark.slow
@pytest.mark.parametrize("method", METHODS)
def test_workers_a_pool_ends_at_its_end_are_not_killed(method, tmp_path):
    """``with Pool(2)``: leaving the block terminates the workers (SIGTERM). That is the
    pool's normal end, recorded as such; it is neither a crash nor a failed task."""
    from coreography.model.trace_explain import explain

    got, run = _same_as_plain("pool_with_block.py", method, tmp_path)
    assert got.stdout == "[0, 2, 4, 6, 8, 10]\n"
    workers = [lane for lane in run.lanes if "PoolWorker" in lane.label]
    assert len(workers) == 2
    assert all(lane.exit_code in (0, -signal.SIGTERM) for lane in workers)
    assert all(lane.ended_by == "pool" and not lane.crashed for lane in workers)
    assert (run.task_status == DONE).all() and not run.task_errors
    assert not explain(run)


def test_a_process_the_program_terminates_is_still_a_kill(tmp_path):
    _, run = _same_as_plain("terminated_process.py", "fork", tmp_path)
    (sleeper,) = _lanes(run, "sleeper")
    assert sleeper.exit_code == -signal.SIGTERM
    assert sleeper.ended_by == "" and sleeper.crashed
    assert "killed by signal 15 (SIGTERM)" in next(iter(run.task_errors.values()))
