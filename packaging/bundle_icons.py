"""Write the application icons a bundle needs: the freedesktop theme, a Windows .ico and a macOS .icns.

Run with the build environment's Python (the one PyInstaller runs in)::

    python packaging/bundle_icons.py OUT_DIR

Every size is rendered from the one SVG source by the program's own
``write_icon_theme``, so the bundle's icons never drift from the desktop
integration's. The .ico and .icns are assembled from those renders with Pillow
(a dependency of the program), so no platform tool (iconutil, ImageMagick) is needed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)  # what Windows Explorer and the taskbar ask for
ICNS_SIZES = (16, 32, 64, 128, 256, 512)  # Pillow derives the @2x entries from these


def write_bundle_icons(out: Path) -> list[Path]:
    """Write ``out/hicolor/...`` plus ``out/bioimage-depositor.ico`` and ``.icns``; return every path written."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # a build machine needs no display
    from PIL import Image
    from PySide6.QtGui import QGuiApplication

    from bioimage_depositor import APP_ID
    from bioimage_depositor.ui.desktop_integration import write_icon_theme

    _app = QGuiApplication.instance() or QGuiApplication([])
    written = write_icon_theme(out)

    def png(size: int) -> Image.Image:
        path = out / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        return Image.open(path).convert("RGBA")

    ico = out / "bioimage-depositor.ico"
    largest = png(max(ICO_SIZES))
    # append_images gives each size its own crisp render instead of a downscale of the largest
    largest.save(ico, format="ICO", sizes=[(n, n) for n in ICO_SIZES], append_images=[png(n) for n in ICO_SIZES[:-1]])
    icns = out / "bioimage-depositor.icns"
    png(max(ICNS_SIZES)).save(icns, format="ICNS", append_images=[png(n) for n in ICNS_SIZES[:-1]])
    return [*written, ico, icns]


def main(argv: list[str]) -> int:
    """Command-line entry: ``bundle_icons.py OUT_DIR``."""
    if len(argv) != 1:
        print("usage: python packaging/bundle_icons.py OUT_DIR", file=sys.stderr)
        return 2
    paths = write_bundle_icons(Path(argv[0]))
    print(f"wrote {len(paths)} icon files under {argv[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
