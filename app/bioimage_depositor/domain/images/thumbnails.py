"""Small thumbnails for file tables, with an optional cache on disk so a reopened list shows them at once.

A thumbnail is :func:`~.preview.render_preview` at a small size, so it reads
no more of a file than a preview does. It is keyed by the file's absolute
path, size in bytes and modification time (plus the thumbnail size): a file
that changes gets a new key and a new picture, and a stale entry is simply
never asked for again. Failures are cached too (as a one-line reason), so a
folder of unreadable files is not decoded again every time it scrolls past.

The disk cache writes one small PNG (or ``.err`` text) per key under a
two-level fan-out folder, replaced atomically, and :meth:`ThumbnailDiskCache.prune`
keeps it under a size limit by dropping the least recently used files. Nothing
here touches Qt: the UI calls :func:`make_thumbnail` from a worker thread.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import CANCELLED, IO_ERROR, NOT_FOUND, PERMISSION_DENIED, CancelCheck, PreviewError
from .preview import render_preview

log = logging.getLogger(__name__)

#: Longer side of a table thumbnail, in pixels (drawn at about half that on a normal screen, sharp on HiDPI).
TABLE_THUMBNAIL_SIZE = 64
#: Default limit of the disk cache.
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
#: Largest thumbnail file the cache reads back (anything larger is not one of ours).
_MAX_ENTRY_BYTES = 1024 * 1024
#: Failures that say something about the moment, not the file: never cached.
_TRANSIENT = frozenset({NOT_FOUND, PERMISSION_DENIED, IO_ERROR})


@dataclass(frozen=True)
class ThumbnailKey:
    """What a thumbnail depends on: the file's path, size and modification time, and the picture size."""

    source: str
    size_bytes: int
    mtime_ns: int
    size: int

    def digest(self) -> str:
        """A file-name-safe hash of the key."""
        text = f"{self.source}\0{self.size_bytes}\0{self.mtime_ns}\0{self.size}"
        return hashlib.sha1(os.fsencode(text), usedforsecurity=False).hexdigest()


@dataclass(frozen=True, eq=False)
class Thumbnail:
    """A thumbnail, or the reason there is none.

    Attributes
    ----------
    source : str
        The file.
    key : ThumbnailKey or None
        ``None`` when the file could not even be looked at (vanished, unreadable).
    pixels : numpy.ndarray or None
        ``(height, width, 3)`` uint8 RGB, longer side at most the requested size.
    error : str
        One sentence saying why there is no picture (empty when there is one).
    from_disk : bool
        Whether it came from the disk cache.
    """

    source: str
    key: ThumbnailKey | None
    pixels: np.ndarray | None = None
    error: str = ""
    from_disk: bool = False

    @property
    def ok(self) -> bool:
        """Whether there is a picture."""
        return self.pixels is not None


