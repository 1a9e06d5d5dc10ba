"""Starts 64 Processes at once; some leave with os._exit, one raises."""

import multiprocessing
import os
import sys


def work(n):
    if n % 16 == 5:
        os._exit(7)
    if n == 10:
        raise RuntimeError("ten")


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    workers = [multiprocessing.Process(target=work, args=(n,)) for n in range(64)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(sorted({worker.exitcode for worker in workers}))
