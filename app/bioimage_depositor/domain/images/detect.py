"""Which image format a file holds, judged by its content, never by its name.

Scientists rename files, instruments write odd extensions and a JPEG saved as
``.tif`` is common, so the format comes from magic bytes: the TIFF/BigTIFF
header (and, for OME-TIFF, whether the first IFD's ImageDescription ends in an
OME element), the PNG signature, the JPEG SOI marker, the MRC ``MAP`` signature
at byte 208, and an OME-Zarr folder's metadata. A name that disagrees with the
content is reported as a note, not an error. Only a few hundred bytes are read.
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from . import model
from .errors import (
    CORRUPT,
    EMPTY,
    IO_ERROR,
    MISLABELLED,
    NOT_FOUND,
    PERMISSION_DENIED,
    TRUNCATED,
    UNKNOWN_FORMAT,
    ImageIssue,
)

#: MRC modes defined by MRC2014 (and the 4-bit mode 101 IMOD writes).
MRC_MODES = frozenset({0, 1, 2, 3, 4, 6, 12, 101})

#: The largest Zarr metadata document we read (plates list thousands of wells).
MAX_ZARR_JSON_BYTES = 16 * 1024 * 1024

#: Extensions whose meaning we know; anything else is never called mislabelled.
_EXPECTED_FAMILY: dict[str, str] = {
    ".tif": "TIFF", ".tiff": "TIFF", ".btf": "TIFF", ".tf8": "TIFF", ".tf2": "TIFF", ".lsm": "TIFF",
    ".eer": "TIFF",
    ".mrc": "MRC", ".mrcs": "MRC", ".st": "MRC", ".ali": "MRC", ".rec": "MRC", ".map": "MRC",
    ".png": "PNG",
    ".jpg": "JPEG", ".jpeg": "JPEG", ".jpe": "JPEG", ".jfif": "JPEG",
    ".zarr": "OME-Zarr",
}

_FAMILY = {
    model.TIFF: "TIFF",
    model.OME_TIFF: "TIFF",
    model.MRC: "MRC",
    model.MRCS: "MRC",
    model.PNG: "PNG",
    model.JPEG: "JPEG",
    model.OME_ZARR: "OME-Zarr",
}

MRC_EXTENSIONS = frozenset({".mrc", ".mrcs", ".st", ".ali", ".rec", ".map"})


@dataclass(frozen=True)
class Detection:
    """The outcome of :func:`detect_format`.

    Attributes
    ----------
    format : str or None
        One of :data:`model.FORMATS`, or ``None`` when unknown or unreadable.
    detail : str
        ``"BigTIFF"`` for 64-bit TIFF, ``"old-style header"`` for MRC without ``MAP``, …
    size_bytes : int or None
        File size (``None`` for folders).
    description_bytes : int or None
        Length of the first IFD's ImageDescription (TIFF only).
    note : ImageIssue or None
        Set when the file name suggests another format (code ``mislabelled``).
    error : ImageIssue or None
        Set when the file cannot be recognised or opened.
    """

    format: str | None
    detail: str = ""
    size_bytes: int | None = None
    description_bytes: int | None = None
    note: ImageIssue | None = None
    error: ImageIssue | None = None


def _suffix(path: Path) -> str:
    return path.suffix.lower()


def _mislabel_note(path: Path, fmt: str) -> ImageIssue | None:
    expected = _EXPECTED_FAMILY.get(_suffix(path))
    actual = _FAMILY.get(fmt)
    if expected is None or actual is None or expected == actual:
        return None
    return ImageIssue(
        MISLABELLED,
        f"The file is named '{path.name}' but holds a {fmt} image; it was read as {fmt}. "
        "Consider renaming it so that others are not misled.",
        {"suffix": _suffix(path), "format": fmt},
    )


def _read_json(path: Path) -> object:
    with path.open("rb") as handle:
        data = handle.read(MAX_ZARR_JSON_BYTES + 1)
    if len(data) > MAX_ZARR_JSON_BYTES:
        raise ValueError("metadata document too large")
    return json.loads(data)


def zarr_attributes(folder: Path) -> tuple[dict[str, object], int] | None:
    """The OME attributes of a Zarr group folder and its Zarr format (2 or 3), or ``None``.

    Reads ``zarr.json`` (Zarr v3, NGFF 0.5: attributes under ``"ome"``) or
    ``.zattrs`` (Zarr v2, NGFF ≤ 0.4). Raises ``ValueError``/``OSError`` on
    unreadable metadata.
    """
    v3 = folder / "zarr.json"
    if v3.is_file():
        doc = _read_json(v3)
        attrs = doc.get("attributes", {}) if isinstance(doc, dict) else {}
        ome = attrs.get("ome", attrs) if isinstance(attrs, dict) else {}
        return (ome if isinstance(ome, dict) else {}), 3
    v2 = folder / ".zattrs"
    if v2.is_file():
        doc = _read_json(v2)
        return (doc if isinstance(doc, dict) else {}), 2
    return None


def _detect_folder(path: Path) -> Detection:
    try:
        found = zarr_attributes(path)
    except (OSError, ValueError) as error:
        return Detection(None, error=ImageIssue(CORRUPT, f"The Zarr metadata of this folder cannot be read ({error})."))
    if found is None:
        return Detection(None, error=ImageIssue(UNKNOWN_FORMAT, "This is a folder, not an image file or OME-Zarr."))
    attrs, version = found
    if "multiscales" in attrs or "bioformats2raw.layout" in attrs or "plate" in attrs:
        version_text = str(attrs.get("version") or _ngff_version(attrs) or "")
        detail = f"OME-NGFF {version_text}".strip() + f", Zarr v{version}"
        return Detection(model.OME_ZARR, detail=detail)
    return Detection(
        None, error=ImageIssue(UNKNOWN_FORMAT, "This Zarr folder has no OME-NGFF image metadata (multiscales).")
    )


def _ngff_version(attrs: dict[str, object]) -> str | None:
    scales = attrs.get("multiscales")
    if isinstance(scales, list) and scales and isinstance(scales[0], dict):
        version = scales[0].get("version")
        return str(version) if version else None
    return None


def _tiff_description(handle: BinaryIO, head: bytes, size: int) -> tuple[int | None, bool]:
    """Length of IFD0's ImageDescription and whether it ends like OME-XML.

    Raises ``EOFError`` for truncated headers and ``ValueError`` for nonsense.
    """
    order = "<" if head[:2] == b"II" else ">"
    version = struct.unpack(order + "H", head[2:4])[0]
    if version == 42:
        (ifd,) = struct.unpack(order + "I", head[4:8])
        count_fmt, count_size, entry_size, value_fmt, inline = "H", 2, 12, "I", 4
    else:
        offset_size, zero = struct.unpack(order + "HH", head[4:8])
        if offset_size != 8 or zero != 0:
            raise ValueError("invalid BigTIFF header")
        (ifd,) = struct.unpack(order + "Q", head[8:16])
        count_fmt, count_size, entry_size, value_fmt, inline = "Q", 8, 20, "Q", 8
    if ifd < 8 or ifd + count_size > size:
        raise EOFError(f"first IFD offset {ifd} is outside the file")
    handle.seek(ifd)
    (count,) = struct.unpack(order + count_fmt, handle.read(count_size))
    if count == 0 or count > 4096:
        raise ValueError(f"first IFD claims {count} tags")
    if ifd + count_size + count * entry_size > size:
        raise EOFError("first IFD runs past the end of the file")
    entries = handle.read(count * entry_size)
    for i in range(count):
        entry = entries[i * entry_size : (i + 1) * entry_size]
        tag, dtype = struct.unpack(order + "HH", entry[:4])
        if tag != 270:
            continue
        (n,) = struct.unpack(order + value_fmt, entry[4 : 4 + inline])
        if dtype not in (2, 7) or n <= inline:
            return n, False
        (offset,) = struct.unpack(order + value_fmt, entry[4 + inline : 4 + 2 * inline])
        if offset + n > size:
            raise EOFError("ImageDescription runs past the end of the file")
        tail_len = min(n, 64)
        handle.seek(offset + n - tail_len)
        tail = handle.read(tail_len).rstrip(b"\x00 \t\r\n")
        return n, tail.endswith(b"OME>")
    return None, False


def mrc_header_plausible(head: bytes) -> bool:
    """Whether the first 1024 bytes look like an MRC header without the ``MAP`` signature."""
    if len(head) < 1024:
        return False
    for order in "<>":
        nx, ny, nz, mode = struct.unpack(order + "4i", head[:16])
        if mode in MRC_MODES and 0 < nx < 1 << 20 and 0 < ny < 1 << 20 and 0 < nz < 1 << 24:
            return True
    return False


def detect_format(path: str | os.PathLike[str]) -> Detection:
    """Recognise a file's image format from its content.

    Parameters
    ----------
    path : str or os.PathLike
        A file, or a folder (OME-Zarr).

    Returns
    -------
    Detection
        Never raises for unreadable or unknown files; see ``Detection.error``.
    """
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        return Detection(None, error=ImageIssue(NOT_FOUND, "There is no file or folder at this path."))
    except PermissionError:
        return Detection(None, error=ImageIssue(PERMISSION_DENIED, "The file cannot be opened: permission denied."))
    except OSError as error:
        return Detection(None, error=ImageIssue(IO_ERROR, f"The file could not be read: {error.strerror or error}."))
    if p.is_dir():
        return _detect_folder(p)
    size = st.st_size
    if size == 0:
        return Detection(None, size_bytes=0, error=ImageIssue(EMPTY, "The file is empty (0 bytes)."))
    try:
        with p.open("rb") as handle:
            head = handle.read(1024)
            fmt, detail, description, problem = _classify(handle, head, size, p)
    except PermissionError:
        return Detection(None, size_bytes=size, error=ImageIssue(PERMISSION_DENIED, "The file cannot be opened: "
                                                                 "permission denied."))
    except OSError as exc:
        return Detection(None, size_bytes=size, error=ImageIssue(IO_ERROR, f"The file could not be read: "
                                                                 f"{exc.strerror or exc}."))
    note = _mislabel_note(p, fmt) if fmt else None
    return Detection(fmt, detail=detail, size_bytes=size, description_bytes=description, note=note, error=problem)


def _classify(
    handle: BinaryIO, head: bytes, size: int, path: Path
) -> tuple[str | None, str, int | None, ImageIssue | None]:
    """Format, detail, description length and error for a file's first bytes."""
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        detail = "BigTIFF" if head[2:4] in (b"+\x00", b"\x00+") else ""
        if len(head) < (16 if detail else 8):
            return model.TIFF, detail, None, ImageIssue(TRUNCATED, "The TIFF file ends inside its header (truncated).")
        try:
            description, is_ome = _tiff_description(handle, head, size)
        except EOFError as error:
            return model.TIFF, detail, None, ImageIssue(
                TRUNCATED, f"The TIFF file ends too early; it may be incomplete ({error})."
            )
        except (ValueError, struct.error) as error:
            return model.TIFF, detail, None, ImageIssue(CORRUPT, f"The TIFF file is damaged ({error}).")
        return (model.OME_TIFF if is_ome else model.TIFF), detail, description, None
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return model.PNG, "", None, None
    if head[:3] == b"\xff\xd8\xff":
        return model.JPEG, "", None, None
    if len(head) >= 212 and head[208:211] == b"MAP":
        fmt = model.MRCS if _suffix(path) == ".mrcs" else model.MRC
        if size < 1024:
            return fmt, "", None, ImageIssue(TRUNCATED, "The MRC file ends inside its 1024-byte header (truncated).")
        return fmt, "", None, None
    if _suffix(path) in MRC_EXTENSIONS and mrc_header_plausible(head):
        fmt = model.MRCS if _suffix(path) == ".mrcs" else model.MRC
        return fmt, "old-style header (no MAP signature)", None, None
    return None, "", None, ImageIssue(
        UNKNOWN_FORMAT,
        "The file is not a TIFF, OME-TIFF, MRC, PNG or JPEG image (its first bytes match none of them).",
    )
