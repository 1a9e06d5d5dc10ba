"""Raises at the top level after a pool has done some work."""

import multiprocessing
import sys


def double(n):
    return 2 * n


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    with multiprocessing.Pool(2) as pool:
        print(pool.map(double, range(4)))
    raise SystemExit(f"giving up with code 3: {sys.argv[1]}") if False else sys.exit(3)
