"""A traced program's own threading and multiprocessing locks, semaphores, events and
conditions: each wait that blocked is one wait span on the waiting thread's or process's
lane, counted per object; the library's own (a Thread's, a queue.Queue's, logging's, an
executor's, the parts of a multiprocessing Event) are not drawn."""

from __future__ import annotations

import pytest

from coreography.model.events import WAIT_CONDITION, WAIT_EVENT, WAIT_LOCK
from coreography.model.summary_json import summary_dict

from .test_trace import METHODS, _same_as_plain

PROGRAM = """\
# A thread and a process that each wait once on every kind of lock, semaphore, event
# and condition the program made; the main thread uses them without waiting.

import concurrent.futures
import logging
import multiprocessing
import queue
import sys
import threading
import time


def blocked(path):
    # Until the thread whose stat file is path sleeps (three looks in a row).
    deadline, asleep = time.monotonic() + 60, 0
    while asleep < 3 and time.monotonic() < deadline:
        with open(path) as stat:
            state = stat.read().rpartition(")")[2].split()[0]
        asleep = asleep + 1 if state == "S" else 0
        time.sleep(0.02)


def until(condition):
    deadline = time.monotonic() + 60
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


def thread_waits(tid, lock, rlock, sem, bounded, event, cond):
    tid.put(threading.get_native_id())
    for held in (lock, rlock, sem, bounded):
        tid.put("next")
        with held:
            pass
    event.wait()
    with cond:
        cond.wait()


def process_waits(event, cond):
    event.wait()
    with cond:
        cond.wait()


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    lock, rlock = threading.Lock(), threading.RLock()
    sem, bounded = threading.Semaphore(1), threading.BoundedSemaphore(1)
    event, cond = threading.Event(), threading.Condition()
    steps = queue.Queue()
    for held in (lock, rlock, sem, bounded):
        held.acquire()
    worker = threading.Thread(
        target=thread_waits,
        args=(steps, lock, rlock, sem, bounded, event, cond),
        name="waiter-thread",
    )
    worker.start()
    stat = f"/proc/self/task/{steps.get()}/stat"
    for held in (lock, rlock, sem, bounded):
        steps.get()
        blocked(stat)
        held.release()
    until(lambda: event._cond._waiters)
    event.set()
    event.wait()  # set: no wait
    until(lambda: cond._waiters)
    with cond:
        cond.notify()
    worker.join()
    logging.getLogger("sync").warning("the library's own locks stay plain")
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        assert list(pool.map(abs, [-1, -2, -3])) == [1, 2, 3]
    print("threads done")

    mp_event, mp_cond = multiprocessing.Event(), multiprocessing.Condition()
    child = multiprocessing.Process(target=process_waits, args=(mp_event, mp_cond), name="waiter")
    child.start()
    until(lambda: mp_event._cond._sleeping_count.get_value() > 0)
    mp_event.set()
    mp_event.wait()  # set: no wait
    until(lambda: mp_cond._sleeping_count.get_value() > 0)
    with mp_cond:
        mp_cond.notify()
    child.join()
    print("processes done", child.exitcode)
"""

EXPECTED = {
    "threading.Lock": ("lock", WAIT_LOCK, "waiter-thread"),
    "threading.RLock": ("lock", WAIT_LOCK, "waiter-thread"),
    "threading.Semaphore": ("lock", WAIT_LOCK, "waiter-thread"),
    "threading.BoundedSemaphore": ("lock", WAIT_LOCK, "waiter-thread"),
    "threading.Event": ("event", WAIT_EVENT, "waiter-thread"),
    "threading.Condition": ("condition", WAIT_CONDITION, "waiter-thread"),
    "Event": ("event", WAIT_EVENT, "waiter"),
    "Condition": ("condition", WAIT_CONDITION, "waiter"),
}


