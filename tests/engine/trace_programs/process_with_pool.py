"""A Process that starts a Pool of its own."""

import multiprocessing
import sys


def cube(n):
    return n**3


def manager(method):
    with multiprocessing.get_context(method).Pool(2) as pool:
        print("cubes", pool.map(cube, range(6)))


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    boss = multiprocessing.Process(target=manager, args=(sys.argv[1],), name="boss")
    boss.start()
    boss.join()
    print("boss exit code", boss.exitcode)
