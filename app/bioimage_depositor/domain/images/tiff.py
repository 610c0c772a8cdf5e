"""TIFF and OME-TIFF probing with tifffile: structure and metadata, never pixels.

Opening a TIFF with tifffile reads the IFDs (tags) only. Before trusting a
series we check that the data its pages point at exists: segment counts match
the declared size, segments lie inside the file, uncompressed data is as large
as the dimensions demand, and deflate/LZW/PackBits data does not claim more
than those codecs can expand to. That turns patched ImageWidth/ImageLength
tags, truncated downloads and "10 GB plane in a 1 KB file" into error entries.
OME-XML larger than :data:`~.ome_xml.MAX_OME_XML_BYTES` is not parsed (the
TIFF is then read as plain TIFF and a note says so).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..humanize import human_bytes
from .detect import Detection
from .errors import (
    CORRUPT,
    METADATA_IGNORED,
    TOO_LARGE,
    TRUNCATED,
    ImageIssue,
    ImageReadError,
)
from .model import OME_TIFF, TIFF, ChannelInfo, ImageInfo, PixelSize, SeriesInfo
from .ome_xml import MAX_OME_XML_BYTES, OmeImageMeta, read_ome_metadata
from .units import to_micrometres

#: Refuse files whose first ImageDescription is larger than this (tifffile reads it whole).
MAX_DESCRIPTION_BYTES = 64 * 1024 * 1024

#: Largest expansion each codec can produce (decoded bytes per stored byte), with margin.
_MAX_RATIO = {8: 1100, 32946: 1100, 5: 4200, 32773: 70}

#: Smallest bytes an IFD (one plane) can take; bounds the planes a single-file OME-TIFF can hold.
MIN_IFD_BYTES = 64
#: Most planes OME-XML may describe when it refers to other files (multi-file OME-TIFF).
MAX_OME_PLANES = 16 * 1024 * 1024

#: Compression codes of Electron Event Representation (EER) files, a TIFF variant.
EER_COMPRESSIONS = frozenset({65000, 65001, 65002})


@contextmanager
def open_tiff(path: str | Path, detection: Detection) -> Iterator[tuple[Any, list[Any], tuple[ImageIssue, ...]]]:
    """Open a TIFF with tifffile and build its series, falling back to plain TIFF when the OME-XML is unusable.

    OME-XML larger than :data:`MAX_OME_XML_BYTES` is not parsed at all; OME-XML
    that tifffile cannot map onto the pages (wrong sizes, missing planes) is
    dropped and the pages are read as a plain TIFF. Either way a note says so.

    Yields
    ------
    (tifffile.TiffFile, list of tifffile.TiffPageSeries, tuple of ImageIssue)
        The open file, its series and notes about metadata that was ignored.
    """
    import tifffile

    notes: tuple[ImageIssue, ...] = ()
    description = detection.description_bytes or 0
    if description > MAX_DESCRIPTION_BYTES:
        raise ImageReadError(
            TOO_LARGE,
            f"The TIFF's ImageDescription is {human_bytes(description)}; files with more than "
            f"{human_bytes(MAX_DESCRIPTION_BYTES)} of description are not read.",
        )
    read_ome = detection.format == OME_TIFF and description <= MAX_OME_XML_BYTES
    if detection.format == OME_TIFF and not read_ome:
        notes = (
            ImageIssue(
                METADATA_IGNORED,
                f"The OME-XML metadata is {human_bytes(description)}, more than the "
                f"{human_bytes(MAX_OME_XML_BYTES)} this program reads; the file was read as plain TIFF.",
            ),
        )
    tif = tifffile.TiffFile(str(path)) if read_ome else tifffile.TiffFile(str(path), is_ome=False)
    if read_ome:
        claimed, other_files = _claimed_planes(str(tif.pages.first.description or ""))
        bound = MAX_OME_PLANES if other_files else max(1, int(detection.size_bytes or 0) // MIN_IFD_BYTES)
        if claimed > bound:
            # tifffile would allocate a slot per claimed plane (a header saying 10^9 planes costs gigabytes).
            tif.close()
            tif = tifffile.TiffFile(str(path), is_ome=False)
            read_ome = False
            notes = (*notes, ImageIssue(METADATA_IGNORED, f"The OME-XML claims {claimed} planes, more than this "
                                        f"file can hold ({bound}); it was ignored and the file read as plain TIFF."))
    try:
        try:
            series = list(tif.series)
        except Exception as error:
            if not read_ome:
                raise
            tif.close()
            tif = tifffile.TiffFile(str(path), is_ome=False)
            series = list(tif.series)
            reason = (str(error).strip().splitlines() or [type(error).__name__])[0][:120]
            notes = (*notes, ImageIssue(METADATA_IGNORED, f"The OME-XML does not fit the file's pages ({reason}); "
                                        "the file was read as plain TIFF."))
        _check_imagej(tif, series)
        yield tif, series, notes
    finally:
        tif.close()


_PIXELS_TAG = re.compile(r"<(?:\w+:)?Pixels\b[^>]*>")
_SIZE_ATTR = re.compile(r"\bSize([ZCT])\s*=\s*[\"']\s*(\d{1,20})\s*[\"']")


def _claimed_planes(description: str) -> tuple[int, bool]:
    """Planes the OME-XML describes (sum of SizeZ × SizeC × SizeT) and whether it names other files.

    A cheap scan done before tifffile builds its OME series, which reserves a
    slot for every claimed plane.
    """
    total = 0
    for tag in _PIXELS_TAG.findall(description):
        sizes = {axis: int(value) for axis, value in _SIZE_ATTR.findall(tag)}
        total += max(1, sizes.get("Z", 1)) * max(1, sizes.get("C", 1)) * max(1, sizes.get("T", 1))
    other_files = "FileName=" in description or "<UUID" in description or ":UUID" in description
    return total, other_files


def _check_imagej(tif: Any, series: list[Any]) -> None:
    """An ImageJ file holding fewer images than its metadata announces is truncated.

    tifffile falls back to the first page when an ImageJ hyperstack is cut
    short; without this check such a file would look like a single plane.
    """
    if not tif.is_imagej or not series:
        return
    metadata = tif.imagej_metadata or {}
    try:
        announced = int(metadata.get("images", 1))
    except (TypeError, ValueError):
        return
    first = series[0]
    held = math.prod(first.shape) // max(1, math.prod(first.keyframe.shape))
    if announced > held:
        raise ImageReadError(
            TRUNCATED,
            f"The ImageJ metadata announces {announced} images but the file holds {held}; it is truncated.",
            announced=announced, held=held,
        )


def _segments_expected(page: Any) -> int:
    return int(math.prod(page.chunked))


def check_page_data(page: Any, file_size: int) -> None:
    """Raise :class:`ImageReadError` when a page's pixel data cannot be what its tags claim.

    Parameters
    ----------
    page : tifffile.TiffPage or tifffile.TiffFrame
        The page to check (only tags are looked at).
    file_size : int
        The size of the file holding the page.
    """
    keyframe = page.keyframe
    offsets = page.dataoffsets
    counts = page.databytecounts
    width, length = int(keyframe.imagewidth), int(keyframe.imagelength)
    claimed = int(keyframe.nbytes)
    if width <= 0 or length <= 0:
        raise ImageReadError(CORRUPT, f"The TIFF page claims a size of {width} × {length} pixels; the file is damaged.")
    expected = _segments_expected(keyframe)
    if len(offsets) != len(counts) or (expected and len(offsets) != expected):
        raise ImageReadError(
            CORRUPT,
            f"The TIFF page claims {width} × {length} pixels, which needs {expected} strips or tiles, but it lists "
            f"{len(offsets)}; the file is damaged (its size tags may have been altered).",
            width=width, length=length,
        )
    stored = 0
    for offset, count in zip(offsets, counts, strict=False):
        if count and offset + count > file_size:
            raise ImageReadError(
                TRUNCATED,
                "The TIFF file ends before the pixel data its tags point to; it is truncated or damaged.",
            )
        stored += int(count)
    compression = int(keyframe.compression)
    if compression == 1 and stored < claimed and not (len(offsets) == 1 and counts[0] == 0):
        raise ImageReadError(
            CORRUPT,
            f"The TIFF page claims {width} × {length} pixels ({human_bytes(claimed)}) but stores only "
            f"{human_bytes(stored)} of uncompressed data; the file is damaged or truncated.",
            width=width, length=length,
        )
    ratio = _MAX_RATIO.get(compression)
    if ratio and stored and claimed > stored * ratio:
        raise ImageReadError(
            CORRUPT,
            f"The TIFF page claims {human_bytes(claimed)} of pixels from {human_bytes(stored)} of compressed data, "
            "more than its compression can produce; the file is damaged.",
        )


#: Series with more pages than this are spot-checked (first and last page) instead of page by page.
_MAX_PAGES_CHECKED = 5_000_000


def check_series(series: Any, file_size: int) -> None:
    """Check every level of a series: no page missing, and its key, first and last pages' data present."""
    for level in series.levels:
        check_page_data(level.keyframe, file_size)
        if level.is_truncated:
            # ImageJ hyperstacks over 4 GB keep one IFD; the other planes follow the first contiguously.
            needed = int(level.keyframe.dataoffsets[0]) + math.prod(level.shape) * level.dtype.itemsize
            if needed > file_size:
                raise ImageReadError(TRUNCATED, "The file ends before the last plane its ImageJ metadata describes; "
                                     "it is truncated.")
            continue
        n = len(level)
        if n <= _MAX_PAGES_CHECKED and not level.is_truncated:
            missing = sum(1 for page in level if page is None)
            if missing:
                raise ImageReadError(
                    TRUNCATED,
                    f"{missing} of the {n} planes of this image are missing: the file is truncated, or it is part "
                    "of a multi-file OME-TIFF whose other files are not next to it.",
                    missing=missing, planes=n,
                )
        for index in {0, n - 1} if n else set():
            page = level[index]
            if page is not None:
                check_page_data(page, file_size)


