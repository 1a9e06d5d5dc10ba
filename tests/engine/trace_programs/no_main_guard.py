"""Starts a Process at the top level, without an if __name__ == "__main__": guard."""

import multiprocessing
import sys


def hello():
    print("hello from the child")


context = multiprocessing.get_context(sys.argv[1])
child = context.Process(target=hello)
child.start()
child.join()
print("child exit code", child.exitcode)
