"""One Process that prints a line (start method from argv[1])."""

import multiprocessing
import sys


def greet():
    print("Worker process")


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    worker = multiprocessing.Process(target=greet)
    worker.start()
    worker.join()
