"""Tracing the user's own, unmodified program: in-process probe, hooks and the app side."""
