"""Never ends: a child waits for an item no one sends, and the parent joins it."""

import multiprocessing
import sys


def wait_forever(queue):
    queue.get()


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    queue = multiprocessing.Queue()
    child = multiprocessing.Process(target=wait_forever, args=(queue,))
    child.start()
    print("waiting", flush=True)
    child.join()
