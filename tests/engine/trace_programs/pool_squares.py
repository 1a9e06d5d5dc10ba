"""Pool(processes=4) squaring range(10)."""

import multiprocessing
import sys


def square(n):
    return n * n


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    with multiprocessing.Pool(processes=4) as pool:
        print(pool.map(square, range(10)))
