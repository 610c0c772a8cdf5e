"""Register the program with a Linux desktop: menu entry, icons, AppStream metainfo, draft file type.

A ``pipx install`` puts the command on ``PATH`` but leaves the desktop unaware
of it, and a PyInstaller bundle is just a folder. This module installs the
freedesktop files shipped in ``resources/desktop`` plus icons rendered from
the one SVG source into a prefix (``~/.local`` by default, ``/usr/local`` for a
whole lab), pointing the menu entry at the executable actually running. It
uses Qt only to render the SVG, so it lives in the UI layer.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

from .. import APP_ID
from ..paths import resource_path

#: Icon sizes desktops and bundles ask for.
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICON_SOURCE = ("icons", "bioimage-depositor.svg")


def render_icon(size: int) -> QImage:
    """The application icon rendered at ``size`` pixels square, with a transparent background."""
    if QGuiApplication.instance() is None:
        raise RuntimeError("render_icon needs a QGuiApplication")
    renderer = QSvgRenderer(str(resource_path(*ICON_SOURCE)))
    if not renderer.isValid():
        raise RuntimeError(f"cannot read the icon source {resource_path(*ICON_SOURCE)}")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def write_icon_theme(out: Path) -> list[Path]:
    """Write ``out/hicolor/<N>x<N>/apps/<APP_ID>.png`` for every size plus the scalable SVG; return the paths."""
    written: list[Path] = []
    for size in ICON_SIZES:
        target = out / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not render_icon(size).save(str(target)):
            raise OSError(f"cannot write {target}")
        written.append(target)
    scalable = out / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(resource_path(*ICON_SOURCE), scalable)
    written.append(scalable)
    return written


@dataclass(frozen=True)
class InstalledFiles:
    """What :func:`install` wrote, for the command's report and for :func:`uninstall`."""

    desktop_file: Path
    metainfo: Path
    mime: Path
    icons: list[Path]


def _targets(prefix: Path) -> tuple[Path, Path, Path, Path]:
    share = prefix / "share"
    return (
        share / "applications" / f"{APP_ID}.desktop",
        share / "metainfo" / f"{APP_ID}.metainfo.xml",
        share / "mime" / "packages" / f"{APP_ID}.xml",
        share / "icons",
    )


def desktop_entry_for(executable: Path) -> str:
    """The shipped .desktop file with ``Exec``/``TryExec`` pointing at ``executable``."""
    text = resource_path("desktop", f"{APP_ID}.desktop").read_text(encoding="utf-8")
    lines = []
    for line in text.splitlines():
        if line.startswith("Exec="):
            line = f'Exec="{executable}" open %f'
        elif line.startswith("TryExec="):
            line = f"TryExec={executable}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def install(prefix: Path, executable: Path) -> InstalledFiles:
    """Install the menu entry, metainfo, draft MIME type and icons under ``prefix``, then refresh the caches."""
    desktop, metainfo, mime, icons_root = _targets(prefix)
    for folder in (desktop.parent, metainfo.parent, mime.parent, icons_root):
        folder.mkdir(parents=True, exist_ok=True)
    desktop.write_text(desktop_entry_for(executable), encoding="utf-8")
    shutil.copyfile(resource_path("desktop", f"{APP_ID}.metainfo.xml"), metainfo)
    shutil.copyfile(resource_path("desktop", f"{APP_ID}.mime.xml"), mime)
    icons = write_icon_theme(icons_root)
    _refresh_caches(prefix)
    return InstalledFiles(desktop, metainfo, mime, icons)


def uninstall(prefix: Path) -> list[Path]:
    """Remove what :func:`install` wrote under ``prefix``; return the paths removed."""
    desktop, metainfo, mime, icons_root = _targets(prefix)
    candidates = [desktop, metainfo, mime]
    candidates += [icons_root / "hicolor" / f"{n}x{n}" / "apps" / f"{APP_ID}.png" for n in ICON_SIZES]
    candidates.append(icons_root / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg")
    removed = [path for path in candidates if path.exists()]
    for path in removed:
        path.unlink()
    _refresh_caches(prefix)
    return removed


def _refresh_caches(prefix: Path) -> None:
    """Let the desktop notice the change; the tools are optional, so their absence is not an error."""
    share = prefix / "share"
    for command in (
        ["update-desktop-database", str(share / "applications")],
        ["update-mime-database", str(share / "mime")],
        ["gtk-update-icon-cache", "-q", "-t", str(share / "icons" / "hicolor")],
    ):
        if shutil.which(command[0]):
            subprocess.run(command, check=False, capture_output=True, timeout=60)
