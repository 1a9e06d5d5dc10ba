"""Frames always fit one atomic pipe write, whatever the text in them."""

from __future__ import annotations

import multiprocessing

from coreography.engine import probe as probe_mod
from coreography.engine.probe import ProbeSpec
from coreography.model import wire
from coreography.model.events import MAX_FRAME, FrameType, Kind


def _collect(texts, events=0):
    reader, writer = multiprocessing.Pipe(duplex=False)
    probe = probe_mod.Probe(ProbeSpec(conn=writer, workload="square", calibration=None))
    try:
        for i in range(events):
            probe.emit(Kind.TASK_STARTED, 0, i)
        for text in texts:
            probe.text(Kind.STDOUT, 0, -1, text)
        probe.close()
        frames = []
        while reader.poll(0.2):
            frames.append(reader.recv_bytes())
    finally:
        probe._stop.set()
        probe._flusher.join()
        reader.close()
        writer.close()
    return frames


def test_every_frame_fits_one_pipe_write_and_nothing_is_dropped():
    texts = ["é" * 10_000, "x" * 50_000, "short", "日本語" * 3000, "\u0000\n\t" * 100]
    frames = _collect(texts, events=1000)
    assert frames and all(len(frame) <= MAX_FRAME for frame in frames)
    records = texts_seen = 0
    for frame in frames:
        head = wire.read_header(frame)
        assert head is not None
        if head.frame_type == FrameType.BINARY:
            records += len(wire.read_records(frame))
        else:
            texts_seen += len(wire.read_texts(frame))
    assert records == 1000 + 1  # the tasks, and the goodbye
    assert texts_seen == len(texts)


def test_long_text_keeps_its_beginning_and_its_end():
    frames = _collect(["BEGIN" + "-" * 20_000 + "END"])
    text_frames = [f for f in frames if wire.read_header(f).frame_type == FrameType.TEXT]
    (item,) = wire.read_texts(text_frames[0])
    assert item[5].startswith("BEGIN") and item[5].endswith("END")
    assert "…" in item[5]
