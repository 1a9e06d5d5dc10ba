"""The execution models Coreography ships: their records and how their code reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from coreography.model.models import Code, ExecutionModel, register

if TYPE_CHECKING:
    from coreography.model.experiment import Experiment

BACKENDS = "coreography.engine.backends"
#: How many times each lock-counter (and race-counter) task adds one to the shared counter.
INCREMENTS_PER_TASK = 2000


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


# -- models built on communication (engine/backends/communication.py) -------------------------
def _queue_workers(exp: Experiment, fn: str) -> Code:
    return Code(
        imports=("from multiprocessing import Process, Queue",),
        functions=(
            "def worker(tasks, results):",
            "    while (item := tasks.get()) is not None:  # None: no more work",
            "        i, x = item",
            f"        results.put((i, {fn}(x)))",
        ),
        body=(
            "tasks, done = Queue(), Queue()",
            f"workers = [Process(target=worker, args=(tasks, done)) for _ in range({exp.workers})]",
            "for process in workers:",
            "    process.start()",
            "for item in enumerate(args):",
            "    tasks.put(item)",
            "for _ in workers:",
            "    tasks.put(None)  # one sentinel per worker",
            "results = [None] * len(args)",
            "for _ in args:",
            "    i, result = done.get()",
            "    results[i] = result",
            "for process in workers:",
            "    process.join()",
        ),
    )


def _pipe_pair(exp: Experiment, fn: str) -> Code:
    return Code(
        imports=("from multiprocessing import Pipe, Process",),
        functions=(
            "def partner(end):",
            "    while (x := end.recv()) is not None:",
            f"        end.send({fn}(x))",
        ),
        body=(
            "mine, theirs = Pipe()",
            "process = Process(target=partner, args=(theirs,))",
            "process.start()",
            "results = []",
            "for x in args:  # ping: a task over, pong: its result back",
            "    mine.send(x)",
            "    results.append(mine.recv())",
            "mine.send(None)",
            "process.join()",
        ),
    )


def _counter(locked: bool) -> Callable[[Experiment, str], Code]:
    add = (
        ("            with lock:", "                counter.value += 1")
        if locked
        else ("            counter.value += 1  # read, add, write: not atomic",)
    )

    def code(exp: Experiment, fn: str) -> Code:
        workers = min(exp.workers, exp.tasks)
        return Code(
            imports=("from multiprocessing import Lock, Process, Value",),
            functions=(
                "def count(share, counter, lock):",
                "    for x in share:",
                f"        {fn}(x)",
                f"        for _ in range({INCREMENTS_PER_TASK}):",
                *add,
            ),
            body=(
                "counter = Value('q', 0)",
                "lock = Lock()" if locked else "lock = None  # no lock: updates get lost",
                f"shares = [args[n::{workers}] for n in range({workers})]",
                "workers = [Process(target=count, args=(s, counter, lock)) for s in shares]",
                "for process in workers:",
                "    process.start()",
                "for process in workers:",
                "    process.join()",
                f"print('counter.value =', counter.value, 'of', len(args) * {INCREMENTS_PER_TASK})",
            ),
            prints_results=False,
            no_results="none: the program prints counter.value",
        )

    return code


register(
    ExecutionModel(
        "queue-workers",
        "Worker processes taking tasks from a multiprocessing.Queue, results on another",
        "process",
        f"{BACKENDS}.communication",
        _queue_workers,
    )
)
register(
    ExecutionModel(
        "pipe-pair",
        "Ping-pong over a multiprocessing.Pipe with one worker process",
        "process",
        f"{BACKENDS}.communication",
        _pipe_pair,
        uses_workers=False,
        fixed_workers=1,
    )
)
register(
    ExecutionModel(
        "lock-counter",
        "Processes adding to a shared Value, each addition under a Lock",
        "process",
        f"{BACKENDS}.communication",
        _counter(locked=True),
    )
)
register(
    ExecutionModel(
        "race-counter",
        "The lock-counter program without its Lock: updates get lost",
        "process",
        f"{BACKENDS}.communication",
        _counter(locked=False),
    )
)


# -- models that hand tasks a big array (engine/backends/sharing.py) --------------------------
def _array_code(shared: bool) -> Callable[[Experiment, str], Code]:
    """A tasks Queue as in queue-workers; each task sums its share of one big array, which
    travels pickled with every task, or sits once in shared memory."""

    def code(exp: Experiment, fn: str) -> Code:
        workers = min(exp.workers, exp.tasks)
        n = exp.array_length
        if shared:
            imports: tuple[str, ...] = (
                "from array import array",
                "from multiprocessing import Process, Queue",
                "from multiprocessing.shared_memory import SharedMemory",
            )
            functions: tuple[str, ...] = (
                "def worker(name, tasks, results):",
                "    memory = SharedMemory(name=name)  # the same memory, not a copy",
                f"    data = memory.buf[:{n} * 8].cast('d')",
                "    while (item := tasks.get()) is not None:  # None: no more work",
                "        i, x, lo, hi = item  # only a few numbers travel",
                f"        results.put((i, {fn}(x), sum(data[lo:hi])))",
                "    data.release()",
                "    memory.close()",
            )
            setup: tuple[str, ...] = (
                f"memory = SharedMemory(create=True, size={n} * 8)",
                f"data = memory.buf[:{n} * 8].cast('d')",
                f"data[:] = array('d', range({n}))  # {exp.array_mb:g} MB, copied in once",
                "data.release()",
                f"tasks, done = Queue({workers}), Queue()",
                "workers = [Process(target=worker, args=(memory.name, tasks, done))"
                f" for _ in range({workers})]",
            )
            item = f"    tasks.put((i, x, i * {n} // n, (i + 1) * {n} // n))"
            end: tuple[str, ...] = ("memory.close()", "memory.unlink()")
        else:
            imports = ("from array import array", "from multiprocessing import Process, Queue")
            functions = (
                "def worker(tasks, results):",
                "    while (item := tasks.get()) is not None:  # None: no more work",
                "        i, x, data, lo, hi = item  # a whole copy of the array, unpickled",
                f"        results.put((i, {fn}(x), sum(data[lo:hi])))",
            )
            setup = (
                f"data = array('d', range({n}))  # {exp.array_mb:g} MB",
                f"tasks, done = Queue({workers}), Queue()",
                f"workers = [Process(target=worker, args=(tasks, done)) for _ in range({workers})]",
            )
            item = (
                f"    tasks.put((i, x, data, i * {n} // n, (i + 1) * {n} // n))"
                "  # pickles all of data"
            )
            end = ()
        return Code(
            imports=imports,
            functions=functions,
            body=(
                *setup,
                "for process in workers:",
                "    process.start()",
                "n = len(args)",
                "for i, x in enumerate(args):",
                item,
                "for _ in workers:",
                "    tasks.put(None)  # one sentinel per worker",
                "results, total = [None] * n, 0.0",
                "for _ in args:",
                "    i, result, part = done.get()",
                "    results[i], total = result, total + part",
                "for process in workers:",
                "    process.join()",
                *end,
                "print(f'sum of the array = {total:.0f}')",
            ),
        )

    return code


register(
    ExecutionModel(
        "pickled-array",
        "Worker processes get a big array pickled with every task, through a Queue",
        "process",
        f"{BACKENDS}.sharing",
        _array_code(shared=False),
        uses_array=True,
    )
)
register(
    ExecutionModel(
        "shared-array",
        "Worker processes read one big array in multiprocessing.shared_memory",
        "process",
        f"{BACKENDS}.sharing",
        _array_code(shared=True),
        uses_array=True,
    )
)
