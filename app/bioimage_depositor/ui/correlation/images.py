"""Previews of the two images landmarks are clicked on, read in the background and kept as pixmaps.

Reading and decoding a file (and probing its pixel size) runs in a worker through the
domain's :func:`~...domain.images.probe` and :func:`~...domain.images.render_preview`; only
the conversion of the finished RGB array into a :class:`QPixmap` happens on the UI thread, once
per file. The pixmaps are cached by path, so switching images or dragging landmarks never
decodes anything again, and the overlay paints from the same pixmaps.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import shiboken6
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage, QPixmap

from ...domain.images import ImageInfo, PixelSize, PreviewError, PreviewImage, probe, render_preview
from ..background import run_in_background

#: Longer side of a landmark preview, in pixels: fine enough to click on, small enough to paint fast.
PREVIEW_SIZE = 768


class ImageUnavailableError(Exception):
    """A file that cannot be shown; ``message`` says why, in a sentence."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, eq=False)
class DecodedImage:
    """What a worker hands back: the preview's pixels and the facts of the full-resolution image."""

    source: str
    preview: PreviewImage
    width: int  # full-resolution size, pixels
    height: int
    pixel_size: PixelSize | None  # micrometres, as the file states it
    overlay: np.ndarray  # (height, width, 4) premultiplied RGBA for drawing over another image (overlay_rgba)


#: Colour a single-channel (grey) image takes in the overlay, so it stands out from a grey EM image.
OVERLAY_TINT = (255, 0, 255)


def overlay_rgba(pixels: np.ndarray) -> np.ndarray:
    """The preview as premultiplied RGBA whose opacity is its brightness.

    Dark parts of a fluorescence image (the background) become transparent and bright parts
    opaque, so drawn over the reference image the features show in colour while the reference
    stays visible around them. A grey image is tinted with :data:`OVERLAY_TINT`; a colour
    composite keeps its channel colours.
    """
    rgb = np.asarray(pixels, dtype=np.uint8)[..., :3]
    alpha = rgb.max(axis=2)
    if np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2]):
        tint = np.asarray(OVERLAY_TINT, dtype=np.uint16)
        colour = (alpha[..., None].astype(np.uint16) * tint // 255).astype(np.uint8)
    else:
        colour = rgb  # already <= alpha per pixel, so valid premultiplied values
    return np.ascontiguousarray(np.dstack([colour, alpha]))


def decode_image(source: str, size: int = PREVIEW_SIZE) -> DecodedImage:
    """Probe and render one image file (blocking: call it off the UI thread).

    Raises
    ------
    ImageUnavailableError
        When the file is not on this computer or cannot be shown.
    """
    if not source:
        raise ImageUnavailableError("This file was listed without a local copy; add its folder on the Image data page.")
    if not os.path.exists(source):
        raise ImageUnavailableError(
            f"{source} is not on this computer any more; add its folder again on the Image data page."
        )
    info: ImageInfo = probe(source)
    try:
        preview = render_preview(source, size, info=info if info.ok else None)
    except PreviewError as error:
        raise ImageUnavailableError(f"{os.path.basename(source)} cannot be shown: {error.message}") from None
    first = info.first if info.ok else None
    width = (first.width if first else None) or int(preview.level_shape.get("X", preview.width))
    height = (first.height if first else None) or int(preview.level_shape.get("Y", preview.height))
    return DecodedImage(
        source, preview, int(width), int(height), info.pixel_size if info.ok else None, overlay_rgba(preview.pixels)
    )


@dataclass(frozen=True, eq=False)
class ShownImage:
    """A decoded image ready to paint (made on the UI thread)."""

    source: str
    pixmap: QPixmap
    width: int  # full-resolution pixels
    height: int
    pixel_size: PixelSize | None
    notes: tuple[str, ...] = ()
    overlay: QPixmap | None = None  # the same picture, transparent where dark, for drawing over another

    @property
    def pixels_per_picture(self) -> tuple[float, float]:
        """Full-resolution pixels per preview pixel along x and y."""
        return self.width / max(1, self.pixmap.width()), self.height / max(1, self.pixmap.height())


def to_pixmap(pixels: np.ndarray) -> QPixmap:
    """RGB or premultiplied RGBA pixels as a pixmap (UI thread only)."""
    height, width, channels = (int(n) for n in pixels.shape)
    kind = QImage.Format.Format_RGBA8888_Premultiplied if channels == 4 else QImage.Format.Format_RGB888
    image = QImage(np.ascontiguousarray(pixels).tobytes(), width, height, channels * width, kind).copy()
    return QPixmap.fromImage(image)


class ImageLoader(QObject):
    """Loads previews in the background and keeps them; one request per file at a time."""

    loaded = Signal(str, object)  # source, ShownImage
    failed = Signal(str, str)  # source, message

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cache: dict[str, ShownImage] = {}
        self._in_flight: set[str] = set()

    def cached(self, source: str) -> ShownImage | None:
        """The image if it was loaded before."""
        return self.cache.get(source)

    def request(self, source: str) -> ShownImage | None:
        """Return the image when cached, else start loading it and return None (``loaded`` follows)."""
        shown = self.cache.get(source)
        if shown is not None:
            return shown
        if source in self._in_flight:
            return None
        self._in_flight.add(source)
        run_in_background(
            lambda: decode_image(source),
            lambda decoded: self._on_worker_decoded(source, decoded),
            lambda error: self._on_worker_failed(source, error),
        )
        return None

    def busy(self) -> bool:
        """Whether a file is being read."""
        return bool(self._in_flight)

    def _on_worker_decoded(self, source: str, decoded: DecodedImage) -> None:
        if not shiboken6.isValid(self):
            return  # the page closed while the file was read
        self._in_flight.discard(source)
        shown = ShownImage(
            source,
            to_pixmap(decoded.preview.pixels),
            decoded.width,
            decoded.height,
            decoded.pixel_size,
            decoded.preview.notes,
            to_pixmap(decoded.overlay),
        )
        self.cache[source] = shown
        self.loaded.emit(source, shown)

    def _on_worker_failed(self, source: str, error: BaseException) -> None:
        if not shiboken6.isValid(self):
            return
        self._in_flight.discard(source)
        message = (
            error.message
            if isinstance(error, ImageUnavailableError)
            else (f"{os.path.basename(source)} cannot be shown ({type(error).__name__}: {error}).")
        )
        self.failed.emit(source, message)


def probe_pixel_size(source: str) -> PixelSize | None:
    """The pixel size a file states, or None (blocking: call it off the UI thread)."""
    if not source or not os.path.exists(source):
        return None
    info = probe(source)
    return info.pixel_size if info.ok and info.pixel_size is not None and info.pixel_size.known else None
