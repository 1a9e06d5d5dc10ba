"""Exports and the summary of a 1,000,000-task recording: time and peak memory.

Builds a recording through the real Run model API (the probe's event frames, two
workers, exponential task durations, a thread-state sample per task block), saves it,
then times each command in a fresh interpreter (imports count, as they do for the
user) and reads the child's peak RSS from the kernel (its own ``VmHWM``: ``wait4``
would count the parent's memory, which a forked child starts with). Each is measured
``--repeats`` times, interleaved with the old path (the whole document as Python
lists and one ``json.dumps``; ``json.loads`` for reading), and printed as median and
range side by side. ``save`` is timed from the run being in memory, as the app saves
it (its peak includes loading the recording first).

Run: ``PYTHONPATH=src python bench/exports.py [--tasks N] [--repeats R]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import sys, time
mode, path, out, old = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "old"
began = time.perf_counter()
from coreography.model import export, export_rows, json_columns, recording
if old:  # the path before streaming: json.loads, Python lists, one json.dumps
    json_columns.MIN_BYTES = 1 << 62
if mode == "save":
    run = recording.load_run(path)
    began = time.perf_counter()
    if old:
        import json
        data = json.dumps(recording.run_to_dict(run), ensure_ascii=False, allow_nan=False,
                          separators=(",", ":")).encode()
        open(out, "wb").write(data)
    else:
        recording.save_run(run, out)
elif mode == "summary":
    from coreography.model.metrics import compute_metrics, format_table
    from coreography.model.summary_json import state_table
    run = recording.load_run(path)
    text = format_table(compute_metrics(run)) + state_table(run)
elif mode == "chrome":
    run = recording.load_run(path)
    if old:
        import json
        data = json.dumps(export.chrome_trace(run), ensure_ascii=False, allow_nan=False,
                          separators=(",", ":")).encode()
        open(out, "wb").write(data)
    else:
        export.export_chrome_trace(run, out)
elif mode == "perfetto":  # no old path: the protobuf export is new
    from coreography.model.export_perfetto import export_perfetto
    run = recording.load_run(path)
    export_perfetto(run, out)
elif mode == "csv":
    run = recording.load_run(path)
    if old:
        export_rows.csv_rows = lambda *args: None  # every row through the csv module
    export.export_csv(run, out)
took = time.perf_counter() - began
peak = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(took, int(peak.split()[1]) / 1024)  # this process's own peak (not its parent's)
"""


def make_recording(path: Path, tasks: int) -> None:
    """A finished 2-worker run of ``tasks`` tasks with exponential durations."""
    import numpy as np

    from coreography.model import wire
    from coreography.model.events import RECORDS_PER_FRAME, Kind
    from coreography.model.experiment import Experiment
    from coreography.model.recording import save_run
    from coreography.model.run import RECORD_DTYPE, Run, Sample

    ms = 1_000_000
    rng = np.random.default_rng(17)
    experiment = Experiment(workers=2, tasks=tasks, workload="square")
    t0 = 10**12
    run = Run(experiment, cores=2, t0=t0)
    driver = 4000
    run.set_driver(driver)
    head = [(Kind.RUN_STARTED, 0, 0, -1, t0 + ms, tasks, 0)]
    head.append((Kind.TASKS_SUBMITTED, 0, 0, 0, t0 + 2 * ms, tasks, 0))
    frames = [wire.binary_frame(driver, 2, head)]
    end = t0
    for worker in range(2):
        pid = 5000 + worker
        mine = np.arange(worker, tasks, 2)
        durations = rng.exponential(5_000, len(mine)).astype(np.int64) + 500  # ~5 µs
        gaps = rng.exponential(1_000, len(mine)).astype(np.int64)
        starts = t0 + 5 * ms + np.cumsum(durations + gaps) - durations
        records = np.zeros(2 * len(mine) + 2, RECORD_DTYPE)
        records[0] = (Kind.WORKER_READY, 0, 0, -1, t0 + 3 * ms, 0.0, pid)
        records["kind"][1:-1:2], records["kind"][2:-1:2] = Kind.TASK_STARTED, Kind.TASK_FINISHED
        records["task"][1:-1] = np.repeat(mine, 2)
        records["t"][1:-1:2], records["t"][2:-1:2] = starts, starts + durations
        records["aux"][1:-1:2], records["aux"][2:-1:2] = starts, starts + durations - 200
        records["value"][2:-1:2] = (mine.astype(float)) ** 2
        last = int(starts[-1] + durations[-1])
        end = max(end, last)
        records[-1] = (Kind.WORKER_DONE, 0, 0, -1, last + ms, 1.0, pid)
        for i in range(0, len(records), RECORDS_PER_FRAME):
            chunk = records[i : i + RECORDS_PER_FRAME]
            frames.append(wire.records_frame(pid, i + len(chunk), chunk))
    run.apply(frames)
    samples = [
        Sample(t, [90.0, 85.5], [(5000, 95.0, 0, 40 << 20), (5001, 93.0, 1, 40 << 20)])
        for t in range(t0 + 5 * ms, end, 100 * ms)
    ]
    lanes = [1, 2]
    states = [
        (lane, int(t), int(t) + 50 * ms, state)
        for lane in lanes
        for t, state in zip(range(t0 + 5 * ms, end, 50 * ms), [0, 1] * tasks, strict=False)
    ]
    run.apply([], samples, states)
    status = json.dumps({"state": "finished", "message": "", "result": ""})
    text = [[int(Kind.RUN_FINISHED), 0, -1, end + ms, 0.0, status]]
    run.apply([wire.text_frame(driver, 3, text)])
    run.finish("finished", "", end + 2 * ms, produced=dict(run.received))
    save_run(run, path)


