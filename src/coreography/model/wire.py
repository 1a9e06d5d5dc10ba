"""The wire codec: the one place that turns events into frames and frames back into events.

:mod:`coreography.model.events` says *what* crosses (the layout, the kinds); this module
does the crossing. Every sender uses it — the probe in pool workers and Processes
(:mod:`coreography.engine.probe`), the probe of a traced program
(:mod:`coreography.engine.trace.tracer`), the tests and benchmarks — and the run model
(:mod:`coreography.model.run`) decodes with it.

The encoding half is standard library only and stays cheap: a probe calls
:func:`encode_frames` from the hot path of every task. The decoding half uses numpy, which
it imports when first called, so that importing this module never costs a worker numpy.

Events as the senders buffer them:

* a *record* is the tuple ``(kind, flags, lane, task, t_ns, value, aux)`` (see
  :data:`~coreography.model.events.RECORD`);
* a *text item* is the tuple ``(kind, lane, task, t_ns, value, text)``; it travels as a
  JSON list in a text frame.
"""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from coreography.model.events import (
    HEADER,
    MAGIC,
    MAX_FRAME,
    PROTOCOL_VERSION,
    RECORD,
    RECORD_FIELDS,
    RECORDS_PER_FRAME,
    FrameType,
    clip_text,
)

if TYPE_CHECKING:
    import numpy as np

Record = tuple[int, int, int, int, int, float, int]
TextItem = tuple[int, int, int, int, float, str]

_pack_header = HEADER.pack
_pack_record = RECORD.pack
_quote = json.encoder.encode_basestring_ascii  # the C string encoder json.dumps uses
_BINARY, _TEXT = int(FrameType.BINARY), int(FrameType.TEXT)
#: Room for a text frame's JSON items between its brackets.
_TEXT_ROOM = MAX_FRAME - HEADER.size - 2


# -- encoding ---------------------------------------------------------------------------
def header(frame_type: int, pid: int, sent: int) -> bytes:
    """A frame's header; ``sent`` counts the sender's events up to and including it."""
    return _pack_header(MAGIC, PROTOCOL_VERSION, frame_type, pid, sent)


def binary_frame(pid: int, sent: int, records: Sequence[Sequence[Any]]) -> bytes:
    """One binary frame of at most :data:`RECORDS_PER_FRAME` records."""
    return _pack_header(MAGIC, PROTOCOL_VERSION, _BINARY, pid, sent) + b"".join(
        [_pack_record(*record) for record in records]
    )


def encode_text(item: Sequence[Any]) -> str:
    """One text item as JSON, as ``json.dumps(item, ensure_ascii=True,
    separators=(",", ":"))`` writes it, several times cheaper (the numbers as they are,
    the text through the C string encoder). A value that JSON cannot hold (NaN,
    infinity) is sent as 0.0: no text event carries a meaningful one."""
    kind, lane, task, t, value, text = item
    value = value if value == value and abs(value) != _INF else 0.0
    return f"[{kind},{lane},{task},{t},{value!r},{_quote(text)}]"


_INF = float("inf")


def text_frame(pid: int, sent: int, items: Iterable[Sequence[Any]]) -> bytes:
    """One text frame of the given items (the caller makes sure they fit)."""
    body = ",".join([encode_text(item) for item in items])
    return header(_TEXT, pid, sent) + b"[" + body.encode("ascii") + b"]"


