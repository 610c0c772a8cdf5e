"""A diagnostic report a user can paste into a support request, with no secrets in it.

Support needs versions, platform, folders and the last lines of the log; it
must never receive a password, token or the user's secret upload directory.
Lines that look like they carry one are masked before the report leaves this
module, whatever wrote them.
"""

from __future__ import annotations

import importlib.metadata
import platform
import re
import sys
from collections.abc import Iterable
from pathlib import Path

from . import APP_ID, __version__
from .logs import log_file
from .paths import cache_dir, config_dir, data_dir, drafts_dir, state_dir

#: Distributions whose versions matter when something goes wrong.
PACKAGES = (
    "PySide6-Essentials", "pydantic", "tifffile", "ome-types", "numpy", "mrcfile", "imagecodecs", "zarr",
    "keyring", "requests", "globus-sdk", "bia-ro-crate-validator", "empiar-depositor",
)  # fmt: skip

_SECRET_PATTERNS = (
    # key=value or key: value for anything named like a credential
    re.compile(r"(?i)\b(password|passwd|pwd|token|secret|api[_-]?key|authorization|session)\b(\s*[:=]\s*)((?:bearer\s+|basic\s+)?\S+)"),
    # credentials inside URLs: scheme://user:password@host
    re.compile(r"(?i)([a-z][a-z0-9+.-]*://[^/\s:@]+:)([^@\s/]+)(@)"),
    # bearer tokens in headers
    re.compile(r"(?i)(bearer\s+)([A-Za-z0-9._~+/=-]{8,})"),
)

LOG_TAIL_LINES = 80


def redact(line: str) -> str:
    """``line`` with anything that looks like a password or token replaced by ``***``."""
    line = _SECRET_PATTERNS[0].sub(lambda m: f"{m.group(1)}{m.group(2)}***", line)
    line = _SECRET_PATTERNS[1].sub(lambda m: f"{m.group(1)}***{m.group(3)}", line)
    return _SECRET_PATTERNS[2].sub(lambda m: f"{m.group(1)}***", line)


def package_versions(names: Iterable[str] = PACKAGES) -> dict[str, str]:
    """Installed version of each distribution, or ``"not installed"``."""
    versions = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _log_tail(path: Path, lines: int) -> list[str]:
    try:
        with path.open(encoding="utf-8", errors="replace") as stream:
            return [redact(line.rstrip("\n")) for line in stream.readlines()[-lines:]]
    except OSError as error:
        return [f"(log not readable: {error.strerror or error})"]


def keyring_backend() -> str:
    """Name of the keyring backend in use, or why there is none (never any stored value)."""
    try:
        import keyring

        backend = keyring.get_keyring()
        return f"{type(backend).__module__}.{type(backend).__name__}"
    except Exception as error:  # a broken keyring must not stop the report
        return f"unavailable ({type(error).__name__})"


def diagnostic_report(extra: dict[str, str] | None = None, log_lines: int = LOG_TAIL_LINES) -> str:
    """Plain-text report: versions, platform, folders, keyring backend and the redacted end of the log."""
    lines = [
        f"BioImage Depositor {__version__} ({APP_ID})",
        f"Python {sys.version.split()[0]} on {platform.platform()} ({platform.machine()})",
        f"Frozen bundle: {'yes' if getattr(sys, 'frozen', False) else 'no'}",
        "",
        "Packages:",
    ]
    lines += [f"  {name}: {version}" for name, version in package_versions().items()]
    lines += [
        "",
        "Folders:",
        f"  drafts: {drafts_dir()}",
        f"  data: {data_dir()}",
        f"  config: {config_dir()}",
        f"  state (transfers): {state_dir()}",
        f"  cache: {cache_dir()}",
        f"  log: {log_file()}",
        f"Keyring backend: {keyring_backend()}",
    ]
    for key, value in (extra or {}).items():
        lines.append(f"{key}: {redact(value)}")
    lines += ["", f"Last {log_lines} log lines (credentials masked):"]
    lines += _log_tail(log_file(), log_lines)
    return "\n".join(lines) + "\n"
