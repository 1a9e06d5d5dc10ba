"""The app's event reader: it wakes its listener when frames come, and the controller
says which events each poll applied (their worker stamps) and which still wait."""

from __future__ import annotations

import multiprocessing
import os
import struct
import threading
import time
from collections import deque

import numpy as np
import pytest

from coreography.engine.controller import RunController, event_times, read_frames
from coreography.model import wire
from coreography.model.events import Kind
from coreography.model.experiment import Experiment


def _until(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


class Messages:
    """A Connection seen only through its methods: the reader takes it a message at a
    time (as it does where the pipe is no file descriptor, on Windows)."""

    def __init__(self, connection) -> None:
        self.connection = connection

    def poll(self, timeout: float = 0.0) -> bool:
        return self.connection.poll(timeout)

    def recv_bytes(self) -> bytes:
        return self.connection.recv_bytes()

    def close(self) -> None:
        self.connection.close()


@pytest.mark.parametrize("way", ["raw", "messages"])
def test_the_reader_wakes_its_listener_after_each_burst_and_at_the_end(way):
    reader, writer = multiprocessing.Pipe(duplex=False)
    if way == "messages":
        reader = Messages(reader)
    frames: deque[bytes] = deque()
    eof = threading.Event()
    calls: list[tuple[int, bool]] = []

    def notify() -> None:
        calls.append((len(frames), eof.is_set()))

    thread = threading.Thread(target=read_frames, args=(reader, frames, eof, None, notify))
    thread.start()
    writer.send_bytes(b"first")
    assert _until(lambda: calls)
    assert calls[0][0] >= 1  # the frame was there to take when the listener woke
    writer.send_bytes(b"second")
    writer.close()
    thread.join(10)
    assert not thread.is_alive()
    assert list(frames) == [b"first", b"second"]
    assert calls[-1] == (2, True)  # the last wake-up: everything read, the pipe closed


def test_every_message_is_read_whole_however_the_pipe_cuts_it():
    """Messages of every size from several writers' ways of writing: whole ones, one cut
    across writes, one larger than a read takes at once, and a long run of small ones;
    the reader keeps each whole and in order, and stops when it is told to."""
    reader, writer = multiprocessing.Pipe(duplex=False)
    frames: deque[bytes] = deque()
    eof, stop = threading.Event(), threading.Event()
    thread = threading.Thread(target=read_frames, args=(reader, frames, eof, stop))
    thread.start()
    rng = np.random.default_rng(5)
    sent = [bytes(rng.integers(0, 256, size, dtype=np.uint8)) for size in (1, 17, 4096, 0)]
    for message in sent:
        writer.send_bytes(message)
    cut = b"a message written in two parts, with a pause between"
    raw = struct.pack("!i", len(cut)) + cut
    os.write(writer.fileno(), raw[:3])  # not even its whole length yet
    time.sleep(0.05)
    os.write(writer.fileno(), raw[3:20])
    time.sleep(0.05)
    os.write(writer.fileno(), raw[20:])
    sent.append(cut)
    big = bytes(rng.integers(0, 256, 3 * (1 << 20) + 5, dtype=np.uint8))
    sent_big = threading.Thread(target=writer.send_bytes, args=(big,))  # fills the pipe
    sent_big.start()
    sent_big.join(20)
    sent.append(big)
    small = [f"frame {k}".encode() for k in range(5000)]
    for message in small:
        writer.send_bytes(message)
    sent += small
    assert _until(lambda: len(frames) == len(sent), 20)
    assert list(frames) == sent
    stop.set()
    thread.join(5)
    assert not thread.is_alive() and eof.is_set()
    writer.close()


def test_a_message_cut_short_by_its_writers_end_is_dropped_and_the_reader_ends():
    reader, writer = multiprocessing.Pipe(duplex=False)
    frames: deque[bytes] = deque()
    eof = threading.Event()
    thread = threading.Thread(target=read_frames, args=(reader, frames, eof))
    thread.start()
    writer.send_bytes(b"whole")
    os.write(writer.fileno(), struct.pack("!i", 100) + b"only part of it")
    writer.close()
    thread.join(10)
    assert not thread.is_alive() and eof.is_set()
    assert list(frames) == [b"whole"]


def test_event_times_are_the_stamps_of_the_binary_records():
    rows = [
        (Kind.TASK_STARTED, 0, 0, 1, 1_000, 0.0, 0),
        (Kind.TASK_FINISHED, 0, 0, 1, 2_500, 1.0, 0),
    ]
    frames, _sent = wire.encode_frames(42, 0, rows, [(int(Kind.STDOUT), 0, 1, 1_200, 0.0, "hi")])
    assert sorted(event_times(frames).tolist()) == [1_000, 2_500]  # the text is not timed
    assert len(event_times([])) == 0


def test_each_poll_says_which_events_it_applied_and_the_reader_wakes_the_listener():
    controller = RunController(sample_hz=10.0, state_hz=0)
    woken = []
    controller.on_arrival = lambda: woken.append(threading.get_ident())
    run = controller.start(Experiment(model="pool-map", workers=2, tasks=12, workload="square"))
    applied = []
    try:
        while controller.running:
            controller.poll()
            applied.append(controller.applied_ns)
            waiting = controller.oldest_waiting_ns
            assert waiting is None or waiting > 0
            time.sleep(0.01)
    finally:
        controller.shutdown()
    assert run.state == "finished", run.message
    assert woken and threading.get_ident() not in woken  # from the reader thread
    stamps = set(np.concatenate(applied).tolist())
    done = run.task_end >= 0
    assert set(run.task_start[done].tolist()) <= stamps
    assert set(run.task_end[done].tolist()) <= stamps


def test_after_a_burst_the_reader_naps_as_long_as_it_is_told():
    """Frames that come during the nap are read when it ends, all in one burst."""
    reader, writer = multiprocessing.Pipe(duplex=False)
    frames: deque[bytes] = deque()
    eof = threading.Event()
    bursts: list[int] = []
    naps: list[float] = []

    def nap() -> float:
        naps.append(time.monotonic())
        return 0.5 if len(naps) == 1 else 0.0

    thread = threading.Thread(
        target=read_frames,
        args=(reader, frames, eof, None, lambda: bursts.append(len(frames))),
        kwargs={"nap": nap},
    )
    thread.start()
    writer.send_bytes(b"first")
    assert _until(lambda: naps)
    writer.send_bytes(b"second")  # while the reader naps
    writer.send_bytes(b"third")
    assert _until(lambda: len(bursts) >= 2)
    assert bursts[:2] == [1, 3]  # the two frames came in one burst, after the nap
    assert naps[1] - naps[0] >= 0.5
    writer.close()
    thread.join(10)
    assert not thread.is_alive() and list(frames) == [b"first", b"second", b"third"]


def test_the_reader_naps_until_just_before_the_window_takes_frames_in():
    from coreography.engine import controller as module

    controller = RunController(sample_hz=10.0)
    try:
        assert controller._reader_nap() == module.READER_NAP_S  # the window said nothing
        controller.next_frame_at = time.monotonic() + 0.02
        nap = controller._reader_nap()
        assert 0.02 - module.NAP_AHEAD_S - 0.005 < nap <= 0.02 - module.NAP_AHEAD_S
        controller.next_frame_at = time.monotonic() + module.NAP_AHEAD_S / 2
        assert controller._reader_nap() == 0.0  # the frame is near: read as they come
        controller.next_frame_at = time.monotonic() - 0.001  # the frame is being made
        assert controller._reader_nap() == module.LATE_NAP_S
        controller.next_frame_at = time.monotonic() + 60.0
        assert controller._reader_nap() == module.MAX_NAP_S
    finally:
        controller.shutdown()
