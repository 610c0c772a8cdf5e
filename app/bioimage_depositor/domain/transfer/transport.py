"""The contract between the transfer engine and each way of moving bytes.

Two kinds of transport exist, because the protocols differ in who drives the
bytes:

* a **stream transport** (``file://``, FTP/FTPS, tus) is driven by our engine,
  file by file and chunk by chunk: the engine reads the local file, hashes it
  in the same pass, and hands chunks to a :class:`StreamSession`; resume means
  asking the server how much it already holds (:meth:`StreamSession.remote_offset`)
  and sending the rest;
* a **hand-off transport** (Globus, Aspera ``ascp``) is given the whole file
  set and moves it itself; the engine persists the hand-off's identifiers in
  the ledger (:class:`HandoffState`) *before* starting it, so that a restarted
  program re-attaches instead of starting a duplicate.

Failures are :class:`TransferError` with a stable ``code`` and a ``permanent``
flag: the engine retries transient errors with backoff and stops at permanent
ones (authentication, quota, permission, protocol version) with the message.
Nothing here imports Qt; the wizard and the command line use the same engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO, Protocol


class TransferError(Exception):
    """A transfer step failed; ``code`` is stable, ``str(error)`` is a sentence for the user.

    Parameters
    ----------
    code
        Dotted identifier, e.g. ``"auth.failed"``, ``"remote.full"``, ``"connection.lost"``,
        ``"upload.expired"``, ``"offset.conflict"``, ``"local.changed"``, ``"local.unreadable"``.
    message
        What happened and, where there is one, what the user can do about it.
    permanent
        ``True`` when retrying cannot help (wrong password, no space, no permission):
        the engine stops that file (or the whole transfer for authentication) instead of retrying.
    """

    def __init__(self, code: str, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.permanent = permanent


class UploadGone(TransferError):
    """The server no longer knows the remote handle (tus 404/410, expired upload): create a new one from 0."""

    def __init__(self, message: str = "The server no longer holds the partial upload; it will be sent again.") -> None:
        super().__init__("upload.expired", message, permanent=False)


@dataclass(frozen=True)
class RemoteFile:
    """One file as a transport needs to know it.

    ``remote_path`` is relative to the target's root and uses ``/`` separators;
    ``md5``/``sha256`` are hex digests when already known (e.g. from the file
    list's cache), otherwise ``None``.
    """

    remote_path: str
    size: int
    md5: str | None = None
    sha256: str | None = None


@dataclass(frozen=True)
class Verification:
    """What the far side confirmed about a finished file."""

    size_matches: bool
    #: ``"md5"``, ``"sha256"`` … when the server checked or reported a digest; ``None`` when it cannot.
    checksum_algorithm: str | None = None
    checksum_matches: bool | None = None
    detail: str = ""


#: Called by :meth:`StreamSession.send` with each chunk just before it goes on the wire. The engine uses
#: it to hash, count progress, apply the bandwidth limit and pause; returning ``False`` stops the send
#: cleanly after that chunk (the bytes already acknowledged by the server stay committed).
ChunkHook = Callable[[memoryview], bool]


class StreamSession(Protocol):
    """One connection's worth of work (an FTP control connection, an HTTP keep-alive session).

    The engine opens one session per parallel worker and sends files through it
    one after another; sessions are not shared between threads.
    """

    def prepare(self, item: RemoteFile) -> str:
        """Make the remote side ready for ``item`` and return its remote handle.

        FTP: the remote path (directories created); tus: the upload URL from the
        creation POST. The engine stores the handle in the ledger before any byte is sent.
        """
        ...

    def remote_offset(self, handle: str, item: RemoteFile) -> int | None:
        """How many bytes of ``item`` the server durably holds, or ``None`` when the handle is unknown.

        This is the server's truth the engine resumes from (FTP ``SIZE``, tus ``HEAD``).
        """
        ...

    def send(self, handle: str, item: RemoteFile, source: BinaryIO, offset: int, hook: ChunkHook) -> int:
        """Send ``source`` from ``offset`` (already positioned there) to the end; return the committed offset.

        Streams in bounded chunks, never reading the file whole; calls ``hook``
        before each chunk. Raises :class:`TransferError` (or :class:`UploadGone`).
        """
        ...

    def verify(self, handle: str, item: RemoteFile) -> Verification:
        """Check the finished remote file: size always, checksum where the protocol allows."""
        ...

    def abandon(self, handle: str) -> None:
        """Discard a partial remote file after the user cancels (tus DELETE; FTP DELE). Never raises."""
        ...

    def close(self) -> None:
        """Release the connection. Never raises."""
        ...


class StreamTransport(Protocol):
    """A target URL's protocol, able to open sessions."""

    #: Human name for messages and reports, e.g. ``"FTP"``, ``"tus"``, ``"folder"``.
    name: str

    def open_session(self) -> StreamSession:
        """Connect and authenticate; raises :class:`TransferError` (``auth.failed`` is permanent)."""
        ...


class HandoffState(Protocol):
    """Durable key/value storage for a hand-off's identifiers (the ledger implements it)."""

    def get_meta(self, key: str) -> str | None:
        """The stored value, or ``None``."""
        ...

    def set_meta(self, key: str, value: str) -> None:
        """Store a value durably (committed before returning)."""
        ...


@dataclass(frozen=True)
class HandoffStatus:
    """Progress of a hand-off as reported by the service or subprocess."""

    state: str  # "active", "succeeded", "failed", "cancelled"
    bytes_done: int = 0
    bytes_total: int = 0
    files_done: int = 0
    files_total: int = 0
    rate_bytes_per_s: float | None = None
    message: str = ""
    failed_files: Sequence[str] = field(default_factory=tuple)


class HandoffTransport(Protocol):
    """A transport that moves a whole file set itself (Globus task, ``ascp`` subprocess)."""

    name: str

    def start(self, files: Sequence[tuple[str, RemoteFile]], state: HandoffState) -> None:
        """Start (or, when ``state`` already holds an id, re-attach to) the transfer of ``(local path, file)`` pairs.

        Persists its identifiers in ``state`` before the work begins, so calling it
        again after a crash never starts a duplicate.
        """
        ...

    def poll(self, state: HandoffState) -> Iterator[HandoffStatus]:
        """Yield status reports until the hand-off ends; the last one has a final ``state``."""
        ...

    def cancel(self, state: HandoffState) -> None:
        """Ask the service or subprocess to stop. Never raises."""
        ...
