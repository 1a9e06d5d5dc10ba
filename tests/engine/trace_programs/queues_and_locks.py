"""Workers that take numbers from a Queue, add them to a total under a Lock and put
squares on a SimpleQueue; a JoinableQueue of words is drained and joined; a partner
answers three pings over a Pipe."""

import multiprocessing
import sys
import time


def work(tasks, squares, lock, total):
    while (n := tasks.get()) is not None:
        with lock:  # held a while, so the other worker waits for it
            total.value += n
            time.sleep(0.002)
        squares.put(n * n)


def pong(end):
    while (n := end.recv()) is not None:
        end.send(n + 1)


def drain(words):
    while words.get() is not None:
        words.task_done()
    words.task_done()


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    tasks, squares = multiprocessing.Queue(), multiprocessing.SimpleQueue()
    words = multiprocessing.JoinableQueue()
    lock, total = multiprocessing.Lock(), multiprocessing.Value("q", 0, lock=False)
    workers = [
        multiprocessing.Process(target=work, args=(tasks, squares, lock, total)) for _ in range(2)
    ]
    helper = multiprocessing.Process(target=drain, args=(words,))
    mine, theirs = multiprocessing.Pipe()
    partner = multiprocessing.Process(target=pong, args=(theirs,))
    for process in [*workers, helper, partner]:
        process.start()
    for n in range(3):
        mine.send(n)
        print("pong", mine.recv())
    mine.send(None)
    for n in range(20):
        tasks.put(n)
    for _ in workers:
        tasks.put(None)
    for word in ("one", "two", "three"):
        words.put(word)
    words.put(None)
    words.join()
    print("squares", sum(squares.get() for _ in range(20)))
    for process in [*workers, helper, partner]:
        process.join()
    print("total", total.value)
