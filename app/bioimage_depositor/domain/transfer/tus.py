"""Our tus 1.0.0 client: resumable HTTP uploads to institutional and partner endpoints.

Why our own client (see transfers.md §2.5): the common Python client reads whole
chunks into memory, has no progress callback and opens a connection per request.
This one keeps one ``requests.Session`` (keep-alive) per engine worker and streams
each file from its file object in bounded pieces with an explicit
``Content-Length``, so memory stays constant whatever the file size, and it calls
the engine's hook before every piece (hashing, progress, bandwidth limit, pause).

Protocol use, per the tus 1.0.0 specification:

* ``OPTIONS`` once per session: supported versions, extensions, ``Tus-Max-Size``
  and checksum algorithms;
* ``POST`` (creation) with ``Upload-Length`` and ``Upload-Metadata`` (``filename``,
  ``relpath`` and, when known, the local ``sha256``/``md5``); the ``Location`` is
  resolved against the request URL and returned as the remote handle, which the
  engine stores before the first byte is sent;
* ``HEAD`` gives the server's committed offset (404/410: the upload is gone);
* ``PATCH`` sends the rest of the file as **one** streamed request, except when
  the server offers the ``checksum`` extension: then the file goes in requests of
  :data:`DEFAULT_CHECKSUM_REQUEST_SIZE` bytes, each with an ``Upload-Checksum``
  (sha256, else sha1, else md5) that the server verifies; a 460 (mismatch, chunk
  discarded) resends that request;
* ``DELETE`` (termination) when the user abandons a file.

Status codes follow transfers.md §2.3: 409 re-reads the offset with ``HEAD`` and
continues; 423, 429 and 5xx are transient; 401/403, 412, 413, 507 and other 4xx
are permanent; 404/410 raise :class:`~.transport.UploadGone`.

The hook sees every byte of the file from the ``offset`` given to
:meth:`TusSession.send` exactly once and in order: bytes that must be resent (a
460, a 409 that moved the offset back) go on the wire again without calling the
hook a second time, so the engine's running MD5/SHA-256 stays right.
"""

from __future__ import annotations

import base64
import hashlib
import posixpath
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import requests

from .transport import ChunkHook, RemoteFile, TransferError, UploadGone, Verification

#: The protocol version we speak (sent as ``Tus-Resumable`` on every request but ``OPTIONS``).
TUS_VERSION = "1.0.0"
#: Bytes read from the file and handed to the hook at a time.
DEFAULT_PIECE_SIZE = 1024 * 1024
#: Bytes per ``PATCH`` when the server checks per-request checksums (one buffer of this size is kept).
DEFAULT_CHECKSUM_REQUEST_SIZE = 64 * 1024 * 1024
#: Checksum algorithms we can compute, in the order we prefer them.
CHECKSUM_PREFERENCE = ("sha256", "sha1", "md5")
# A 460 (checksum mismatch) resends the request; after this many in a row something is wrong.
_MAX_CHECKSUM_RESENDS = 3
# A 409 (offset mismatch) re-reads the offset; after this many in a row without progress, give up.
_MAX_CONFLICTS = 3
_OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
_USER_AGENT = "bioimage-depositor (tus client)"


@dataclass(frozen=True)
class TusCapabilities:
    """What the server said about itself in its ``OPTIONS`` response."""

    versions: tuple[str, ...]
    extensions: frozenset[str]
    max_size: int | None
    checksum_algorithms: tuple[str, ...]

    @property
    def checksum_algorithm(self) -> str | None:
        """The algorithm we use for ``Upload-Checksum``, or ``None`` when the server offers no checksum."""
        if "checksum" not in self.extensions:
            return None
        for name in CHECKSUM_PREFERENCE:
            if name in self.checksum_algorithms:
                return name
        return None


class _Stopped(Exception):
    """Raised inside a request body when the hook asked to stop: aborts the request, keeps the prefix."""


class _Conflict(Exception):
    """The server answered 409: its offset is not the one we sent from."""


class _Body:
    """A request body of known length produced piece by piece (``requests`` sends ``Content-Length``)."""

    def __init__(self, length: int, pieces: Iterator[memoryview]) -> None:
        self._length = length
        self._pieces = pieces

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[memoryview]:
        return self._pieces


