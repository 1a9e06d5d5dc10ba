"""A Process killed by signal 9 while it runs; the parent reports its exit code."""

import multiprocessing
import os
import signal
import sys


def die():
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    victim = multiprocessing.Process(target=die, name="victim")
    victim.start()
    victim.join()
    print("exit code", victim.exitcode)
