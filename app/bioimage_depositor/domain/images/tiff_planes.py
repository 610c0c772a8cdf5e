"""Read just the planes a TIFF preview needs, at the pyramid level that suits the view.

A series is a stack of pages; each page is one plane (``YX``, with samples
``S`` for RGB). We pick the smallest pyramid level whose longer side still
fills the view, map the requested Z/T/channels to page indices of that level
and decode those pages only (``TiffPage.asarray``), never the series. A page
larger than the plane budget is decoded one strip or tile at a time and
subsampled on the fly, so memory stays bounded even for a non-pyramidal
100k × 100k slide; each plane is reduced to preview size before the next is read.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..humanize import human_bytes
from .detect import Detection
from .errors import CORRUPT, OUT_OF_RANGE, TOO_LARGE, TRUNCATED, CancelCheck, ImageReadError, check_cancel
from .model import ChannelInfo
from .ome_xml import read_ome_metadata
from .preview_types import PlaneView
from .render import reduce_to, rgb_fit
from .tiff import _match_ome, check_page_data, check_series, open_tiff

#: Most channels composited at once; the rest can be chosen with ``channels=``.
MAX_COMPOSITE_CHANNELS = 6

_SPATIAL_PAGE_AXES = frozenset("YXS")


def choose_level(levels: list[Any], size: int) -> int:
    """Index of the smallest level whose longer side is at least ``size`` (else the largest level)."""
    chosen = 0
    for index, level in enumerate(levels):
        sizes = level.sizes
        longest = max(int(sizes.get("Y", 1)), int(sizes.get("X", 1)))
        if longest >= size:
            chosen = index
    return chosen


def _layout(level: Any) -> tuple[str, tuple[int, ...], str]:
    """(axes of the page index, their sizes, axes inside a page) of a series level."""
    keyframe = level.keyframe
    page_axes = str(keyframe.axes)
    page_shape = tuple(int(n) for n in keyframe.shape)
    axes = str(level.axes)
    shape = tuple(int(n) for n in level.shape)
    k = len(shape) - len(page_shape)
    planes = math.prod(shape[:k]) if k >= 0 else 0
    if k >= 0 and shape[k:] == page_shape and (planes == len(level) or level.is_truncated):
        return axes[:k], shape[:k], page_axes
    # Shapes that tifffile squeezed differently: treat the pages as one generic sequence.
    return "I", (len(level),), page_axes


def _pick(value: int | None, count: int, default: int, what: str) -> int:
    if value is None:
        return default
    if not -count <= value < count:
        raise ImageReadError(OUT_OF_RANGE, f"{what} {value} does not exist; this image has {count} ({what} 0–"
                             f"{count - 1}).")
    return value % count


def _read_page(page: Any, file_size: int, size: int, max_plane_bytes: int, cancel: CancelCheck | None) -> np.ndarray:
    """Decode one page, whole when it fits the budget, else strip-by-strip with striding."""
    check_page_data(page, file_size)
    keyframe = page.keyframe
    if int(keyframe.nbytes) <= max_plane_bytes:
        return np.asarray(page.asarray(maxworkers=1))
    return _read_page_strided(page, size, max_plane_bytes, cancel)


def _read_page_strided(page: Any, size: int, max_plane_bytes: int, cancel: CancelCheck | None) -> np.ndarray:
    keyframe = page.keyframe
    separate, depth, length, width, contig = (int(n) for n in keyframe.shaped)
    segment_bytes = math.prod(int(n) for n in keyframe.chunks) * keyframe.dtype.itemsize
    if depth != 1 or segment_bytes > max_plane_bytes:
        raise ImageReadError(
            TOO_LARGE,
            f"This image plane is {human_bytes(int(keyframe.nbytes))} and stored in pieces of "
            f"{human_bytes(segment_bytes)}; it has no smaller pyramid level to preview from.",
        )
    step = max(1, max(length, width) // max(1, size))
    out = np.zeros((separate, math.ceil(length / step), math.ceil(width / step), contig), dtype=keyframe.dtype)
    for segment, indices, _shape in page.segments(maxworkers=1):
        check_cancel(cancel)
        if segment is None:
            continue
        s, _d, y0, x0 = (int(i) for i in indices[:4])
        tile = segment[0]  # (rows, columns, contig samples)
        rows = min(tile.shape[0], length - y0)
        cols = min(tile.shape[1], width - x0)
        ry, rx = (-y0) % step, (-x0) % step
        if rows <= ry or cols <= rx:
            continue
        sub = tile[ry:rows:step, rx:cols:step]
        oy, ox = (y0 + ry) // step, (x0 + rx) // step
        out[s, oy : oy + sub.shape[0], ox : ox + sub.shape[1]] = sub
    # Back to the page's own axis order (tifffile's squeezed page shape).
    result = out
    if separate > 1:
        result = result[..., 0]  # (S, Y, X)
    elif contig > 1:
        result = result[0]  # (Y, X, S)
    else:
        result = result[0, :, :, 0]
    return result


def _read_contiguous_plane(tif: Any, level: Any, index: int, file_size: int, max_plane_bytes: int) -> np.ndarray:
    """Plane ``index`` of a truncated (single-IFD) contiguous series, read straight from its offset."""
    keyframe = level.keyframe
    plane_bytes = int(keyframe.nbytes)
    if plane_bytes > max_plane_bytes:
        raise ImageReadError(TOO_LARGE, f"This image plane is {human_bytes(plane_bytes)}, too large to preview.")
    offset = int(keyframe.dataoffsets[0]) + index * plane_bytes
    if offset + plane_bytes > file_size:
        raise ImageReadError(TRUNCATED, "The file ends before the plane to show; it is truncated.")
    dtype = np.dtype(tif.byteorder + keyframe.dtype.char)
    data = tif.filehandle.read_array(dtype, math.prod(keyframe.shape), offset)
    return np.asarray(data).reshape(keyframe.shape).astype(keyframe.dtype, copy=False)


def _split_samples(plane: np.ndarray, page_axes: str) -> list[np.ndarray]:
    """Split a page array into 2-D planes, one per sample (channel)."""
    if plane.ndim == 2:
        return [plane]
    if page_axes.endswith("S") and plane.ndim == 3:
        return [plane[..., i] for i in range(plane.shape[-1])]
    if page_axes.startswith("S") and plane.ndim == 3:
        return [plane[i] for i in range(plane.shape[0])]
    # A volumetric page (ZYX tiles): show its central slice.
    while plane.ndim > 2:
        plane = plane[plane.shape[0] // 2]
    return [plane]


def _stated_channels(tif: Any, series_list: list[Any], index: int, known: tuple[ChannelInfo, ...] | None
                     ) -> tuple[ChannelInfo, ...]:
    """Channel names and colours: from a probe the caller already has, else from the OME-XML."""
    if known is not None:
        return known
    if not tif.is_ome:
        return ()
    try:
        meta = read_ome_metadata(tif.pages.first.description)
    except ImageReadError:
        return ()
    matched = _match_ome(series_list, meta)[index]
    return matched.channels if matched is not None else ()


def _positions(view: PlaneView, index_axes: str, index_shape: tuple[int, ...], z: int | None, t: int | None
               ) -> dict[str, int]:
    """Index along every non-channel page axis: central Z (or ``z``), first T (or ``t``), 0 elsewhere."""
    z_axis = "Z" if "Z" in index_axes else next((a for a in index_axes if a in "IQ"), None)
    position: dict[str, int] = {}
    for axis, count in zip(index_axes, index_shape, strict=True):
        if axis == z_axis:
            position[axis] = _pick(z, count, count // 2, "Z plane")
            view.z, view.z_count = position[axis], count
        elif axis == "T":
            position[axis] = _pick(t, count, 0, "Time point")
            view.t, view.t_count = position[axis], count
        elif axis != "C":
            position[axis] = 0
    if z is not None and z_axis is None and z != 0:
        raise ImageReadError(OUT_OF_RANGE, f"Z plane {z} does not exist; this image has one plane.")
    if t is not None and "T" not in index_axes and t != 0:
        raise ImageReadError(OUT_OF_RANGE, f"Time point {t} does not exist; this image has one time point.")
    return position


def _is_rgb(keyframe: Any, page_axes: str) -> bool:
    """Whether pages hold display colours (8-bit RGB/YCbCr) to show as they are."""
    return (
        "S" in page_axes
        and int(keyframe.samplesperpixel) in (3, 4)
        and keyframe.dtype == np.uint8
        and int(keyframe.photometric) in (2, 6)  # RGB, YCbCr
    )


def _read_plane(tif: Any, level: Any, flat: int, file_size: int, size: int, max_plane_bytes: int,
                cancel: CancelCheck | None) -> np.ndarray:
    """Decode page ``flat`` of a level, whichever way its planes are stored."""
    if level.is_truncated:  # planes stored one after another behind a single IFD
        return _read_contiguous_plane(tif, level, flat, file_size, max_plane_bytes)
    page = level[flat]
    if page is None:
        raise ImageReadError(TRUNCATED, "The plane to show is missing from the file (a page of the series is absent; "
                             "for a multi-file OME-TIFF, keep all its files together).")
    return _read_page(page, file_size, size, max_plane_bytes, cancel)


def view_tiff(
    path: str,
    detection: Detection,
    *,
    size: int,
    series: int,
    z: int | None,
    t: int | None,
    channels: list[int] | None,
    max_plane_bytes: int,
    cancel: CancelCheck | None,
    known_channels: tuple[ChannelInfo, ...] | None = None,
) -> PlaneView:
    """Read the planes of one TIFF view (series, level, z, t, channels) and reduce them to ``size``.

    ``known_channels`` (from an earlier probe) saves parsing the OME-XML again.
    """
    file_size = int(detection.size_bytes or 0)
    with open_tiff(path, detection) as (tif, series_list, _notes):
        if not series_list:
            raise ImageReadError(CORRUPT, "The TIFF file contains no image.")
        series = _pick(series, len(series_list), 0, "Series")
        chosen = series_list[series]
        check_series(chosen, file_size)  # same verdict as the probe: a damaged series is not shown in part
        level_index = choose_level(list(chosen.levels), size)
        level = chosen.levels[level_index]
        check_cancel(cancel)
        index_axes, index_shape, page_axes = _layout(level)
        view = PlaneView(series=series, series_count=len(series_list), level=level_index,
                         level_shape={str(k): int(v) for k, v in level.sizes.items()})
        position = _positions(view, index_axes, index_shape, z, t)

        keyframe = level.keyframe
        is_rgb = _is_rgb(keyframe, page_axes)
        c_count = index_shape[index_axes.index("C")] if "C" in index_axes else None
        sample_count = int(keyframe.samplesperpixel) if "S" in page_axes and not is_rgb else 1
        total_channels = (c_count or 1) * sample_count
        if channels is None:
            wanted = list(range(min(total_channels, MAX_COMPOSITE_CHANNELS)))
            if total_channels > MAX_COMPOSITE_CHANNELS:
                view.notes.append(f"Showing the first {MAX_COMPOSITE_CHANNELS} of {total_channels} channels.")
        else:
            wanted = [_pick(c, total_channels, 0, "Channel") for c in channels]
            if not wanted:
                raise ImageReadError(OUT_OF_RANGE, "No channel was chosen to show.")

        stated_channels = _stated_channels(tif, series_list, series, known_channels)
        pages_needed: dict[int, list[int]] = {}  # page index → wanted sample indices
        for channel in wanted:
            c_index, sample = divmod(channel, sample_count)
            if c_count is not None:
                position["C"] = c_index
            flat = int(np.ravel_multi_index([position[a] for a in index_axes], index_shape)) if index_axes else 0
            pages_needed.setdefault(flat, []).append(sample)
            view.channel_indices.append(channel)
            stated = stated_channels[channel] if channel < len(stated_channels) else None
            view.channel_names.append(stated.name if stated else None)
            view.channel_colours.append(stated.colour if stated else None)

        planes_by_channel: dict[int, np.ndarray] = {}
        for flat, samples in pages_needed.items():
            check_cancel(cancel)
            plane = _read_plane(tif, level, flat, file_size, size, max_plane_bytes, cancel)
            if is_rgb:
                rgb = plane if plane.ndim == 3 and plane.shape[-1] in (3, 4) else np.moveaxis(plane, 0, -1)
                view.rgb = rgb_fit(rgb[..., :3], size)
                view.channel_indices, view.channel_names, view.channel_colours = [], [], []
                return view
            parts = _split_samples(plane, page_axes)
            del plane  # only the reduced planes are kept while the next page is read
            for sample in samples:
                channel = _channel_of(flat, sample, index_axes, index_shape, sample_count)
                planes_by_channel[channel] = reduce_to(parts[sample], size)
            del parts
        view.planes = [planes_by_channel[c] for c in view.channel_indices]
        return view


def _channel_of(flat: int, sample: int, axes: str, shape: tuple[int, ...], sample_count: int) -> int:
    if "C" not in axes:
        return sample
    coords = np.unravel_index(flat, shape)
    return int(coords[axes.index("C")]) * sample_count + sample


__all__ = ["MAX_COMPOSITE_CHANNELS", "choose_level", "view_tiff"]
