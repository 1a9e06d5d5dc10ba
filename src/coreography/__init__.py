"""Coreography: watch Python multiprocessing run, task by task and core by core."""

__version__ = "0.1.0"
