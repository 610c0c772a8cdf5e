"""Small pieces every landmark importer needs: size limit, text decoding, number parsing."""

from __future__ import annotations

import math
import re

from .errors import IMPORT_EMPTY, IMPORT_TOO_LARGE, LandmarkImportError

#: Landmark and transform files are kilobytes; anything above this is not one, and is refused
#: before it is decoded rather than filling memory.
MAX_FILE_BYTES = 64 * 1024 * 1024

# Java's Double.toString (BigWarp, ec-CLEM) and ordinary decimal notation; no Python-only forms
# such as "1_000" or " 1 ".
_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_SPECIAL = {"nan": math.nan, "infinity": math.inf, "inf": math.inf}


def check_size(raw: bytes, source: str) -> None:
    """Refuse empty and oversized files with a clear message."""
    if len(raw) > MAX_FILE_BYTES:
        raise LandmarkImportError(
            IMPORT_TOO_LARGE,
            f"{source} is {len(raw) / 1024 / 1024:.0f} MiB; a landmark or transform file is far smaller, "
            "so this is probably another kind of file.",
            source=source,
            size=len(raw),
        )
    if not raw.strip():
        raise LandmarkImportError(IMPORT_EMPTY, f"{source} is empty.", source=source)


def decode_text(raw: bytes) -> str:
    """Decode a text file: UTF-8 (with or without a byte-order mark), else Windows-1252/Latin-1.

    Java tools write with the platform's charset, so a landmark name with an accent may be
    Windows-1252 on a Windows machine; the numbers are ASCII either way.
    """
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError:
            return raw.decode("latin-1")


def parse_number(text: str) -> float | None:
    """A number as Java writes it (``47.5``, ``1.0E-5``, ``Infinity``, ``NaN``), or ``None`` if it is not one."""
    token = text.strip()
    if _DECIMAL.fullmatch(token):
        return float(token)
    sign = -1.0 if token.startswith("-") else 1.0
    special = _SPECIAL.get(token.lstrip("+-").lower())
    return None if special is None else sign * special
