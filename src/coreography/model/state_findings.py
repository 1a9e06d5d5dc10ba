"""Findings from sampled thread states: the GIL's turns and the wait for a free core."""

from __future__ import annotations

from typing import TYPE_CHECKING

from coreography.model.thread_states import ThreadState, lane_states, lock_is_gil

if TYPE_CHECKING:
    from coreography.model.diagnosis import Finding
    from coreography.model.metrics import RunMetrics
    from coreography.model.run import Run

#: Waiting for a core below this share of the task time is not worth saying.
WAIT_SHARE = 0.10


def _shares(run: Run, state: ThreadState) -> list[float]:
    states = lane_states(run)
    if states is None:
        return []
    out = []
    for lane in run.worker_lanes():
        share = states[lane.index].share(state)
        if share is not None and len(lane.task_ids()):
            out.append(share)
    return out


def _percent(shares: list[float]) -> str:
    low, high = min(shares), max(shares)
    if round(high * 100) - round(low * 100) <= 5:
        return f"{sum(shares) / len(shares):.0%}"
    return f"{low:.0%}–{high:.0%}"


def gil_turns(run: Run, metrics: RunMetrics) -> Finding | None:
    """Threads of CPU-bound Python code: how little of its task time each was on a CPU."""
    from coreography.model.diagnosis import Finding

    if not lock_is_gil(run.experiment):
        return None
    on_cpu = _shares(run, ThreadState.ON_CPU)
    if len(on_cpu) < 2:
        return None
    lock = _shares(run, ThreadState.BLOCKED_LOCK)
    core = _shares(run, ThreadState.WAITING_FOR_CORE)
    rest = "the rest it waited for the GIL"
    if core and sum(core) / len(core) >= WAIT_SHARE:  # a busy machine: say both
        rest = f"it waited for the GIL {_percent(lock)} and for a free core {_percent(core)}"
    return Finding(
        "gil-states",
        "warning",
        f"Each of the {len(on_cpu)} threads was on a CPU {_percent(on_cpu)} of its task "
        f"time; {rest} (the strips under the bars).",
    )


def core_waits(run: Run, metrics: RunMetrics) -> Finding | None:
    """More busy workers than cores: how long each was ready but had no core."""
    from coreography.model.diagnosis import Finding

    if run.experiment.execution_model.lanes != "process":
        return None
    waits = _shares(run, ThreadState.WAITING_FOR_CORE)
    if len(waits) < 2 or sum(waits) / len(waits) < WAIT_SHARE:
        return None
    return Finding(
        "core-waits",
        "warning",
        f"{len(waits)} workers on {run.cores} cores: each waited for a free core "
        f"{_percent(waits)} of the time (W in the strips under the bars).",
    )
