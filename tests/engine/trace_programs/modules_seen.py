"""Prints which heavy modules are loaded in the main process and in a spawned worker."""

import multiprocessing
import sys

HEAVY = ("numpy", "PySide6", "pyqtgraph", "psutil")


def loaded(_=None):
    return sorted(name for name in HEAVY if name in sys.modules)


if __name__ == "__main__":
    multiprocessing.set_start_method("spawn")
    print("main", loaded())
    with multiprocessing.Pool(1) as pool:
        print("worker", pool.map(loaded, [0])[0])
