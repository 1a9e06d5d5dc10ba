"""The headless command line: run an experiment, export a recording."""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from coreography import __version__
from coreography.cli_series import (
    describe_points,
    describe_verdicts,
    drive,
    repeats_option,
    sweep_main,
)
from coreography.model import models
from coreography.model.experiment import (
    DISTRIBUTIONS,
    FAULTS,
    LIMITS,
    WORKLOADS,
    Experiment,
    ExperimentError,
    Fault,
    available_start_methods,
    default_start_method,
    parse_task,
)
from coreography.model.repeats import DEFAULT_REPEATS

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse that says what is wrong in one line and exits with code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"coreography: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="coreography",
        description="Watch Python multiprocessing run. Without a command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"coreography {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = commands.add_parser(
        "run",
        help="run an experiment headless and print its numbers",
        description="Run one experiment for real, show progress on stderr, print a summary "
        "and optionally write a recording.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="models:\n"
        + "\n".join(f"  {k:<20} {v}" for k, v in models.descriptions().items())
        + "\n\ntask kinds:\n"
        + "\n".join(f"  {k:<20} {v}" for k, v in WORKLOADS.items()),
    )
    lo, hi = LIMITS["workers"]
    run.add_argument(
        "--model",
        default="pool-map",
        choices=models.choices(),
        metavar="MODEL",
        help="execution model (default: pool-map; see the list below)",
    )
    run.add_argument(
        "--workers",
        type=int,
        default=2,
        metavar="N",
        help=f"worker processes or threads, {lo} to {hi} (default: 2)",
    )
    lo, hi = LIMITS["tasks"]
    run.add_argument(
        "--tasks",
        type=int,
        default=10,
        metavar="N",
        help=f"number of tasks, {lo} to {hi:,} (default: 10; at most "
        + ", ".join(f"{cap} for {name!r}" for name, cap in models.task_caps().items())
        + ")",
    )
    run.add_argument(
        "--task",
        default="cpu:5ms",
        metavar="KIND[:SIZE]",
        help="what each task does and how big it is: cpu:5ms, io:20ms, nogil:5ms, "
        "primes:20000, square, print-number, hello (default: cpu:5ms; sizes "
        f"0 to {LIMITS['size'][1]:g} ms)",
    )
    run.add_argument(
        "--distribution",
        default="fixed",
        choices=DISTRIBUTIONS,
        help="how task sizes vary (default: fixed; straggler = one task 10x longer)",
    )
    lo, hi = LIMITS["chunksize"]
    run.add_argument(
        "--chunksize",
        type=int,
        default=0,
        metavar="N",
        help=f"tasks sent to a worker at once, {lo} to {hi:,}; 0 = the library's "
        "own choice (default: 0)",
    )
    run.add_argument(
        "--start-method",
        default=default_start_method(),
        choices=available_start_methods(),
        help=f"how worker processes start (default here: {default_start_method()})",
    )
    lo, hi = LIMITS["seed"]
    run.add_argument(
        "--seed",
        type=int,
        default=1,
        metavar="N",
        help=f"seed for task sizes, {lo} to {hi} (default: 1)",
    )
    lo, hi = LIMITS["speed"]
    run.add_argument(
        "--slow-motion",
        type=float,
        default=1.0,
        metavar="X",
        help=f"stretch timed tasks by X, {lo:g} to {hi:g} (default: 1)",
    )
    run.add_argument(
        "--fault",
        default="none",
        metavar="KIND[:TASK]",
        help=f"make one task fail on purpose: {', '.join(FAULTS)} (default: none)",
    )
    run.add_argument(
        "--out",
        type=Path,
        metavar="FILE",
        help="write a recording (.coreo.json, or .coreo.json.gz to compress)",
    )
    run.add_argument(
        "--sample-hz",
        type=float,
        default=10.0,
        metavar="HZ",
        help="psutil samples per second, 0.5 to 50 (default: 10)",
    )
    run.add_argument(
        "--state-hz",
        type=float,
        default=50.0,
        metavar="HZ",
        help="thread-state readings per second from the kernel, 1 to 200, 0 for none (default: 50)",
    )
    run.add_argument(
        "--timeout",
        type=float,
        default=0,
        metavar="SECONDS",
        help="stop the run after this long; 0 = no limit (default: 0)",
    )
    run.add_argument(
        "--show-output",
        action="store_true",
        help="print every line the tasks printed, after the run",
    )
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument(
        "--code",
        type=Path,
        metavar="FILE",
        help="your own task: a .py file defining def task(x) (x = the task number); "
        "replaces --task",
    )
    run.add_argument(
        "--experiment",
        type=Path,
        metavar="FILE",
        help="run an experiment saved as .toml (from the window or a lesson); the "
        "experiment options above are then ignored",
    )
    run.add_argument(
        "--lesson",
        metavar="ID",
        help="run a lesson's experiments instead (ids: coreography lessons); the "
        "experiment options above are then ignored",
    )
    repeats_option(run, DEFAULT_REPEATS)  # a lesson that compares runs repeats each one

    export = commands.add_parser(
        "export",
        help="turn a recording into a Chrome trace or CSV",
        description="Export a recording: Chrome Trace Event JSON (opens in Perfetto and "
        "chrome://tracing) and/or one CSV row per task.",
    )
    export.add_argument("recording", type=Path, help="a .coreo.json(.gz) recording")
    export.add_argument("--chrome", type=Path, metavar="FILE", help="write a Chrome trace here")
    export.add_argument("--csv", type=Path, metavar="FILE", help="write one row per task here")

    show = commands.add_parser("summary", help="print the summary table of a recording")
    show.add_argument("recording", type=Path)
    show.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object (schema coreography-summary/1) instead of the table",
    )

    commands.add_parser("lessons", help="list the guided lessons (id and title)")
    commands.add_parser(
        "trace",
        help="run your own script unmodified and record its processes (trace -h)",
        add_help=False,
    )
    commands.add_parser(
        "sweep",
        help="run an experiment over several values of a setting, each repeated (sweep -h)",
        add_help=False,
    )
    commands.add_parser(
        "calibrate",
        help="measure again how many loops make a millisecond of cpu/nogil work here "
        "(kept for every later run; do it while the machine is quiet)",
    )
    return parser


