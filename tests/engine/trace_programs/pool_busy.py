"""`with Pool(2)` mapping a function that computes for about a fifth of a second."""

import multiprocessing
import sys
import time


def busy(n):
    end = time.perf_counter() + 0.2
    total = 0
    while time.perf_counter() < end:
        total += 1
    return n


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    with multiprocessing.Pool(2) as pool:
        print(pool.map(busy, range(4)))
