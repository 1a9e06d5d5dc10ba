"""Starts a Process and never joins it (Python waits for it at exit anyway)."""

import multiprocessing
import sys
import time


def nap():
    time.sleep(0.5)
    print("nap over")


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    multiprocessing.Process(target=nap, name="sleeper").start()
    print("main code done")
