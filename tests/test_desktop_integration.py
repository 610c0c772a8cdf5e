"""Desktop integration: the shipped freedesktop files pass their validators and use one application id."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from bioimage_depositor import APP_ID
from bioimage_depositor.cli import main
from bioimage_depositor.paths import resource_path

needs = pytest.mark.skipif


def _desktop_keys(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def test_one_application_id_everywhere() -> None:
    desktop = resource_path("desktop", f"{APP_ID}.desktop")
    keys = _desktop_keys(desktop)
    assert keys["StartupWMClass"] == APP_ID
    assert keys["Icon"] == APP_ID
    metainfo = ET.parse(resource_path("desktop", f"{APP_ID}.metainfo.xml")).getroot()
    assert metainfo.findtext("id") == APP_ID
    assert metainfo.findtext("launchable") == desktop.name
    mime = resource_path("desktop", f"{APP_ID}.mime.xml").read_text()
    assert keys["MimeType"].rstrip(";") in mime


def test_install_writes_every_icon_size_and_a_working_menu_entry(tmp_path: Path, capsys) -> None:
    assert main(["desktop-integration", "install", "--prefix", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    desktop = tmp_path / "share" / "applications" / f"{APP_ID}.desktop"
    assert str(desktop) in out
    keys = _desktop_keys(desktop)
    executable = keys["TryExec"]
    assert Path(executable).is_absolute(), "the menu entry must work without PATH (pipx, bundles)"
    assert keys["Exec"].startswith(f'"{executable}" open')
    from PySide6.QtGui import QImage

    for size in (16, 32, 48, 128, 256, 512):
        png = tmp_path / "share" / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        image = QImage(str(png))
        assert (image.width(), image.height()) == (size, size)
        assert image.pixelColor(size // 2, size // 2).alpha() == 255  # the icon is drawn, not blank
        assert image.pixelColor(0, 0).alpha() == 0  # rounded corners stay transparent
    assert main(["desktop-integration", "uninstall", "--prefix", str(tmp_path)]) == 0
    assert not desktop.exists()
    assert "Removed" in capsys.readouterr().out


def test_install_into_an_unwritable_prefix_says_so(tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["desktop-integration", "install", "--prefix", str(blocker)]) == 2
    err = capsys.readouterr().err
    assert "cannot write under" in err and "Traceback" not in err


@needs(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils is not installed")
def test_desktop_file_passes_desktop_file_validate(tmp_path: Path) -> None:
    assert main(["desktop-integration", "install", "--prefix", str(tmp_path)]) == 0
    for path in (resource_path("desktop", f"{APP_ID}.desktop"), tmp_path / "share/applications" / f"{APP_ID}.desktop"):
        result = subprocess.run(["desktop-file-validate", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "error" not in result.stdout.lower()


@needs(shutil.which("appstreamcli") is None, reason="appstream is not installed")
def test_metainfo_passes_appstreamcli_validate() -> None:
    path = resource_path("desktop", f"{APP_ID}.metainfo.xml")
    result = subprocess.run(["appstreamcli", "validate", "--no-net", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validation was successful" in result.stdout

