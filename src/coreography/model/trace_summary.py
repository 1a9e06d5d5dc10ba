"""The summary of a traced program: lanes, tasks, failures, wall time, busy shares."""

from __future__ import annotations

import numpy as np

from coreography.model.run import DONE, FAILED, NO_TIME, Run
from coreography.model.trace_explain import explain


def busy_shares(run: Run) -> list[tuple[str, int, float, float | None]]:
    """Per lane that ran tasks: (label, tasks, seconds in tasks, share of its lifetime)."""
    rows = []
    end_of_run = run.end_ns if run.end_ns != NO_TIME else run.last_time()
    for lane in run.lanes:
        tasks = lane.task_ids()
        if not len(tasks):
            continue
        start, end = run.task_start[tasks], run.task_end[tasks]
        end = np.where(end == NO_TIME, end_of_run, end)
        busy = float(np.sum(np.maximum(end - start, 0))) / 1e9
        born = lane.ready_ns if lane.ready_ns != NO_TIME else int(start.min())
        gone = lane.end_ns() if lane.end_ns() != NO_TIME else end_of_run
        life = (gone - born) / 1e9
        rows.append((lane.label, len(tasks), busy, min(busy / life, 1.0) if life > 0 else None))
    return rows


def format_summary(run: Run) -> str:
    """Plain text, about 80 columns."""
    status = run.task_status
    done, failed = int(np.count_nonzero(status == DONE)), int(np.count_nonzero(status == FAILED))
    end = run.end_ns if run.end_ns != NO_TIME else run.last_time()
    processes = {lane.pid for lane in run.lanes}
    threads = sum(1 for lane in run.lanes if lane.thread)
    lines = [
        f"Program: {run.experiment.title or 'traced program'} ({run.message})",
        f"Wall time: {(end - run.t0) / 1e9:.2f} s",
        f"Lanes: {len(processes)} process(es), {threads} thread(s)",
        f"Tasks: {run.n_tasks} ({done} done, {failed} failed)",
    ]
    shares = busy_shares(run)
    if shares:
        lines.append("Busy share (time in tasks / lifetime):")
        width = max(len(label) for label, *_ in shares)
        for label, count, busy, share in shares:
            shown = f"{share:4.0%}" if share is not None else "   -"
            lines.append(f"  {label:<{width}}  {count:>6} tasks  {busy:8.3f} s  {shown}")
    errors = sorted(run.task_errors.items())
    if errors:
        lines.append("Failures:")
        for task, text in errors[:10]:
            lane = run.lanes[int(run.task_lane[task])] if run.task_lane[task] >= 0 else None
            where = f" in {lane.label}" if lane else ""
            lines.append(
                f"  {run.task_labels.get(task, f'task {task}')}{where}: {text.splitlines()[0]}"
            )
        if len(errors) > 10:
            lines.append(f"  … and {len(errors) - 10} more")
    lines.append(f"Events: {run.events_received():,} received, {run.describe_loss()}")
    for paragraph in explain(run):
        lines.append(f"* {paragraph}")
    return "\n".join(lines)
