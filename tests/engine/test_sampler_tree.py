"""The sampler finds the experiment's processes by walking its tree alone."""

from __future__ import annotations

import subprocess
import sys
import time

import psutil
import pytest

from coreography.engine.sampler import Sampler, _descendant_pids

GRANDCHILD = (
    "import subprocess, sys, time\n"
    "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'])\n"
    "print(child.pid, flush=True)\n"
    "time.sleep(30)\n"
)


@pytest.fixture
def tree():
    parent = subprocess.Popen([sys.executable, "-c", GRANDCHILD], stdout=subprocess.PIPE, text=True)
    try:
        grandchild = int(parent.stdout.readline())
        yield parent.pid, grandchild
    finally:
        for proc in psutil.Process(parent.pid).children(recursive=True):
            proc.kill()
        parent.kill()
        parent.wait(10)
        parent.stdout.close()


def test_the_walk_finds_what_psutil_finds(tree):
    parent, grandchild = tree
    found = _descendant_pids(parent)
    if found is None:
        pytest.skip("this kernel keeps no /proc/PID/task/TID/children files")
    expected = {p.pid for p in psutil.Process(parent).children(recursive=True)}
    assert set(found) == expected == {grandchild}
    mine = _descendant_pids(psutil.Process().pid)
    assert mine is not None and {parent, grandchild} <= set(mine)


def test_a_sample_covers_every_process_of_the_tree(tree):
    parent, grandchild = tree
    sampler = Sampler(parent)
    sampler.sample()
    time.sleep(0.05)
    sample = sampler.sample()
    assert {pid for pid, *_rest in sample.procs} >= {parent, grandchild}
