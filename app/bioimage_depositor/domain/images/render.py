"""Pixel maths for previews: reduce, auto-contrast, colour and composite.

Pure numpy (plus Pillow for the final resample), no file access, so every
format's reader can hand its planes here and get the same look. Planes are
reduced to about the preview size *before* anything else touches them, so the
float work is done on at most a few hundred thousand pixels whatever the file.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

#: Colours for channels whose file states none: distinct on black, and kind to colour-blind viewers first.
DEFAULT_PALETTE: tuple[tuple[int, int, int], ...] = (
    (0, 255, 0),  # green
    (255, 0, 255),  # magenta
    (0, 255, 255),  # cyan
    (255, 0, 0),  # red
    (0, 0, 255),  # blue
    (255, 255, 0),  # yellow
    (255, 128, 0),  # orange
    (255, 255, 255),  # white
)
GREY = (255, 255, 255)

#: Percentiles of the auto-contrast window.
LOW_PERCENTILE = 0.1
HIGH_PERCENTILE = 99.9
#: Pixels sampled for the percentiles (evenly strided).
CONTRAST_SAMPLES = 262_144


def fit_shape(height: int, width: int, size: int) -> tuple[int, int]:
    """Shape that fits in ``size`` × ``size`` keeping the aspect ratio; never enlarges."""
    longest = max(height, width)
    if longest <= size:
        return height, width
    scale = size / longest
    return max(1, round(height * scale)), max(1, round(width * scale))


def reduction_factor(height: int, width: int, size: int) -> int:
    """Integer block size that brings the longer side down to at least ``size``."""
    return max(1, max(height, width) // max(1, size))


def block_reduce(plane: np.ndarray, factor: int) -> np.ndarray:
    """Mean over ``factor`` × ``factor`` blocks, as float32, in bands to bound memory.

    Edge rows/columns that do not fill a whole block are dropped (at most
    ``factor - 1`` pixels, invisible at preview size). Non-finite values count
    as 0 so one NaN does not blank a block; complex values show their magnitude.
    """
    if plane.ndim != 2:
        raise ValueError("block_reduce expects a 2-D plane")
    if plane.dtype.kind == "c":
        plane = np.abs(plane)
    if factor <= 1:
        out = plane.astype(np.float32, copy=True)
        if out.dtype.kind == "f":
            np.nan_to_num(out, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
        return out
    height = (plane.shape[0] // factor) * factor
    width = (plane.shape[1] // factor) * factor
    if height == 0 or width == 0:
        return block_reduce(plane[:: max(1, factor), :: max(1, factor)], 1)
    # Sum the factor² strided sub-grids into a small float32 array: only the output is allocated, and this is
    # several times faster than a reshape-and-mean over two axes.
    out = np.zeros((height // factor, width // factor), dtype=np.float32)
    floating = plane.dtype.kind == "f"
    for i in range(factor):
        for j in range(factor):
            part = plane[i:height:factor, j:width:factor]
            if floating:
                part = np.nan_to_num(part.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)
            out += part
    out *= 1.0 / (factor * factor)
    return out


def resize(plane: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Resample a float32 plane to ``shape`` (height, width) with Pillow's bilinear filter."""
    if plane.shape == shape:
        return plane
    from PIL import Image

    image = Image.fromarray(np.ascontiguousarray(plane, dtype=np.float32), mode="F")
    return np.asarray(image.resize((shape[1], shape[0]), Image.Resampling.BILINEAR), dtype=np.float32)


def reduce_to(plane: np.ndarray, size: int) -> np.ndarray:
    """Reduce a full plane so its longer side is at most ``size`` (float32)."""
    factor = reduction_factor(plane.shape[0], plane.shape[1], size)
    reduced = block_reduce(plane, factor)
    return resize(reduced, fit_shape(reduced.shape[0], reduced.shape[1], size))


def auto_contrast(plane: np.ndarray, low: float = LOW_PERCENTILE, high: float = HIGH_PERCENTILE) -> tuple[float, float]:
    """Contrast limits from the ``low``–``high`` percentiles of a subsample of finite pixels."""
    flat = plane.reshape(-1)
    if flat.size > CONTRAST_SAMPLES:
        flat = flat[:: math.ceil(flat.size / CONTRAST_SAMPLES)]
    flat = flat[np.isfinite(flat)]
    if flat.size == 0:
        return 0.0, 1.0
    lo, hi = np.percentile(flat, [low, high])
    lo, hi = float(lo), float(hi)
    if not hi > lo:
        # Flat image: centre the single value so it shows mid-grey rather than black.
        return lo - 0.5, lo + 0.5
    return lo, hi


def composite(
    planes: Sequence[np.ndarray],
    colours: Sequence[tuple[int, int, int]],
    limits: Sequence[tuple[float, float]],
) -> np.ndarray:
    """Additive colour composite of contrast-stretched planes as an RGB uint8 image."""
    if not planes:
        raise ValueError("no planes to composite")
    height, width = planes[0].shape
    out = np.zeros((height, width, 3), dtype=np.float32)
    for plane, colour, (lo, hi) in zip(planes, colours, limits, strict=True):
        span = float(hi) - float(lo)
        scale = 1.0 / span if span > 0 and np.isfinite(span) else 0.0
        with np.errstate(over="ignore", invalid="ignore"):  # extreme float data saturates, as it should
            norm = (plane.astype(np.float64) - float(lo)) * scale
        norm = np.clip(np.nan_to_num(norm, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0).astype(np.float32)
        out += norm[..., None] * (np.asarray(colour, dtype=np.float32) / 255.0)
    np.clip(out, 0.0, 1.0, out=out)
    return np.round(out * 255.0).astype(np.uint8)


def channel_colours(
    count: int, stated: Sequence[tuple[int, int, int] | None] | None = None
) -> list[tuple[int, int, int]]:
    """Display colours: the file's own where it states distinct ones, else grey (one channel) or the palette."""
    stated = list(stated or [])
    stated += [None] * (count - len(stated))
    usable = [c for c in stated[:count] if c is not None and c != (0, 0, 0)]
    distinct = len(set(usable)) == len(usable) == count
    if count == 1:
        colour = stated[0]
        return [colour if colour is not None and colour != (0, 0, 0) else GREY]
    if distinct:
        return [c for c in stated[:count] if c is not None]
    return [DEFAULT_PALETTE[i % len(DEFAULT_PALETTE)] for i in range(count)]


def rgb_fit(rgb: np.ndarray, size: int) -> np.ndarray:
    """Resize an RGB uint8 image to fit ``size`` with Pillow's area filter."""
    shape = fit_shape(rgb.shape[0], rgb.shape[1], size)
    if shape == rgb.shape[:2]:
        return np.ascontiguousarray(rgb, dtype=np.uint8)
    from PIL import Image

    image = Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8), mode="RGB")
    image.thumbnail((size, size), Image.Resampling.BOX)
    return np.asarray(image.convert("RGB"), dtype=np.uint8)


def value_range(plane: np.ndarray) -> tuple[float, float]:
    """(minimum, maximum) of the finite values of a plane, the bounds a manual contrast window can take."""
    flat = plane.reshape(-1)
    finite = flat[np.isfinite(flat)] if flat.dtype.kind == "f" else flat
    if finite.size == 0:
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    return (lo, hi) if hi > lo else (lo - 0.5, lo + 0.5)