@pytest.mark.slow
@pytest.mark.parametrize("method", METHODS)
def test_each_blocked_wait_is_one_span_on_the_lane_that_waited(method, tmp_path):
    program = tmp_path / "sync_program.py"
    program.write_text(PROGRAM)
    got, run = _same_as_plain(str(program), method, tmp_path)
    assert got.stdout == "threads done\nprocesses done 0\n"
    channels = {c["name"].split(" ")[0]: c for c in summary_dict(run)["channels"]}
    assert set(channels) == set(EXPECTED)  # nothing of threading's, queue's, logging's own
    labels = {lane.index: lane.label.split(" · ")[0] for lane in run.lanes}
    waits = run.messages.waits()
    for name, (kind, on, lane) in EXPECTED.items():
        counted = channels[name]
        mine = waits[waits["channel"] == counted["id"]]
        assert (counted["kind"], counted["waits"], len(mine)) == (kind, 1, 1), name
        assert int(mine["on"][0]) == on and labels[int(mine["lane"][0])] == lane, name
        assert mine["end"][0] > mine["start"][0] and counted["wait_s"] > 0, name
    assert run.messages.channel_name(channels["Event"]["id"]).startswith("Event 1")


MANY_LOCKS = """\
import threading

locks = [threading.Lock() for _ in range(1005)]
with locks[-1]:
    print(len(locks))
"""


def test_a_program_making_thousands_of_locks_has_the_first_thousand_drawn_and_is_told(
    tmp_path,
):
    from coreography.engine.trace.sync_hooks import MAX_TRACED

    program = tmp_path / "many_locks.py"
    program.write_text(MANY_LOCKS)
    got, run = _same_as_plain(str(program), "fork", tmp_path)
    assert got.stdout == "1005\n"
    assert len(run.messages.channels) == MAX_TRACED == 1000
    assert any("more than 1000 locks" in line for line in run.logs)


FOUR_TUPLES = """\
import multiprocessing

items = [(b"x", 1, 2, 3), ([1, 2], "a", None, 4.5), (b"", b"", b"", b""), ("one", 2)]
queue, simple = multiprocessing.Queue(), multiprocessing.SimpleQueue()
mine, theirs = multiprocessing.Pipe()
for item in items:
    queue.put(item)
    simple.put(item)
    mine.send(item)
print([queue.get() for _ in items] == items, [simple.get() for _ in items] == items)
print([theirs.recv() for _ in items] == items)
"""


def test_a_programs_own_four_tuples_travel_unchanged_through_traced_queues_and_pipes(tmp_path):
    program = tmp_path / "four_tuples.py"
    program.write_text(FOUR_TUPLES)
    got, run = _same_as_plain(str(program), "fork", tmp_path)
    assert got.stdout == "True True\nTrue\n"
    arrows = run.messages.arrows()
    assert len(arrows) == 3 * 4 and (arrows["to_lane"] >= 0).all()


KILLED_CONSUMER = """\
import multiprocessing
import os
import signal
import sys


def consume(tasks):
    for _ in range(3):
        tasks.get()
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    tasks = multiprocessing.Queue()
    consumer = multiprocessing.Process(target=consume, args=(tasks,), name="consumer")
    consumer.start()
    for n in range(20):
        tasks.put(n)
    consumer.join()
    print("consumer", consumer.exitcode)
"""


@pytest.mark.slow
@pytest.mark.parametrize("method", METHODS)
def test_a_killed_consumer_of_a_traced_queue_leaves_its_depth_and_is_named(method, tmp_path):
    import signal

    program = tmp_path / "killed_consumer.py"
    program.write_text(KILLED_CONSUMER)
    got, run = _same_as_plain(str(program), method, tmp_path)
    assert got.stdout == f"consumer {-signal.SIGKILL}\n"
    (queue,) = summary_dict(run)["channels"]
    assert (queue["messages_sent"], queue["messages_received"], queue["left"]) == (20, 3, 17)
    _t, depth = run.messages.depth(queue["id"])
    assert depth[-1] == 17  # the depth track ends showing what no one took
    (consumer,) = [lane for lane in run.lanes if lane.label.startswith("consumer")]
    assert consumer.exit_code == -signal.SIGKILL and consumer.crashed
    assert any("killed by signal 9 (SIGKILL)" in text for text in run.task_errors.values())
