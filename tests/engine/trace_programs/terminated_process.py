"""A Process the program itself ends with terminate() (SIGTERM) while it works."""

import multiprocessing
import sys
import time


def work():
    time.sleep(30)


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    worker = multiprocessing.Process(target=work, name="sleeper")
    worker.start()
    time.sleep(0.5)
    worker.terminate()
    worker.join()
    print("exit code", worker.exitcode)