def _round6(value: float | None) -> float | None:
    return None if value is None else float(f"{value:.6g}")


def _tiff_pixel_size(series: Any) -> tuple[PixelSize | None, str | None]:
    """Pixel size from tifffile's coordinate scales (ImageJ metadata or resolution tags)."""
    try:
        scales = series.coord_scales
        units = series.coord_units
    except Exception:
        return None, None
    values: dict[str, float | None] = {}
    for axis in "XYZ":
        unit = units.get(axis)
        values[axis] = _round6(to_micrometres(scales.get(axis), unit)) if unit and axis in scales else None
    if not any(values.values()):
        return None, None
    source = "ImageJ" if series.kind == "imagej" else "TIFF resolution"
    if units.get("X") == "inch" and (values["X"] or 0) > 50:
        # 72/96/300 dpi written by image editors: a screen resolution, not a physical pixel size.
        return None, (
            f"The TIFF resolution tags give {values['X']:.4g} µm per pixel (a print/screen resolution in dots per "
            "inch), which is not a physical pixel size; it was ignored."
        )
    return PixelSize(x=values["X"], y=values["Y"], z=values["Z"], source=source), None


def _tiff_date(page: Any) -> str | None:
    tag = page.tags.get(306)  # DateTime "YYYY:MM:DD HH:MM:SS"
    if tag is None or not isinstance(tag.value, str):
        return None
    try:
        return dt.datetime.strptime(tag.value.strip()[:19], "%Y:%m:%d %H:%M:%S").isoformat()
    except ValueError:
        return None


