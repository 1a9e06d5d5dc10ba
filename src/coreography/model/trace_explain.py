"""Plain words for the common mistakes a traced program shows, next to Python's message."""

from __future__ import annotations

from coreography.model.events import Kind
from coreography.model.run import FAILED, Run

NO_MAIN_GUARD = (
    "A process was started while your script was being imported by a new process. Under "
    "the spawn and forkserver start methods every new process imports your script again, "
    "so code at its top level runs again there. Put the code that starts processes under "
    '`if __name__ == "__main__":`.'
)
NOT_PICKLABLE = (
    "A lambda or a function defined inside another function was sent to another process. "
    "Processes receive functions by name (they are pickled), so only functions defined at "
    "the top level of a module can be sent. Move the function to the top level of your "
    "script and pass it by name."
)
BROKEN_EXECUTOR = (
    "A worker of the ProcessPoolExecutor ended abruptly (killed, crashed or os._exit), so "
    "the executor refuses all further work (BrokenProcessPool)."
)


def explain(run: Run) -> list[str]:
    """One paragraph per mistake found in ``run`` (printed lines, errors, lanes)."""
    texts = [line.text for line in run.texts if line.kind in (Kind.STDERR, Kind.TASK_FAILED)]
    texts += list(run.task_errors.values()) + list(getattr(run, "main_errors", []))
    found: list[str] = []

    def seen(*needles: str) -> bool:
        return any(needle in text for text in texts for needle in needles)

    if seen("An attempt has been made to start a new process before"):
        found.append(NO_MAIN_GUARD)
    if seen("Can't pickle <function <lambda>", "Can't pickle local object") or seen(
        "Can't get local object", "attribute lookup <lambda> on"
    ):
        found.append(NOT_PICKLABLE)
    if seen("BrokenProcessPool", "A process in the process pool was terminated abruptly"):
        found.append(BROKEN_EXECUTOR)
    kinds = getattr(run, "lane_kind", {})
    for lane in run.lanes:
        code, pool = lane.exit_code, kinds.get(lane.pid) == "pool"
        if code is None or code == 0 or code == -15 or (code > 0 and not pool):
            continue  # a normal end, a terminate(), or a Process whose run raised
        tasks = [int(t) for t in lane.task_ids() if run.task_status[int(t)] == FAILED]
        what = f" while running {_name(run, tasks[-1])}" if tasks else ""
        how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
        text = f"{lane.label} {how}{what}."
        if pool:
            text += (
                " A Pool replaces a worker that dies, but the task it was running is lost:"
                " map() and get() then wait forever."
            )
        found.append(text)
    unjoined = getattr(run, "unjoined", [])
    if unjoined:
        names = ", ".join(f"{u.get('name')} (PID {u.get('pid')})" for u in unjoined[:5])
        found.append(
            f"Your script's own code ended while {len(unjoined)} process(es) it started were "
            f"still running and never joined: {names}. Python waits for them at exit, "
            "but call .join() on each so the program says where it waits for them."
        )
    return found


def _name(run: Run, task: int) -> str:
    return run.task_labels.get(task, f"task {task}")
