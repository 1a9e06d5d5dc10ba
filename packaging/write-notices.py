"""Write THIRD_PARTY_NOTICES.txt: what the app bundles, under which licence, with the texts.

Usage: python packaging/write-notices.py OUT_FILE

Read from the metadata of the distributions installed in the running Python (and the
Python itself), so the frozen app's copy names exactly what it bundles. Run it with
the environment the app is frozen from; ``resources/THIRD_PARTY_NOTICES.txt`` (what the
About box shows in any install) is written the same way from the development venv.
"""

from __future__ import annotations

import importlib.metadata as metadata
import platform
import sys
import sysconfig
from pathlib import Path

# The runtime dependencies, PySide6's own (shiboken6) included; tests/packaging checks
# that this covers every dependency pyproject.toml declares.
DISTRIBUTIONS = ("PySide6_Essentials", "shiboken6", "numpy", "pyqtgraph", "psutil", "platformdirs")

# Qt and PySide6 are used under the LGPL-3.0 (PySide6's wheels carry no licence file).
# Debian-like systems keep the texts here; elsewhere the notice gives their address.
COMMON_LICENSES = Path("/usr/share/common-licenses")
QT_NOTE = """\
Qt {qt} and Qt for Python (PySide6, shiboken6) {pyside} are used under the GNU Lesser
General Public License version 3 (LGPL-3.0-only), which builds on the GNU General Public
License version 3. The installers ship the Qt libraries unmodified, as separate shared
libraries (PySide6/Qt/lib or PySide6 in the app's folder), so they can be replaced by
compatible builds of your own.
Corresponding source code:
  Qt:             https://download.qt.io/official_releases/qt/{qt_minor}/{qt}/single/
                  https://code.qt.io/cgit/qt/
  Qt for Python:  https://download.qt.io/official_releases/QtForPython/pyside6/
                  https://code.qt.io/cgit/pyside/pyside-setup.git/ (tag v{pyside})
Licence texts: https://www.gnu.org/licenses/lgpl-3.0.txt and
https://www.gnu.org/licenses/gpl-3.0.txt{texts_below}
"""
RULE = "=" * 78


def _licence_of(dist: metadata.Distribution) -> str:
    meta = dist.metadata
    expression = meta.get("License-Expression") or meta.get("License") or ""
    if expression and len(expression) < 120:
        return expression
    classifiers = [c.split(" :: ")[-1] for c in meta.get_all("Classifier") or [] if "License" in c]
    return ", ".join(classifiers) or "see the text below"


def _urls_of(dist: metadata.Distribution) -> list[str]:
    meta = dist.metadata
    labelled = [u.split(",", 1) for u in meta.get_all("Project-URL") or [] if "," in u]
    # Where the source is first: that is what a notice is read for.
    wanted = ("source", "repository", "homepage")
    labelled.sort(
        key=lambda pair: next(
            (i for i, word in enumerate(wanted) if word in pair[0].lower()), len(wanted)
        )
    )
    urls = [url.strip() for label, url in labelled if label.lower() not in ("changelog", "tracker")]
    if meta.get("Home-page"):
        urls.insert(0, meta["Home-page"])
    return list(dict.fromkeys(urls))[:2]


def _licence_files_of(dist: metadata.Distribution) -> list[tuple[str, str]]:
    """(path in the distribution, text) of every licence file it ships."""
    found = []
    for file in dist.files or []:
        name = file.name.upper()
        where = str(file).replace("\\", "/")
        if ".dist-info/" not in where:
            continue
        if name.startswith(("LICEN", "COPYING", "NOTICE", "AUTHORS")) or "/licenses/" in where:
            path = Path(str(file.locate()))
            if path.is_file():
                text = path.read_text(encoding="utf-8", errors="replace").strip()
                found.append((str(file).split(".dist-info/", 1)[-1], text))
    return found


def _python_section() -> str:
    version = platform.python_version()
    lines = [
        f"Python {version} ({platform.python_implementation()})",
        "Licence: PSF-2.0 (Python Software Foundation License Version 2)",
        "Source: https://www.python.org/downloads/source/",
    ]
    for folder in (Path(sysconfig.get_paths()["stdlib"]), Path(sys.base_prefix)):
        text_file = folder / "LICENSE.txt"
        if text_file.is_file():
            lines += ["", text_file.read_text(encoding="utf-8", errors="replace").strip()]
            break
    else:
        lines.append("Licence text: https://docs.python.org/3/license.html")
    return "\n".join(lines)


def _qt_section() -> str:
    pyside = metadata.version("PySide6_Essentials")
    try:
        from PySide6.QtCore import qVersion

        qt = qVersion()
    except ImportError:  # the notices are still right, less precise
        qt = pyside
    texts = [COMMON_LICENSES / name for name in ("LGPL-3", "GPL-3")]
    present = all(path.is_file() for path in texts)
    note = QT_NOTE.format(
        qt=qt,
        qt_minor=".".join(qt.split(".")[:2]),
        pyside=pyside,
        texts_below="; both follow." if present else ".",
    )
    if present:
        for path in texts:
            note += f"\n--- {path.name} ---\n\n" + path.read_text(encoding="utf-8").strip() + "\n"
    return note.rstrip()


def render() -> str:
    from coreography import __version__

    parts = [
        f"Third-party software in Coreography {__version__}",
        "",
        "Coreography itself is under the MIT licence (the LICENSE file). It bundles or",
        "depends on the software below, each under its own licence.",
    ]
    sections = [_python_section(), _qt_section()]
    for name in DISTRIBUTIONS:
        dist = metadata.distribution(name)
        head = [
            f"{dist.metadata['Name']} {dist.version}",
            f"Licence: {_licence_of(dist)}",
            *(f"Source: {url}" for url in _urls_of(dist)),
        ]
        for path, text in _licence_files_of(dist):
            head += ["", f"--- {path} ---", "", text]
        sections.append("\n".join(head))
    for section in sections:
        parts += ["", RULE, "", section]
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "THIRD_PARTY_NOTICES.txt")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(), encoding="utf-8")
    print(f"write-notices: {out} ({out.stat().st_size // 1024} KiB)")
