"""Per-lane, start-sorted numpy arrays of a run's task bars, kept in step with the run."""

from __future__ import annotations

import math

import numpy as np

from coreography.model.events import Kind
from coreography.model.run import FAILED, INTERRUPTED, NO_TIME, GrowArray, Run

OPEN = math.inf  # end of a bar that is still running
#: Level k of a lane merges bars separated by less than LEVEL_BASE_S * LEVEL_FACTOR**k.
LEVEL_BASE_S = 1e-5
LEVEL_FACTOR = 4.0
LEVELS = 14  # up to ~670 s gaps


def level_for(pixel_s: float) -> int | None:
    """The coarsest level whose merged gaps are all narrower than one pixel (or None)."""
    if not pixel_s > LEVEL_BASE_S:
        return None
    return min(int(math.log(pixel_s / LEVEL_BASE_S, LEVEL_FACTOR)), LEVELS - 1)


def busy_columns(starts: np.ndarray, ends: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """For pixel columns between consecutive ``edges`` (seconds): does any bar touch it?

    The last bar starting before a column's right edge is the only candidate (a lane's
    bars do not overlap), so this is one ``searchsorted`` per column, whatever the count
    of bars.
    """
    last = np.searchsorted(starts, edges[1:], "left") - 1
    return (last >= 0) & (ends[np.maximum(last, 0)] > edges[:-1])


def merge_runs(starts: np.ndarray, ends: np.ndarray, gap: float, last_end: float):
    """Split start-sorted bars into runs wherever the idle gap before a bar is >= ``gap``.

    Returns (end of the bars before the first split, or None if every bar splits;
    starts of the new runs; ends of the new runs). ``last_end`` is the end of the run
    the bars continue (``-inf`` if none).
    """
    before = np.empty(len(starts))
    before[0] = last_end
    before[1:] = ends[:-1]
    splits = np.flatnonzero(starts - before >= gap)
    first = int(splits[0]) if len(splits) else len(starts)
    head_end = float(ends[first - 1]) if first > 0 else None
    group_last = np.append(splits[1:] - 1, len(starts) - 1) if len(splits) else splits
    return head_end, starts[splits], ends[group_last]


class LaneBars:
    """One lane's bars in the order they started (a lane runs one task at a time, so its
    starts *and* ends are sorted: every lookup is a ``searchsorted``)."""

    def __init__(self) -> None:
        self.ids = GrowArray(np.int32, capacity=64)
        self.starts = GrowArray(np.float64, capacity=64)
        self.ends = GrowArray(np.float64, capacity=64)
        self.open: list[int] = []  # positions of bars whose end is not known yet
        self.failed: list[int] = []
        self.interrupted: list[int] = []
        self.prints = GrowArray(np.float64, capacity=64)
        #: level -> (run starts, run ends): bars merged across sub-pixel gaps, built the
        #: first time a zoom level needs them and then kept up to date incrementally.
        self.levels: dict[int, tuple[GrowArray, GrowArray]] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def append(self, ids: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> None:
        self.ids.extend(ids)
        self.starts.extend(starts)
        self.ends.extend(ends)
        for k, (run_starts, run_ends) in self.levels.items():
            self._extend_level(k, run_starts, run_ends, starts, ends)

    def set_end(self, position: int, end: float) -> None:
        """A running bar ended: give it, and the run holding it in each level, its end."""
        self.ends.view()[position] = end
        start = self.starts.view()[position]
        for run_starts, run_ends in self.levels.values():
            k = int(np.searchsorted(run_starts.view(), start, "right")) - 1
            if k >= 0:
                view = run_ends.view()
                view[k] = end if view[k] == OPEN else max(view[k], end)

    def level(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(starts, ends) of level ``k``'s runs, built on first use."""
        if k not in self.levels:
            run_starts = GrowArray(np.float64, capacity=64)
            run_ends = GrowArray(np.float64, capacity=64)
            self._extend_level(k, run_starts, run_ends, self.starts.view(), self.ends.view())
            self.levels[k] = (run_starts, run_ends)
        run_starts, run_ends = self.levels[k]
        return run_starts.view(), run_ends.view()

    @staticmethod
    def _extend_level(k, run_starts: GrowArray, run_ends: GrowArray, starts, ends) -> None:
        if not len(starts):
            return
        last_end = run_ends.view()[-1] if len(run_ends) else -math.inf
        head_end, new_starts, new_ends = merge_runs(
            starts, ends, LEVEL_BASE_S * LEVEL_FACTOR**k, last_end
        )
        if head_end is not None and len(run_ends):
            run_ends.view()[-1] = max(run_ends.view()[-1], head_end)
        run_starts.extend(new_starts)
        run_ends.extend(new_ends)


def _interrupted_at(run: Run, lane: int) -> int:
    """When a task the run's end cut short stopped: its process's exit if the run saw
    it, else the experiment's end, else when the app saw the run over."""
    info = run.lanes[lane] if 0 <= lane < len(run.lanes) else None
    exited = NO_TIME
    if info is not None:
        process = run.lane(info.pid, 0)  # a thread's process ends it
        exited = process.exited_ns if process is not None else NO_TIME
    for t in (exited, run.run_finished_ns, run.end_ns):
        if t != NO_TIME:
            return t
    return run.last_time()


class TimelineIndex:
    """What the timeline paints, in seconds since the run's start, updated incrementally.

    ``sync`` costs time proportional to what is new since the last call, never to the
    size of the run, so a live tick stays cheap at a million bars.
    """

    def __init__(self) -> None:
        self.run: Run | None = None
        self.lanes: list[LaneBars] = []
        self._texts_seen = 0
        self._args: list | None = None
        self.bars = 0
        self.latest_s = 0.0  # the latest start or end seen, in seconds
        #: Counts the changes to what the lanes hold (a new run, or a sync that took
        #: something in): a paint may reuse what it drew from the same version.
        self.version = 0

    def reset(self, run: Run | None) -> None:
        self.run = run
        self.lanes = []
        self._texts_seen = 0
        self._args = None
        self.bars = 0
        self.latest_s = 0.0
        self.version += 1

    def sync(self) -> bool:
        """Take in what the run learned since the last call; True if anything changed."""
        run = self.run
        if run is None:
            return False
        changed = False
        while len(self.lanes) < len(run.lanes):
            self.lanes.append(LaneBars())
            changed = True
        for lane, bars in zip(run.lanes, self.lanes, strict=False):
            changed |= self._close_open(bars)
            ids = lane.tasks.view()
            if len(ids) > len(bars):
                self._ingest(bars, ids[len(bars) :])
                changed = True
        changed |= self._sync_prints()
        if changed:
            self.version += 1
        return changed

    def _ingest(self, bars: LaneBars, ids: np.ndarray) -> None:
        run = self.run
        assert run is not None
        first = len(bars)
        starts = (run.task_start[ids] - run.t0) / 1e9
        raw_ends = run.task_end[ids]
        ends = np.where(raw_ends != NO_TIME, (raw_ends - run.t0) / 1e9, OPEN)
        status = run.task_status[ids]
        bars.append(ids, starts, ends)
        self.bars += len(ids)
        closed = ends[ends != OPEN]
        self.latest_s = max(
            self.latest_s, float(starts.max()), float(closed.max()) if len(closed) else 0.0
        )
        bars.open.extend((first + np.flatnonzero(ends == OPEN)).tolist())
        bars.failed.extend((first + np.flatnonzero(status == FAILED)).tolist())
        self._close_open(bars)

    def _close_open(self, bars: LaneBars) -> bool:
        """Give running bars their end once the run knows it (or the run is over)."""
        if not bars.open:
            return False
        run = self.run
        assert run is not None
        ids, ends = bars.ids.view(), bars.ends.view()
        still_open = []
        changed = False
        for position in bars.open:
            task = int(ids[position])
            end = int(run.task_end[task])
            status = int(run.task_status[task])
            if end != NO_TIME:
                bars.set_end(position, (end - run.t0) / 1e9)
                self.latest_s = max(self.latest_s, float(ends[position]))
                if status == FAILED:
                    bars.failed.append(position)
                changed = True
            elif status == INTERRUPTED:
                last = _interrupted_at(run, int(run.task_lane[task]))
                bars.set_end(position, max((last - run.t0) / 1e9, bars.starts.view()[position]))
                bars.interrupted.append(position)
                changed = True
            else:
                still_open.append(position)
        bars.open = still_open
        return changed

    def _sync_prints(self) -> bool:
        run = self.run
        assert run is not None
        texts = run.texts
        if len(texts) == self._texts_seen:
            return False
        per_lane: dict[int, list[int]] = {}
        for line in texts[self._texts_seen :]:
            if line.kind == Kind.STDOUT and 0 <= line.lane < len(self.lanes):
                per_lane.setdefault(line.lane, []).append(line.t)
        self._texts_seen = len(texts)
        for lane, times in per_lane.items():
            self.lanes[lane].prints.extend((np.asarray(times, np.int64) - run.t0) / 1e9)
        return True

    # -- queries ----------------------------------------------------------------------
    def extent(self, now_s: float) -> float:
        """The latest time worth showing, in seconds."""
        run = self.run
        if run is None:
            return 1.0
        # Never Run.last_time() here: it scans every task, and this runs every tick.
        latest = self.latest_s
        if run.end_ns != NO_TIME:
            latest = max(latest, float(run.seconds(run.end_ns)))
        if not run.is_over:
            latest = max(latest, now_s)
        return max(latest, 1e-3)

    def bar_at(self, lane: int, x: float, tolerance: float, now_s: float) -> int | None:
        """The task drawn at ``x`` seconds in ``lane`` (within ``tolerance``), or None."""
        if not 0 <= lane < len(self.lanes):
            return None
        bars = self.lanes[lane]
        starts, ends = bars.starts.view(), bars.ends.view()
        if not len(starts):
            return None
        i = int(np.searchsorted(starts, x + tolerance, "right")) - 1
        if i < 0:
            return None
        end = min(float(ends[i]), now_s)
        if x - tolerance <= end:
            return int(bars.ids.view()[i])
        return None

    def task_arg(self, task: int) -> object:
        if self._args is None and self.run is not None:
            self._args = self.run.experiment.task_args()
        if self._args is not None and 0 <= task < len(self._args):
            return self._args[task]
        return None
