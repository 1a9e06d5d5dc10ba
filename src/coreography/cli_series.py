"""The command line's series: ``coreography sweep`` and what a lesson's runs print, each
point repeated, with its median and range and one speedup baseline for all."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from coreography.model.repeats import DEFAULT_REPEATS, MAX_REPEATS

if TYPE_CHECKING:
    from coreography.cli_progress import Progress
    from coreography.engine.sweep import Sweep
    from coreography.model.series import PointSummary

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def repeats_option(parser: argparse.ArgumentParser, default: int) -> None:
    """Add ``--repeats N`` (runs of each point) to ``parser``."""
    parser.add_argument(
        "--repeats",
        type=_repeats,
        default=default,
        metavar="N",
        help=f"runs of each point of a sweep or of a lesson that compares runs, 1 to "
        f"{MAX_REPEATS}; the median and min–max are reported (default: {default})",
    )


def _repeats(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= MAX_REPEATS:
        raise argparse.ArgumentTypeError(f"{value}: choose 1 to {MAX_REPEATS}")
    return value


def _seconds(value: float) -> str:
    return f"{value:.3f} s"


def _times(value: float) -> str:
    return f"{value:.2f}×"


def _percent(value: float) -> str:
    return f"{value:.0%}"


def describe_points(points: Sequence[PointSummary]) -> str:
    """One line per point: wall time and speedup (median, min–max) and efficiency, then
    the baseline they are against and any busy-machine warning."""
    width = max((len(p.label) for p in points), default=5)
    lines = [f"{'point':<{width}}  runs  wall (median, min–max)  speedup  efficiency"]
    for point in points:
        done = f"{len(point.finished)}/{len(point.runs)}"
        wall = point.wall.text(_seconds) if point.wall else "—"
        speedup = point.speedup.text(_times) if point.speedup else "—"
        efficiency = point.efficiency.text(_percent) if point.efficiency else "—"
        busy = "  (busy machine)" if point.machine_busy else ""
        lines.append(f"{point.label:<{width}}  {done:>4}  {wall}  {speedup}  {efficiency}{busy}")
    baselines = {p.baseline.describe() for p in points if p.baseline is not None}
    if baselines:
        lines.append("Speedup " + "; ".join(sorted(baselines)) + ".")
    busy = [p.others_share for p in points if p.machine_busy and p.others_share is not None]
    if busy:
        lines.append(
            f"Other programs used up to {max(busy):.0%} of the machine: speedup and "
            "efficiency are not reliable."
        )
    return "\n".join(lines)


def sweep_main(argv: Sequence[str]) -> int:
    """``coreography sweep FIELD VALUES [--repeats N] [any option of run]``."""
    from coreography.cli import build_parser, experiment_from_args
    from coreography.lessons.registry import SWEEP_FIELDS, SweepSpec

    parser = argparse.ArgumentParser(
        prog="coreography sweep",
        description="Run one experiment over several values of a setting, each value "
        "several times, and print the median and range of each point; over workers, "
        "also Amdahl's law fitted to the medians. Any option of `coreography run` sets "
        "the experiment.",
    )
    parser.add_argument("field", choices=SWEEP_FIELDS, help="the setting to vary")
    parser.add_argument("values", help="e.g. 1..4, 1..2xcores or 1,2,4")
    repeats_option(parser, DEFAULT_REPEATS)
    args, rest = parser.parse_known_args(list(argv))
    run_args = build_parser().parse_args(["run", *rest])
    import psutil

    cores = psutil.cpu_count() or 1
    try:
        if ".." in args.values:
            values = SweepSpec(args.field, args.values).resolve(cores)
        else:
            values = [int(v) for v in args.values.split(",") if v.strip()]
    except ValueError as exc:
        print(f"coreography sweep: error: values: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not values:
        print("coreography sweep: error: values: none given", file=sys.stderr)
        return EXIT_USAGE
    base = experiment_from_args(run_args)
    return run_series(
        [(f"{args.field} = {v}", base.replace(**{args.field: v}).validate()) for v in values],
        args.repeats,
        run_args,
        field=args.field,
        cores=cores,
    )


def run_series(runs, repeats: int, args, field: str | None = None, cores: int = 1) -> int:
    """Run ``(label, experiment)`` pairs ``repeats`` times over and print the points."""
    from coreography.cli_progress import Progress
    from coreography.engine.controller import RunController
    from coreography.engine.sweep import Sweep

    sweep = Sweep(
        [e for _l, e in runs],
        [label for label, _e in runs],
        controller=RunController(sample_hz=args.sample_hz),
        repeats=repeats,
    )
    interrupted = drive(sweep, Progress(enabled=not args.quiet))
    summary = sweep.summary()
    print(describe_points(summary))
    if field == "workers":
        print(describe_fit(sweep, cores))
    return series_exit_code(sweep, interrupted)


def series_exit_code(sweep: Sweep, interrupted: bool) -> int:
    """130 after a Ctrl-C, 0 when every run of ``sweep`` finished, else 1 (said on stderr)."""
    if interrupted:
        print("coreography: interrupted: the runs so far are shown", file=sys.stderr)
        return EXIT_INTERRUPTED
    finished = all(p.finished for p in sweep.points) and len(sweep.points) == sweep.total
    if not finished:
        done = sum(1 for p in sweep.points if p.finished)
        print(f"coreography: {done} of {sweep.total} runs finished", file=sys.stderr)
    return EXIT_OK if finished else EXIT_FAILED


def describe_fit(sweep, cores: int) -> str:
    """Amdahl's law fitted to the sweep's medians over workers: the chart's headline."""
    from coreography.model.scaling import fit_series, scaling_series

    pairs = [(p.experiment.workers, p.run) for p in sweep.finished_points()]
    fit = fit_series(scaling_series(pairs), cores)
    return "Amdahl fit: —" if fit is None else f"Amdahl fit: {fit.headline()}"