class TusTransport:
    """A tus endpoint (the upload-creation URL), able to open keep-alive sessions.

    Parameters
    ----------
    endpoint
        The creation URL, ``http(s)://host[:port]/path`` (no ``tus+`` prefix, no credentials).
    auth
        ``(user, password)`` for HTTP Basic authentication, or ``None``.
    token
        A bearer token sent as ``Authorization: Bearer …``, or ``None``.
    connect_timeout, read_timeout
        Seconds to wait for a connection, and for any single read or write on it.
    piece_size
        Bytes read and handed to the hook at a time.
    checksum_request_size
        Bytes per ``PATCH`` when the server verifies checksums.
    max_request_size
        Split uploads into ``PATCH`` requests of at most this many bytes even without checksums
        (for proxies with a body-size limit); ``None`` sends the rest of a file in one request.
    verify_tls
        ``requests``' ``verify``: ``True``, ``False`` or a CA bundle path.
    """

    name = "tus"

    def __init__(
        self,
        endpoint: str,
        *,
        auth: tuple[str, str] | None = None,
        token: str | None = None,
        connect_timeout: float = 15.0,
        read_timeout: float = 120.0,
        piece_size: int = DEFAULT_PIECE_SIZE,
        checksum_request_size: int = DEFAULT_CHECKSUM_REQUEST_SIZE,
        max_request_size: int | None = None,
        verify_tls: bool | str = True,
    ) -> None:
        self.endpoint = endpoint
        self.auth = auth
        self.token = token
        self.timeout = (connect_timeout, read_timeout)
        self.piece_size = piece_size
        self.checksum_request_size = checksum_request_size
        self.max_request_size = max_request_size
        self.verify_tls = verify_tls

    def open_session(self) -> TusSession:
        """Connect and read the server's capabilities; raises :class:`TransferError` when it is unusable."""
        session = TusSession(self)
        try:
            session.discover()
        except BaseException:
            session.close()
            raise
        return session


