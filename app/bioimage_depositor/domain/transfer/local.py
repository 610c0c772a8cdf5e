"""The ``file://`` transport: a resumable copy into a local or mounted folder.

Bytes go to ``<name>.partial`` next to the final file, so a half-copied file is
obviously partial to anyone looking at the folder; the partial file's length is
the committed offset a resume continues from. When the last byte is written the
file is flushed to the disk (``fsync``) and renamed to its final name, and the
folder entry is flushed too, so a completed file survives a power cut. The
verification re-reads the copy and compares its MD5 with the one computed while
sending, which catches a faulty disk or network mount.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path, PurePosixPath
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

from ..atomic_io import fsync_dir
from .transport import ChunkHook, RemoteFile, TransferError, Verification

#: Suffix of a file still being copied.
PARTIAL_SUFFIX = ".partial"
#: Bytes read and written at a time.
CHUNK_SIZE = 1024 * 1024


def _safe_relative(remote_path: str) -> PurePosixPath:
    """``remote_path`` as a relative path that cannot leave the target folder."""
    relative = PurePosixPath(remote_path)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise TransferError("remote.name", f"'{remote_path}' is not a usable file name in the target folder.",
                            permanent=True)
    return relative


class FolderSession:
    """Copies files into one folder; needs no connection, so one object serves as transport and session."""

    def __init__(self, root: Path, verify_checksum: bool = True) -> None:
        self.root = root
        self.verify_checksum = verify_checksum

    def _final(self, handle: str) -> Path:
        return self.root.joinpath(*_safe_relative(handle).parts)

    def _partial(self, handle: str) -> Path:
        final = self._final(handle)
        return final.with_name(final.name + PARTIAL_SUFFIX)

    def prepare(self, item: RemoteFile) -> str:
        """Create the file's folders; the handle is the remote path."""
        final = self._final(item.remote_path)
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise _os_error(error, final.parent) from None
        return item.remote_path

    def remote_offset(self, handle: str, item: RemoteFile) -> int | None:
        """Length of the partial file; the full size when the final file is already complete."""
        partial, final = self._partial(handle), self._final(handle)
        try:
            if partial.exists():
                return partial.stat().st_size
            if final.exists():
                size = final.stat().st_size
                return size if size == item.size else 0  # a different file of that name: start over
        except OSError as error:
            raise _os_error(error, partial) from None
        return None

    def send(self, handle: str, item: RemoteFile, source: BinaryIO, offset: int, hook: ChunkHook) -> int:
        """Append from ``offset`` to the partial file; at the end flush, rename and return the size."""
        partial, final = self._partial(handle), self._final(handle)
        if offset >= item.size and not partial.exists() and final.exists():
            return final.stat().st_size  # completed before a crash that came before the ledger update
        written = offset
        try:
            partial.parent.mkdir(parents=True, exist_ok=True)
            with open(partial, "r+b" if offset > 0 and partial.exists() else "wb") as out:
                out.seek(offset)
                out.truncate()  # drop anything beyond the committed offset
                stopped = False
                while True:
                    chunk = source.read(CHUNK_SIZE)
                    if not chunk:
                        break
                    view = memoryview(chunk)
                    if hook(view) is False:
                        stopped = True
                        break
                    out.write(view)
                    written += len(view)
                out.flush()
                os.fsync(out.fileno())
            if stopped or written < item.size:
                return written
            os.replace(partial, final)
            fsync_dir(final.parent)
        except OSError as error:
            raise _os_error(error, partial) from None
        return written

    def verify(self, handle: str, item: RemoteFile) -> Verification:
        """Compare the final file's size and, with ``verify_checksum``, its MD5 with the sent file's."""
        final = self._final(handle)
        try:
            size = final.stat().st_size
        except OSError as error:
            return Verification(False, detail=f"the copy cannot be read ({error.strerror or error})")
        if size != item.size:
            return Verification(False, detail=f"the copy has {size} bytes instead of {item.size}")
        if not self.verify_checksum or item.md5 is None:
            return Verification(True, detail="size checked")
        digest = hashlib.md5(usedforsecurity=False)
        try:
            with open(final, "rb", buffering=0) as stream:
                buffer = bytearray(CHUNK_SIZE)
                while count := stream.readinto(buffer):
                    digest.update(memoryview(buffer)[:count])
        except OSError as error:
            return Verification(True, "md5", False, f"the copy cannot be read back ({error.strerror or error})")
        matches = digest.hexdigest() == item.md5
        return Verification(True, "md5", matches, "size and MD5 of the copy checked" if matches else
                            "the copy's MD5 differs from the original's")

    def abandon(self, handle: str) -> None:
        """Delete the partial file."""
        with contextlib.suppress(OSError, TransferError):
            self._partial(handle).unlink(missing_ok=True)

    def close(self) -> None:
        """Nothing to release."""


class FolderTransport:
    """Copies into a folder (``file:///path``); see the module docstring.

    Parameters
    ----------
    root
        The target folder; created when missing.
    verify_checksum
        Re-read each copy and compare its MD5 (reads every file twice; off for speed tests).
    """

    name = "folder"

    def __init__(self, root: str | os.PathLike[str], *, verify_checksum: bool = True) -> None:
        self.root = Path(root)
        self.verify_checksum = verify_checksum

    def open_session(self) -> FolderSession:
        """Check the folder can be created and written to."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise _os_error(error, self.root, permanent=True) from None
        if not os.access(self.root, os.W_OK):
            raise TransferError("remote.permission", f"{self.root}: the target folder is not writable.",
                                permanent=True)
        return FolderSession(self.root, self.verify_checksum)


def _os_error(error: OSError, path: Path, *, permanent: bool = False) -> TransferError:
    """An :class:`OSError` on the target side as a :class:`TransferError` with a sentence for the user."""
    reason = error.strerror or str(error)
    if error.errno in (28, 122):  # ENOSPC, EDQUOT
        return TransferError("remote.full", f"The target folder is full ({reason}): {path}", permanent=True)
    if isinstance(error, PermissionError):
        return TransferError("remote.permission", f"No permission to write {path} ({reason}).", permanent=True)
    return TransferError("remote.io", f"Writing {path} failed ({reason}).", permanent=permanent)


def from_url(url: str, password: str | None = None) -> FolderTransport:
    """A :class:`FolderTransport` for ``file:///absolute/path`` (``password`` is ignored)."""
    parts = urlsplit(url)
    if parts.scheme != "file":
        raise ValueError(f"not a file:// URL: {url}")
    if parts.netloc not in ("", "localhost"):
        raise TransferError("target.invalid", f"{url}: file:// URLs name a folder on this computer, "
                            "e.g. file:///data/upload.", permanent=True)
    path = unquote(parts.path)
    if os.name == "nt" and len(path) > 2 and path[0] == "/" and path[2] == ":":
        path = path[1:]  # file:///C:/data -> C:/data
    if not path:
        raise TransferError("target.invalid", f"{url}: the folder is missing.", permanent=True)
    return FolderTransport(path)