def measure(mode: str, old: bool, recording: Path, out: Path) -> tuple[float, float, float]:
    """(wall s from launch, the work's own s, peak RSS MB) of one fresh child."""
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parent.parent / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    began = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, mode, str(recording), str(out), "old" if old else "new"],
        stdout=subprocess.PIPE,
        env=env,
    )
    output, _ = child.communicate()
    wall = time.perf_counter() - began
    if child.returncode:
        raise SystemExit(f"{mode} ({'old' if old else 'new'}) failed: {child.returncode}")
    inner, peak = (float(word) for word in output.split())
    return wall, inner, peak


def check(mode: str, out: Path) -> str:
    """The output is what a viewer needs: the trace loads as JSON, the CSV parses."""
    if mode == "chrome":
        events = json.loads(out.read_bytes())["traceEvents"]
        return f"{sum(1 for e in events if e['ph'] == 'X'):,} slices"
    if mode == "perfetto":  # read back with Perfetto's own schema, where it is installed
        try:
            from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as pb
        except ImportError:
            return "(install perfetto to check)"
        packets = pb.Trace.FromString(out.read_bytes()).packet
        begins = sum(1 for p in packets if p.track_event.type == pb.TrackEvent.TYPE_SLICE_BEGIN)
        return f"{begins:,} slices"
    if mode == "csv":
        import csv

        with open(out, newline="", encoding="utf-8") as stream:
            return f"{sum(1 for _ in csv.reader(stream)) - 1:,} rows"
    return ""


def _stats(values: list[float], unit: str, digits: int = 2) -> str:
    return (
        f"{statistics.median(values):.{digits}f} {unit} "
        f"[{min(values):.{digits}f}–{max(values):.{digits}f}]"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-old", action="store_true", help="measure the new path only")
    parser.add_argument("--modes", default="summary,chrome,perfetto,csv,save")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="coreo-bench-"))
    recording = folder / "big.coreo.json"
    began = time.perf_counter()
    make_recording(recording, args.tasks)
    size = recording.stat().st_size / 1e6
    made = time.perf_counter() - began
    print(f"recording: {args.tasks:,} tasks, {size:.1f} MB, made in {made:.1f} s")
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    print(f"{'':8} {'path':4} {'wall (launch to exit)':>24} {'peak RSS':>24} {'size':>9}  output")
    for mode in args.modes.split(","):
        paths = ("new",) if args.no_old or mode == "perfetto" else ("new", "old")
        results: dict[str, list[tuple[float, float, float]]] = {p: [] for p in paths}
        out: dict[str, Path] = {p: folder / f"{mode}-{p}.out" for p in paths}
        for _ in range(args.repeats):
            for path in paths:  # interleaved, so a busy spell hits both
                results[path].append(measure(mode, path == "old", recording, out[path]))
        for path in paths:
            walls = [r[1] if mode == "save" else r[0] for r in results[path]]
            peaks = [r[2] for r in results[path]]
            written = out[path].stat().st_size / 1e6 if out[path].exists() else 0.0
            print(
                f"{mode:8} {path:4} {_stats(walls, 's'):>24} {_stats(peaks, 'MB', 0):>24} "
                f"{written:7.1f}MB  {check(mode, out[path])}"
            )
        if len(paths) == 2:
            pick = 1 if mode == "save" else 0
            ratio = statistics.median(r[pick] for r in results["old"]) / statistics.median(
                r[pick] for r in results["new"]
            )
            print(f"{mode:8} old/new wall: {ratio:.1f}×")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    for leftover in folder.iterdir():
        leftover.unlink()
    folder.rmdir()


if __name__ == "__main__":
    main()