class TusSession:
    """One keep-alive HTTP connection's worth of tus uploads (not shared between threads)."""

    def __init__(self, transport: TusTransport) -> None:
        self._transport = transport
        self._http = requests.Session()
        self._http.headers["User-Agent"] = _USER_AGENT
        if transport.auth is not None:
            self._http.auth = transport.auth
        elif transport.token:
            self._http.headers["Authorization"] = f"Bearer {transport.token}"
        self._http.verify = transport.verify_tls
        self.capabilities = TusCapabilities(versions=(), extensions=frozenset(), max_size=None, checksum_algorithms=())
        self._buffer = bytearray()
        self._hooked = 0  # highest file offset handed to the hook during the current send()

    # ------------------------------------------------------------------ requests

    def _request(
        self, method: str, url: str, headers: Mapping[str, str] | None = None, **kwargs: object
    ) -> requests.Response:
        """One HTTP request with our timeouts; connection-level failures become :class:`TransferError`."""
        all_headers = dict(headers or {})
        if method != "OPTIONS":
            all_headers["Tus-Resumable"] = TUS_VERSION
        try:
            return self._http.request(
                method,
                url,
                headers=all_headers,
                timeout=self._transport.timeout,
                allow_redirects=False,
                **kwargs,  # type: ignore[arg-type]
            )
        except requests.exceptions.SSLError as error:
            raise TransferError(
                "tls.failed",
                f"The secure connection to {_host(url)} could not be verified ({_reason(error)}).",
                permanent=True,
            ) from None
        except requests.exceptions.ConnectTimeout:
            raise TransferError("connection.failed", f"{_host(url)} did not answer in time.") from None
        except requests.exceptions.ReadTimeout:
            raise TransferError("connection.lost", f"{_host(url)} stopped responding.") from None
        except requests.exceptions.ConnectionError as error:
            raise TransferError(
                "connection.lost", f"The connection to {_host(url)} failed ({_reason(error)})."
            ) from None
        except requests.exceptions.RequestException as error:
            raise TransferError("connection.lost", f"The request to {_host(url)} failed ({_reason(error)}).") from None

    def discover(self) -> TusCapabilities:
        """Ask the endpoint what it supports (``OPTIONS``); check that it speaks tus 1.0.0."""
        url = self._transport.endpoint
        response = self._request("OPTIONS", url)
        response.close()
        if response.status_code not in (200, 204):
            _raise_for(response, "asking the server what it supports")
        versions = _split_list(response.headers.get("Tus-Version", ""))
        if not versions:
            raise TransferError(
                "protocol.unsupported", f"{url} is not a tus upload endpoint (no Tus-Version header).", permanent=True
            )
        if TUS_VERSION not in versions:
            raise TransferError(
                "protocol.version",
                f"The server at {url} speaks tus {', '.join(versions)}, but this program speaks tus {TUS_VERSION}.",
                permanent=True,
            )
        max_size = response.headers.get("Tus-Max-Size")
        self.capabilities = TusCapabilities(
            versions=versions,
            extensions=frozenset(e.lower() for e in _split_list(response.headers.get("Tus-Extension", ""))),
            max_size=int(max_size) if max_size and max_size.strip().isdigit() else None,
            checksum_algorithms=tuple(
                a.lower() for a in _split_list(response.headers.get("Tus-Checksum-Algorithm", ""))
            ),
        )
        return self.capabilities

    # ------------------------------------------------------------------ StreamSession

    def prepare(self, item: RemoteFile) -> str:
        """Create an upload for ``item`` (``POST``) and return its absolute URL."""
        capabilities = self.capabilities
        if "creation" not in capabilities.extensions:
            raise TransferError(
                "protocol.unsupported",
                "The tus server does not let clients create uploads (no 'creation' extension).",
                permanent=True,
            )
        if capabilities.max_size is not None and item.size > capabilities.max_size:
            raise _too_large(item, capabilities.max_size)
        response = self._request(
            "POST",
            self._transport.endpoint,
            headers={"Upload-Length": str(item.size), "Upload-Metadata": upload_metadata(item)},
        )
        response.close()
        if response.status_code != 201:
            if response.status_code == 413:
                raise _too_large(item, capabilities.max_size)
            _raise_for(response, f"creating the upload of {item.remote_path}")
        location = response.headers.get("Location")
        if not location:
            raise TransferError(
                "protocol.error", "The tus server created an upload but did not say where (no Location)."
            )
        return urljoin(response.url or self._transport.endpoint, location)

    def remote_offset(self, handle: str, item: RemoteFile) -> int | None:
        """The server's committed offset from ``HEAD``; ``None`` when the upload is gone or is another file's."""
        head = self._head(handle)
        if head is None:
            return None
        offset, length = head
        if length is not None and length != item.size:
            return None  # the handle was made for a different version of the file: it cannot be resumed
        return offset

    def send(self, handle: str, item: RemoteFile, source: BinaryIO, offset: int, hook: ChunkHook) -> int:
        """Send ``source`` from ``offset`` to the end of ``item``; return the server's committed offset.

        Parameters
        ----------
        handle
            The upload URL from :meth:`prepare`.
        item
            The file; ``item.size`` is what the upload was created with.
        source
            The local file, positioned at ``offset``; must be seekable (a resend seeks back).
        offset
            The server's offset to continue from (from :meth:`remote_offset`).
        hook
            Called with each piece before it goes on the wire; ``False`` stops the send after that piece.

        Returns
        -------
        int
            The committed offset: ``item.size`` when the file is complete, less after a stop.

        Raises
        ------
        TransferError
            Connection failures and server refusals (permanent or transient, per the status table).
        UploadGone
            The server no longer knows the upload (404/410).
        """
        algorithm = self.capabilities.checksum_algorithm
        if algorithm is not None:
            request_size = self._transport.checksum_request_size
        else:
            request_size = self._transport.max_request_size or item.size or 1
        position = offset
        self._hooked = offset
        conflicts = 0
        while position < item.size:
            end = min(item.size, position + request_size)
            if source.tell() != position:
                source.seek(position)
            try:
                if algorithm is None:
                    committed, stopped = self._patch_stream(handle, source, position, end, hook)
                else:
                    committed, stopped = self._patch_checksummed(handle, source, position, end, hook, algorithm)
            except _Stopped:
                return self._offset_after_stop(handle, position)
            except _Conflict:
                conflicts += 1
                server = self.remote_offset(handle, item)
                if server is None:
                    raise UploadGone() from None
                if server > self._hooked or conflicts > _MAX_CONFLICTS:
                    raise TransferError(
                        "offset.conflict",
                        f"The server's copy of {item.remote_path} changed while it was being sent "
                        f"(it holds {server:,} bytes); it will be checked again.",
                    ) from None
                position = server
                continue
            if committed <= position:
                raise TransferError(
                    "protocol.error", f"The tus server accepted none of the bytes sent for {item.remote_path}."
                )
            if committed > self._hooked:
                raise TransferError(
                    "offset.conflict",
                    f"The tus server reports more of {item.remote_path} than was sent ({committed:,} bytes).",
                )
            if committed > position:
                conflicts = 0
            position = committed
            if stopped:
                return position
        return position

    def verify(self, handle: str, item: RemoteFile) -> Verification:
        """Compare the server's ``Upload-Offset`` and ``Upload-Length`` with the local size."""
        head = self._head(handle)
        if head is None:
            return Verification(size_matches=False, detail="The server no longer holds the upload.")
        offset, length = head
        matches = offset == item.size and (length is None or length == item.size)
        if not matches:
            detail = f"the tus server holds {offset:,} of {item.size:,} bytes"
        elif self.capabilities.checksum_algorithm:
            # the same words for every file, so a report over many files stays one line
            detail = f"size checked by the tus server, each request's {self.capabilities.checksum_algorithm} too"
        else:
            detail = "size checked by the tus server; MD5 recorded locally"
        return Verification(size_matches=matches, detail=detail)

    def abandon(self, handle: str) -> None:
        """Delete the partial upload when the server offers termination. Never raises."""
        if "termination" not in self.capabilities.extensions:
            return
        try:
            self._request("DELETE", handle).close()
        except TransferError:
            pass  # nothing more to do: the server's expiry removes it eventually

    def close(self) -> None:
        """Close the keep-alive connection. Never raises."""
        try:
            self._http.close()
        except Exception:  # closing a socket must not hide the real outcome
            pass

    # ------------------------------------------------------------------ internals

    def _head(self, handle: str) -> tuple[int, int | None] | None:
        """``(offset, length)`` from ``HEAD``, or ``None`` for a gone upload."""
        response = self._request("HEAD", handle)
        response.close()
        if response.status_code in (404, 410):
            return None
        if response.status_code not in (200, 204):
            _raise_for(response, "asking the server how much it holds")
        offset = _header_int(response, "Upload-Offset")
        if offset is None:
            raise TransferError("protocol.error", "The tus server did not say how much of the upload it holds.")
        return offset, _header_int(response, "Upload-Length")

    def _offset_after_stop(self, handle: str, acknowledged: int) -> int:
        """After an aborted request: the server's offset now, or the last acknowledged one if it cannot say."""
        try:
            head = self._head(handle)
        except TransferError:
            return acknowledged
        return acknowledged if head is None else head[0]

    def _pieces(
        self, source: BinaryIO, start: int, end: int, hook: ChunkHook, stop: list[bool]
    ) -> Iterator[memoryview]:
        """Read ``source`` from ``start`` to ``end`` in pieces; hook new bytes; abort when the hook says stop.

        Each piece is a new ``bytes`` rather than a reused buffer: the engine's hasher
        keeps pieces it has not hashed yet, and an immutable piece it can keep as is,
        where a reused buffer would cost it a copy of every byte.
        """
        size = self._transport.piece_size
        position = start
        while position < end:
            data = source.read(min(size, end - position))
            filled = len(data)
            if filled == 0:
                raise TransferError(
                    "local.changed", "The local file became shorter while it was being sent; it will be sent again."
                )
            piece = memoryview(data)
            keep_going = self._hook_new(piece, position, hook)
            yield piece
            position += filled
            if not keep_going:
                stop[0] = True
                if position < end:
                    raise _Stopped()
                return

    def _hook_new(self, piece: memoryview, position: int, hook: ChunkHook) -> bool:
        """Call the hook on the part of ``piece`` (at file ``position``) it has not seen yet."""
        end = position + len(piece)
        if end <= self._hooked:
            return True
        fresh = piece[self._hooked - position :] if self._hooked > position else piece
        self._hooked = end
        return hook(fresh) is not False

    def _patch_stream(self, handle: str, source: BinaryIO, start: int, end: int, hook: ChunkHook) -> tuple[int, bool]:
        """One ``PATCH`` streamed straight from the file; returns (server offset, hook asked to stop)."""
        stop = [False]
        body = _Body(end - start, self._pieces(source, start, end, hook, stop))
        response = self._request("PATCH", handle, headers=_patch_headers(start), data=body)
        response.close()
        return _patched_offset(response, handle), stop[0]

    def _patch_checksummed(
        self, handle: str, source: BinaryIO, start: int, end: int, hook: ChunkHook, algorithm: str
    ) -> tuple[int, bool]:
        """One ``PATCH`` with ``Upload-Checksum``; the request's bytes are buffered so a 460 can resend them."""
        length = end - start
        if len(self._buffer) < length:
            self._buffer = bytearray(length)
        chunk = memoryview(self._buffer)[:length]
        filled = 0
        while filled < length:
            got = _read_into(source, chunk[filled:])
            if got == 0:
                raise TransferError(
                    "local.changed", "The local file became shorter while it was being sent; it will be sent again."
                )
            filled += got
        digest = base64.b64encode(hashlib.new(algorithm, chunk).digest()).decode("ascii")
        headers = {**_patch_headers(start), "Upload-Checksum": f"{algorithm} {digest}"}
        stop = [False]
        for _attempt in range(_MAX_CHECKSUM_RESENDS + 1):
            body = _Body(length, self._buffered_pieces(chunk, start, hook, stop))
            response = self._request("PATCH", handle, headers=headers, data=body)
            response.close()
            if response.status_code == 460:
                continue  # the server discarded the request's bytes; the offset is unchanged
            return _patched_offset(response, handle), stop[0]
        raise TransferError(
            "checksum.mismatch",
            f"The server received different bytes than were sent {_MAX_CHECKSUM_RESENDS + 1} times in a row "
            "(checksum mismatch); the connection may be corrupting data.",
        )

    def _buffered_pieces(
        self, chunk: memoryview, start: int, hook: ChunkHook, stop: list[bool]
    ) -> Iterator[memoryview]:
        """Hand out a buffered request body in pieces, hooking bytes the hook has not seen."""
        size = self._transport.piece_size
        for begin in range(0, len(chunk), size):
            piece = chunk[begin : begin + size]
            keep_going = self._hook_new(piece, start + begin, hook)
            yield piece
            if not keep_going:
                stop[0] = True
                if begin + len(piece) < len(chunk):
                    raise _Stopped()  # the server discards an incomplete checksummed request


