"""A Pool task calls os._exit: the Pool replaces the worker and map() waits forever."""

import multiprocessing
import os
import sys


def fragile(n):
    if n == 2:
        os._exit(1)
    return n


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    with multiprocessing.Pool(2) as pool:
        print(pool.map(fragile, range(4), chunksize=1), flush=True)