class ThumbnailDiskCache:
    """Thumbnails stored as small PNG files under ``folder``.

    Safe to use from several threads and processes: every write goes to a
    temporary file first and is renamed into place, and a damaged or foreign
    entry reads as missing.

    Parameters
    ----------
    folder : Path
        Where the entries live (created when first needed).
    max_bytes : int
        :meth:`prune` removes the least recently used entries above this.
    """

    def __init__(self, folder: str | os.PathLike[str], max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.folder = Path(folder)
        self.max_bytes = max_bytes

    def _path(self, key: ThumbnailKey, suffix: str) -> Path:
        digest = key.digest()
        return self.folder / digest[:2] / f"{digest}{suffix}"

    def get(self, key: ThumbnailKey) -> Thumbnail | None:
        """The cached thumbnail (or cached failure) for ``key``, or ``None``."""
        for suffix in (".png", ".err"):
            path = self._path(key, suffix)
            try:
                with path.open("rb") as handle:
                    data = handle.read(_MAX_ENTRY_BYTES + 1)
            except OSError:
                continue
            if len(data) > _MAX_ENTRY_BYTES:
                return None
            try:
                os.utime(path)  # least recently *used* is what prune drops
            except OSError:
                pass
            if suffix == ".err":
                return Thumbnail(key.source, key, None, data.decode("utf-8", "replace").strip(), from_disk=True)
            pixels = _decode_png(data)
            return None if pixels is None else Thumbnail(key.source, key, pixels, from_disk=True)
        return None

    def put(self, thumbnail: Thumbnail) -> None:
        """Store a thumbnail or its failure; a cache that cannot be written is skipped silently (logged)."""
        key = thumbnail.key
        if key is None:
            return
        if thumbnail.pixels is not None:
            data, suffix = _encode_png(thumbnail.pixels), ".png"
        else:
            data, suffix = thumbnail.error.encode("utf-8"), ".err"
        target = self._path(key, suffix)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=suffix)
            try:
                with os.fdopen(handle, "wb") as stream:
                    stream.write(data)
                os.replace(temporary, target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as error:
            log.info("thumbnail cache not written (%s): %s", target, error)

    def prune(self) -> int:
        """Remove the least recently used entries until the cache is under ``max_bytes``; return how many."""
        entries: list[tuple[float, int, Path]] = []
        total = 0
        try:
            folders = [p for p in self.folder.iterdir() if p.is_dir()]
        except OSError:
            return 0
        for folder in folders:
            try:
                with os.scandir(folder) as listing:
                    for item in listing:
                        try:
                            info = item.stat()
                        except OSError:
                            continue
                        entries.append((info.st_mtime, info.st_size, Path(item.path)))
                        total += info.st_size
            except OSError:
                continue
        removed = 0
        for _mtime, size, path in sorted(entries):
            if total <= self.max_bytes:
                break
            try:
                path.unlink()
            except OSError:
                continue
            total -= size
            removed += 1
        return removed


def _encode_png(pixels: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8), mode="RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def _decode_png(data: bytes) -> np.ndarray | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG" or max(image.size) > 4096:
                return None
            return np.asarray(image.convert("RGB"), dtype=np.uint8)
    except (OSError, UnidentifiedImageError, ValueError):
        return None


def thumbnail_key(source: str, size: int = TABLE_THUMBNAIL_SIZE) -> ThumbnailKey:
    """The key of ``source``'s thumbnail as the file is now; raises :class:`OSError` when it cannot be looked at."""
    info = os.stat(source)
    return ThumbnailKey(source, int(info.st_size), int(info.st_mtime_ns), int(size))


def make_thumbnail(
    source: str,
    size: int = TABLE_THUMBNAIL_SIZE,
    *,
    cache: ThumbnailDiskCache | None = None,
    cancel: CancelCheck | None = None,
) -> Thumbnail:
    """The thumbnail of one file: from the cache when it is there, else rendered (and cached).

    Parameters
    ----------
    source : str
        Absolute path of the file (or OME-Zarr folder).
    size : int
        Longer side in pixels.
    cache : ThumbnailDiskCache, optional
        Where to look first and to store the result.
    cancel : callable, optional
        Polled while reading; a cancelled render raises :class:`PreviewError` with code ``cancelled``
        and is not cached.

    Returns
    -------
    Thumbnail
        A picture, or the reason there is none (never raises for a bad file).
    """
    try:
        key = thumbnail_key(source, size)
    except OSError as error:
        reason = "the file no longer exists" if isinstance(error, FileNotFoundError) else (
            error.strerror or type(error).__name__)
        return Thumbnail(source, None, None, f"No picture: {reason}.")
    if cache is not None:
        found = cache.get(key)
        if found is not None:
            return found
    try:
        preview = render_preview(source, size, cancel=cancel)
    except PreviewError as error:
        if error.code == CANCELLED:
            raise
        result = Thumbnail(source, key, None, error.message)
        if cache is not None and error.code not in _TRANSIENT:
            cache.put(result)
        return result
    result = Thumbnail(source, key, preview.pixels)
    if cache is not None:
        cache.put(result)
    return result


__all__ = [
    "DEFAULT_MAX_BYTES",
    "TABLE_THUMBNAIL_SIZE",
    "Thumbnail",
    "ThumbnailDiskCache",
    "ThumbnailKey",
    "make_thumbnail",
    "thumbnail_key",
]
