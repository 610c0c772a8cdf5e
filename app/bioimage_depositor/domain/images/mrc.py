"""MRC/MRCS headers and single sections, read without trusting the header.

The 1024-byte header is decoded with mrcfile's own header layout and mode
table, then every value that decides how much to read is checked against the
file's real size before anything else happens: a header claiming
2^30 × 2^30 × 2^30 voxels is an error entry, not an allocation. Previews read
one section (``seek`` + one ``read`` of exactly that section), so a 100 GB
movie costs one frame; the file is never memory-mapped, which keeps Windows
from locking files the user may want to move while the wizard is open.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..humanize import human_bytes
from .detect import MRC_MODES
from .errors import CORRUPT, TOO_LARGE, TRAILING_DATA, TRUNCATED, UNSUPPORTED, ImageIssue, ImageReadError
from .model import ImageInfo, MrcInfo, PixelSize, SeriesInfo

HEADER_BYTES = 1024
IMOD_STAMP = 1146047817  # "IMOD" in IMOD's extra header bytes
_IMOD_STAMP_OFFSET = 152
_IMOD_FLAGS_OFFSET = 156


@dataclass(frozen=True)
class MrcHeader:
    """Validated header values needed to locate and decode sections."""

    nx: int
    ny: int
    nz: int
    mode: int
    byte_order: str  # "<" or ">"
    data_offset: int
    section_bytes: int
    file_size: int
    info: MrcInfo

    @property
    def dtype(self) -> np.dtype | None:
        """The numpy dtype of one voxel, in file byte order (``None`` for packed 4-bit mode 101)."""
        base = {0: "u1" if self.info.imod_unsigned_bytes else "i1", 1: "i2", 2: "f4", 3: "i2", 4: "c8", 6: "u2",
                12: "f2"}.get(self.mode)
        return None if base is None else np.dtype(self.byte_order + base)


_DTYPE_NAMES = {0: "int8", 1: "int16", 2: "float32", 3: "complex_int16", 4: "complex64", 6: "uint16",
                12: "float16", 101: "uint4"}
_ITEM_BITS = {0: 8, 1: 16, 2: 32, 3: 32, 4: 64, 6: 16, 12: 16, 101: 4}


def _byte_order(raw: bytes) -> str:
    stamp = raw[212:214]
    if stamp[:1] == b"\x44" or stamp == b"\x44\x41":
        return "<"
    if stamp[:1] == b"\x11":
        return ">"
    # No usable machine stamp (old files): pick the order giving a known mode.
    for order in "<>":
        if struct.unpack(order + "i", raw[12:16])[0] in MRC_MODES:
            return order
    return "<"


def _labels(raw: bytes, order: str) -> tuple[str, ...]:
    count = struct.unpack(order + "i", raw[220:224])[0]
    count = max(0, min(count, 10))
    labels = []
    for i in range(count):
        text = raw[224 + 80 * i : 304 + 80 * i].split(b"\x00")[0].decode("ascii", "replace").strip()
        if text:
            labels.append("".join(ch if ch.isprintable() else "?" for ch in text))
    return tuple(labels)


def parse_mrc_header(raw: bytes, file_size: int, *, suffix: str = "") -> MrcHeader:
    """Decode and validate an MRC header.

    Parameters
    ----------
    raw : bytes
        The first 1024 bytes of the file.
    file_size : int
        The file's size in bytes, to check the header's promises against.
    suffix : str
        The file's lower-case extension (``.mrcs`` marks a stack, ``.st`` a tilt series).

    Raises
    ------
    ImageReadError
        ``truncated``, ``corrupt`` or ``unsupported`` with a sentence saying which value is wrong.
    """
    if len(raw) < HEADER_BYTES:
        raise ImageReadError(TRUNCATED, "The MRC file ends inside its 1024-byte header (truncated).")
    order = _byte_order(raw)
    nx, ny, nz, mode = struct.unpack(order + "4i", raw[0:16])
    mx, my, mz = struct.unpack(order + "3i", raw[28:40])
    cella = struct.unpack(order + "3f", raw[40:52])
    ispg, nsymbt = struct.unpack(order + "2i", raw[88:96])
    exttyp = raw[104:108].decode("ascii", "replace").strip("\x00 ")
    nversion = struct.unpack(order + "i", raw[108:112])[0]
    imod_stamp, imod_flags = struct.unpack(order + "2i", raw[_IMOD_STAMP_OFFSET : _IMOD_FLAGS_OFFSET + 4])

    if nx <= 0 or ny <= 0 or nz <= 0:
        raise ImageReadError(
            CORRUPT, f"The MRC header gives impossible dimensions {nx} × {ny} × {nz}; the header is damaged.",
            nx=nx, ny=ny, nz=nz,
        )
    if mode not in MRC_MODES:
        code = UNSUPPORTED if mode in (16, 3, 4) else CORRUPT
        raise ImageReadError(code, f"The MRC header gives data mode {mode}, which is not an MRC2014 mode.", mode=mode)
    if nsymbt < 0 or HEADER_BYTES + nsymbt > file_size:
        raise ImageReadError(
            CORRUPT if nsymbt < 0 else TRUNCATED,
            f"The MRC header announces an extended header of {nsymbt} bytes, which does not fit in the file.",
        )
    bits = _ITEM_BITS[mode]
    row_bytes = math.ceil(nx * bits / 8)
    section_bytes = row_bytes * ny  # Python ints: no overflow, whatever the header says
    data_offset = HEADER_BYTES + nsymbt
    needed = data_offset + section_bytes * nz
    if needed > file_size:
        raise ImageReadError(
            TRUNCATED,
            f"The MRC header describes {nx} × {ny} × {nz} voxels of mode {mode} ({human_bytes(section_bytes * nz)}) "
            f"but the file holds only {human_bytes(max(0, file_size - data_offset))} of data; the file is truncated "
            "or its header is damaged.",
            needed=needed, size=file_size,
        )

    def voxel(length: float, count: int) -> float | None:
        return float(length) / count if count > 0 and math.isfinite(length) and length > 0 else None

    vx, vy, vz = voxel(cella[0], mx), voxel(cella[1], my), voxel(cella[2], mz)
    if suffix == ".mrcs" or (ispg == 0 and nz > 1):
        kind = "stack"
    elif nz == 1:
        kind = "image"
    else:
        kind = "volume"
    voxel_size = (vx, vy, vz if kind == "volume" else None) if (vx or vy) else None
    info = MrcInfo(
        nx=nx, ny=ny, nz=nz, mode=mode,
        dtype=("uint8" if mode == 0 and imod_stamp == IMOD_STAMP and not imod_flags & 1 else _DTYPE_NAMES[mode]),
        voxel_size_angstrom=voxel_size,
        ispg=ispg, kind=kind, mx=mx, my=my, mz=mz, byte_order=order, nversion=nversion, exttyp=exttyp,
        extended_header_bytes=nsymbt, labels=_labels(raw, order),
        imod_unsigned_bytes=mode == 0 and imod_stamp == IMOD_STAMP and not imod_flags & 1,
    )
    return MrcHeader(nx, ny, nz, mode, order, data_offset, section_bytes, file_size, info)


def read_mrc_header(path: str | Path) -> MrcHeader:
    """Read and validate the header of an MRC file; raises :class:`ImageReadError`."""
    p = Path(path)
    with p.open("rb") as handle:
        raw = handle.read(HEADER_BYTES)
        size = handle.seek(0, 2)
    return parse_mrc_header(raw, size, suffix=p.suffix.lower())


def _axes(info: MrcInfo) -> dict[str, int]:
    if info.kind == "image":
        return {"Y": info.ny, "X": info.nx}
    return {("I" if info.kind == "stack" else "Z"): info.nz, "Y": info.ny, "X": info.nx}


def probe_mrc(path: str, fmt: str, detail: str, size: int, notes: tuple[ImageIssue, ...]) -> ImageInfo:
    """Probe an MRC/MRCS file from its header alone."""
    header = read_mrc_header(path)
    info = header.info
    extra = header.file_size - header.data_offset - header.section_bytes * header.nz
    if extra > 0:
        notes = (*notes, ImageIssue(TRAILING_DATA, f"The file has {human_bytes(extra)} after the data the header "
                                    "describes; they were ignored."))
    if info.voxel_size_angstrom:
        vx, vy, vz = info.voxel_size_angstrom
        pixel_size = PixelSize(
            x=vx / 1e4 if vx else None, y=vy / 1e4 if vy else None, z=vz / 1e4 if vz else None, source="MRC header"
        )
    else:
        pixel_size = None
    shape = _axes(info)
    series = SeriesInfo(index=0, shape=shape, dtype=info.dtype, levels=(shape,), pixel_size=pixel_size)
    kind_text = {"stack": "image stack", "volume": "volume", "image": "single image"}[info.kind]
    detail = ", ".join(p for p in (detail, f"MRC2014 {kind_text}" if info.nversion else kind_text) if p)
    return ImageInfo(path=path, format=fmt, format_detail=detail, size_bytes=size, series=(series,), mrc=info,
                     notes=notes)


def _unpack_4bit(buffer: np.ndarray, rows: int, nx: int) -> np.ndarray:
    packed = buffer.reshape(rows, -1)
    out = np.empty((rows, packed.shape[1] * 2), dtype=np.uint8)
    out[:, 0::2] = packed & 0x0F
    out[:, 1::2] = packed >> 4
    return out[:, :nx]


def _decode(raw: bytes, header: MrcHeader, rows: int) -> np.ndarray:
    """Decode ``rows`` whole rows of section data into a native-order 2-D array."""
    dtype = header.dtype
    if dtype is None:  # mode 101: two 4-bit values per byte, low nibble first
        return _unpack_4bit(np.frombuffer(raw, dtype=np.uint8), rows, header.nx)
    if header.mode == 3:  # complex int16: show the magnitude
        pairs = np.frombuffer(raw, dtype=dtype).astype(np.float32).reshape(rows, header.nx, 2)
        return np.hypot(pairs[..., 0], pairs[..., 1])
    plane = np.frombuffer(raw, dtype=dtype).reshape(rows, header.nx)
    if np.iscomplexobj(plane):
        return np.abs(plane)
    return plane.astype(plane.dtype.newbyteorder("="), copy=False)


def read_mrc_section(path: str | Path, header: MrcHeader, index: int, *, max_bytes: int, step: int = 1) -> np.ndarray:
    """Read one section (a Z slice or a stack frame) as a native-order 2-D array.

    Parameters
    ----------
    path : str or Path
        The file.
    header : MrcHeader
        Its validated header.
    index : int
        Which section, ``0 <= index < nz``.
    max_bytes : int
        Read the whole section at once only when it is at most this big; a
        larger section is read one row at a time, every ``step``-th row and
        column kept, so memory stays near the size of the result.
    step : int
        Row and column stride for sections larger than ``max_bytes``.

    Returns
    -------
    numpy.ndarray
        ``(ny, nx)`` (or strided) array, rows as stored (first row = bottom of the image).
    """
    if not 0 <= index < header.nz:
        raise ImageReadError(CORRUPT, f"Section {index} is outside 0–{header.nz - 1}.")
    offset = header.data_offset + index * header.section_bytes
    row_bytes = header.section_bytes // header.ny
    with Path(path).open("rb") as handle:
        if header.section_bytes <= max_bytes:
            handle.seek(offset)
            raw = handle.read(header.section_bytes)
            if len(raw) != header.section_bytes:
                raise ImageReadError(TRUNCATED, "The MRC file ends inside the section to show (truncated).")
            return _decode(raw, header, header.ny)
        if step <= 1 or row_bytes > max_bytes:
            raise ImageReadError(TOO_LARGE, f"One section of this MRC file is {human_bytes(header.section_bytes)}, "
                                 "too large to preview.")
        rows = []
        for row in range(0, header.ny, step):
            handle.seek(offset + row * row_bytes)
            chunk = handle.read(row_bytes)
            if len(chunk) != row_bytes:
                raise ImageReadError(TRUNCATED, "The MRC file ends inside the section to show (truncated).")
            rows.append(np.array(_decode(chunk, header, 1)[0, ::step]))
        return np.stack(rows)
