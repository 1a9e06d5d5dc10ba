"""apply_async with a callback and an error callback."""

import multiprocessing
import sys


def halve(n):
    if n == 3:
        raise ValueError(f"odd one out: {n}")
    return n / 2


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    done, failed = [], []
    with multiprocessing.Pool(2) as pool:
        pending = [
            pool.apply_async(halve, (n,), callback=done.append, error_callback=failed.append)
            for n in range(6)
        ]
        for result in pending:
            result.wait()
    print("results", sorted(done))
    print("errors", [str(error) for error in failed])
