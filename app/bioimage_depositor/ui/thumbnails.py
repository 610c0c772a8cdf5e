"""Table thumbnails rendered in the background, for the rows on screen only, newest first.

The file table asks :meth:`ThumbnailLoader.lookup` for every thumbnail cell
it paints; a miss queues a request and shows a placeholder. One worker (on
the shared background runner, so it never outlives a test or the window)
renders queued files through :func:`~..domain.images.thumbnails.make_thumbnail`,
most recent request first, and hands back RGB arrays; pixmaps are made here on
the UI thread. The queue is bounded (old requests fall off when the user
scrolls fast) and :meth:`ThumbnailLoader.keep_only` drops requests for rows
that scrolled away and cancels the one being rendered, so a 100,000-row list
never builds a backlog. Finished thumbnails stay in a bounded in-memory cache
(and on disk under the cache folder) keyed by path, size and modification time.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QApplication, QStyle

from ..domain.deposition import FileEntry
from ..domain.images.errors import PreviewError
from ..domain.images.thumbnails import TABLE_THUMBNAIL_SIZE, Thumbnail, ThumbnailDiskCache, make_thumbnail
from ..paths import cache_dir
from .background import default_runner

log = logging.getLogger(__name__)

#: Side of the square a thumbnail is drawn in, in device-independent pixels.
DISPLAY_SIZE = 40
#: Requests kept waiting at most (a screenful is about 20; the rest fell off screen).
MAX_PENDING = 128
#: Thumbnails kept in memory.
MEMORY_ITEMS = 3000
#: Thumbnails one worker task renders before it lets other queued work run.
BATCH = 6
#: Wait this long to gather finished thumbnails into one repaint (milliseconds).
REPAINT_DELAY_MS = 40


def default_disk_cache() -> ThumbnailDiskCache:
    """The per-user thumbnail cache (under the program's cache folder)."""
    return ThumbnailDiskCache(Path(cache_dir()) / "thumbnails")


class _Relay(QObject):
    """Carries finished thumbnails from the worker to the UI thread (queued signal)."""

    produced = Signal(object)


@dataclass(frozen=True)
class _Cached:
    size_bytes: int | None
    pixmap: QPixmap | None
    tooltip: str


class ThumbnailLoader(QObject):
    """Thumbnails for a file table: instant lookups, background rendering, bounded queue and cache.

    Parameters
    ----------
    disk_cache : ThumbnailDiskCache or None
        Where thumbnails persist between sessions; ``None`` keeps them in memory only.
    size : int
        Pixels of the longer side rendered (drawn at :data:`DISPLAY_SIZE`, sharper on HiDPI screens).
    """

    thumbnails_ready = Signal()  # some thumbnails arrived since the last time (coalesced)

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        disk_cache: ThumbnailDiskCache | None = None,
        size: int = TABLE_THUMBNAIL_SIZE,
        max_pending: int = MAX_PENDING,
        memory_items: int = MEMORY_ITEMS,
    ) -> None:
        super().__init__(parent)
        self.size = size
        self.disk_cache = disk_cache
        self.max_pending = max_pending
        self.memory_items = memory_items
        self._memory: OrderedDict[str, _Cached] = OrderedDict()
        self._pending: OrderedDict[str, None] = OrderedDict()
        self._in_flight: set[str] = set()  # taken by the worker, result not yet delivered
        self._wanted: set[str] | None = None
        self._lock = threading.Lock()
        self._running = False
        self._stopped = False
        self._paused = False
        self._pruned = False
        self.rendered = 0  # thumbnails delivered (for tests and the status line)
        self.requests = 0  # requests queued (a repeated request for a waiting file is not counted)
        self._relay = _Relay()
        self._relay.produced.connect(self._on_relay_produced)
        self._ready_timer = QTimer(self, singleShot=True, interval=REPAINT_DELAY_MS)
        self._ready_timer.timeout.connect(self.thumbnails_ready)
        self._placeholder: QPixmap | None = None
        self._failed: QPixmap | None = None

    # ------------------------------------------------------------ UI thread API

    def lookup(self, entry: FileEntry) -> tuple[QPixmap, str]:
        """The pixmap to paint now and its tooltip; queues a render when there is none yet."""
        cached = self._memory.get(entry.source)
        if cached is not None and (entry.size_bytes is None or cached.size_bytes in (None, entry.size_bytes)):
            self._memory.move_to_end(entry.source)
            if cached.pixmap is None:
                return self.failed_pixmap(), cached.tooltip
            return cached.pixmap, cached.tooltip
        if entry.source:
            self.request(entry.source)
        return self.placeholder_pixmap(), "Loading the thumbnail…"

    def state(self, source: str) -> str:
        """``"ready"``, ``"failed"``, ``"pending"`` or ``"unknown"`` (for tests and accessibility)."""
        cached = self._memory.get(source)
        if cached is not None:
            return "ready" if cached.pixmap is not None else "failed"
        with self._lock:
            return "pending" if source in self._pending else "unknown"

    def request(self, source: str) -> None:
        """Queue ``source`` (most recent first); the oldest request falls off a full queue."""
        if self._stopped:
            return
        start = False
        with self._lock:
            if self._wanted is not None:
                self._wanted.add(source)  # asked for by a paint: it is on screen
            if source in self._in_flight:
                pass
            elif source in self._pending:
                self._pending.move_to_end(source)
            else:
                self._pending[source] = None
                self.requests += 1
                while len(self._pending) > self.max_pending:
                    self._pending.popitem(last=False)
            if not self._running and not self._paused:
                self._running = start = True
        if start:
            self._submit()

    def set_paused(self, paused: bool) -> None:
        """While paused, requests wait in the (bounded) queue and nothing is rendered."""
        self._paused = paused
        start = False
        with self._lock:
            if not paused and self._pending and not self._running and not self._stopped:
                self._running = start = True
        if start:
            self._submit()

    def keep_only(self, sources: Iterable[str]) -> None:
        """Only these files are on screen: drop other requests and stop rendering one that scrolled away."""
        wanted = set(sources)
        with self._lock:
            self._wanted = wanted
            for source in [s for s in self._pending if s not in wanted]:
                del self._pending[source]

    def pending(self) -> int:
        """How many requests wait."""
        with self._lock:
            return len(self._pending)

    def forget(self, sources: Iterable[str] | None = None) -> None:
        """Drop cached thumbnails (all, or of ``sources``), e.g. after files changed on disk."""
        if sources is None:
            self._memory.clear()
        else:
            for source in sources:
                self._memory.pop(source, None)

    def shutdown(self) -> None:
        """Stop queuing and rendering (the window is closing)."""
        self._stopped = True
        with self._lock:
            self._pending.clear()

    # ------------------------------------------------------------ pixmaps (UI thread)

    def _canvas(self) -> QPixmap:
        ratio = QGuiApplication.primaryScreen().devicePixelRatio() if QGuiApplication.primaryScreen() else 1.0
        pixmap = QPixmap(round(DISPLAY_SIZE * ratio), round(DISPLAY_SIZE * ratio))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        return pixmap

    def placeholder_pixmap(self) -> QPixmap:
        """A quiet grey tile with three dots: the thumbnail is on its way."""
        if self._placeholder is None:
            pixmap = self._canvas()
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(QColor(150, 150, 150, 160), 1))
            painter.setBrush(QColor(150, 150, 150, 40))
            painter.drawRoundedRect(QRectF(2.5, 2.5, DISPLAY_SIZE - 5, DISPLAY_SIZE - 5), 4, 4)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(120, 120, 120, 200))
            for offset in (-8, 0, 8):
                painter.drawEllipse(QPointF(DISPLAY_SIZE / 2 + offset, DISPLAY_SIZE / 2), 2.2, 2.2)
            painter.end()
            self._placeholder = pixmap
        return self._placeholder

    def failed_pixmap(self) -> QPixmap:
        """A warning sign on a tile: this file has no picture (the tooltip says why)."""
        if self._failed is None:
            pixmap = self._canvas()
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(QColor(200, 120, 0, 200), 1))
            painter.setBrush(QColor(230, 140, 0, 40))
            painter.drawRoundedRect(QRectF(2.5, 2.5, DISPLAY_SIZE - 5, DISPLAY_SIZE - 5), 4, 4)
            style = QApplication.style()
            icon = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning) if style else None
            if icon is not None and not icon.isNull():
                side = 22
                corner = (DISPLAY_SIZE - side) / 2
                icon.paint(painter, round(corner), round(corner), side, side)
            painter.end()
            self._failed = pixmap
        return self._failed

    def _pixmap_of(self, pixels: np.ndarray) -> QPixmap:
        data = np.ascontiguousarray(pixels[..., :3], dtype=np.uint8)
        height, width = data.shape[:2]
        image = QImage(data.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()
        ratio = QGuiApplication.primaryScreen().devicePixelRatio() if QGuiApplication.primaryScreen() else 1.0
        side = round(DISPLAY_SIZE * ratio)
        scaled = image.scaled(
            side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
        pixmap = QPixmap.fromImage(scaled)
        pixmap.setDevicePixelRatio(ratio)
        return pixmap

    @Slot(object)
    def _on_relay_produced(self, thumbnail: Thumbnail) -> None:
        with self._lock:
            self._in_flight.discard(thumbnail.source)
        if self._stopped:
            return
        size_bytes = thumbnail.key.size_bytes if thumbnail.key is not None else None
        if thumbnail.pixels is not None:
            width, height = thumbnail.pixels.shape[1], thumbnail.pixels.shape[0]
            cached = _Cached(
                size_bytes, self._pixmap_of(thumbnail.pixels), f"{thumbnail.source}\n({width} × {height} thumbnail)"
            )
        else:
            cached = _Cached(size_bytes, None, f"No thumbnail: {thumbnail.error}")
        self._memory[thumbnail.source] = cached
        self._memory.move_to_end(thumbnail.source)
        while len(self._memory) > self.memory_items:
            self._memory.popitem(last=False)
        self.rendered += 1
        if not self._ready_timer.isActive():
            self._ready_timer.start()

    def _submit(self) -> None:
        default_runner().submit(self._drain, self._on_drain_done, self._on_drain_failed)

    def _on_drain_done(self, more: bool) -> None:
        if more:
            self._submit()  # from the UI thread: behind any preview read queued meanwhile

    def _on_drain_failed(self, error: BaseException) -> None:
        log.error("thumbnail worker failed", exc_info=error)
        with self._lock:
            self._running = False

    # ------------------------------------------------------------ worker thread

    def _is_stale(self, source: str) -> bool:
        if self._stopped:
            return True
        wanted = self._wanted
        return wanted is not None and source not in wanted

    def _drain(self) -> bool:
        """Render queued thumbnails, newest first (runs in a worker); return whether more wait.

        After :data:`BATCH` thumbnails the task ends and the UI thread queues
        the next one behind whatever else waits for a worker (a preview the
        user asked for), so thumbnails never hold up the rest of the page.
        """
        if self.disk_cache is not None and not self._pruned:
            self._pruned = True
            try:
                self.disk_cache.prune()
            except OSError as error:
                log.info("thumbnail cache not pruned: %s", error)
        for _ in range(BATCH):
            with self._lock:
                if self._stopped or self._paused or not self._pending:
                    self._running = False
                    return False
                source, _ = self._pending.popitem(last=True)
                self._in_flight.add(source)

            def stale(source: str = source) -> bool:
                return self._is_stale(source)

            try:
                thumbnail = make_thumbnail(source, self.size, cache=self.disk_cache, cancel=stale)
            except PreviewError:
                with self._lock:
                    self._in_flight.discard(source)
                continue  # cancelled: the row scrolled away; it is asked for again if it comes back
            except Exception as error:  # a decoder bug must not end the worker; the row shows why
                log.exception("thumbnail of %s failed", source)
                thumbnail = Thumbnail(source, None, None, f"the picture could not be made ({error})")
            self._relay.produced.emit(thumbnail)
        with self._lock:
            if self._stopped or self._paused or not self._pending:
                self._running = False
                return False
        return True