def experiment_from_args(args: argparse.Namespace) -> Experiment:
    if getattr(args, "experiment", None) is not None:
        from coreography.model.experiment_file import load_experiment

        return load_experiment(args.experiment)
    workload, size = parse_task(args.task)
    code = ""
    if getattr(args, "code", None) is not None:
        workload, code = "custom", args.code.read_text(encoding="utf-8")
    return Experiment(
        code=code,
        model=args.model,
        workers=args.workers,
        tasks=args.tasks,
        workload=workload,
        size=size,
        distribution=args.distribution,
        chunksize=args.chunksize,
        start_method=args.start_method,
        seed=args.seed,
        fault=Fault.parse(args.fault),
        speed=args.slow_motion,
    ).validate()


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["trace"]:  # the program's own arguments are not ours to parse
        from coreography.cli_trace import main as trace_main

        return trace_main(argv[1:])
    if argv[:1] == ["sweep"]:  # run's options, and a field and its values
        try:
            return sweep_main(argv[1:])
        except ExperimentError as exc:
            print(f"coreography: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "run" and args.lesson is not None:
            return _run_lesson(args)
        if args.command == "run":
            return _run(args)
        if args.command == "lessons":
            return _list_lessons()
        if args.command == "export":
            return _export(args)
        if args.command == "summary":
            return _summary(args)
        if args.command == "calibrate":
            return _calibrate()
    except ExperimentError as exc:
        print(f"coreography: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError as exc:  # RecordingError and friends: one line, no traceback
        print(f"coreography: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # the reader left (``| head``): stop quietly, as cat does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
        return EXIT_FAILED
    except OSError as exc:
        print(f"coreography: error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    parser.print_help()
    return EXIT_USAGE


def _run(args: argparse.Namespace) -> int:
    from coreography.engine.controller import RunController
    from coreography.model.metrics import compute_metrics, format_table
    from coreography.model.recording import save_run

    experiment = experiment_from_args(args)
    if args.out is not None and not args.out.parent.exists():
        raise OSError(2, "no such folder", str(args.out.parent))
    controller = RunController(sample_hz=args.sample_hz, state_hz=args.state_hz)
    progress = _Progress(enabled=not args.quiet)
    run = controller.start(experiment)
    try:
        finished = controller.wait(timeout=args.timeout or None, on_tick=progress.update)
        if not finished:
            controller.stop()
            controller.wait(timeout=10)
    except KeyboardInterrupt:
        controller.stop()
        controller.wait(timeout=10)
    finally:
        controller.shutdown()
    progress.update(run, final=True)
    if args.show_output:
        for line in run.stdout_lines():
            print(line)
    print(format_table(compute_metrics(run)))
    _print_states(run)
    if run.calibration and run.calibration.get("busy"):
        print("Note: task sizes were calibrated while the machine was busy; run")
        print("`coreography calibrate` at a quiet moment for work sizes true to this machine.")
    if run.state != "finished":
        print(f"Run {run.state}: {run.message}")
    if run.logs:
        print("\n".join(run.logs))
    if args.out is not None:
        save_run(run, args.out)
        print(f"recording written to {args.out}")
    return EXIT_OK if run.state == "finished" else EXIT_FAILED


def _export(args: argparse.Namespace) -> int:
    from coreography.model.export import export_chrome_trace, export_csv
    from coreography.model.recording import load_run

    if args.chrome is None and args.csv is None:
        raise ExperimentError("export", "nothing", "give --chrome FILE and/or --csv FILE")
    run = load_run(args.recording)
    if args.chrome is not None:
        export_chrome_trace(run, args.chrome)
        print(f"Chrome trace written to {args.chrome}")
    if args.csv is not None:
        export_csv(run, args.csv)
        print(f"CSV written to {args.csv}")
    return EXIT_OK


def _summary(args: argparse.Namespace) -> int:
    from coreography.model.metrics import compute_metrics, format_table
    from coreography.model.recording import load_run

    run = load_run(args.recording)
    if args.json:
        import json

        from coreography.model.summary_json import summary_dict

        print(json.dumps(summary_dict(run), ensure_ascii=False, allow_nan=False))
        return EXIT_OK
    print(printable(format_table(compute_metrics(run))))
    _print_states(run)
    return EXIT_OK


def _print_states(run) -> None:
    from coreography.model.summary_json import state_table

    table = state_table(run)
    if table:
        print(f"\n{printable(table)}")


def _calibrate() -> int:
    from coreography.engine.calibration import cache_path, load_or_measure

    record = load_or_measure(remeasure=True)
    print(f"Calibration: {record.describe()}")
    print(f"kept in {cache_path()}")
    return EXIT_OK


#: Characters a terminal would act on rather than show: C0/C1 controls (ESC starts colour,
#: title and cursor sequences) and the bidirectional overrides; newline and tab are kept.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` safe for a terminal: every control character shown as ``\\xNN``/``\\uNNNN``."""
    return _UNPRINTABLE.sub(lambda m: ascii(m.group())[1:-1], text)


def _list_lessons() -> int:
    from coreography.lessons.registry import all_lessons

    lessons = all_lessons()
    width = max(len(lesson.id) for lesson in lessons)
    for lesson in lessons:
        print(f"{lesson.number:>2}  {lesson.id:<{width}}  {lesson.title}")
    return EXIT_OK


def _run_lesson(args: argparse.Namespace) -> int:
    """Run every experiment of a lesson (a sweep's points too) and explain each run."""
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
    runs = lesson.experiments()
    print(f"Lesson {lesson.number}: {lesson.title}\n\n{lesson.explanation}\n\nWhat to notice:")
    print("\n".join(f"  - {caption}" for caption in lesson.captions))
    progress = _Progress(enabled=not args.quiet)
    sweep = Sweep(
        [r.experiment for r in runs],
        [r.label for r in runs],
        controller=RunController(sample_hz=args.sample_hz),
        repeats=args.repeats if lesson.repeatable else 1,
    )
    drive(sweep, progress)
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
            print(f"Run {point.run.state}: {point.run.message}")
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
    finished = all(p.finished for p in sweep.points) and len(sweep.points) == sweep.total
    return EXIT_OK if finished else EXIT_FAILED


class _Progress:
    """A one-line progress bar on stderr, redrawn at most 10 times a second."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._last = 0.0

    def update(self, run, final: bool = False) -> None:
        if not self.enabled or run is None:
            return
        now = time.monotonic()
        if not final and now - self._last < 0.1:
            return
        self._last = now
        total = max(run.n_tasks, 1)
        done = run.n_done + run.n_failed
        width = 30
        filled = int(width * done / total)
        elapsed = (
            (time.perf_counter_ns() - run.t0) / 1e9
            if not run.is_over
            else ((run.end_ns - run.t0) / 1e9)
        )
        bar = "█" * filled + "·" * (width - filled)
        line = f"\r{bar} {done:>{len(str(total))}}/{total} tasks  {elapsed:6.2f} s  {run.state:<9}"
        sys.stderr.write(line + ("\n" if final else ""))
        sys.stderr.flush()
