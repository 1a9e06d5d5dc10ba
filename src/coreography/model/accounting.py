"""The shared event accounting: how many events each process produced, in shared memory.

Every experiment process counts the events it produces into a slot of an array of int64
words that the app can read at any time, even after the process died: what a process
produced minus what the app received is what was lost. The words are a
``multiprocessing.RawArray('q')`` for the engine's runs and a memory-mapped file for a
traced program; :class:`Accounting` is the one description of both layouts.

A slot holds, at word offsets :data:`PRODUCED`, :data:`PID` and (where there is room)
:data:`TASK`: the events produced so far, the process id and the task its main thread is
running (-1 for none). Slots are ``width`` words apart, starting at slot ``first``; a
``first`` of 1 leaves word 0 for the slot counter of the traced program's file.
"""

from __future__ import annotations

from collections.abc import MutableSequence

PRODUCED, PID, TASK = 0, 1, 2
#: Slot widths: the engine's runs (produced, pid, task) and a traced program's (produced,
#: pid; its processes are not pool workers with a current task).
RUN_WIDTH, TRACE_WIDTH = 3, 2


class Accounting:
    """A view of the accounting words; writers claim a slot, the app reads them all."""

    def __init__(self, words: MutableSequence[int], width: int = RUN_WIDTH, first: int = 0):
        self.words = words
        self.width = width
        self.first = first

    @staticmethod
    def words_for(slots: int, width: int = RUN_WIDTH) -> int:
        """How many words ``slots`` slots take."""
        return slots * width

    def capacity(self) -> int:
        """The number of slot positions, counting those before :attr:`first`."""
        return len(self.words) // self.width

    def offset(self, slot: int, field: int) -> int:
        """The word index of ``field`` of ``slot``; writers on a hot path keep it."""
        return slot * self.width + field

    def fits(self, slot: int) -> bool:
        return self.first <= slot < self.capacity()

    def claim(self, slot: int, pid: int) -> bool:
        """Take ``slot`` for process ``pid``; False if there is no such slot."""
        if not self.fits(slot):
            return False
        base = slot * self.width
        self.words[base + PID] = pid
        if self.width > TASK:
            self.words[base + TASK] = -1
        return True

    def set_produced(self, slot: int, count: int) -> None:
        self.words[slot * self.width + PRODUCED] = count

    def produced(self, slots: int | None = None) -> dict[int, int]:
        """Events produced per process id (over the first ``slots`` slots if given)."""
        end = self.capacity() if slots is None else min(slots, self.capacity())
        words, width = self.words, self.width
        produced: dict[int, int] = {}
        for slot in range(self.first, end):
            pid = int(words[slot * width + PID])
            if pid:
                produced[pid] = produced.get(pid, 0) + int(words[slot * width + PRODUCED])
        return produced

    def task_of(self, pid: int) -> int:
        """The task the main thread of process ``pid`` is running, or -1."""
        if self.width <= TASK:
            return -1
        words, width = self.words, self.width
        for slot in range(self.first, self.capacity()):
            if words[slot * width + PID] == pid:
                return int(words[slot * width + TASK])
        return -1
