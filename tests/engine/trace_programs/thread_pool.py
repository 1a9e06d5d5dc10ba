"""A ThreadPoolExecutor and one plain thread."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor


def wait_and_double(n):
    time.sleep(0.01)
    return 2 * n


if __name__ == "__main__":
    with ThreadPoolExecutor(max_workers=3) as executor:
        print(list(executor.map(wait_and_double, range(8))))
    helper = threading.Thread(target=print, args=("from a thread",), name="helper")
    helper.start()
    helper.join()
