"""The execution models Coreography ships: their records and how their code reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from coreography.model.models import Code, ExecutionModel, register

if TYPE_CHECKING:
    from coreography.model.experiment import Experiment

BACKENDS = "coreography.engine.backends"


def _sequential(exp: Experiment, fn: str) -> Code:
    return Code(body=(f"results = [{fn}(x) for x in args]",))


def _threads(exp: Experiment, fn: str) -> Code:
    return Code(
        modules=frozenset({"threading"}),
        body=(
            "results = [None] * len(args)",
            "",
            "def run(i, x):",
            f"    results[i] = {fn}(x)",
            "",
            "threads = [threading.Thread(target=run, args=(i, x)) for i, x in enumerate(args)]",
            "for thread in threads:",
            "    thread.start()",
            "for thread in threads:",
            "    thread.join()",
        ),
    )


def _thread_pool(exp: Experiment, fn: str) -> Code:
    return Code(
        imports=("from concurrent.futures import ThreadPoolExecutor",),
        body=(
            f"with ThreadPoolExecutor(max_workers={exp.workers}) as executor:",
            f"    results = list(executor.map({fn}, args))",
        ),
    )


def _processes(exp: Experiment, fn: str) -> Code:
    return Code(
        imports=("from multiprocessing import Process",),
        body=(
            f"processes = [Process(target={fn}, args=(x,)) for x in args]",
            "for process in processes:",
            "    process.start()",
            "for process in processes:",
            "    process.join()",
        ),
        prints_results=False,
        no_results="none: a Process throws away what its target returns",
    )


def _process_pool(exp: Experiment, fn: str) -> Code:
    return Code(
        imports=("from concurrent.futures import ProcessPoolExecutor",),
        body=(
            f"with ProcessPoolExecutor(max_workers={exp.workers}) as executor:",
            f"    results = list(executor.map({fn}, args, chunksize={exp.chunksize or 1}))",
        ),
    )


def _pool(call: str) -> Callable[[Experiment, str], Code]:
    """Code for a ``Pool`` method; ``call`` is formatted with fn, chunk and chunk1."""

    def code(exp: Experiment, fn: str) -> Code:
        chunk = f", chunksize={exp.chunksize}" if exp.chunksize else ""
        text = call.format(fn=fn, chunk=chunk, chunk1=exp.chunksize or 1)
        return Code(
            imports=("from multiprocessing import Pool",),
            body=(f"with Pool(processes={exp.workers}) as pool:", f"    results = {text}"),
        )

    return code


def _pool_apply_async(exp: Experiment, fn: str) -> Code:
    return Code(
        imports=("from multiprocessing import Pool",),
        body=(
            f"with Pool(processes={exp.workers}) as pool:",
            f"    handles = [pool.apply_async({fn}, (x,)) for x in args]",
            "    results = [handle.get() for handle in handles]",
        ),
    )


def _pool_model(
    name: str, description: str, code: Callable[[Experiment, str], Code], chunked: bool = True
) -> None:
    register(
        ExecutionModel(
            name,
            description,
            "process",
            f"{BACKENDS}.pool",
            code,
            uses_chunksize=chunked,
        )
    )


register(
    ExecutionModel(
        "sequential",
        "Plain loop in the main process",
        "inline",
        f"{BACKENDS}.sequential",
        _sequential,
        uses_workers=False,
    )
)
register(
    ExecutionModel(
        "threads",
        "One threading.Thread per task",
        "thread",
        f"{BACKENDS}.threads",
        _threads,
        uses_workers=False,
        lane_per_task=True,
        max_tasks=4096,
    )
)
register(
    ExecutionModel(
        "thread-pool",
        "concurrent.futures.ThreadPoolExecutor.map",
        "thread",
        f"{BACKENDS}.executor",
        _thread_pool,
    )
)
register(
    ExecutionModel(
        "processes",
        "One multiprocessing.Process per task",
        "process",
        f"{BACKENDS}.processes",
        _processes,
        uses_workers=False,
        lane_per_task=True,
        max_tasks=256,
    )
)
_pool_model("pool-map", "multiprocessing.Pool.map", _pool("pool.map({fn}, args{chunk})"))
_pool_model(
    "pool-imap",
    "multiprocessing.Pool.imap",
    _pool("list(pool.imap({fn}, args, chunksize={chunk1}))"),
)
_pool_model(
    "pool-imap-unordered",
    "multiprocessing.Pool.imap_unordered",
    _pool("list(pool.imap_unordered({fn}, args, chunksize={chunk1}))"),
)
_pool_model(
    "pool-apply-async",
    "multiprocessing.Pool.apply_async, one call per task",
    _pool_apply_async,
    chunked=False,
)
_pool_model(
    "pool-starmap",
    "multiprocessing.Pool.starmap",
    _pool("pool.starmap({fn}, [(x,) for x in args]{chunk})"),
)
register(
    ExecutionModel(
        "process-pool",
        "concurrent.futures.ProcessPoolExecutor.map",
        "process",
        f"{BACKENDS}.executor",
        _process_pool,
        uses_chunksize=True,
    )
)


def _traced_program(exp: Experiment, fn: str) -> Code:
    return Code(
        body=("# The program itself: coreography trace runs it unmodified.",),
        prints_results=False,
    )


register(
    ExecutionModel(
        "trace",
        "Your own program, run unmodified (coreography trace)",
        "process",
        "coreography.engine.trace.runner",
        _traced_program,
        uses_workers=False,
        choosable=False,
    )
)
