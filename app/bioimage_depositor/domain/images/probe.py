"""``probe(path)``: what an image file is and what it says about itself, without reading pixels.

This is the one entry point the file table, the prefill and the ``probe``
command use. It never raises for a bad file: every failure, including any
exception a reader library throws on hostile input, becomes
``ImageInfo.error`` with a stable code. It holds no state, so worker threads
may call it concurrently.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator

from . import model
from .detect import detect_format
from .errors import CANCELLED, CancelCheck, ImageIssue, ImageReadError, issue_from_exception
from .model import ImageInfo, failed

log = logging.getLogger(__name__)


def probe(path: str | os.PathLike[str]) -> ImageInfo:
    """Describe one image file (or OME-Zarr folder) from its headers and metadata.

    Parameters
    ----------
    path : str or os.PathLike
        The file or folder.

    Returns
    -------
    ImageInfo
        Format, series (shape, dtype, pyramid levels), pixel size, channels,
        instrument, acquisition date, MRC header facts, notes; or ``error``
        (code and sentence) when the file cannot be read. Pixel data is never
        decoded.
    """
    text = str(path)
    detection = detect_format(path)
    notes: tuple[ImageIssue, ...] = (detection.note,) if detection.note else ()
    if detection.error is not None or detection.format is None:
        issue = detection.error or ImageIssue("unknown_format", "The file format is not recognised.")
        return failed(text, issue, format=detection.format, size_bytes=detection.size_bytes, notes=notes)
    fmt = detection.format
    try:
        if fmt in (model.TIFF, model.OME_TIFF):
            from .tiff import probe_tiff

            return probe_tiff(text, detection, notes)
        if fmt in (model.MRC, model.MRCS):
            from .mrc import probe_mrc

            return probe_mrc(text, fmt, detection.detail, int(detection.size_bytes or 0), notes)
        if fmt in (model.PNG, model.JPEG):
            from .raster import probe_raster

            return probe_raster(text, fmt, int(detection.size_bytes or 0), notes)
        if fmt == model.OME_ZARR:
            from .ome_zarr import probe_ome_zarr

            return probe_ome_zarr(text, detection.detail, notes)
    except ImageReadError as error:
        return failed(text, error.issue, format=fmt, size_bytes=detection.size_bytes, notes=notes)
    except Exception as error:  # hostile input can make any library raise anything (even RecursionError)
        log.info("probe of %s failed: %r", text, error)
        return failed(text, issue_from_exception(error, fmt), format=fmt, size_bytes=detection.size_bytes, notes=notes)
    return failed(text, ImageIssue("unknown_format", f"{fmt} files cannot be probed yet."), format=fmt)


def probe_many(
    paths: Iterable[str | os.PathLike[str]], *, cancel: CancelCheck | None = None
) -> Iterator[ImageInfo]:
    """Probe files one after another, stopping early when ``cancel()`` turns true.

    Yields one :class:`ImageInfo` per path, in order; after a cancel the
    remaining paths are not probed (nothing is yielded for them).
    """
    for path in paths:
        if cancel is not None and cancel():
            return
        yield probe(path)


def is_cancelled(info: ImageInfo) -> bool:
    """Whether a probe ended because it was cancelled."""
    return info.error is not None and info.error.code == CANCELLED
