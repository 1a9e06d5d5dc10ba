"""Coreography's assets (lessons, icons, styles), installed as ``coreography.resources``."""
