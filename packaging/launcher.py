"""The frozen app's entry script: the same main() as the ``coreography`` command.

Every multiprocessing helper of a frozen app (spawned worker, forkserver, resource
tracker) runs this script again; main() calls freeze_support() before anything else,
which turns such a process into the helper it is meant to be.
"""

import sys

from coreography.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
