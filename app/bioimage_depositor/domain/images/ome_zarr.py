"""OME-Zarr (OME-NGFF) folders: metadata from their JSON, pixels through zarr.

The probe reads only the NGFF JSON documents (``.zattrs``/``.zarray`` for
Zarr v2, ``zarr.json`` for v3), so it works, and stays cheap, even where the
optional ``zarr`` package is not installed; previews decode chunks and need
``zarr`` (the ``zarr`` extra), and say so when it is missing. The preview reads
the lowest pyramid level that still fills the view, one plane per channel.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from ..humanize import human_bytes
from .detect import MAX_ZARR_JSON_BYTES, zarr_attributes
from .errors import (
    CORRUPT,
    OUT_OF_RANGE,
    TOO_LARGE,
    UNSUPPORTED,
    ZARR_MISSING,
    CancelCheck,
    ImageIssue,
    ImageReadError,
    check_cancel,
)
from .model import OME_ZARR, ChannelInfo, ImageInfo, PixelSize, SeriesInfo
from .preview_types import PlaneView
from .render import reduce_to
from .units import to_micrometres

_AXIS_LETTERS = {"x": "X", "y": "Y", "z": "Z", "c": "C", "t": "T"}
_DEFAULT_AXES = ["t", "c", "z", "y", "x"]  # NGFF 0.1/0.2 had no axes metadata
ZARR_EXTRA_HINT = "install the program's 'zarr' extra (pip install 'bioimage-depositor[zarr]')"


def zarr_available() -> bool:
    """Whether the optional ``zarr`` package can be imported."""
    try:
        import zarr  # noqa: F401
    except Exception:
        return False
    return True


def _load(path: Path) -> Any:
    with path.open("rb") as handle:
        data = handle.read(MAX_ZARR_JSON_BYTES + 1)
    if len(data) > MAX_ZARR_JSON_BYTES:
        raise ImageReadError(TOO_LARGE, f"The Zarr metadata file {path.name} is larger than "
                             f"{human_bytes(MAX_ZARR_JSON_BYTES)}.")
    try:
        return json.loads(data)
    except ValueError as error:
        raise ImageReadError(CORRUPT, f"The Zarr metadata file {path.name} is not valid JSON ({error}).") from error


def _array_meta(folder: Path) -> tuple[list[int], str]:
    """Shape and dtype name of the Zarr array in ``folder``."""
    if (folder / "zarr.json").is_file():
        doc = _load(folder / "zarr.json")
        shape, dtype = doc.get("shape"), doc.get("data_type")
    elif (folder / ".zarray").is_file():
        doc = _load(folder / ".zarray")
        shape, dtype = doc.get("shape"), doc.get("dtype")
    else:
        raise ImageReadError(CORRUPT, f"The OME-Zarr level '{folder.name}' has no array metadata; the folder is "
                             "incomplete.")
    if not isinstance(shape, list) or not all(isinstance(n, int) and n >= 0 for n in shape):
        raise ImageReadError(CORRUPT, f"The OME-Zarr level '{folder.name}' has an invalid shape.")
    try:
        name = str(np.dtype(dtype)) if isinstance(dtype, str) else str(dtype)
    except TypeError:
        name = str(dtype)
    return shape, name


def _axes(multiscale: dict[str, Any], ndim: int) -> list[str]:
    raw = multiscale.get("axes")
    if raw is None:
        names = _DEFAULT_AXES[-ndim:]
    else:
        names = [str(a.get("name", "?")) if isinstance(a, dict) else str(a) for a in raw]
    letters = [_AXIS_LETTERS.get(n.lower(), "Q") for n in names]
    if len(letters) != ndim:
        raise ImageReadError(CORRUPT, "The OME-Zarr axes do not match the array's dimensions.")
    return letters


def _units(multiscale: dict[str, Any]) -> dict[str, str]:
    units = {}
    for axis in multiscale.get("axes") or []:
        if isinstance(axis, dict) and axis.get("unit"):
            units[_AXIS_LETTERS.get(str(axis.get("name", "")).lower(), "Q")] = str(axis["unit"])
    return units


def _scale(transforms: Any, ndim: int) -> list[float] | None:
    for transform in transforms or []:
        if isinstance(transform, dict) and transform.get("type") == "scale":
            scale = transform.get("scale")
            if isinstance(scale, list) and len(scale) == ndim:
                try:
                    return [float(v) for v in scale]
                except (TypeError, ValueError):
                    return None
    return None


def _colour(hex_text: object) -> tuple[int, int, int] | None:
    if not isinstance(hex_text, str) or len(hex_text) not in (6, 8):
        return None
    try:
        value = int(hex_text[:6], 16)
    except ValueError:
        return None
    return (value >> 16) & 255, (value >> 8) & 255, value & 255


def _image_groups(root: Path) -> list[tuple[Path, dict[str, Any]]]:
    found = zarr_attributes(root)
    if found is None:
        raise ImageReadError(CORRUPT, "The OME-Zarr folder has no metadata.")
    attrs, _version = found
    if "multiscales" in attrs:
        return [(root, attrs)]
    if "plate" in attrs:
        raise ImageReadError(UNSUPPORTED, "This OME-Zarr is a high-content-screening plate; open one of its fields "
                             "(row/column/field folder) to preview it.")
    if "bioformats2raw.layout" in attrs:
        groups = []
        for child in sorted((p for p in root.iterdir() if p.is_dir() and p.name.isdigit()), key=lambda p: int(p.name)):
            child_attrs = zarr_attributes(child)
            if child_attrs and "multiscales" in child_attrs[0]:
                groups.append((child, child_attrs[0]))
        if groups:
            return groups
    raise ImageReadError(CORRUPT, "The OME-Zarr folder has no multiscale image.")


def _series_info(index: int, folder: Path, attrs: dict[str, Any]) -> tuple[SeriesInfo, list[str]]:
    multiscales = attrs.get("multiscales")
    if not isinstance(multiscales, list) or not multiscales or not isinstance(multiscales[0], dict):
        raise ImageReadError(CORRUPT, "The OME-Zarr multiscales metadata is malformed.")
    multiscale = multiscales[0]
    datasets = multiscale.get("datasets") or []
    if not datasets or not all(isinstance(d, dict) and isinstance(d.get("path"), str) for d in datasets):
        raise ImageReadError(CORRUPT, "The OME-Zarr multiscales metadata lists no datasets.")
    levels, dtype = [], ""
    axes: list[str] = []
    for i, dataset in enumerate(datasets):
        level_path = (folder / dataset["path"]).resolve()
        if folder.resolve() not in level_path.parents:
            raise ImageReadError(CORRUPT, "An OME-Zarr dataset path points outside the image folder.")
        shape, level_dtype = _array_meta(level_path)
        if i == 0:
            axes, dtype = _axes(multiscale, len(shape)), level_dtype
        if len(shape) != len(axes):
            raise ImageReadError(CORRUPT, "The OME-Zarr levels have different numbers of dimensions.")
        levels.append(dict(zip(axes, shape, strict=True)))
    ndim = len(axes)
    scale = _scale(datasets[0].get("coordinateTransformations"), ndim) or [1.0] * ndim
    global_scale = _scale(multiscale.get("coordinateTransformations"), ndim) or [1.0] * ndim
    units = _units(multiscale)
    values = {}
    for axis in "XYZ":
        if axis in axes and axis in units:
            i = axes.index(axis)
            values[axis] = to_micrometres(scale[i] * global_scale[i], units[axis])
    pixel_size = PixelSize(x=values.get("X"), y=values.get("Y"), z=values.get("Z"), source="OME-Zarr")
    channels = []
    omero = attrs.get("omero")
    if isinstance(omero, dict) and isinstance(omero.get("channels"), list):
        for channel in omero["channels"]:
            if isinstance(channel, dict):
                label = channel.get("label")
                channels.append(ChannelInfo(name=str(label) if label else None, colour=_colour(channel.get("color"))))
    info = SeriesInfo(
        index=index, name=str(multiscale.get("name") or ""), shape=levels[0], dtype=dtype, levels=tuple(levels),
        pixel_size=pixel_size if pixel_size.known else None, channels=tuple(channels),
    )
    return info, [str(d["path"]) for d in datasets]


def probe_ome_zarr(path: str, detail: str, notes: tuple[ImageIssue, ...]) -> ImageInfo:
    """Probe an OME-Zarr folder from its JSON metadata."""
    root = Path(path)
    series = tuple(_series_info(i, folder, attrs)[0] for i, (folder, attrs) in enumerate(_image_groups(root)))
    if not zarr_available():
        notes = (*notes, ImageIssue(ZARR_MISSING, f"Previews of OME-Zarr need the zarr package: {ZARR_EXTRA_HINT}."))
    return ImageInfo(path=path, format=OME_ZARR, format_detail=detail, series=series, notes=notes)


def view_ome_zarr(
    path: str,
    *,
    size: int,
    series: int,
    z: int | None,
    t: int | None,
    channels: list[int] | None,
    max_plane_bytes: int,
    max_channels: int,
    cancel: CancelCheck | None,
) -> PlaneView:
    """Read one view of an OME-Zarr image through zarr, lowest suitable level, one plane per channel."""
    try:
        import zarr
    except Exception as error:
        raise ImageReadError(ZARR_MISSING, f"Previews of OME-Zarr need the zarr package: {ZARR_EXTRA_HINT}.") \
            from error
    groups = _image_groups(Path(path))
    if not -len(groups) <= series < len(groups):
        raise ImageReadError(OUT_OF_RANGE, f"Series {series} does not exist; this image has {len(groups)}.")
    series %= len(groups)
    folder, attrs = groups[series]
    info, paths = _series_info(series, folder, attrs)
    chosen = 0
    for index, level in enumerate(info.levels):
        if max(level.get("Y", 1), level.get("X", 1)) >= size:
            chosen = index
    level = info.levels[chosen]
    axes = list(level)
    view = PlaneView(series=series, series_count=len(groups), level=chosen, level_shape=dict(level))

    def pick(value: int | None, axis: str, default: int, what: str) -> int:
        count = level[axis]
        if value is None:
            return default
        if not -count <= value < count:
            raise ImageReadError(OUT_OF_RANGE, f"{what} {value} does not exist; this image has {count}.")
        return value % count

    selection: dict[str, Any] = {}
    for axis in axes:
        if axis == "Z":
            selection[axis] = view.z = pick(z, "Z", level["Z"] // 2, "Z plane")
            view.z_count = level["Z"]
        elif axis == "T":
            selection[axis] = view.t = pick(t, "T", 0, "Time point")
            view.t_count = level["T"]
        elif axis not in "YXC":
            selection[axis] = 0
    height, width = level.get("Y", 1), level.get("X", 1)
    itemsize = np.dtype(info.dtype).itemsize if info.dtype else 8
    step = 1
    if height * width * itemsize > max_plane_bytes:
        step = max(1, max(height, width) // size)
        view.notes.append(f"Read every {step}th pixel of a large plane.")
        if math.ceil(height / step) * math.ceil(width / step) * itemsize > max_plane_bytes:
            raise ImageReadError(TOO_LARGE, "The OME-Zarr plane is too large to preview.")
    selection["Y"] = selection["X"] = slice(None, None, step)
    c_count = level.get("C", 1)
    wanted = list(range(min(c_count, max_channels))) if channels is None else [
        pick(c, "C", 0, "Channel") if "C" in level else 0 for c in channels
    ]
    if channels is None and c_count > max_channels:
        view.notes.append(f"Showing the first {max_channels} of {c_count} channels.")
    array = zarr.open_array(store=str(folder / paths[chosen]), mode="r")
    for channel in wanted:
        check_cancel(cancel)
        if "C" in level:
            selection["C"] = channel
        plane = np.asarray(array[tuple(selection[a] for a in axes)])
        while plane.ndim > 2:
            plane = plane[0]
        view.planes.append(reduce_to(plane, size))
        view.channel_indices.append(channel)
        stated = info.channels[channel] if channel < len(info.channels) else None
        view.channel_names.append(stated.name if stated else None)
        view.channel_colours.append(stated.colour if stated else None)
    return view
