"""``coreography summary --json``: one run as one JSON object (a versioned schema).

Schema ``coreography-summary/1``: whole-run figures, and ``lanes``, one object per lane
with ``label``, ``role``, ``pid``, ``tid``, ``tasks``, ``busy_s``, ``cpu_s`` and the
seconds of its tasks' time spent ``on_cpu_s``, ``waiting_for_core_s``,
``blocked_lock_s``, ``blocked_io_s`` and ``off_cpu_unknown_s`` (null when the run has no
sampled thread states), ``states_sampled_s`` (how much of its task time was sampled),
and ``states_all`` (the same seconds over all the lane was sampled, tasks or not).
``channels`` lists the run's queues, pipes and locks (empty when it has none), each with
``id``, ``name``, ``kind``, ``messages_sent``, ``messages_received``, ``bytes_sent``,
``waits`` and ``wait_s`` (inside get/recv/acquire: a lock's waits are its contended
acquires), ``sendings`` and ``sending_s`` (big messages pickled and sent), ``max_depth``
and ``left`` (messages never taken).
``hosts`` (a cluster's run; empty otherwise) has one object per host from its workers'
own readings: ``host``, ``workers``, ``cores``, ``readings``, ``cpu_mean`` and
``cpu_peak`` (% of one core, summed over its workers), ``memory_peak`` (bytes),
``memory_limit`` (bytes, Dask's) and ``newest_age_s`` (how long before the last task's
end its newest reading was taken; null without readings).
New fields may be added within a schema version; none is removed or changes meaning.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from coreography.model.host_metrics import STALE_S
from coreography.model.messages import SYNC_KINDS
from coreography.model.metrics import RunMetrics, compute_metrics
from coreography.model.run import NO_TIME, Run
from coreography.model.thread_states import (
    SOURCE_PSUTIL,
    STATE_KEYS,
    ThreadState,
    lane_states,
    lock_is_gil,
)

SCHEMA = "coreography-summary/1"


def summary_dict(run: Run, metrics: RunMetrics | None = None) -> dict[str, Any]:
    """The summary of ``run`` as plain, JSON-ready data (schema :data:`SCHEMA`)."""
    m = metrics or compute_metrics(run)
    states = lane_states(run)
    lanes = []
    for lane, figures in zip(run.lanes, m.lanes, strict=True):
        item: dict[str, Any] = {
            "label": lane.label,
            "role": lane.role,
            "pid": lane.pid,
            "tid": lane.pid if lane.thread == 0 else (lane.native_id or None),
            "tasks": figures.tasks,
            "busy_s": figures.busy_s,
            "cpu_s": figures.cpu_s,
            "utilization": figures.utilization,
        }
        mine = states[lane.index] if states is not None else None
        for state, key in STATE_KEYS.items():
            item[f"{key}_s"] = None if mine is None else mine.in_tasks[state]
        item["states_sampled_s"] = None if mine is None else mine.task_sampled_s
        item["states_all"] = (
            None
            if mine is None
            else {f"{key}_s": mine.sampled[state] for state, key in STATE_KEYS.items()}
        )
        lanes.append(item)
    return {
        "schema": SCHEMA,
        "experiment": run.experiment.to_dict(),
        "state": m.state,
        "message": run.message,
        "wall_s": m.wall_s,
        "cpu_s": m.cpu_s,
        "speedup": m.speedup,
        "efficiency": m.efficiency,
        "tasks_done": m.tasks_done,
        "tasks_failed": m.tasks_failed,
        "tasks_total": m.tasks_total,
        "machine_busy": m.machine_busy,
        "others_share": m.others_share,
        "thread_states_source": run.thread_states.source or None,
        "lanes": lanes,
        "channels": [dataclasses.asdict(stats) for stats in run.messages.channel_stats()],
        "hosts": host_summaries(run),
    }


def _work_end(run: Run) -> int:
    """When the run's work ended (its last task's end), the run's end without one."""
    ends = run.task_end[run.task_end != NO_TIME]
    return int(ends.max()) if len(ends) else run.last_time()


def host_summaries(run: Run) -> list[dict[str, Any]]:
    """One object per host of a cluster's run (see the module's schema)."""
    at = _work_end(run)
    out = []
    for s in run.hosts.series():
        age = s.age_s(at)
        out.append(
            {
                "host": s.host,
                "workers": s.workers,
                "cores": s.cores,
                "readings": len(s),
                "cpu_mean": float(s.cpu.mean()) if len(s) else None,
                "cpu_peak": float(s.cpu.max()) if len(s) else None,
                "memory_peak": float(s.memory.max()) if len(s) else None,
                "memory_limit": s.memory_limit,
                "newest_age_s": age,
            }
        )
    return out


