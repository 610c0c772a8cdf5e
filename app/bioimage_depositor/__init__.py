"""BioImage Depositor: deposit imaging data to the BioImage Archive and EMPIAR.

``__version__`` is looked up on first use (:pep:`562`), not on import: reading the
installed metadata costs tens of milliseconds, which every ``bioimage-depositor``
command would otherwise pay before ``--help`` could answer.
"""

from __future__ import annotations

APP_NAME = "BioImage Depositor"
APP_ID = "org.bioimagedepositor.BioImageDepositor"

#: The version reported when the program runs from a source tree that was never installed.
UNKNOWN_VERSION = "0.0.0+unknown"


def _installed_version() -> str:
    """The version of the installed distribution (a wheel, an editable install or the bundle's copied metadata)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("bioimage-depositor")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return UNKNOWN_VERSION


def __getattr__(name: str) -> str:
    """Find ``__version__`` when it is first asked for, then keep it as a plain module attribute."""
    if name == "__version__":
        found = _installed_version()
        globals()["__version__"] = found
        return found
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
