"""The headless command line: run an experiment, export a recording."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from coreography import __version__
from coreography.cli_series import lesson_main, repeats_option, sweep_main
from coreography.engine.launch import one_blas_thread
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

with one_blas_thread():  # the run model's numpy (see one_blas_thread)
    from coreography.cli_progress import Progress, printable

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEFAULT_WORKERS = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C


class UsageError(ValueError):
    """What the command line asked for cannot be done as asked (exit code 2)."""


class CodeNotTrusted(UsageError):
    """An experiment file carries task code, and ``--trust-code`` was not given."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"{path} contains code from someone else (its own task function); it was not "
            "run. Read it first; to run it, add --trust-code"
        )


class _Parser(argparse.ArgumentParser):
    """argparse that says what is wrong in one line and exits with code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"coreography: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="coreography",
        description="Watch Python multiprocessing run. Without a command, opens the window "
        "(coreography FILE.coreo.json opens a recording in it, coreography SCRIPT.py a "
        "script of your own, ready to run).",
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
        default=None,  # 2; None tells that the option was not given
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
    lo, hi = LIMITS["array_mb"]
    run.add_argument(
        "--array-mb",
        type=float,
        default=Experiment.array_mb,
        metavar="MB",
        help=f"size of the array pickled-array and shared-array hand their tasks, {lo:g} "
        f"to {hi:g} MB (default: {Experiment.array_mb:g})",
    )
    run.add_argument(
        "--start-method",
        default=default_start_method(),
        choices=available_start_methods(),
        help=f"how worker processes start (default here: {default_start_method()})",
    )
    run.add_argument(
        "--scheduler",
        default="",
        metavar="ADDRESS",
        help="a Dask model on the cluster already running at ADDRESS (tcp://HOST:PORT), "
        "left running after the run (default: the run starts a LocalCluster of --workers "
        "processes and closes it)",
    )
    lo, hi = LIMITS["threads_per_worker"]
    run.add_argument(
        "--threads-per-worker",
        type=int,
        default=1,
        metavar="N",
        help=f"threads in each worker of the LocalCluster a Dask model starts, {lo} to {hi}; "
        "each thread is a lane of its own (default: 1)",
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
    run.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
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
        "--trust-code",
        action="store_true",
        help="run the task code an --experiment file carries (refused without this: "
        "code from a file runs with your permissions, so read it first)",
    )
    run.add_argument(
        "--lesson",
        metavar="ID",
        help="run a lesson's experiments instead (ids: coreography lessons); the "
        "experiment options above are then ignored; --out FILE writes one recording per "
        "run (FILE, or FILE-1, FILE-2 … when the lesson has several runs)",
    )
    repeats_option(run, DEFAULT_REPEATS)  # a lesson that compares runs repeats each one

    export = commands.add_parser(
        "export",
        help="turn a recording into a Perfetto or Chrome trace, or CSV",
        description="Export a recording: a Perfetto trace (Perfetto's own protobuf "
        "format, for ui.perfetto.dev), Chrome Trace Event JSON (opens in Perfetto and "
        "chrome://tracing) and/or one CSV row per task.",
    )
    export.add_argument("recording", type=Path, help="a .coreo.json(.gz) recording")
    export.add_argument(
        "--perfetto", type=Path, metavar="FILE", help="write a Perfetto trace here (.pftrace)"
    )
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
    """The experiment the options describe (or the ``--experiment`` file holds).

    Raises
    ------
    CodeNotTrusted
        The file carries task code and ``--trust-code`` was not given.
    """
    if getattr(args, "experiment", None) is not None:
        from coreography.model.experiment_file import load_experiment

        experiment = load_experiment(args.experiment)
        if experiment.code.strip() and not getattr(args, "trust_code", False):
            raise CodeNotTrusted(args.experiment)
        return experiment
    workload, size = parse_task(args.task)
    code = ""
    if getattr(args, "code", None) is not None:
        workload, code = "custom", args.code.read_text(encoding="utf-8")
    _note_unused_workers(args)
    return Experiment(
        code=code,
        model=args.model,
        workers=DEFAULT_WORKERS if args.workers is None else args.workers,
        tasks=args.tasks,
        workload=workload,
        size=size,
        distribution=args.distribution,
        chunksize=args.chunksize,
        start_method=args.start_method,
        seed=args.seed,
        fault=Fault.parse(args.fault),
        speed=args.slow_motion,
        scheduler=getattr(args, "scheduler", ""),
        array_mb=getattr(args, "array_mb", Experiment.array_mb),
        threads_per_worker=getattr(args, "threads_per_worker", 1),
    ).validate()


def _note_unused_workers(args: argparse.Namespace) -> None:
    """Say so when ``--workers`` was given to a model that starts one lane per task."""
    record = models.find(args.model)
    if record is None or record.uses_workers or args.workers is None:
        return
    per_task = f"one {record.lanes} per task" if record.lane_per_task else "no workers"
    pooled = {"thread": "thread-pool", "process": "pool-map"}.get(record.lanes)
    hint = f"; --model {pooled} uses {args.workers} workers" if pooled else ""
    print(
        f"coreography: note: --workers {args.workers} is not used by {args.model!r}, which "
        f"starts {per_task}{hint}",
        file=sys.stderr,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code: 0 done, 1 the run failed or did not
    finish, 2 a usage error (bad option, bad file), 130 interrupted by Ctrl-C."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return _main(argv)
    except KeyboardInterrupt:  # before or after a run (a run itself stops cleanly)
        print("coreography: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader left (``| head``): stop quietly, as cat does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
        return EXIT_FAILED


def _main(argv: list[str]) -> int:
    if argv[:1] == ["trace"]:  # the program's own arguments are not ours to parse
        from coreography.cli_trace import main as trace_main

        return trace_main(argv[1:])
    if argv[:1] == ["sweep"]:  # run's options, and a field and its values
        try:
            return sweep_main(argv[1:])
        except ValueError as exc:  # ExperimentError, UsageError, a bad experiment file
            print(f"coreography: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except OSError as exc:
            print(f"coreography: error: {_os_error(exc)}", file=sys.stderr)
            return EXIT_USAGE
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "run" and args.lesson is not None:
            return lesson_main(args)
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
    except BrokenPipeError:
        raise
    except OSError as exc:
        print(f"coreography: error: {_os_error(exc)}", file=sys.stderr)
        return EXIT_USAGE
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def _os_error(exc: OSError) -> str:
    return f"{exc.filename or ''}: {exc.strerror or exc}" if exc.filename else str(exc)


def _run(args: argparse.Namespace) -> int:
    from coreography.engine.controller import RunController
    from coreography.model.metrics import compute_metrics, format_table

    experiment = experiment_from_args(args)
    missing = experiment.execution_model.missing()
    if missing:  # an optional extra the model needs: say how to get it
        print(f"coreography: error: {missing}", file=sys.stderr)
        return EXIT_USAGE
    if args.out is not None and not args.out.parent.exists():
        raise OSError(2, "no such folder", str(args.out.parent))
    controller = RunController(sample_hz=args.sample_hz, state_hz=args.state_hz)
    progress = Progress(enabled=not args.quiet)
    run = controller.start(experiment)
    ended_by = ""  # why the CLI stopped the run, if it did
    try:
        finished = controller.wait(timeout=args.timeout or None, on_tick=progress.update)
        if not finished:
            ended_by = f"timed out after {args.timeout:g} s"
    except KeyboardInterrupt:
        ended_by = "interrupted (Ctrl-C)"
    finally:
        with no_interrupts():  # the run's processes end whatever the user presses now
            if ended_by:
                controller.stop()
                controller.wait(timeout=10)
            controller.shutdown()
    if ended_by and run.state == "stopped":
        run.message = ended_by  # not "stopped by the user": say who stopped it and why
    progress.update(run, final=True)
    if args.show_output:
        for line in run.stdout_lines():
            print(printable(line))
    print(printable(format_table(compute_metrics(run))))
    _print_states(run)
    if run.calibration and run.calibration.get("busy"):
        print("Note: task sizes were calibrated while the machine was busy; run")
        print("`coreography calibrate` at a quiet moment for work sizes true to this machine.")
    if run.logs:
        print(printable("\n".join(run.logs)))
    if args.out is not None:
        from coreography.model.recording import save_run

        save_run(run, args.out)
        print(f"recording written to {args.out}")
    if run.state != "finished":
        print(printable(f"Run {run.state}: {run.message}"), file=sys.stderr)
    if ended_by.startswith("interrupted"):
        return EXIT_INTERRUPTED
    return EXIT_OK if run.state == "finished" else EXIT_FAILED


class no_interrupts:
    """Ctrl-C is ignored inside (the cleanup after a Ctrl-C must not be cut short)."""

    def __enter__(self) -> None:
        try:
            self._previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        except ValueError:  # not the main thread: nothing to hold back
            self._previous = None

    def __exit__(self, *_exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def _export(args: argparse.Namespace) -> int:
    from coreography.model.export import export_chrome_trace, export_csv
    from coreography.model.recording import load_run

    if args.perfetto is None and args.chrome is None and args.csv is None:
        raise ExperimentError(
            "export", "nothing", "give --perfetto FILE, --chrome FILE and/or --csv FILE"
        )
    run = load_run(args.recording)
    if args.perfetto is not None:
        from coreography.model.export_perfetto import export_perfetto

        export_perfetto(run, args.perfetto)
        print(f"Perfetto trace written to {args.perfetto}")
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
    from coreography.model.summary_json import channel_table, host_table, state_table

    for table in (state_table(run), channel_table(run), host_table(run)):
        if table:
            print(f"\n{printable(table)}")


def _calibrate() -> int:
    from coreography.engine.calibration import cache_path, load_or_measure

    record = load_or_measure(remeasure=True)
    print(f"Calibration: {record.describe()}")
    print(f"kept in {cache_path()}")
    return EXIT_OK


def _list_lessons() -> int:
    from coreography.lessons.registry import all_lessons

    lessons = all_lessons()
    width = max(len(lesson.id) for lesson in lessons)
    for lesson in lessons:
        print(f"{lesson.number:>2}  {lesson.id:<{width}}  {lesson.title}")
    return EXIT_OK
