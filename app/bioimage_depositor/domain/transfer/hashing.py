"""MD5 (and SHA-256) of a file while it is sent, on a helper thread, in constant memory.

Hashing on the sending thread would halve the throughput (MD5 runs at about the
speed of a loopback FTP upload), so a :class:`StreamHasher` hashes on its own
thread: the sender offers each chunk just before it goes out, and the hasher uses
those bytes when they are at its position, so the file is read only once. Bytes it
has not been offered (the prefix that a resumed file already has on the server,
or chunks it dropped because it fell behind) it reads from the disk itself. So a
resumed file starts sending at once instead of first re-reading everything it has
already sent, and memory stays bounded by ``max_buffered`` chunks, whatever the
file size.

The sender checks the file's size, modification time and inode before and after:
a file that changed while it was read is sent again, so the digest always
describes the bytes on the server.
"""

from __future__ import annotations

import hashlib
import os
import threading

#: Bytes read from the disk at a time for parts the sender did not offer.
READ_SIZE = 1024 * 1024
_O_BINARY = getattr(os, "O_BINARY", 0)


class HashAborted(Exception):
    """The hasher was stopped before it reached the end of the file."""


class StreamHasher:
    """Hash ``path`` from byte 0 to ``size`` on a helper thread (see the module docstring).

    Parameters
    ----------
    path
        The local file.
    size
        Bytes to hash (the size recorded when sending started).
    start
        Offset where the sender starts; bytes before it are read from the disk.
    sha256
        Also compute SHA-256.
    max_buffered
        Most offered chunks kept while the hasher is behind; more are dropped and read again later.
    """

    def __init__(self, path: str, size: int, *, start: int = 0, sha256: bool = False, max_buffered: int = 16) -> None:
        self.path = path
        self.size = size
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._sha = hashlib.sha256() if sha256 else None
        self._cond = threading.Condition()
        self._chunks: dict[int, bytes] = {}
        self._max_buffered = max(1, max_buffered)
        self._frontier = start  # the sender has passed every offset below this
        self._position = 0
        self._aborted = False
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="transfer-hash", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------ sender side

    def offer(self, offset: int, chunk: memoryview | bytes) -> None:
        """The sender is about to send ``chunk`` at ``offset``; keep it if the hasher will need it."""
        data: bytes
        if isinstance(chunk, bytes):
            data = chunk
        elif isinstance(chunk.obj, bytes) and len(chunk) == len(chunk.obj):
            data = chunk.obj  # the sender's own immutable buffer: no copy needed
        else:
            data = bytes(chunk)  # a reused buffer: copy, the sender will overwrite it
        with self._cond:
            end = offset + len(data)
            if end > self._position and len(self._chunks) < self._max_buffered and offset >= self._position:
                self._chunks[offset] = data
            self._frontier = max(self._frontier, end)
            self._cond.notify_all()

    def finish(self) -> tuple[str, str | None]:
        """Wait until every byte is hashed; return the hex MD5 and SHA-256 (``None`` when not asked for).

        Raises
        ------
        OSError
            When the file could not be read.
        HashAborted
            When :meth:`abort` was called.
        """
        with self._cond:
            self._frontier = self.size  # anything not offered by now is read from the disk
            self._cond.notify_all()
        self._thread.join()
        if self._error is not None:
            raise self._error
        if self._aborted:
            raise HashAborted
        return self._md5.hexdigest(), self._sha.hexdigest() if self._sha is not None else None

    def abort(self) -> None:
        """Stop hashing (the file is paused or failed); returns once the helper thread has ended."""
        with self._cond:
            self._aborted = True
            self._chunks.clear()
            self._cond.notify_all()
        self._thread.join()

    # ------------------------------------------------------------ helper thread

    def _update(self, data: bytes | memoryview) -> None:
        self._md5.update(data)
        if self._sha is not None:
            self._sha.update(data)

    def _run(self) -> None:
        fd: int | None = None
        buffer = bytearray(READ_SIZE)
        try:
            while True:
                with self._cond:
                    while True:
                        if self._aborted:
                            return
                        position = self._position
                        if position >= self.size:
                            return
                        chunk = self._chunks.pop(position, None)
                        if chunk is not None or position < self._frontier:
                            break
                        self._cond.wait()
                    # read only up to the next offered chunk, so that chunk is found at its offset
                    later = [offset for offset in self._chunks if offset > position]
                    limit = min(self.size, self._frontier, *later) if later else min(self.size, self._frontier)
                if chunk is not None:
                    usable = memoryview(chunk)[: self.size - position]
                    self._update(usable)
                    advanced = len(usable)
                else:
                    if fd is None:
                        fd = os.open(self.path, os.O_RDONLY | _O_BINARY)
                    want = min(READ_SIZE, limit - position)
                    view = memoryview(buffer)[:want]
                    got = os.preadv(fd, [view], position) if hasattr(os, "preadv") else _pread_into(fd, view, position)
                    if got <= 0:
                        raise OSError(f"{self.path} ended early while it was being checked")
                    self._update(view[:got])
                    advanced = got
                with self._cond:
                    self._position = position + advanced
                    # chunks the hasher has passed (a read covered them) are no longer needed
                    for offset in [offset for offset in self._chunks if offset < self._position]:
                        del self._chunks[offset]
        except BaseException as error:  # handed to finish()
            self._error = error
        finally:
            if fd is not None:
                os.close(fd)


def _pread_into(fd: int, view: memoryview, position: int) -> int:
    """``preadv`` for platforms without it (Windows): read at ``position`` into ``view``."""
    data = os.pread(fd, len(view), position) if hasattr(os, "pread") else _seek_read(fd, len(view), position)
    view[: len(data)] = data
    return len(data)


def _seek_read(fd: int, length: int, position: int) -> bytes:
    os.lseek(fd, position, os.SEEK_SET)
    return os.read(fd, length)
