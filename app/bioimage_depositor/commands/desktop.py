"""``bioimage-depositor desktop-integration install|uninstall [--prefix DIR]``: add or remove the menu entry.

For installs that do not come with a system package (``pipx install``, a
bundle unpacked in a home folder): registers the application, its icons, its
AppStream metainfo and the ``.biodraft`` file type with the freedesktop
folders under ``~/.local`` (or ``--prefix`` for a whole lab, e.g. ``/usr/local``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from ..cli_errors import UsageError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``desktop-integration`` command."""
    parser = subparsers.add_parser(
        "desktop-integration",
        help="add the program to (or remove it from) the Linux desktop's application menu",
        description="Install or remove the desktop menu entry, icons, AppStream metainfo and the .biodraft "
        "file type under PREFIX/share (default ~/.local/share).",
    )
    parser.add_argument("action", choices=("install", "uninstall"))
    parser.add_argument("--prefix", type=Path, default=None, help="install prefix (default: ~/.local)")
    parser.set_defaults(handler=cmd_desktop_integration)


def _executable() -> Path:
    """The command that launched us, resolved so the menu entry works without PATH (pipx, bundles)."""
    if getattr(sys, "frozen", False):
        return Path(sys.executable).resolve()
    found = shutil.which(Path(sys.argv[0]).name) if sys.argv and sys.argv[0] else None
    candidate = Path(sys.argv[0]) if sys.argv and os.path.sep in sys.argv[0] else Path(found or "bioimage-depositor")
    return candidate.resolve() if candidate.exists() else candidate


def cmd_desktop_integration(args: argparse.Namespace) -> int:
    """Run the command; 0 on success, 2 when it cannot write or Qt is missing."""
    try:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from PySide6.QtGui import QGuiApplication

        from ..ui import desktop_integration
    except ImportError as error:
        raise UsageError(f"desktop integration needs the graphical part of the program (PySide6): {error}") from None
    prefix = (args.prefix or Path.home() / ".local").expanduser()
    _app = QGuiApplication.instance() or QGuiApplication([])
    try:
        if args.action == "install":
            installed = desktop_integration.install(prefix, _executable())
            print(f"Menu entry: {installed.desktop_file}")
            print(f"AppStream metainfo: {installed.metainfo}")
            print(f"Draft file type: {installed.mime}")
            print(f"Icons: {len(installed.icons)} sizes under {prefix / 'share' / 'icons' / 'hicolor'}")
        else:
            removed = desktop_integration.uninstall(prefix)
            print(f"Removed {len(removed)} files from {prefix / 'share'}." if removed else "Nothing was installed.")
    except OSError as error:
        raise UsageError(f"cannot write under {prefix}: {error.strerror or error}") from None
    return 0