def describe_verdicts(lesson, summary: Sequence[PointSummary], cores: int) -> str:
    """What this run's measurement said of the lesson's "What to notice" lines."""
    from coreography.lessons.claims import judge

    verdicts = judge(lesson, summary, cores)
    if not verdicts:
        return ""
    lines = ["What to notice, this time:"]
    for verdict in verdicts:
        lines.append(f"  - {verdict.text}\n    {verdict.sentence()}")
    return "\n".join(lines)


def drive(sweep: Sweep, progress: Progress) -> bool:
    """Run ``sweep`` to its end (Ctrl-C stops it), showing progress; its controller is
    shut down afterwards, whatever happened. Returns True if Ctrl-C stopped it."""
    from coreography.cli import no_interrupts

    interrupted = False
    try:
        while sweep.step(budget=100_000):
            progress.update(sweep.current)
            time.sleep(0.05)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        with no_interrupts():  # the runs' processes end whatever the user presses now
            sweep.stop()
            sweep.controller.shutdown()
        progress.end_line()
    return interrupted


def lesson_main(args: argparse.Namespace) -> int:
    """Run every experiment of a lesson (a sweep's points too) and explain each run."""
    from coreography.cli_progress import Progress, printable
    from coreography.engine.controller import RunController
    from coreography.engine.sweep import Sweep
    from coreography.lessons.registry import get_lesson
    from coreography.model.diagnosis import diagnose
    from coreography.model.metrics import compute_metrics, format_table
    from coreography.model.scaling import fit_series, scaling_series
    from coreography.model.series import run_speedup

    try:
        lesson = get_lesson(args.lesson)
    except KeyError as exc:
        print(f"coreography: error: --lesson: {exc.args[0]}", file=sys.stderr)
        return EXIT_USAGE
    if args.out is not None and not args.out.parent.exists():
        raise OSError(2, "no such folder", str(args.out.parent))
    runs = lesson.experiments()
    print(f"Lesson {lesson.number}: {lesson.title}\n\n{lesson.explanation}\n\nWhat to notice:")
    print("\n".join(f"  - {caption}" for caption in lesson.captions))
    progress = Progress(enabled=not args.quiet)
    sweep = Sweep(
        [r.experiment for r in runs],
        [r.label for r in runs],
        controller=RunController(sample_hz=args.sample_hz),
        repeats=args.repeats if lesson.repeatable else 1,
    )
    interrupted = drive(sweep, progress)
    summary = sweep.summary()
    baselines = {p.label: p.baseline for p in summary}
    for point in sweep.points:
        metrics = compute_metrics(point.run)
        repeat = f", run {point.repeat} of {sweep.repeats}" if sweep.repeats > 1 else ""
        print(f"\n== {point.label}{repeat} ==")
        if args.show_output:
            print("\n".join(point.run.stdout_lines()))
        if point.run.result_summary():  # the same words the window shows
            print(f"Result: {point.run.result_summary()}")
        print(format_table(metrics, run_speedup(point.run, baselines.get(point.label))))
        if point.run.state != "finished":
            text = f"{point.label}{repeat}: Run {point.run.state}: {point.run.message}"
            print(printable(text), file=sys.stderr)
        for finding in diagnose(point.run, metrics):
            print(f"* {finding.text}")
    if lesson.sweep is not None:
        field = lesson.sweep.field
        pairs = [(getattr(p.experiment, field), p.run) for p in sweep.finished_points()]
        series = scaling_series(pairs)
        cores = sweep.points[0].run.cores if sweep.points else None
        fit = fit_series(series, cores) if field == "workers" else None
        if fit is not None:
            print(f"\nAmdahl fit: {fit.headline()}")
    cores = sweep.points[0].run.cores if sweep.points else 1
    print(f"\n{describe_points(summary)}")
    verdicts = describe_verdicts(lesson, summary, cores)
    if verdicts:
        print(f"\n{verdicts}")
    print(f"\nQuestion for the class: {lesson.question}")
    if args.out is not None:
        _write_recordings(sweep, args.out)
    return series_exit_code(sweep, interrupted)


def _write_recordings(sweep, out: Path) -> None:
    """Each run of ``sweep`` as a recording: ``out`` itself for a single run, else
    ``out`` numbered (``name-1.coreo.json``, ``name-2.coreo.json`` …); says which is which."""
    from coreography.model.recording import save_run

    points = sweep.points
    if not points:
        print("no recording written: no run took place", file=sys.stderr)
        return
    for index, point in enumerate(points, 1):
        path = out if len(points) == 1 else numbered(out, index)
        save_run(point.run, path)
        repeat = f", run {point.repeat} of {sweep.repeats}" if sweep.repeats > 1 else ""
        print(f"recording written to {path} ({point.label}{repeat})")


def numbered(path: Path, index: int) -> Path:
    """``path`` with ``-index`` before its recording ending (``.coreo.json``, ``.gz`` …)."""
    name = path.name
    for ending in (".coreo.json.gz", ".coreo.json", ".json.gz", ".json", ".gz"):
        if name.endswith(ending) and len(name) > len(ending):
            return path.with_name(f"{name[: -len(ending)]}-{index}{ending}")
    return path.with_name(f"{name}-{index}")
