"""BioImage Depositor: deposit imaging data to the BioImage Archive and EMPIAR."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("bioimage-depositor")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

APP_NAME = "BioImage Depositor"
APP_ID = "org.bioimagedepositor.BioImageDepositor"