def from_url(url: str, password: str | None) -> TusTransport:
    """The transport for a ``tus+http://`` or ``tus+https://`` target URL.

    Parameters
    ----------
    url
        ``tus+https://[user@]host[:port]/path``; the creation endpoint is the URL without ``tus+``.
    password
        With a user name in the URL: the HTTP Basic password. Without one: a bearer token.
        ``None`` falls back to a password in the URL, if any.

    Returns
    -------
    TusTransport

    Raises
    ------
    TransferError
        ``target.invalid`` (permanent) when the URL is not a tus URL.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("tus+http", "tus+https") or not parts.hostname:
        raise TransferError(
            "target.invalid",
            f"{_without_credentials(url)} is not a tus address; use tus+https://host/path or tus+http://host:port/path.",
            permanent=True,
        )
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise TransferError(
            "target.invalid", f"{_without_credentials(url)} has an invalid port.", permanent=True
        ) from None
    user = unquote(parts.username) if parts.username else None
    secret = password if password is not None else (unquote(parts.password) if parts.password else None)
    host_port = parts.netloc.rpartition("@")[2]
    endpoint = urlunsplit((scheme.removeprefix("tus+"), host_port, parts.path or "/", parts.query, ""))
    if user is not None:
        return TusTransport(endpoint, auth=(user, secret or ""))
    return TusTransport(endpoint, token=secret)


def upload_metadata(item: RemoteFile) -> str:
    """The ``Upload-Metadata`` header for ``item``: filename, relpath and the digests already known."""
    pairs = {"filename": posixpath.basename(item.remote_path) or item.remote_path, "relpath": item.remote_path}
    if item.sha256:
        pairs["sha256"] = item.sha256
    if item.md5:
        pairs["md5"] = item.md5
    return ",".join(f"{key} {base64.b64encode(value.encode('utf-8')).decode('ascii')}" for key, value in pairs.items())


# ---------------------------------------------------------------------- helpers


def _patch_headers(offset: int) -> dict[str, str]:
    return {"Upload-Offset": str(offset), "Content-Type": _OFFSET_CONTENT_TYPE}


def _patched_offset(response: requests.Response, handle: str) -> int:
    """The new offset from a ``PATCH`` response, or the right exception for its status."""
    status = response.status_code
    if status in (200, 204):
        offset = _header_int(response, "Upload-Offset")
        if offset is None:
            raise TransferError("protocol.error", "The tus server did not return the new offset after a PATCH.")
        return offset
    if status == 409:
        raise _Conflict()
    if status in (404, 410):
        raise UploadGone()
    _raise_for(response, "sending data")
    raise AssertionError("unreachable")  # pragma: no cover - _raise_for always raises


def _raise_for(response: requests.Response, action: str) -> None:
    """Raise the :class:`TransferError` for an unexpected status (transfers.md §2.3)."""
    status = response.status_code
    host = _host(response.url or "")
    said = _server_text(response)
    if status == 401:
        raise TransferError(
            "auth.failed", f"{host} refused the credentials while {action}; check the user name and password.",
            permanent=True,
        )
    if status == 403:
        raise TransferError("permission.denied", f"{host} does not allow this ({action}){said}.", permanent=True)
    if status in (404, 410):
        raise TransferError("target.not_found", f"{host} has no tus endpoint at {response.url}{said}.", permanent=True)
    if status == 412:
        raise TransferError(
            "protocol.version", f"{host} does not support tus {TUS_VERSION} (412 while {action}).", permanent=True
        )
    if status == 413:
        raise TransferError("remote.too_large", f"{host} refuses a file this large{said}.", permanent=True)
    if status == 423:
        raise TransferError("upload.locked", f"{host} reports the upload is in use by another request; retrying.")
    if status == 429:
        raise TransferError("server.busy", f"{host} asks to slow down (429 while {action}); retrying.")
    if status == 507:
        raise TransferError("remote.full", f"{host} has no space left for the upload{said}.", permanent=True)
    if status >= 500:
        raise TransferError("server.error", f"{host} failed while {action} (HTTP {status}){said}; retrying.")
    raise TransferError(
        "protocol.rejected", f"{host} rejected the request while {action} (HTTP {status}){said}.", permanent=True
    )


def _too_large(item: RemoteFile, max_size: int | None) -> TransferError:
    limit = f" (the server's limit is {max_size:,} bytes)" if max_size is not None else ""
    return TransferError(
        "remote.too_large", f"{item.remote_path} is {item.size:,} bytes, more than the server accepts{limit}.",
        permanent=True,
    )


def _read_into(source: BinaryIO, view: memoryview) -> int:
    """``readinto`` for any binary file object (falls back to ``read`` for objects without it)."""
    readinto = getattr(source, "readinto", None)
    if readinto is not None:
        return int(readinto(view) or 0)
    data = source.read(len(view))
    view[: len(data)] = data
    return len(data)


def _header_int(response: requests.Response, name: str) -> int | None:
    value = response.headers.get(name, "").strip()
    return int(value) if value.isdigit() else None


def _split_list(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _server_text(response: requests.Response) -> str:
    """A short, single-line excerpt of the server's explanation, or ``""``."""
    try:
        text = response.text  # already read: requests loads the body unless asked to stream
    except Exception:
        return ""
    text = " ".join(text.split())[:200]
    return f": {text}" if text else ""


def _host(url: str) -> str:
    return urlsplit(url).netloc.rpartition("@")[2] or "the tus server"


def _reason(error: BaseException) -> str:
    text = str(error)
    # requests nests the real cause deep inside its message; keep the last, most specific part.
    for marker in ("Caused by ", "] "):
        if marker in text:
            text = text.rsplit(marker, 1)[-1]
    return text.strip("()'\" ")[:200] or type(error).__name__


def _without_credentials(url: str) -> str:
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, parts.query, parts.fragment))


__all__ = [
    "DEFAULT_CHECKSUM_REQUEST_SIZE",
    "DEFAULT_PIECE_SIZE",
    "TUS_VERSION",
    "TusCapabilities",
    "TusSession",
    "TusTransport",
    "from_url",
    "upload_metadata",
]
