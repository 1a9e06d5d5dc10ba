"""Ends a traced program's process group when the app is gone (even killed).

Started by the app in a session of its own, with a pipe on stdin that only the app
holds: end of file means the app closed it (the run is over) or died.
"""

from __future__ import annotations

import os
import signal
import sys


def main(group: int) -> None:
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except OSError:
        pass
    try:
        os.killpg(group, signal.SIGKILL)
    except OSError:
        pass  # nothing left: the usual case


if __name__ == "__main__":
    main(int(sys.argv[1]))
