"""Package discovery for the build: every package under src/, and resources/ as
coreography.resources, so a new subpackage needs no hand-kept list."""

from setuptools import find_namespace_packages, find_packages, setup


def packages() -> list[str]:
    resources = find_namespace_packages("resources", exclude=["*__pycache__*"])
    return sorted(
        find_packages("src")
        + ["coreography.resources"]
        + [f"coreography.resources.{name}" for name in resources]
    )


if __name__ == "__main__":  # how the build backend runs this file
    setup(packages=packages())
