"""Four Processes, each printing its pid and a number from 1 to 4."""

import multiprocessing
import os
import sys


def show(number):
    print(f"Process ID: {os.getpid()} - Number: {number}")


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    workers = [multiprocessing.Process(target=show, args=(n,)) for n in range(1, 5)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
