"""The event protocol: what crosses from experiment processes to the app, in one place.

Every event is a fixed-size binary record; anything with text (printed lines, errors,
results that are not numbers, run status) travels as a *text event* next to it.
Events are sent in *frames* of at most :data:`MAX_FRAME` bytes so that one ``write`` to
a pipe carries a whole frame: on Linux a pipe write of at most ``PIPE_BUF`` bytes is
atomic, so many writers can share one pipe without a lock, and a worker killed while
sending loses its own frame, never another worker's.

Frame layout (little endian)::

    header  = magic u16, version u8, frame type u8, pid i32, events_sent i64
    binary  = header + N records of RECORD_DTYPE
    text    = header + UTF-8 JSON list of [kind, lane, task, t_ns, value, text]

``events_sent`` counts every event the sender has sent up to and including this frame;
it lets the receiver prove nothing was lost in between.
"""

from __future__ import annotations

import enum
import struct

PROTOCOL_VERSION = 1
MAGIC = 0xC0E0
#: One frame fits one atomic pipe write (Linux PIPE_BUF is 4096; 4 bytes go to the
#: multiprocessing length prefix).
MAX_FRAME = 4092

HEADER = struct.Struct("<HBBiq")
RECORD = struct.Struct("<BBHiqdq")
#: numpy field layout of RECORD, for the receiving side (kept as plain data so that
#: workers never import numpy).
RECORD_FIELDS = [
    ("kind", "u1"),
    ("flags", "u1"),
    ("lane", "u2"),
    ("task", "i4"),
    ("t", "i8"),
    ("value", "f8"),
    ("aux", "i8"),
]
RECORDS_PER_FRAME = (MAX_FRAME - HEADER.size) // RECORD.size
#: Longest text one text event carries; longer text keeps its start and its end.
MAX_TEXT = 3000


class FrameType(enum.IntEnum):
    BINARY = 1
    TEXT = 2


class Kind(enum.IntEnum):
    """What happened. ``lane`` is the thread ordinal inside the sending process."""

    RUN_STARTED = 1  #: driver; value = number of tasks
    WORKERS_REQUESTED = 2  #: driver, before starting workers; value = how many; task = for one
    WORKER_READY = 3  #: worker, first thing; aux = its pid
    WORKER_DONE = 4  #: worker, last thing; value = its CPU seconds
    WORKER_EXITED = 5  #: driver; aux = pid, value = exit code (negative: signal)
    TASKS_SUBMITTED = 6  #: driver; task = first id, value = how many
    TASK_STARTED = 7  #: worker; aux = the thread's CPU clock (ns), 0 if not read
    #: worker; value = numeric result (NaN if in text); flags: 0 number, 1 None, 2 in text;
    #: aux = the thread's CPU clock (ns), 0 if not read (the probe reads it for tasks whose
    #: thread's previous task took at least 1 ms)
    TASK_FINISHED = 8
    TASK_FAILED = 9  #: worker; text event: "Type: message\n traceback"
    STDOUT = 10  #: worker; text event: one printed line
    RESULT = 11  #: worker; text event: repr of a result that is not a number
    RUN_FINISHED = 12  #: driver; text event: JSON status document
    LOG = 13  #: driver; text event: a message for the user
    # 14 and 15 are unused: the app reads event accounting from shared memory.
    STDERR = 16  #: worker; text event: one line written to sys.stderr (warnings, tracebacks)
    TASK_LABEL = 17  #: traced program; text event: what the task called, ``name(args)``
    LANE_INFO = 18  #: traced program; text event: JSON about a process or thread
    #: A message put on a queue or sent on a pipe: task = the channel, aux = the message's
    #: id (unique in the run), value = its size in bytes (pickled).
    MESSAGE_SENT = 19
    #: The same message taken off by ``get()``/``recv()``: task, aux, value as when sent.
    MESSAGE_RECEIVED = 20
    #: A wait inside ``get()``, ``recv()`` or ``acquire()``: t = when it began, aux = when
    #: it ended (ns), task = the channel, flags = what was waited for (see WAIT_ON).
    WAIT = 21
    #: driver; text event: JSON ``{"id", "name", "kind"}`` naming a channel (queue, pipe, lock)
    CHANNEL_INFO = 22
    #: driver; text event: JSON of one host's Dask worker metrics, from the scheduler
    #: (model/host_metrics.py: ``host``, ``t`` when measured, ``cpu``, ``memory``, ...)
    HOST_METRICS = 23


#: Kinds of the communication events (a compact range: the run model takes them vectorised).
COMMUNICATION = frozenset({Kind.MESSAGE_SENT, Kind.MESSAGE_RECEIVED, Kind.WAIT})
#: WAIT's flags: what the wait was for, as the timeline says it. SENDING is not a wait for
#: another process but the cost of a big message itself (pickling it, the pipe, unpickling
#: it): value = its size in bytes; drawn as a span of its own kind.
WAIT_QUEUE, WAIT_PIPE, WAIT_LOCK, SENDING = 1, 2, 3, 4
#: A Dask task's phases before (or after) its compute, as Dask reports them in the task's
#: ``startstops``: task = the task (not a channel), drawn as a sending is.
TRANSFER, DESERIALIZE, DISK_READ, DISK_WRITE = 5, 6, 7, 8
#: A traced program's own event or condition (engine/trace/sync_hooks.py); its locks
#: and semaphores wait with WAIT_LOCK.
WAIT_EVENT, WAIT_CONDITION = 9, 10
WAIT_ON = {
    WAIT_QUEUE: "waiting for the queue",
    WAIT_PIPE: "waiting for the pipe",
    WAIT_LOCK: "waiting for the lock",
    SENDING: "sending (pickling and the pipe)",
    TRANSFER: "transfer: its inputs fetched from another worker",
    DESERIALIZE: "deserialising its inputs",
    DISK_READ: "reading its inputs from disk (spilled)",
    DISK_WRITE: "writing its result to disk (spilled)",
    WAIT_EVENT: "waiting for the event",
    WAIT_CONDITION: "waiting for the condition",
}
#: Dask's ``startstops`` actions drawn as phases, by WAIT flag.
TASK_PHASES = {
    "transfer": TRANSFER,
    "deserialize": DESERIALIZE,
    "disk-read": DISK_READ,
    "disk-write": DISK_WRITE,
}
#: Spans that move data (drawn alike), not waits for another process.
DATA_MOVES = frozenset({SENDING, *TASK_PHASES.values()})
#: A message at least this big (pickled) has its sending drawn as a SENDING span.
BIG_MESSAGE = 64 * 1024


def clip_text(text: str, limit: int = MAX_TEXT) -> str:
    """Shorten ``text`` to ``limit`` characters, keeping its beginning and its end."""
    if len(text) <= limit:
        return text
    half = (limit - 5) // 2
    return text[:half] + "\n…\n" + text[-half:]
