"""Guided lessons: data files under resources/lessons, loaded by a registry."""
