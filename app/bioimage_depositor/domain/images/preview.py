"""``render_preview``: a picture of any supported file, made without loading the whole file.

Each format's reader returns the few planes the view needs, already reduced to
about the requested size (:class:`~.preview_types.PlaneView`); this module
picks colours and contrast and composites them into an RGB uint8 array. The
functions are pure and stateless, so the UI calls them from worker threads and
can cancel long reads with a ``cancel`` callable. The only exception they
raise is :class:`~.errors.PreviewError`, with a stable code.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from . import model
from .detect import detect_format
from .errors import (
    OUT_OF_RANGE,
    UNKNOWN_FORMAT,
    CancelCheck,
    ImageReadError,
    PreviewError,
    issue_from_exception,
)
from .model import ImageInfo
from .preview_types import ChannelDisplay, ChannelSetting, PlaneView, PreviewImage, PreviewPlanes
from .render import auto_contrast, channel_colours, composite, value_range

log = logging.getLogger(__name__)

#: Largest decoded plane read in one piece (larger planes are read strip by strip, subsampled).
MAX_PLANE_BYTES = 128 * 1024 * 1024
#: Most channels composited when the caller does not choose.
MAX_CHANNELS = 6
#: Size of table thumbnails.
THUMBNAIL_SIZE = 128
#: Accepted preview sizes.
MIN_SIZE, MAX_SIZE = 16, 4096


def _as_preview_error(error: ImageReadError) -> PreviewError:
    if isinstance(error, PreviewError):
        return error
    converted = PreviewError(error.code, error.message, **error.issue.params)
    converted.__cause__ = error
    return converted


def _view(
    path: str,
    *,
    size: int,
    series: int,
    z: int | None,
    t: int | None,
    channels: list[int] | None,
    max_plane_bytes: int,
    cancel: CancelCheck | None,
    info: ImageInfo | None,
) -> tuple[str, PlaneView]:
    detection = detect_format(path)
    if detection.error is not None or detection.format is None:
        issue = detection.error
        raise ImageReadError(issue.code if issue else UNKNOWN_FORMAT,
                             issue.message if issue else "The file format is not recognised.")
    fmt = detection.format
    if fmt in (model.TIFF, model.OME_TIFF):
        from .tiff_planes import view_tiff

        known = None
        if info is not None and info.ok and info.path == path and series < len(info.series):
            known = info.series[series].channels
        return fmt, view_tiff(path, detection, size=size, series=series, z=z, t=t, channels=channels,
                              max_plane_bytes=max_plane_bytes, cancel=cancel, known_channels=known)
    if fmt in (model.MRC, model.MRCS):
        return fmt, _view_mrc(path, size=size, series=series, z=z, t=t, max_plane_bytes=max_plane_bytes)
    if fmt in (model.PNG, model.JPEG):
        from .raster import view_raster

        if series or z or t:
            raise ImageReadError(OUT_OF_RANGE, f"A {fmt} file has one image: series, Z and T must be 0.")
        return fmt, view_raster(path, fmt, size=size, max_plane_bytes=max_plane_bytes)
    if fmt == model.OME_ZARR:
        from .ome_zarr import view_ome_zarr

        return fmt, view_ome_zarr(path, size=size, series=series, z=z, t=t, channels=channels,
                                  max_plane_bytes=max_plane_bytes, max_channels=MAX_CHANNELS, cancel=cancel)
    raise ImageReadError(UNKNOWN_FORMAT, f"{fmt} files cannot be previewed yet.")


def _view_mrc(path: str, *, size: int, series: int, z: int | None, t: int | None, max_plane_bytes: int) -> PlaneView:
    from .mrc import read_mrc_header, read_mrc_section
    from .render import reduce_to

    header = read_mrc_header(path)
    if series or t:
        raise ImageReadError(OUT_OF_RANGE, "An MRC file has one series and no time axis: series and T must be 0.")
    count = header.nz
    if z is not None and not -count <= z < count:
        what = "Frame" if header.info.kind == "stack" else "Section"
        raise ImageReadError(OUT_OF_RANGE, f"{what} {z} does not exist; this file has {count} (0–{count - 1}).")
    index = count // 2 if z is None else z % count
    step = max(1, max(header.nx, header.ny) // size)
    plane = read_mrc_section(path, header, index, max_bytes=max_plane_bytes, step=step)
    reduced = reduce_to(plane, size)
    del plane
    view = PlaneView(
        planes=[np.flipud(reduced)],  # MRC rows start at the bottom: show it as IMOD and Fiji do
        channel_indices=[0],
        channel_names=[None],
        channel_colours=[None],
        level_shape={"Z" if header.info.kind == "volume" else "I": header.nz, "Y": header.ny, "X": header.nx},
        z=index,
        z_count=count,
    )
    if header.info.kind == "stack":
        view.notes.append(f"Frame {index} of {count} of the stack.")
    return view


def _checked_size(size: int) -> int:
    if not MIN_SIZE <= int(size) <= MAX_SIZE:
        raise PreviewError(OUT_OF_RANGE, f"The preview size must be between {MIN_SIZE} and {MAX_SIZE} pixels.")
    return int(size)


def read_preview_planes(
    path: str | os.PathLike[str],
    size: int = 512,
    series: int = 0,
    z: int | None = None,
    t: int | None = None,
    channels: Sequence[int] | None = None,
    *,
    max_plane_bytes: int = MAX_PLANE_BYTES,
    cancel: CancelCheck | None = None,
    info: ImageInfo | None = None,
) -> PreviewPlanes:
    """Read the planes of one view, reduced to the preview size, without compositing them.

    Takes the same arguments as :func:`render_preview` and reads exactly what
    it reads; a viewer keeps the result and calls :func:`compose_preview` each
    time a channel's colour, contrast or visibility changes.

    Returns
    -------
    PreviewPlanes
        The planes with their default colours, automatic contrast and value range.

    Raises
    ------
    PreviewError
        The only exception: a stable ``code`` and a sentence saying why there is no picture.
    """
    checked = _checked_size(size)
    text = str(path)
    try:
        fmt, view = _view(text, size=checked, series=int(series), z=z, t=t,
                          channels=None if channels is None else [int(c) for c in channels],
                          max_plane_bytes=max_plane_bytes, cancel=cancel, info=info)
        if view.rgb is not None:
            return PreviewPlanes(view=view, format=fmt)
        return PreviewPlanes(
            view=view,
            format=fmt,
            colours=tuple(channel_colours(len(view.planes), view.channel_colours)),
            auto_contrast=tuple(auto_contrast(plane) for plane in view.planes),
            value_range=tuple(value_range(plane) for plane in view.planes),
        )
    except ImageReadError as error:
        raise _as_preview_error(error) from None
    except Exception as error:  # hostile input can make any decoder raise anything
        log.info("preview of %s failed: %r", text, error)
        fmt_name = Path(text).suffix.lstrip(".").upper() or "image"
        issue = issue_from_exception(error, fmt_name)
        raise PreviewError(issue.code, issue.message) from None


def render_preview(
    path: str | os.PathLike[str],
    size: int = 512,
    series: int = 0,
    z: int | None = None,
    t: int | None = None,
    channels: Sequence[int] | None = None,
    *,
    max_plane_bytes: int = MAX_PLANE_BYTES,
    cancel: CancelCheck | None = None,
    info: ImageInfo | None = None,
) -> PreviewImage:
    """Render a picture of one image file, reading only what the picture needs.

    Parameters
    ----------
    path : str or os.PathLike
        TIFF/OME-TIFF, MRC/MRCS, PNG, JPEG file or OME-Zarr folder.
    size : int
        The longer side of the picture, at most (images are never enlarged).
    series : int
        Which image of a multi-image file.
    z : int, optional
        Z plane (MRC: section or stack frame); default the central plane.
    t : int, optional
        Time point; default the first.
    channels : sequence of int, optional
        Channels to composite; default all (at most :data:`MAX_CHANNELS`).
    max_plane_bytes : int
        Largest plane decoded in one piece; larger planes are subsampled while reading.
    cancel : callable, optional
        Polled between reads; when it returns True the call stops with code ``cancelled``.
    info : ImageInfo, optional
        The file's probe, if the caller has it: its channel names and colours
        are used instead of parsing the metadata again.

    Returns
    -------
    PreviewImage
        RGB uint8 pixels plus what was shown (level, z, t, channel colours and contrast).

    Raises
    ------
    PreviewError
        The only exception: a stable ``code`` and a sentence saying why there is no picture.
    """
    planes = read_preview_planes(path, size, series, z, t, channels, max_plane_bytes=max_plane_bytes,
                                 cancel=cancel, info=info)
    return compose_preview(planes)


def compose_preview(planes: PreviewPlanes, settings: Sequence[ChannelSetting | None] | None = None) -> PreviewImage:
    """Composite planes read by :func:`read_preview_planes` with per-channel display settings.

    Parameters
    ----------
    planes : PreviewPlanes
        What :func:`read_preview_planes` returned.
    settings : sequence of ChannelSetting or None, optional
        One per plane, in the order of ``planes.view.channel_indices`` (missing
        or ``None`` entries: shown, default colour, automatic contrast). Ignored
        for RGB pictures, which are shown as stored.

    Returns
    -------
    PreviewImage
        The picture; ``channels`` lists the channels drawn (hidden ones are left
        out). With every channel hidden the picture is black.
    """
    view = planes.view
    if view.rgb is not None:
        pixels = np.ascontiguousarray(view.rgb[..., :3], dtype=np.uint8)
        displays: tuple[ChannelDisplay, ...] = ()
    else:
        chosen: list[ChannelSetting | None] = list(settings or [])
        chosen += [None] * (len(view.planes) - len(chosen))
        drawn: list[tuple[int, np.ndarray, tuple[int, int, int], tuple[float, float]]] = []
        for position, plane in enumerate(view.planes):
            setting = chosen[position] or ChannelSetting()
            if not setting.visible:
                continue
            colour = setting.colour or planes.colours[position]
            limits = setting.contrast or planes.auto_contrast[position]
            drawn.append((position, plane, colour, limits))
        if drawn:
            pixels = composite([d[1] for d in drawn], [d[2] for d in drawn], [d[3] for d in drawn])
        else:
            height, width = view.planes[0].shape if view.planes else (1, 1)
            pixels = np.zeros((height, width, 3), dtype=np.uint8)
        displays = tuple(
            ChannelDisplay(index=view.channel_indices[p], name=view.channel_names[p], colour=colour, contrast=limits)
            for p, _plane, colour, limits in drawn
        )
    return PreviewImage(
        pixels=pixels,
        series=view.series,
        level=view.level,
        level_shape=view.level_shape,
        z=view.z,
        t=view.t,
        z_count=view.z_count,
        t_count=view.t_count,
        series_count=view.series_count,
        channels=displays,
        format=planes.format,
        notes=tuple(view.notes),
    )


def render_thumbnail(path: str | os.PathLike[str], *, cancel: CancelCheck | None = None) -> PreviewImage:
    """The table thumbnail: :func:`render_preview` at :data:`THUMBNAIL_SIZE` pixels."""
    return render_preview(path, THUMBNAIL_SIZE, cancel=cancel)


def save_png(preview: PreviewImage, path: str | os.PathLike[str]) -> Path:
    """Write a preview's pixels as a PNG file (with Pillow); returns the path written."""
    from PIL import Image

    out = Path(path)
    Image.fromarray(np.ascontiguousarray(preview.pixels, dtype=np.uint8), mode="RGB").save(out, format="PNG")
    return out
