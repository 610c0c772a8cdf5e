"""Open a landmark or transform file of any supported tool, recognised by its content.

Depositors pick "the BigWarp file" or "the ec-CLEM file" from a folder; the extension
is often missing or wrong (``landmarks.txt``, ``export.json.csv``). The first
non-blank character decides: ``<`` is ec-CLEM XML, ``{`` BigWarp JSON, anything else
a BigWarp CSV table. Reading the file is I/O: the UI calls :func:`load_landmark_file`
from a background worker, never on the UI thread.
"""

from __future__ import annotations

import os
from pathlib import Path

from ._common import MAX_FILE_BYTES, check_size
from .bigwarp import read_bigwarp_csv, read_bigwarp_json
from .ecclem import read_ecclem_xml
from .errors import IMPORT_TOO_LARGE, IMPORT_UNKNOWN_FORMAT, IMPORT_UNREADABLE, LandmarkImportError
from .model import LandmarkImport

#: The file formats :func:`read_landmark_file` recognises.
LANDMARK_FORMATS: tuple[str, ...] = ("bigwarp-csv", "bigwarp-json", "ecclem-xml")


def detect_format(raw: bytes) -> str:
    """``"ecclem-xml"``, ``"bigwarp-json"`` or ``"bigwarp-csv"``, from the first non-blank character."""
    head = raw[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return "ecclem-xml"
    if head.startswith(b"{"):
        return "bigwarp-json"
    return "bigwarp-csv"


def read_landmark_file(raw: bytes, source: str, *, file_format: str | None = None) -> LandmarkImport:
    """Read landmark pairs (and a tool matrix, when present) from a file's bytes.

    Parameters
    ----------
    raw
        The file's bytes, exactly as read; kept in the result as provenance.
    source
        The file name, for messages.
    file_format
        One of :data:`LANDMARK_FORMATS` to skip detection (e.g. when the user chose it).

    Returns
    -------
    LandmarkImport
        See :class:`~.model.LandmarkImport`.

    Raises
    ------
    LandmarkImportError
        For anything that cannot be read; the message names the line, column or element.
    """
    check_size(raw, source)
    kind = file_format or detect_format(raw)
    if kind == "ecclem-xml":
        return read_ecclem_xml(raw, source)
    if kind == "bigwarp-json":
        return read_bigwarp_json(raw, source)
    if kind == "bigwarp-csv":
        return read_bigwarp_csv(raw, source)
    raise LandmarkImportError(
        IMPORT_UNKNOWN_FORMAT,
        f"'{kind}' is not a landmark file format this program reads ({', '.join(LANDMARK_FORMATS)}).",
        source=source,
    )


def load_landmark_file(path: str | os.PathLike[str], *, file_format: str | None = None) -> LandmarkImport:
    """Read a landmark or transform file from disk (blocking I/O: call it off the UI thread).

    Parameters
    ----------
    path
        The file.
    file_format
        As for :func:`read_landmark_file`.

    Returns
    -------
    LandmarkImport
        See :func:`read_landmark_file`.

    Raises
    ------
    LandmarkImportError
        ``landmarks.import.unreadable`` when the file cannot be opened, ``.too_large`` for files
        far larger than any landmark file, else as for :func:`read_landmark_file`.
    """
    file = Path(path)
    try:
        with file.open("rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise LandmarkImportError(
            IMPORT_UNREADABLE, f"There is no file at {file}; it may have been moved.", source=str(file)
        ) from None
    except IsADirectoryError:
        raise LandmarkImportError(
            IMPORT_UNREADABLE, f"{file} is a folder; choose the landmark file inside it.", source=str(file)
        ) from None
    except PermissionError:
        raise LandmarkImportError(
            IMPORT_UNREADABLE, f"{file} cannot be read: permission denied.", source=str(file)
        ) from None
    except OSError as error:
        raise LandmarkImportError(
            IMPORT_UNREADABLE, f"{file} cannot be read ({error.strerror or error}).", source=str(file)
        ) from None
    if len(raw) > MAX_FILE_BYTES:
        raise LandmarkImportError(
            IMPORT_TOO_LARGE,
            f"{file.name} is larger than {MAX_FILE_BYTES // 1024 // 1024} MiB; a landmark or transform file is far "
            "smaller, so this is probably another kind of file.",
            source=file.name,
        )
    return read_landmark_file(raw, file.name, file_format=file_format)