def text_bodies(items: Iterable[Sequence[Any]]) -> Iterator[tuple[int, bytes]]:
    """Group text items into frame bodies that fit one frame, each item encoded once.

    Yields ``(number of items, JSON body)``. An item too long to fit even alone has its
    text shortened (its start and its end kept) until it fits.
    """
    group: list[str] = []
    size = 0
    for item in items:
        piece = encode_text(item)
        while len(piece) > _TEXT_ROOM:
            text = item[5]
            item = (*item[:5], clip_text(text, max(64, len(text) * 2 // 3)))
            piece = encode_text(item)
        if group and size + len(piece) + 1 > _TEXT_ROOM:
            yield len(group), ("[" + ",".join(group) + "]").encode("ascii")
            group, size = [], 0
        group.append(piece)
        size += len(piece) + 1
    if group:
        yield len(group), ("[" + ",".join(group) + "]").encode("ascii")


def encode_frames(
    pid: int,
    sent: int,
    records: Sequence[Record],
    texts: Sequence[TextItem],
    packed: Sequence[bytes] = (),
) -> tuple[list[bytes], int]:
    """Everything a sender has buffered, as the frames to write, one atomic write each.

    Records come first, in frames of at most :data:`RECORDS_PER_FRAME`; then the
    ``packed`` ones (records a hot path already packed with ``RECORD.pack``, which
    keeps no tuple alive and leaves nothing to pack here); then the text items.
    Returns the frames and the sender's new ``sent`` count.
    """
    frames = []
    for start in range(0, len(records), RECORDS_PER_FRAME):
        chunk = records[start : start + RECORDS_PER_FRAME]
        sent += len(chunk)
        frames.append(
            _pack_header(MAGIC, PROTOCOL_VERSION, _BINARY, pid, sent)
            + b"".join([_pack_record(*record) for record in chunk])
        )
    for start in range(0, len(packed), RECORDS_PER_FRAME):
        done = packed[start : start + RECORDS_PER_FRAME]
        sent += len(done)
        frames.append(_pack_header(MAGIC, PROTOCOL_VERSION, _BINARY, pid, sent) + b"".join(done))
    if texts:
        for count, body in text_bodies(texts):
            sent += count
            frames.append(_pack_header(MAGIC, PROTOCOL_VERSION, _TEXT, pid, sent) + body)
    return frames, sent


# -- decoding ---------------------------------------------------------------------------
@dataclass(frozen=True)
class FrameHeader:
    frame_type: int
    pid: int
    sent: int


def read_header(frame: bytes) -> FrameHeader | None:
    """The frame's header, or None if it is not a frame of this protocol version."""
    fields = _header_fields(frame)
    return FrameHeader(*fields) if fields is not None else None


def _header_fields(frame: bytes) -> tuple[int, int, int] | None:
    """(frame type, pid, sent) of a frame of this protocol version, else None."""
    if len(frame) < HEADER.size:
        return None
    magic, version, frame_type, pid, sent = HEADER.unpack_from(frame)
    if magic != MAGIC or version != PROTOCOL_VERSION:
        return None
    return frame_type, pid, sent


_dtype: np.dtype[Any] | None = None


def record_dtype() -> np.dtype[Any]:
    """The numpy dtype of one record (numpy is imported on first use)."""
    global _dtype
    if _dtype is None:
        import numpy

        _dtype = numpy.dtype(RECORD_FIELDS)
    return _dtype


def read_records(frame: bytes) -> np.ndarray[Any, Any]:
    """The records of a binary frame, as a zero-copy structured array."""
    import numpy

    return numpy.frombuffer(frame, record_dtype(), offset=HEADER.size)


@dataclass
class Batch:
    """Frames decoded together (the receiving side, once per tick): every binary frame's
    records in one array, in the order they came."""

    records: np.ndarray[Any, Any]  # structured, of record_dtype()
    pids: np.ndarray[Any, Any]  # int32: the process that sent each record
    texts: list[tuple[int, list[Any]]]  # (pid, items) of each text frame
    counts: list[tuple[int, int, int]]  # (pid, records or items, sent) of each good frame
    bad: int  # frames not of this protocol, or damaged


def decode_batch(frames: Iterable[bytes]) -> Batch:
    """Decode ``frames`` in one pass: the binary frames' records are joined and read as one
    array (numpy's per-array cost, paid per frame, was most of a tick's decoding)."""
    import numpy

    size, record_size = HEADER.size, RECORD.size
    payloads: list[memoryview] = []
    binary_pids: list[int] = []
    binary_counts: list[int] = []
    texts: list[tuple[int, list[Any]]] = []
    counts: list[tuple[int, int, int]] = []
    bad = 0
    for frame in frames:
        fields = _header_fields(frame)
        if fields is None:
            bad += 1
            continue
        frame_type, pid, sent = fields
        if frame_type == _BINARY:
            count, rest = divmod(len(frame) - size, record_size)
            if rest:
                bad += 1
                continue
            payloads.append(memoryview(frame)[size:])
            binary_pids.append(pid)
            binary_counts.append(count)
            counts.append((pid, count, sent))
        elif frame_type == _TEXT:
            try:
                items = read_texts(frame)
            except ValueError:
                bad += 1
                continue
            texts.append((pid, items))
            counts.append((pid, len(items), sent))
        else:
            bad += 1
    dtype = record_dtype()
    if payloads:
        records = numpy.frombuffer(bytearray().join(payloads), dtype)  # writable: a copy
        pids = numpy.repeat(numpy.array(binary_pids, numpy.int32), binary_counts)
    else:
        records, pids = numpy.empty(0, dtype), numpy.empty(0, numpy.int32)
    return Batch(records, pids, texts, counts, bad)


def read_texts(frame: bytes) -> list[Any]:
    """The items of a text frame (lists); raises ValueError if the JSON is damaged."""
    items = json.loads(frame[HEADER.size :])
    if not isinstance(items, list):
        raise ValueError("a text frame holds a JSON list")
    return items


def records_frame(pid: int, sent: int, rows: np.ndarray[Any, Any]) -> bytes:
    """A binary frame from a structured array of :func:`record_dtype` (tests, benchmarks)."""
    return header(_BINARY, pid, sent) + rows.astype(record_dtype(), copy=False).tobytes()
