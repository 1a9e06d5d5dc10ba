"""The wire codec and the accounting layout: what senders write is what the run reads."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from coreography.model import wire
from coreography.model.accounting import PID, PRODUCED, TASK, Accounting
from coreography.model.events import HEADER, MAX_FRAME, RECORD, RECORDS_PER_FRAME, FrameType, Kind

TEXTS = [
    (10, 0, 3, 123_456_789, 0.0, "plain"),
    (16, 2, -1, 1, 0.0, 'quotes " and \\ backslash'),
    (9, 1, 7, 2**40, 1.5, "é 日本語 \u0000\n\t"),
    (13, 0, -1, 5, -2.25e-300, ""),
]


@pytest.mark.parametrize("item", TEXTS)
def test_a_text_item_is_written_as_json_dumps_writes_it(item):
    expected = json.dumps(list(item), ensure_ascii=True, separators=(",", ":"))
    assert wire.encode_text(item) == expected


def test_a_value_json_cannot_hold_is_sent_as_zero():
    for value in (math.nan, math.inf, -math.inf):
        decoded = json.loads(wire.encode_text((10, 0, 0, 1, value, "x")))
        assert decoded[4] == 0.0


def test_frames_decode_to_what_was_encoded():
    records = [(int(Kind.TASK_STARTED), 0, 1, t, 1000 + t, 0.5 * t, -t) for t in range(300)]
    texts = [(int(Kind.STDOUT), 0, t, 2000 + t, 0.0, f"line {t} " * 40) for t in range(50)]
    frames, sent = wire.encode_frames(4242, 10, records, texts)
    assert sent == 10 + len(records) + len(texts)
    assert all(len(frame) <= MAX_FRAME for frame in frames)
    got_records, got_texts, counts = [], [], []
    for frame in frames:
        head = wire.read_header(frame)
        assert head is not None and head.pid == 4242
        if head.frame_type == FrameType.BINARY:
            rows = wire.read_records(frame)
            assert len(rows) <= RECORDS_PER_FRAME
            got_records += rows.tolist()
            counts.append(head.sent)
        else:
            assert head.frame_type == FrameType.TEXT
            got_texts += [tuple(item) for item in wire.read_texts(frame)]
            counts.append(head.sent)
    assert got_records == records
    assert got_texts == texts
    # Each frame's count includes its own events: increasing, ending at the total.
    assert counts == sorted(counts) and counts[-1] == sent and len(set(counts)) == len(frames)


def test_a_batch_decodes_as_its_frames_one_by_one_and_counts_the_bad_ones():
    frames: list[bytes] = []
    expected_records, expected_pids, expected_texts = [], [], []
    for pid in (101, 202, 101, 303):
        records = [(int(Kind.TASK_FINISHED), 0, 2, pid + t, 5000 + t, 1.5, t) for t in range(70)]
        texts = [(int(Kind.STDOUT), 0, t, 9000 + t, 0.0, f"{pid} says {t}") for t in range(3)]
        got, _sent = wire.encode_frames(pid, 0, records, texts)
        frames += got
        expected_records += records
        expected_pids += [pid] * len(records)
        expected_texts += [(pid, [list(item) for item in texts])]
    good = list(frames)
    damaged = [
        frames[0][:5],  # no whole header
        b"\xef\xbe" + frames[0][2:],  # not this protocol
        frames[0][:-3],  # a record cut short
        wire.header(FrameType.TEXT, 7, 1) + b'{"a": 1}',  # text that is no list
        wire.header(9, 7, 1),  # a frame type no one sends
    ]
    batch = wire.decode_batch(damaged[:2] + good[:3] + damaged[2:] + good[3:])
    assert batch.bad == len(damaged)
    assert batch.records.tolist() == expected_records
    assert batch.pids.tolist() == expected_pids
    assert batch.records.flags.writeable  # a traced program's records are rewritten in place
    texts = {}
    for pid, items in batch.texts:
        texts.setdefault(pid, []).extend(items)
    assert sorted(texts.items()) == sorted(
        (pid, [i for p, items in expected_texts if p == pid for i in items]) for pid in texts
    )
    # Each good frame's own count and running total, in order.
    one_by_one = []
    for frame in good:
        head = wire.read_header(frame)
        assert head is not None
        size = (
            len(wire.read_records(frame))
            if head.frame_type == FrameType.BINARY
            else len(wire.read_texts(frame))
        )
        one_by_one.append((head.pid, size, head.sent))
    assert batch.counts == one_by_one
    empty = wire.decode_batch([])
    assert len(empty.records) == 0 and len(empty.pids) == 0 and empty.bad == 0


def test_text_too_long_for_a_frame_is_shortened_keeping_both_ends():
    text = "BEGIN" + "x" * 20_000 + "END"
    ((count, body),) = list(wire.text_bodies([(10, 0, 0, 1, 0.0, text)]))
    assert count == 1 and len(body) + HEADER.size <= MAX_FRAME
    (item,) = json.loads(body)
    assert item[5].startswith("BEGIN") and item[5].endswith("END") and len(item[5]) < 5000


def test_frames_of_other_versions_or_garbage_have_no_header():
    good = wire.binary_frame(1, 1, [(7, 0, 0, 0, 1, 0.0, 0)])
    assert wire.read_header(good) == wire.FrameHeader(FrameType.BINARY, 1, 1)
    assert wire.read_header(good[:5]) is None
    assert wire.read_header(b"\xef\xbe" + good[2:]) is None
    assert wire.read_header(good[:2] + b"\x09" + good[3:]) is None  # version 9
    with pytest.raises(ValueError):
        wire.read_texts(wire.header(FrameType.TEXT, 1, 1) + b'{"a": 1}')


def test_the_numpy_dtype_is_the_struct_layout():
    assert wire.record_dtype().itemsize == RECORD.size
    rows = np.zeros(2, wire.record_dtype())
    rows[1] = (8, 2, 3, 41, 123, 2.5, -7)
    assert wire.records_frame(5, 2, rows) == wire.binary_frame(
        5, 2, [(0, 0, 0, 0, 0, 0.0, 0), (8, 2, 3, 41, 123, 2.5, -7)]
    )


def test_accounting_slots_hold_produced_pid_and_task():
    words = [0] * Accounting.words_for(4)
    accounting = Accounting(words)
    assert accounting.claim(1, 501) and accounting.claim(3, 503)
    assert not accounting.claim(4, 504)  # no such slot
    words[accounting.offset(1, PRODUCED)] = 10
    accounting.set_produced(3, 7)
    words[accounting.offset(3, TASK)] = 12
    assert words[accounting.offset(3, PID)] == 503
    assert accounting.produced() == {501: 10, 503: 7}
    assert accounting.task_of(503) == 12 and accounting.task_of(501) == -1
    assert accounting.task_of(999) == -1


def test_a_traced_programs_accounting_skips_its_slot_counter():
    words = [0] * 8  # word 0: slots handed out; then (produced, pid) pairs from slot 1
    accounting = Accounting(words, width=2, first=1)
    assert not accounting.claim(0, 1)
    assert accounting.claim(1, 700) and accounting.claim(2, 701)
    accounting.set_produced(1, 5)
    accounting.set_produced(2, 6)
    words[0] = 1
    assert accounting.produced(slots=words[0] + 1) == {700: 5}
    assert accounting.produced() == {700: 5, 701: 6}
    assert accounting.task_of(700) == -1  # this layout has no task word
