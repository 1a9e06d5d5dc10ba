"""Sends a lambda to a Pool (it cannot be pickled)."""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    with multiprocessing.Pool(2) as pool:
        print(pool.map(lambda n: n + 1, range(4)))
