# Runtime hook replacing PyInstaller's pyi_rth_pyside6, which imports PySide6.QtCore in
# every process the frozen app starts, multiprocessing workers included: each worker
# would pay for loading Qt (and report Qt loaded, which Coreography flags). This one
# only points Qt at the bundled plugins; PySide6's wheels are relocatable, so Qt finds
# its prefix from the QtCore library's own location. The self-test proves it.
import os
import sys

_qt = (
    os.path.join(sys._MEIPASS, "PySide6")
    if sys.platform == "win32"
    else os.path.join(sys._MEIPASS, "PySide6", "Qt")
)
os.environ["QT_PLUGIN_PATH"] = os.path.join(_qt, "plugins")
if sys.platform == "win32":  # Qt's DLLs sit beside the PySide6 modules
    os.environ["PATH"] = sys._MEIPASS + os.pathsep + os.environ.get("PATH", "")
del _qt
