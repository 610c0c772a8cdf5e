"""PNG and JPEG through Pillow: header-only probes and size-bounded previews.

Pillow decodes a whole image on ``load()``, so the preview first asks JPEG for
a reduced decode (``draft``: DCT scaling by up to 1/8 per side) and refuses to
decode anything whose decoded size would exceed the plane budget. Pillow's
own decompression-bomb limit is raised to a microscopy-sized value once at
import (a plain integer assignment, safe across threads) and its
:class:`~PIL.Image.DecompressionBombError` becomes a ``too_large`` error.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..humanize import human_bytes
from .errors import TOO_LARGE, TRUNCATED, ImageIssue, ImageReadError
from .model import JPEG, ImageInfo, InstrumentInfo, PixelSize, SeriesInfo
from .preview_types import PlaneView
from .render import reduce_to, rgb_fit

#: Pillow refuses images with more than twice this many pixels (and warns above it).
RASTER_MAX_PIXELS = 1 << 30
if Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS < RASTER_MAX_PIXELS:
    Image.MAX_IMAGE_PIXELS = RASTER_MAX_PIXELS

_MODE_DTYPE = {
    "1": ("bool", 1), "L": ("uint8", 1), "P": ("uint8", 1), "LA": ("uint8", 2), "PA": ("uint8", 2),
    "RGB": ("uint8", 3), "RGBA": ("uint8", 4), "RGBX": ("uint8", 4), "CMYK": ("uint8", 4), "YCbCr": ("uint8", 3),
    "I;16": ("uint16", 1), "I;16B": ("uint16", 1), "I;16L": ("uint16", 1), "I": ("int32", 1), "F": ("float32", 1),
}
_EXIF_DATETIME_ORIGINAL = 36867
_EXIF_DATETIME = 306
_EXIF_IFD = 0x8769


def _open(path: str) -> Image.Image:
    try:
        return Image.open(path)
    except Image.DecompressionBombError as error:
        raise ImageReadError(TOO_LARGE, f"The image is too large to open safely ({error}).") from error
    except UnidentifiedImageError as error:
        raise ImageReadError(TRUNCATED, "The image header cannot be read; the file is damaged or truncated.") \
            from error


def _check_complete(path: str, fmt: str) -> None:
    """Reject truncated files without decoding pixels."""
    with Path(path).open("rb") as handle:
        size = handle.seek(0, 2)
        handle.seek(max(0, size - 4096))
        tail = handle.read()
    end_marker = b"\xff\xd9" if fmt == JPEG else b"IEND\xaeB`\x82"
    if end_marker not in tail:
        raise ImageReadError(TRUNCATED, f"The {fmt} file has no end marker; it is truncated or damaged.")
    if fmt != JPEG:
        try:
            with Image.open(path) as fresh:
                fresh.verify()  # walks the chunks and checks their CRCs; decodes nothing
        except Exception as error:
            text = str(error) or type(error).__name__
            raise ImageReadError(TRUNCATED, f"The PNG file is damaged or truncated ({text[:120]}).") from error


def _date(image: Image.Image) -> str | None:
    try:
        exif = image.getexif()
        value = exif.get_ifd(_EXIF_IFD).get(_EXIF_DATETIME_ORIGINAL) or exif.get(_EXIF_DATETIME)
    except Exception:
        return None
    if not isinstance(value, str):
        return None
    try:
        return dt.datetime.strptime(value.strip()[:19], "%Y:%m:%d %H:%M:%S").isoformat()
    except ValueError:
        return None


def _pixel_size(image: Image.Image) -> PixelSize | None:
    dpi = image.info.get("dpi")
    try:
        x_dpi, y_dpi = float(dpi[0]), float(dpi[1])  # type: ignore[index]
    except (TypeError, ValueError, IndexError):
        return None
    if x_dpi <= 0 or y_dpi <= 0:
        return None
    x, y = 25400.0 / x_dpi, 25400.0 / y_dpi
    if x > 50 or y > 50:  # 72/96/300 dpi: a screen or print resolution, not a physical pixel size
        return None
    return PixelSize(x=float(f"{x:.6g}"), y=float(f"{y:.6g}"), source="image resolution")


def _instrument(image: Image.Image) -> InstrumentInfo | None:
    try:
        exif = image.getexif()
    except Exception:
        return None
    make, model = exif.get(271), exif.get(272)
    camera = " ".join(str(v).strip() for v in (make, model) if isinstance(v, str) and v.strip())
    return InstrumentInfo(detector=camera) if camera else None


def probe_raster(path: str, fmt: str, size: int, notes: tuple[ImageIssue, ...]) -> ImageInfo:
    """Probe a PNG or JPEG file from its header (plus a completeness check)."""
    with _open(path) as image:
        width, height = image.size
        if width <= 0 or height <= 0:
            raise ImageReadError(TRUNCATED, "The image header gives no size; the file is damaged.")
        dtype, samples = _MODE_DTYPE.get(image.mode, ("uint8", len(image.getbands())))
        date, pixel_size, instrument = _date(image), _pixel_size(image), _instrument(image)
        frames = int(getattr(image, "n_frames", 1) or 1)
    _check_complete(path, fmt)
    shape: dict[str, int] = {"Y": height, "X": width}
    if frames > 1:
        shape = {"T": frames, **shape}
    if samples > 1:
        shape["S"] = samples
    series = SeriesInfo(
        index=0, shape=shape, dtype=dtype, levels=(shape,), pixel_size=pixel_size, instrument=instrument,
        acquisition_date=date, compression="jpeg" if fmt == JPEG else "deflate",
    )
    return ImageInfo(path=path, format=fmt, size_bytes=size, series=(series,), notes=notes)


def view_raster(path: str, fmt: str, *, size: int, max_plane_bytes: int) -> PlaneView:
    """Decode a PNG/JPEG at reduced size where possible and return it ready to composite."""
    _check_complete(path, fmt)  # the same verdict as the probe, before any decoding
    with _open(path) as image:
        full = image.size
        if fmt == JPEG:
            image.draft("RGB" if image.mode not in ("L", "I;16") else image.mode, (size, size))
        dtype, samples = _MODE_DTYPE.get(image.mode, ("uint8", len(image.getbands())))
        decoded = image.size[0] * image.size[1] * max(1, samples) * np.dtype(dtype).itemsize
        if decoded > max_plane_bytes:
            raise ImageReadError(
                TOO_LARGE,
                f"Decoding this {full[0]} × {full[1]} {fmt} needs {human_bytes(decoded)}, more than the preview "
                f"budget of {human_bytes(max_plane_bytes)}.",
            )
        try:
            image.load()
        except OSError as error:
            raise ImageReadError(TRUNCATED, f"The {fmt} file is truncated or damaged ({error}).") from error
        view = PlaneView(level_shape={"Y": full[1], "X": full[0]})
        if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
            plane = np.asarray(image)
            view.planes = [reduce_to(plane, size)]
            view.channel_indices, view.channel_names, view.channel_colours = [0], [None], [None]
        else:  # 8-bit grey, palette and colour images are shown as stored
            view.rgb = rgb_fit(np.asarray(image.convert("RGB")), size)
    if fmt == JPEG and image.size != full:
        view.notes.append(f"Decoded at reduced resolution {image.size[0]} × {image.size[1]}.")
    return view