def host_table(run: Run) -> str:
    """Per host of a cluster's run, from its workers' own readings; '' when none."""
    hosts = host_summaries(run)
    if not hosts:
        return ""
    head = ("Host", "Workers", "Cores", "CPU mean", "CPU peak", "Memory peak", "Readings", "Newest")
    rows: list[tuple[str, ...]] = [head]
    for h in hosts:
        if not h["readings"]:
            rows.append(
                (h["host"], str(h["workers"]), str(h["cores"] or "?"), "—", "—", "—", "0", "—")
            )
            continue
        age = h["newest_age_s"]
        newest = f"{age:.1f} s before the end" + (" (late)" if age > STALE_S else "")
        rows.append(
            (
                h["host"],
                str(h["workers"]),
                str(h["cores"] or "?"),
                f"{h['cpu_mean']:.0f} %",
                f"{h['cpu_peak']:.0f} %",
                f"{h['memory_peak'] / 2**20:,.0f} MiB",
                f"{h['readings']:,}",
                newest,
            )
        )
    widths = [max(len(row[c]) for row in rows) for c in range(len(head))]
    lines = [
        "  ".join(
            [row[0].ljust(widths[0])]
            + [v.rjust(w) for v, w in zip(row[1:], widths[1:], strict=True)]
        )
        for row in rows
    ]
    lines.append("(the workers' own readings: CPU in % of one core, summed over a host's workers)")
    return "\n".join(lines)


def state_table(run: Run) -> str:
    """Per lane, seconds of its tasks on a CPU, waiting for a core, blocked on a lock
    (the GIL) and on I/O or sleep; '' when the run has no sampled thread states."""
    states = lane_states(run)
    if states is None:
        return ""
    lock = "GIL" if lock_is_gil(run.experiment) else "Lock"
    head = ("Lane (during its tasks)", "On CPU", "Wait core", lock, "I/O·sleep", "Sampled")
    rows: list[tuple[str, ...]] = [head]
    for lane, mine in zip(run.lanes, states, strict=True):
        if mine.task_sampled_s <= 0:
            continue
        seconds = [mine.in_tasks[s] for s in STATE_KEYS if s != ThreadState.OFF_CPU][:4]
        unknown = f"{mine.in_tasks[ThreadState.OFF_CPU]:.3f} s"
        sampled = f"{mine.task_sampled_s:.3f} s"
        rows.append((lane.label, *(f"{v:.3f} s" for v in seconds), unknown, sampled))
    if len(rows) == 1:
        return ""
    if all(row[-2] == "0.000 s" for row in rows[1:]):  # no time of unknown reason: no column
        rows = [head] + [(*row[:-2], row[-1]) for row in rows[1:]]
    else:
        rows[0] = (*head[:-1], "Unknown", head[-1])
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    lines = [
        "  ".join(
            [row[0].ljust(widths[0])]
            + [v.rjust(w) for v, w in zip(row[1:], widths[1:], strict=True)]
        )
        for row in rows
    ]
    if run.thread_states.source == SOURCE_PSUTIL:
        lines.append("(waiting for a core and blocking reasons are known on Linux only)")
    return "\n".join(lines)


def channel_table(run: Run) -> str:
    """Per queue, pipe and lock: messages, bytes, waits and sendings; '' when none."""
    stats = run.messages.channel_stats()
    if not stats:
        return ""
    head = (
        "Queue, pipe, lock or event",
        "Messages",
        "Bytes",
        "Waits",
        "Waited",
        "Sendings",
        "Left",
    )
    rows: list[tuple[str, ...]] = [head]
    for item in stats:
        name = f"{item.name} ({item.kind})" if item.kind else item.name
        carries = item.kind not in SYNC_KINDS  # a lock, event or condition carries nothing
        messages = f"{item.messages_sent:,}" if carries else "—"
        size = f"{item.bytes_sent:,}" if carries else "—"
        left = f"{item.left:,}" if carries else "—"
        sendings = f"{item.sendings:,} · {item.sending_s:.3f} s" if item.sendings else "0"
        rows.append(
            (name, messages, size, f"{item.waits:,}", f"{item.wait_s:.3f} s", sendings, left)
        )
    widths = [max(len(row[c]) for row in rows) for c in range(len(head))]
    return "\n".join(
        "  ".join(
            [row[0].ljust(widths[0])]
            + [v.rjust(w) for v, w in zip(row[1:], widths[1:], strict=True)]
        )
        for row in rows
    )
