"""Pack the rendered PNGs (build/icons) into build/icons/coreography.ico for Windows.

Qt writes .ico only through an image-format plugin; Pillow is simpler and is installed
only on the Windows build runner.
"""

from pathlib import Path

from PIL import Image

icons = Path("build/icons")
sizes = [16, 24, 32, 48, 64, 128, 256]
image = Image.open(icons / "coreography-256.png")
image.save(icons / "coreography.ico", sizes=[(s, s) for s in sizes])
