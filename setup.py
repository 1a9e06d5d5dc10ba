"""Package discovery for the build: every package under src/, and resources/ as
coreography.resources, so a new subpackage needs no hand-kept list."""

from setuptools import find_namespace_packages, setup


def packages() -> list[str]:
    resources = find_namespace_packages("resources", exclude=["*__pycache__*"])
    return sorted(
        # Namespace packages too: a traced program's start-up hook is a plain folder.
        find_namespace_packages("src", include=["coreography*"], exclude=["*__pycache__*"])
        + ["coreography.resources"]
        + [f"coreography.resources.{name}" for name in resources]
    )


if __name__ == "__main__":  # how the build backend runs this file
    setup(packages=packages())
