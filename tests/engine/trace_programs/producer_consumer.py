"""A producer and a consumer Process talking through a multiprocessing.Queue."""

import multiprocessing
import sys


def produce(queue, count):
    for item in range(count):
        queue.put(item)
    queue.put(None)


def consume(queue, results):
    total = 0
    while (item := queue.get()) is not None:
        total += item
    results.put(total)


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    queue, results = multiprocessing.Queue(), multiprocessing.Queue()
    producer = multiprocessing.Process(target=produce, args=(queue, 100), name="producer")
    consumer = multiprocessing.Process(target=consume, args=(queue, results), name="consumer")
    producer.start()
    consumer.start()
    print("total", results.get())
    producer.join()
    consumer.join()
