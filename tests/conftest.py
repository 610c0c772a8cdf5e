"""Test-wide isolation: offscreen Qt, no real home folder, keyring or network."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
os.environ["BIOIMAGE_DEPOSITOR_OFFLINE"] = "1"  # tests never reach outside hosts; OLS tests use a local stand-in


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Point every per-user folder of the program at a fresh temporary folder."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("BIOIMAGE_DEPOSITOR_HOME", str(home))
    monkeypatch.delenv("BIOIMAGE_DEPOSITOR_DRAFTS", raising=False)
    return home
