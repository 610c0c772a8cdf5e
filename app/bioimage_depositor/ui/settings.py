"""Window state kept between runs, in the program's own config folder (never the registry).

Using an INI file under :func:`bioimage_depositor.paths.config_dir` keeps tests
and portable installs away from the user's real settings.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings

from ..paths import config_dir


def ui_settings() -> QSettings:
    """The settings file for window geometry and similar UI state."""
    return QSettings(str(config_dir() / "ui.ini"), QSettings.Format.IniFormat)
