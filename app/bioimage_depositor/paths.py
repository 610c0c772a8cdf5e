"""Where bundled data (resources/, forms/) and per-user folders live.

The repository keeps ``resources/`` and ``forms/`` at the top level, outside the
package; the wheel copies them into ``bioimage_depositor/_data/``. This module
hides that difference so that code works the same from a source checkout, an
editable install, a wheel or a PyInstaller bundle.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

_PACKAGE_DIR = Path(__file__).resolve().parent
_APP_DIRNAME = "bioimage-depositor"

#: Environment variable that moves every per-user folder under one root (tests, portable use).
HOME_ENV = "BIOIMAGE_DEPOSITOR_HOME"


def _bundled_root(name: str) -> Path:
    """Return the folder holding the bundled ``resources`` or ``forms`` tree."""
    installed = _PACKAGE_DIR / "_data" / name
    if installed.is_dir():
        return installed
    source_tree = _PACKAGE_DIR.parents[1] / name  # app/bioimage_depositor -> repo root
    if source_tree.is_dir():
        return source_tree
    raise FileNotFoundError(f"bundled folder {name!r} not found next to {_PACKAGE_DIR}")


def resource_path(*parts: str) -> Path:
    """Path of a file shipped under ``resources/`` (vocabularies, icons, styles)."""
    return _bundled_root("resources").joinpath(*parts)


def form_path(*parts: str) -> Path:
    """Path of a file shipped under ``forms/`` (page layouts, help text)."""
    return _bundled_root("forms").joinpath(*parts)


def docs_path(*parts: str) -> Path:
    """Path of a file shipped under ``docs/`` (the user guide and its pictures)."""
    return _bundled_root("docs").joinpath(*parts)


def _user_dir(kind: str) -> Path:
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override) / kind
    getter = {
        "data": platformdirs.user_data_dir,
        "config": platformdirs.user_config_dir,
        "state": platformdirs.user_state_dir,
        "cache": platformdirs.user_cache_dir,
        "log": platformdirs.user_log_dir,
    }[kind]
    return Path(getter(_APP_DIRNAME, appauthor=False))


def data_dir() -> Path:
    """Per-user data folder (drafts live here)."""
    return _user_dir("data")


def config_dir() -> Path:
    """Per-user configuration folder."""
    return _user_dir("config")


def state_dir() -> Path:
    """Per-user state folder (transfer ledgers, window state)."""
    return _user_dir("state")


def cache_dir() -> Path:
    """Per-user cache folder (thumbnails, checksums)."""
    return _user_dir("cache")


def log_dir() -> Path:
    """Per-user log folder."""
    return _user_dir("log")


def drafts_dir() -> Path:
    """Folder of the draft store, overridable with ``BIOIMAGE_DEPOSITOR_DRAFTS``."""
    override = os.environ.get("BIOIMAGE_DEPOSITOR_DRAFTS")
    return Path(override) if override else data_dir() / "drafts"
