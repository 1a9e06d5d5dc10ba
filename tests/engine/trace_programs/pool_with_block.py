"""`with Pool(2) as pool: pool.map(...)`: leaving the block terminates the workers."""

import multiprocessing
import sys


def double(n):
    return 2 * n


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    with multiprocessing.Pool(2) as pool:
        print(pool.map(double, range(6)))
