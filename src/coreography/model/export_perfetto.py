"""A run as a Perfetto trace: Perfetto's own protobuf format (``.pftrace``).

It holds what the Chrome trace (:mod:`coreography.model.export`) holds — each task as a
slice on its lane's thread track with its status, result, error and CPU time; printed
lines as instants; thread states; CPU per core and each queue's depth as counters;
messages as instants joined by flows, and waits — in Perfetto's native format, which
Perfetto reads as its own rather than as the legacy JSON it supports "on a best-effort
basis" (perfetto.dev, FAQ). The file is a ``Trace`` message: a sequence of
``TracePacket`` records, each a track's descriptor or a ``TrackEvent``.

The encoder is written here (no protobuf library is needed to write a trace); the tests
read its output back with Perfetto's own schema (the ``perfetto`` package's
``perfetto_trace_pb2``). The bulk, two packets per task, is encoded a block of packets at
a time with numpy, as :mod:`coreography.model.export_rows` formats the JSON.

Times are nanoseconds since the earliest moment the trace holds (the run's start, or an
event before it): Perfetto shows every time relative to the trace's start anyway.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from coreography.model import ascii_columns as ac
from coreography.model.events import TASK_PHASES, Kind
from coreography.model.export import _short, _started, _tid, _write
from coreography.model.messages import NO_TIME as NO_MESSAGE_TIME
from coreography.model.run import DONE, NO_TIME, Run
from coreography.model.states import task_state_name
from coreography.model.thread_states import lock_is_gil, state_label

#: Packets encoded together (each task gives two): big enough for numpy to pay.
BLOCK = 65_536
_SEQUENCE = 1  # the one packet sequence of the file (its interned names belong to it)
_PHASES = frozenset(TASK_PHASES.values())

# Field numbers of Perfetto's trace schema (protos/perfetto/trace/), as (field << 3 | wire
# type) keys. Wire types: 0 varint, 1 64-bit, 2 length-delimited.
_TRACE_PACKET = b"\x0a"  # Trace.packet = 1
_TIMESTAMP = b"\x40"  # TracePacket.timestamp = 8
_SEQUENCE_ID = b"\x50"  # TracePacket.trusted_packet_sequence_id = 10
_TRACK_EVENT = b"\x5a"  # TracePacket.track_event = 11
_INTERNED = b"\x62"  # TracePacket.interned_data = 12
_FLAGS = b"\x68"  # TracePacket.sequence_flags = 13
_TRACK_DESCRIPTOR = b"\xe2\x03"  # TracePacket.track_descriptor = 60
_CLEARED, _NEEDS_STATE = 1, 2  # SEQ_INCREMENTAL_STATE_CLEARED, SEQ_NEEDS_INCREMENTAL_STATE
# TrackEvent
_ANNOTATION = b"\x22"  # debug_annotations = 4
_TYPE = b"\x48"  # type = 9
_NAME_IID = b"\x50"  # name_iid = 10
_TRACK_UUID = b"\x58"  # track_uuid = 11
_NAME = b"\xba\x01"  # name = 23
_DOUBLE_COUNTER = b"\xe1\x02"  # double_counter_value = 44
_FLOW = b"\xf9\x02"  # flow_ids = 47 (fixed64)
_END_FLOW = b"\x81\x03"  # terminating_flow_ids = 48 (fixed64)
_BEGIN, _END, _INSTANT, _COUNTER = 1, 2, 3, 4  # TrackEvent.Type
# DebugAnnotation
_A_NAME_IID = b"\x08"  # name_iid = 1
_A_INT = b"\x20"  # int_value = 4
_A_DOUBLE = b"\x29"  # double_value = 5
_A_STRING = b"\x32"  # string_value = 6
# TrackDescriptor: uuid 1, name 2, process 3, thread 4, parent_uuid 5, counter 8,
# child_ordering 11, sibling_order_rank 12; ProcessDescriptor: pid 1, process_name 6;
# ThreadDescriptor: pid 1, tid 2, thread_name 5; CounterDescriptor: unit_name 6.
_EXPLICIT = 3  # TrackDescriptor.ChildTracksOrdering.EXPLICIT
# InternedData: event_names 2, debug_annotation_names 3; each entry: iid 1, name 2.

#: The debug annotations' names, interned once: name -> iid.
ANNOTATIONS = {
    name: iid
    for iid, name in enumerate(
        (
            "task",
            "status",
            "result",
            "cpu_ms",
            "error",
            "text",
            "bytes",
            "channel",
            "message",
            "in_flight_us",
            "experiment",
            "state",
            "why",
        ),
        start=1,
    )
}

# Track uuids, one range per kind of track (small numbers: they are in every packet).
_LANE_UUID = 1  # + the lane's index: its thread track (tasks, prints, messages)
_PROCESS_UUID = 1 << 20  # + the process's order
_STATE_UUID = 2 << 20  # + the lane's index: its thread states
_WAIT_UUID = 3 << 20  # + the lane's index: its waits
_CPU_UUID = 4 << 20  # the "CPU cores" group; + 1 + core: a core's counter
_QUEUE_UUID = 5 << 20  # the "Queues and pipes" group; + 1 + order: a depth counter
_RUN_UUID = 6 << 20  # the run itself: its experiment, end state and message


# -- the wire format, one value at a time ---------------------------------------------------
def _varint(value: int) -> bytes:
    """``value`` as a protobuf varint (a negative int64 as its 64-bit two's complement)."""
    value &= (1 << 64) - 1
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _field(key: bytes, body: bytes) -> bytes:
    """A length-delimited field: a string or a nested message."""
    return key + _varint(len(body)) + body


def _text(key: bytes, text: str) -> bytes:
    return _field(key, text.encode("utf-8"))


def _annotation(name: str, value: object) -> bytes:
    """A debug annotation ``name = value`` (an int, a float or anything as text)."""
    head = _A_NAME_IID + _varint(ANNOTATIONS[name])
    if isinstance(value, bool) or not isinstance(value, int | float):
        body = head + _text(_A_STRING, str(value))
    elif isinstance(value, int) and -(1 << 63) <= value < 1 << 63:
        body = head + _A_INT + _varint(value)
    else:
        body = head + _A_DOUBLE + struct.pack("<d", float(value))
    return _field(_ANNOTATION, body)


def _packet(body: bytes) -> bytes:
    return _field(_TRACE_PACKET, body)


def _event(t: int, kind: int, track: int, rest: bytes = b"", needs_state: bool = False) -> bytes:
    """One TrackEvent packet at ``t`` (ns on the trace's clock)."""
    event = _TYPE + _varint(kind) + _TRACK_UUID + _varint(track) + rest
    head = _TIMESTAMP + _varint(t) + _SEQUENCE_ID + _varint(_SEQUENCE)
    if needs_state:
        head += _FLAGS + _varint(_NEEDS_STATE)
    return _packet(head + _field(_TRACK_EVENT, event))


def _track(uuid: int, fields: bytes) -> bytes:
    body = b"\x08" + _varint(uuid) + fields
    return _packet(_SEQUENCE_ID + _varint(_SEQUENCE) + _field(_TRACK_DESCRIPTOR, body))


def _interned(event_names: dict[str, int]) -> bytes:
    """The sequence's first packet: it clears the incremental state and interns names."""
    entries = [
        _field(b"\x1a", b"\x08" + _varint(iid) + _text(b"\x12", name))
        for name, iid in ANNOTATIONS.items()
    ]
    entries += [
        _field(b"\x12", b"\x08" + _varint(iid) + _text(b"\x12", name))
        for name, iid in event_names.items()
    ]
    head = _SEQUENCE_ID + _varint(_SEQUENCE) + _FLAGS + _varint(_CLEARED)
    return _packet(head + _field(_INTERNED, b"".join(entries)))


# -- the wire format, a column at a time ----------------------------------------------------
class _Rows:
    """Encoded packets side by side, one row each, built part by part: every part is a
    byte matrix and how many of each row's first bytes belong (rows differ in length)."""

    def __init__(self, count: int) -> None:
        self.count = count
        #: (matrix, lengths): ``lengths`` None where every row has the whole width.
        self.parts: list[tuple[np.ndarray, np.ndarray | None]] = []

    def put(self, data: bytes, rows: np.ndarray | None = None) -> None:
        """The same bytes in every row, or in the rows marked in ``rows``."""
        if rows is not None and not rows.any():
            return
        matrix = np.broadcast_to(np.frombuffer(data, np.uint8), (self.count, len(data)))
        self.parts.append((matrix, None if rows is None else rows * len(data)))

    def put_varint(self, values: np.ndarray, rows: np.ndarray | None = None) -> None:
        if rows is not None and not rows.any():
            return
        matrix, lengths = _varints(values)
        self.parts.append((matrix, lengths if rows is None else lengths * rows))

    def put_double(self, values: np.ndarray, rows: np.ndarray) -> None:
        if not rows.any():
            return
        matrix = np.ascontiguousarray(values, "<f8").view(np.uint8).reshape(self.count, 8)
        self.parts.append((matrix, rows * 8))

    def put_left(
        self, matrix: np.ndarray, lengths: np.ndarray, rows: np.ndarray | None = None
    ) -> None:
        """Each row's first ``lengths`` bytes of ``matrix`` (where ``rows``)."""
        if rows is not None and not rows.any():
            return
        self.parts.append((matrix, lengths if rows is None else lengths * rows))

    def put_table(
        self, table: list[bytes], index: np.ndarray, rows: np.ndarray | None = None
    ) -> None:
        """Row ``i`` gets ``table[index[i]]`` (where ``rows[i]``)."""
        width = max((len(entry) for entry in table), default=0)
        matrix = np.zeros((len(table), width), np.uint8)
        lengths = np.zeros(len(table), np.int64)
        for k, entry in enumerate(table):
            matrix[k, : len(entry)] = np.frombuffer(entry, np.uint8)
            lengths[k] = len(entry)
        picked = lengths[index]
        self.parts.append((matrix[index], picked if rows is None else picked * rows))

    def extend(self, other: _Rows) -> None:
        self.parts.extend(other.parts)

    def sizes(self) -> np.ndarray:
        total = np.zeros(self.count, np.int64)
        for matrix, lengths in self.parts:
            total += matrix.shape[1] if lengths is None else lengths
        return total

    def join(self) -> bytes:
        """The rows one after the other, each part's bytes in order."""
        if not self.count or not self.parts:
            return b""
        width = sum(matrix.shape[1] for matrix, _ in self.parts)
        table = np.empty((self.count, width), np.uint8)
        mask = np.empty((self.count, width), bool)
        column = 0
        for matrix, lengths in self.parts:
            span = slice(column, column + matrix.shape[1])
            table[:, span] = matrix
            if lengths is None:
                mask[:, span] = True
            else:
                np.less(np.arange(matrix.shape[1]), lengths[:, None], out=mask[:, span])
            column += matrix.shape[1]
        data: bytes = table[mask].tobytes()
        return data


def _varints(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each of ``values`` as a varint: a byte matrix and each row's length in bytes."""
    rest = np.asarray(values).astype(np.uint64)  # an int64 below 0: two's complement
    lengths = np.ones(len(rest), np.int64)
    columns = []
    seven = np.uint64(7)
    for _ in range(10):
        low = (rest & np.uint64(0x7F)).astype(np.uint8)
        rest = rest >> seven
        more = rest != 0
        columns.append(low | (more.astype(np.uint8) << 7))
        if not more.any():
            break
        lengths += more
    return np.stack(columns, axis=1), lengths


def _decimal(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whole numbers >= 0 as ASCII digits, left-aligned: a matrix and each row's length."""
    right = ac.integers(values)  # right-aligned, PAD (0) before the digits
    lengths = (right != ac.PAD).sum(axis=1)
    width = right.shape[1]
    shift = (np.arange(width) + (width - lengths)[:, None]) % width
    return np.take_along_axis(right, shift, axis=1), lengths


def _slice_packets(
    begin: np.ndarray,
    end: np.ndarray,
    tracks: np.ndarray,
    base: int,
    begin_fields: Callable[[np.ndarray], _Rows],
) -> Iterator[bytes]:
    """Each slice as its begin packet and its end packet, one after the other, the slices
    in the order they began, a block at a time.

    ``begin_fields(rows)`` gives the begin packets' own TrackEvent fields (name and
    annotations) for slice indices ``rows``. A track's slices do not overlap, so its
    packets are in time order, and where one slice ends as the next begins the end comes
    first: Perfetto sorts packets by time keeping the file's order at equal times, so
    back-to-back slices do not nest.
    """
    order = np.argsort(begin, kind="stable")
    for first in range(0, len(order), BLOCK):
        rows = order[first : first + BLOCK]
        n = len(rows)
        uuid, uuid_length = _varints(tracks[rows])
        # the begin packet
        event = _Rows(n)
        event.put(_TYPE + bytes([_BEGIN]) + _TRACK_UUID)
        event.put_left(uuid, uuid_length, None)
        event.extend(begin_fields(rows))
        out = _Rows(n)
        _packet_of(out, begin[rows] - base, event, _FLAGS + _varint(_NEEDS_STATE))
        # the end packet
        event = _Rows(n)
        event.put(_TYPE + bytes([_END]) + _TRACK_UUID)
        event.put_left(uuid, uuid_length, None)
        _packet_of(out, end[rows] - base, event, b"")
        yield out.join()


def _packet_of(out: _Rows, times: np.ndarray, event: _Rows, flags: bytes) -> None:
    """Append to ``out`` a TracePacket at ``times`` holding ``event``, framed as one of the
    Trace's packets."""
    packet = _Rows(out.count)
    packet.put(_TIMESTAMP)
    packet.put_varint(times)
    packet.put(_SEQUENCE_ID + _varint(_SEQUENCE) + flags + _TRACK_EVENT)
    packet.put_varint(event.sizes())
    packet.extend(event)
    out.put(_TRACE_PACKET)
    out.put_varint(packet.sizes())
    out.extend(packet)


# -- the run's content ----------------------------------------------------------------------
def _base(run: Run) -> int:
    """The trace's zero: the run's start, or the earliest event before it."""
    earliest = [run.t0]
    started = run.task_start[run.task_start != NO_TIME]
    if len(started):
        earliest.append(int(started.min()))
    if run.texts:
        earliest.append(min(line.t for line in run.texts))
    states = run.thread_states.view()
    if len(states):
        earliest.append(int(states["start"].min()))
    if len(run.cpu_t):
        earliest.append(int(run.cpu_t.view()[0]))
    if run.messages:
        waits = run.messages.waits()
        if len(waits):
            earliest.append(int(waits["start"].min()))
        sent = run.messages.sent()
        if len(sent):
            earliest.append(int(sent["t"].min()))
    return min(earliest)


def _task_fields(run: Run, tasks: np.ndarray) -> Callable[[np.ndarray], _Rows]:
    """The begin fields of task slices: the name "task N" and the task's annotations."""
    status_table = [_annotation("status", task_state_name(code - 128)) for code in range(256)]
    special = set(run.task_text) | set(run.task_errors)
    task_iid = _A_NAME_IID + _varint(ANNOTATIONS["task"])
    result_head = _A_NAME_IID + _varint(ANNOTATIONS["result"])
    cpu_head = _A_NAME_IID + _varint(ANNOTATIONS["cpu_ms"])

    def fields(rows: np.ndarray) -> _Rows:
        task = tasks[rows]
        n = len(rows)
        out = _Rows(n)
        name, name_length = _decimal(task)
        out.put(_NAME)
        out.put_varint(5 + name_length)
        out.put(b"task ")
        out.put_left(name, name_length)
        # "task": N
        task_matrix, task_length = _varints(task)
        out.put(_ANNOTATION)
        out.put_varint(len(task_iid) + 1 + task_length)
        out.put(task_iid + _A_INT)
        out.put_left(task_matrix, task_length)
        # "status": its word
        status = run.task_status[task].astype(np.int64) + 128
        out.put_table(status_table, status)
        # "result": a whole number or a fraction (text: below, with errors)
        is_special = np.isin(task, np.fromiter(special, np.int64, len(special)))
        values = run.task_value[task]
        has = (run.task_status[task] == DONE) & ~np.isnan(values) & ~is_special
        whole = has & (np.floor(values) == values) & (np.abs(values) < 2**53)
        fraction = has & ~whole
        whole_values = np.where(whole, values, 0).astype(np.int64)
        whole_matrix, whole_length = _varints(whole_values)
        out.put(_ANNOTATION, whole)
        out.put_varint(len(result_head) + 1 + whole_length, whole)
        out.put(result_head + _A_INT, whole)
        out.put_left(whole_matrix, whole_length, whole)
        out.put(_ANNOTATION + _varint(len(result_head) + 9) + result_head + _A_DOUBLE, fraction)
        out.put_double(np.where(fraction, values, 0.0), fraction)
        # "cpu_ms"
        cpu = run.task_cpu[task]
        has_cpu = (run.task_status[task] == DONE) & (cpu != NO_TIME)
        out.put(_ANNOTATION + _varint(len(cpu_head) + 9) + cpu_head + _A_DOUBLE, has_cpu)
        out.put_double(np.where(has_cpu, cpu, 0) / 1e6, has_cpu)
        # the result and error of a task with a text result or an error, one by one
        # (few tasks have either)
        picked = np.flatnonzero(is_special)
        if len(picked):
            table = [b""]
            for row in picked.tolist():
                one = int(task[row])
                extra = b""
                result = run.result(one)
                if result is not None:
                    extra += _annotation("result", result)
                if one in run.task_errors:
                    extra += _annotation("error", run.task_errors[one])
                table.append(extra)
            index = np.zeros(n, np.int64)
            index[picked] = np.arange(1, len(picked) + 1)
            out.put_table(table, index, index > 0)
        return out

    return fields


def _state_fields(names: np.ndarray) -> Callable[[np.ndarray], _Rows]:
    """The begin fields of thread-state slices: their interned name."""

    def fields(rows: np.ndarray) -> _Rows:
        out = _Rows(len(rows))
        out.put(_NAME_IID)
        out.put_varint(names[rows])
        return out

    return fields


def _wait_fields(names: np.ndarray, annotations: list[bytes]) -> Callable[[np.ndarray], _Rows]:
    """The begin fields of waits: their interned name and what they waited on."""

    def fields(rows: np.ndarray) -> _Rows:
        out = _Rows(len(rows))
        out.put(_NAME_IID)
        out.put_varint(names[rows])
        out.put_table(annotations, rows)
        return out

    return fields


def _tracks(run: Run, with_states: set[int], with_waits: set[int]) -> Iterator[bytes]:
    """A track per process, per lane (and its states and waits), per core and queue."""
    processes: dict[int, int] = {}
    for lane in run.lanes:
        if lane.pid not in processes:
            uuid = _PROCESS_UUID + len(processes)
            processes[lane.pid] = uuid
            name = lane.label if lane.thread == 0 else f"Main · PID {lane.pid}"
            process = b"\x08" + _varint(lane.pid) + _text(b"\x32", name)
            yield _track(
                uuid,
                _field(b"\x1a", process)
                + b"\x58"
                + _varint(_EXPLICIT)
                + b"\x60"
                + _varint(lane.index),
            )
        parent = processes[lane.pid]
        rank = b"\x60" + _varint(3 * lane.index)
        thread = b"\x08" + _varint(lane.pid) + b"\x10" + _varint(_tid(lane))
        yield _track(
            _LANE_UUID + lane.index,
            _field(b"\x22", thread + _text(b"\x2a", lane.label)) + rank,
        )
        for uuid, shown, what, place in (
            (_STATE_UUID, with_states, "state", 1),
            (_WAIT_UUID, with_waits, "waits", 2),
        ):
            if lane.index in shown:  # beside the lane's thread, in its process
                label = _text(b"\x12", f"{lane.label} · {what}")
                order = b"\x60" + _varint(3 * lane.index + place)
                yield _track(uuid + lane.index, label + b"\x28" + _varint(parent) + order)
    if len(run.cpu_t):
        yield _track(_CPU_UUID, _text(b"\x12", "CPU cores"))
        for core in range(run.cpu_percore.view().shape[1]):
            yield _track(
                _CPU_UUID + 1 + core,
                _text(b"\x12", f"CPU {core} %")
                + b"\x28"
                + _varint(_CPU_UUID)
                + _field(b"\x42", _text(b"\x32", "%")),
            )


def _run_track(run: Run, base: int) -> Iterator[bytes]:
    """A "Run" track with one instant at the run's start: the experiment (as JSON), the
    state the run ended in and its message (the Chrome trace's ``otherData``)."""
    yield _track(_RUN_UUID, _text(b"\x12", "Run"))
    rest = (
        _text(_NAME, f"run · {run.state}")
        + _annotation("experiment", json.dumps(run.experiment.to_dict(), ensure_ascii=False))
        + _annotation("state", run.state)
        + (_annotation("why", run.message) if run.message else b"")
    )
    yield _event(run.t0 - base, _INSTANT, _RUN_UUID, rest, needs_state=True)


def _prints(run: Run, base: int) -> Iterator[bytes]:
    for line in run.texts:
        if line.kind != Kind.STDOUT or not 0 <= line.lane < len(run.lanes):
            continue
        rest = _text(_NAME, _short(line.text)) + _annotation("text", line.text)
        if line.task is not None:
            rest += _annotation("task", line.task)
        yield _event(line.t - base, _INSTANT, _LANE_UUID + line.lane, rest, needs_state=True)


def _cpu(run: Run, base: int) -> Iterator[bytes]:
    if not len(run.cpu_t):
        return
    times = (run.cpu_t.view() - base).tolist()
    percore = run.cpu_percore.view()
    for core in range(percore.shape[1]):
        track = _CPU_UUID + 1 + core
        for t, value in zip(times, percore[:, core].tolist(), strict=True):
            value_field = _DOUBLE_COUNTER + struct.pack("<d", round(value, 2))
            yield _event(t, _COUNTER, track, value_field)


def _messages(run: Run, base: int) -> Iterator[bytes]:
    """Each message as a "put" instant on its sender's track and a "get" on its
    receiver's, joined by a flow, and a depth counter per queue or pipe."""
    messages, lanes = run.messages, run.lanes
    if not messages:
        return
    for row in messages.arrows().tolist():
        message, channel, source, target, sent, received, size = row
        if not 0 <= source < len(lanes):
            continue
        name = messages.channel_name(channel)
        args = (
            _annotation("bytes", size)
            + _annotation("channel", name)
            + _annotation("message", message)
        )
        flow = struct.pack("<Q", message + 1)  # a flow id is never 0
        arrives = received != NO_MESSAGE_TIME and 0 <= target < len(lanes)
        rest = _text(_NAME, f"put → {name}") + args + (_FLOW + flow if arrives else b"")
        yield _event(sent - base, _INSTANT, _LANE_UUID + source, rest, needs_state=True)
        if not arrives:
            continue  # never taken off: no arrow, the depth track shows it waiting
        rest = (
            _text(_NAME, f"get ← {name}")
            + args
            + _annotation("in_flight_us", (received - sent) / 1e3)
            + _END_FLOW
            + flow
        )
        yield _event(received - base, _INSTANT, _LANE_UUID + target, rest, needs_state=True)
    channels = messages.message_channels()
    if channels:
        yield _track(_QUEUE_UUID, _text(b"\x12", "Queues and pipes"))
    for order, channel in enumerate(channels):
        track = _QUEUE_UUID + 1 + order
        name = f"{messages.channel_name(channel)} depth"
        yield _track(
            track,
            _text(b"\x12", name)
            + b"\x28"
            + _varint(_QUEUE_UUID)
            + _field(b"\x42", _text(b"\x32", "messages")),
        )
        times, depth = messages.depth(channel)
        for t, value in zip(times.tolist(), depth.tolist(), strict=True):
            yield _event(t - base, _COUNTER, track, _DOUBLE_COUNTER + struct.pack("<d", value))


def _write_trace(run: Run, write: Callable[[bytes], object]) -> None:
    base = _base(run)
    states = run.thread_states.view()
    states = states[(states["lane"] >= 0) & (states["lane"] < len(run.lanes))]
    gil = lock_is_gil(run.experiment)
    state_codes = sorted(set(states["state"].tolist()))
    event_names = {state_label(code, gil): 0 for code in state_codes}
    event_names = {name: iid for iid, name in enumerate(event_names, start=1)}
    messages = run.messages
    waits = messages.waits() if messages else None
    if waits is not None:
        waits = waits[(waits["lane"] >= 0) & (waits["lane"] < len(run.lanes))]
        for on in sorted(set(waits["on"].tolist())):
            event_names.setdefault(messages.wait_label(on), len(event_names) + 1)
    wait_lanes = set() if waits is None else set(waits["lane"].tolist())
    write(_interned(event_names))
    for packet in _tracks(run, set(states["lane"].tolist()), wait_lanes):
        write(packet)
    tasks = _started(run)
    if len(tasks):
        ends = run.task_end[tasks]
        ends = np.where(ends != NO_TIME, ends, run.last_time())
        starts = run.task_start[tasks]
        for blob in _slice_packets(
            starts,
            np.maximum(ends, starts),
            _LANE_UUID + run.task_lane[tasks].astype(np.int64),
            base,
            _task_fields(run, tasks),
        ):
            write(blob)
    if len(states):
        iid_of = np.zeros(max(state_codes) + 1, np.int64)
        for code in state_codes:
            iid_of[code] = event_names[state_label(code, gil)]
        for blob in _slice_packets(
            states["start"].astype(np.int64),
            np.maximum(states["end"], states["start"]).astype(np.int64),
            _STATE_UUID + states["lane"].astype(np.int64),
            base,
            _state_fields(iid_of[states["state"].astype(np.int64)]),
        ):
            write(blob)
    if waits is not None and len(waits):
        annotations = [
            _annotation("task", channel)
            if on in _PHASES
            else _annotation("channel", messages.channel_name(channel))
            for on, channel in zip(waits["on"].tolist(), waits["channel"].tolist(), strict=True)
        ]
        names = np.array([event_names[messages.wait_label(on)] for on in waits["on"].tolist()])
        for blob in _slice_packets(
            waits["start"].astype(np.int64),
            np.maximum(waits["end"], waits["start"]).astype(np.int64),
            _WAIT_UUID + waits["lane"].astype(np.int64),
            base,
            _wait_fields(names, annotations),
        ):
            write(blob)
    for source in (
        _run_track(run, base),
        _prints(run, base),
        _cpu(run, base),
        _messages(run, base),
    ):
        batch: list[bytes] = []
        for packet in source:
            batch.append(packet)
            if len(batch) == 4096:
                write(b"".join(batch))
                batch = []
        write(b"".join(batch))


def export_perfetto(run: Run, path: str | os.PathLike[str]) -> None:
    """Write ``run`` as a Perfetto protobuf trace (gzip when the name ends in .gz).

    Parameters
    ----------
    run
        The run, live or loaded.
    path
        Where to write, e.g. ``run.pftrace``; ui.perfetto.dev opens it. Packets are
        written a block at a time: memory stays small however big the run.
    """
    _write(Path(path), lambda write: _write_trace(run, write))