def _series_name(series: Any) -> str:
    return str(series.name or "")


def _sizes(series: Any) -> dict[str, int]:
    return {str(axis): int(size) for axis, size in series.sizes.items()}


def _match_ome(series_list: list[Any], meta: list[OmeImageMeta]) -> list[OmeImageMeta | None]:
    if len(series_list) == len(meta):
        return list(meta)
    by_name: dict[str, list[OmeImageMeta]] = {}
    for item in meta:
        by_name.setdefault(item.name, []).append(item)
    matched: list[OmeImageMeta | None] = []
    for series in series_list:
        candidates = by_name.get(_series_name(series), [])
        matched.append(candidates[0] if len(candidates) == 1 else None)
    return matched


def _compression_name(page: Any) -> str:
    try:
        return str(page.compression.name).lower()
    except AttributeError:
        return str(page.compression)


def _channels_from_tifffile(series: Any) -> tuple[ChannelInfo, ...]:
    """Channel names some non-OME TIFF flavours carry (e.g. in series attributes)."""
    names = series.attrs.get("channel_names") if isinstance(series.attrs, dict) else None
    if isinstance(names, list | tuple) and all(isinstance(n, str) for n in names):
        return tuple(ChannelInfo(name=n) for n in names)
    return ()


def probe_tiff(path: str, detection: Detection, notes: tuple[ImageIssue, ...]) -> ImageInfo:
    """Probe a TIFF or OME-TIFF file; raises :class:`ImageReadError` when it cannot be read."""
    size = detection.size_bytes or Path(path).stat().st_size
    with open_tiff(path, detection) as (tif, series_list, open_notes):
        notes = (*notes, *open_notes)
        if not series_list:
            raise ImageReadError(CORRUPT, "The TIFF file contains no image.")
        is_ome = bool(tif.is_ome)
        meta: list[OmeImageMeta] = []
        if is_ome:
            try:
                meta = read_ome_metadata(tif.pages.first.description)
            except ImageReadError as error:
                notes = (*notes, ImageIssue(METADATA_IGNORED, error.message))
        matched = _match_ome(series_list, meta) if meta else [None] * len(series_list)
        date = _tiff_date(tif.pages.first)
        infos = []
        compressions = set()
        for index, (series, ome) in enumerate(zip(series_list, matched, strict=True)):
            check_series(series, size)
            compressions.add(int(series.keyframe.compression))
            pixel_size: PixelSize | None
            if ome is not None:
                pixel_size, channels, instrument = ome.pixel_size, ome.channels, ome.instrument
                acquired = ome.acquisition_date or date
            else:
                pixel_size, warning = _tiff_pixel_size(series)
                if warning:
                    notes = (*notes, ImageIssue(METADATA_IGNORED, warning))
                channels, instrument, acquired = _channels_from_tifffile(series), None, date
            infos.append(
                SeriesInfo(
                    index=index,
                    name=(ome.name if ome is not None and ome.name else _series_name(series)),
                    shape=_sizes(series),
                    dtype=str(series.dtype),
                    levels=tuple(_sizes(level) for level in series.levels),
                    pixel_size=pixel_size,
                    channels=channels,
                    instrument=instrument,
                    acquisition_date=acquired,
                    compression=_compression_name(series.keyframe),
                )
            )
        details = [detection.detail] if detection.detail else []
        kind = series_list[0].kind
        if compressions & EER_COMPRESSIONS:
            details.append("EER")
        if kind == "imagej":
            details.append("ImageJ")
        elif kind and kind not in ("ome", "shaped", "generic", "uniform"):
            details.append(kind)
        if any(len(s.levels) > 1 for s in series_list):
            details.append("pyramidal")
        fmt = OME_TIFF if is_ome else TIFF
        return ImageInfo(
            path=path,
            format=fmt,
            format_detail=", ".join(details),
            size_bytes=size,
            series=tuple(infos),
            notes=notes,
        )
