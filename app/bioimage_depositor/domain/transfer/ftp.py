"""FTP and FTPS transport: resumable uploads with ``SIZE`` and ``REST``+``STOR`` (or ``APPE``).

This is how the BioImage Archive takes data (a secret directory on its FTP
server). One :class:`FtpSession` is one control connection, used for one file
after another by one engine worker:

* binary mode (``TYPE I``) first, because some servers refuse ``SIZE`` in ASCII mode;
* passive mode, so uploads work from behind NAT and firewalls;
* ``MKD`` of each directory level before ``STOR`` (a ``STOR`` into a missing folder fails);
* the committed offset is ``SIZE``; a resume is ``REST n`` + ``STOR``, or ``APPE``
  when the server does not support ``REST`` for uploads;
* a ``NOOP`` before each file when the control connection has been idle (NAT and
  firewalls drop idle connections during long data transfers), and a reconnect
  when the control connection turns out to be dead;
* replies mapped to stable error codes: ``530`` wrong login and ``552``/``452``
  no space stop the transfer; ``550`` no permission stops that file; ``4xx`` and
  dropped connections are retried by the engine.

Passwords are given to :func:`ftplib.FTP.login` and nowhere else: they never
appear in errors, logs or the ledger. There is no standard remote checksum in
FTP, so :meth:`FtpSession.verify` checks the size; the MD5 the engine computed
while sending is recorded for the archive's own check.
"""

from __future__ import annotations

import contextlib
import ftplib
import posixpath
import socket
import ssl
import time
from typing import Any, BinaryIO
from urllib.parse import unquote, urlsplit

from .transport import ChunkHook, RemoteFile, TransferError, Verification

#: Bytes per data-connection write (and per call of the engine's chunk hook).
CHUNK_SIZE = 1024 * 1024
#: Seconds of control-connection silence after which a ``NOOP`` checks it is still alive.
NOOP_AFTER_S = 15.0
#: After a crash or a dropped connection, seconds a partial remote file must stop growing before a resume
#: trusts its size: a server that keeps reading the dead connection's buffered bytes would otherwise get them
#: twice. (pyftpdlib drops them when the control connection dies, so the wait then costs this once per file.)
SETTLE_S = 1.0
#: Socket timeout for control and data connections (seconds).
DEFAULT_TIMEOUT_S = 60.0


def _reply_code(error: BaseException) -> str:
    return str(error)[:3]


def map_ftp_error(error: BaseException, what: str) -> TransferError:
    """Turn an :mod:`ftplib` or socket error into a :class:`TransferError` with a stable code.

    Parameters
    ----------
    error
        The exception raised by :mod:`ftplib` or the socket.
    what
        What was being done, for the message (e.g. ``"upload of a/b.tif"``).
    """
    if isinstance(error, TransferError):
        return error
    text = str(error).strip()
    code = _reply_code(error) if isinstance(error, ftplib.Error) else ""
    if code == "530":
        return TransferError(
            "auth.failed", f"The FTP server refused the login ({text}). Check the user name and password.",
            permanent=True,
        )
    if code in ("552", "452") or (code == "426" and "space" in text.lower()):
        return TransferError("remote.full", f"The server has no space left for the {what} ({text}).", permanent=True)
    if code == "550":
        return TransferError(
            "remote.permission",
            f"The server refused the {what} ({text}); check the target folder and your permissions.",
            permanent=True,
        )
    if code == "553":
        return TransferError("remote.name", f"The server does not accept the file name in the {what} ({text}).",
                             permanent=True)
    if code == "421":
        return TransferError("connection.lost", f"The server closed the connection during the {what} ({text}).")
    if code.startswith("4"):
        return TransferError("remote.busy", f"The server could not do the {what} for now ({text}).")
    if code.startswith("5"):
        return TransferError("remote.refused", f"The server refused the {what} ({text}).", permanent=True)
    if isinstance(error, socket.gaierror):
        return TransferError("connection.failed", f"The server's name could not be looked up ({error}); "
                             "check the address and the network.")
    if isinstance(error, ssl.SSLCertVerificationError):  # retrying cannot make an untrusted server trusted
        return TransferError(
            "tls.untrusted",
            f"The server's certificate is not trusted ({error.verify_message or error}); check the address, or "
            "ask the server's administrators which certificate authority signs it.",
            permanent=True,
        )
    if isinstance(error, ssl.SSLError):
        return TransferError("connection.tls", f"The secure connection failed during the {what} ({error}).")
    reason = text or type(error).__name__
    return TransferError("connection.lost", f"The connection was lost during the {what} ({reason}).")


class FtpSession:
    """One control connection (see the module docstring); not shared between threads."""

    def __init__(self, transport: FtpTransport) -> None:
        self._transport = transport
        self._ftp: ftplib.FTP | None = None
        self._base = "/"
        self._made: set[str] = set()
        self._rest_ok = True
        self._last_command = 0.0

    # ------------------------------------------------------------ connection

    def connect(self) -> None:
        """Connect, log in and switch to binary passive mode; raises :class:`TransferError`."""
        t = self._transport
        ftp: ftplib.FTP
        if t.tls:
            ftp = ftplib.FTP_TLS(context=t.context or ssl.create_default_context(), timeout=t.timeout)
        else:
            ftp = ftplib.FTP(timeout=t.timeout)
        try:
            ftp.connect(t.host, t.port)
        except (OSError, EOFError, ftplib.Error) as error:
            with contextlib.suppress(Exception):
                ftp.close()
            raise TransferError(
                "connection.failed", f"Cannot reach the FTP server {t.host}:{t.port} ({error or type(error).__name__})."
            ) from None
        try:
            if isinstance(ftp, ftplib.FTP_TLS):
                try:
                    ftp.auth()
                except ftplib.error_perm as error:
                    raise TransferError(
                        "protocol.tls", f"The server {t.host} does not offer FTPS ({error}); use ftp:// only if an "
                        "unencrypted connection is acceptable.", permanent=True,
                    ) from None
            ftp.login(t.user or "anonymous", t.password or "")
            if isinstance(ftp, ftplib.FTP_TLS):
                ftp.prot_p()
            ftp.set_pasv(True)
            ftp.voidcmd("TYPE I")
            self._base = ftp.pwd() or "/"
        except TransferError:
            with contextlib.suppress(Exception):
                ftp.close()
            raise
        except (OSError, EOFError, ftplib.Error) as error:
            with contextlib.suppress(Exception):
                ftp.close()
            raise map_ftp_error(error, "login") from None
        self._ftp = ftp
        self._made.clear()
        self._last_command = time.monotonic()

    def _conn(self) -> ftplib.FTP:
        if self._ftp is None:
            self.connect()
        assert self._ftp is not None
        return self._ftp

    def _drop(self) -> None:
        if self._ftp is not None:
            with contextlib.suppress(Exception):
                self._ftp.close()
            self._ftp = None

    def _command(self, what: str, call: Any) -> Any:
        """Run an idempotent control command; reconnect once if the control connection has died."""
        for attempt in (1, 2):
            ftp = self._conn()
            try:
                result = call(ftp)
                self._last_command = time.monotonic()
                return result
            except (OSError, EOFError, ftplib.error_temp, ftplib.error_reply, ftplib.error_proto) as error:
                if isinstance(error, ftplib.error_temp) and _reply_code(error) != "421":
                    raise map_ftp_error(error, what) from None
                self._drop()
                if attempt == 2:
                    raise map_ftp_error(error, what) from None
            except ftplib.error_perm as error:
                raise map_ftp_error(error, what) from None
        raise AssertionError("unreachable")

    def _keep_alive(self) -> None:
        """``NOOP`` after a long silence; a dead control connection is replaced."""
        if self._ftp is not None and time.monotonic() - self._last_command > NOOP_AFTER_S:
            try:
                self._ftp.voidcmd("NOOP")
                self._last_command = time.monotonic()
            except (OSError, EOFError, ftplib.Error):
                self._drop()

    # ------------------------------------------------------------ paths

    def remote_path(self, relative: str) -> str:
        """Absolute remote path of a file relative to the target folder."""
        parts = [p for p in relative.split("/") if p]
        if not parts or ".." in parts:
            raise TransferError("remote.name", f"'{relative}' is not a usable remote file name.", permanent=True)
        return posixpath.join(self._base, self._transport.root.strip("/"), *parts)

    def _make_dirs(self, folder: str) -> None:
        levels = []
        while folder not in ("/", "", self._base) and folder not in self._made:
            levels.append(folder)
            folder = posixpath.dirname(folder)
        for level in reversed(levels):
            try:
                self._command(f"creation of the folder {level}", lambda f, level=level: f.mkd(level))
            except TransferError as error:
                # an existing folder answers 550 too: it is fine if we can enter it
                try:
                    self._command(f"opening of the folder {level}", lambda f, level=level: f.cwd(level))
                except TransferError:
                    raise error from None
            self._made.add(level)

    # ------------------------------------------------------------ StreamSession

    def prepare(self, item: RemoteFile) -> str:
        """Create the remote folders; the handle is the file's absolute remote path."""
        self._keep_alive()
        path = self.remote_path(item.remote_path)
        self._make_dirs(posixpath.dirname(path))
        return path

    def _size(self, handle: str) -> int | None:
        try:
            size = self._command(f"size check of {handle}", lambda f: f.size(handle))
        except TransferError as error:
            if error.code == "remote.permission":  # 550: no such file
                return None
            raise
        return None if size is None else int(size)

    def remote_offset(self, handle: str, item: RemoteFile) -> int | None:
        """``SIZE`` of the remote file; ``None`` when it does not exist."""
        self._keep_alive()
        return self._size(handle)

    def _open_data(self, handle: str, offset: int) -> Any:
        ftp = self._conn()
        if offset > 0 and self._rest_ok:
            try:
                return ftp.transfercmd(f"STOR {handle}", rest=offset)
            except (ftplib.error_perm, ftplib.error_reply) as error:
                if _reply_code(error) not in ("500", "501", "502", "504", "350"):
                    raise
                self._rest_ok = False  # REST not supported for uploads here: APPE from now on
                ftp.voidcmd("TYPE I")
        if offset > 0:
            return ftp.transfercmd(f"APPE {handle}")
        return ftp.transfercmd(f"STOR {handle}")

    def send(self, handle: str, item: RemoteFile, source: BinaryIO, offset: int, hook: ChunkHook) -> int:
        """Upload from ``offset`` to the end (see :class:`~.transport.StreamSession`)."""
        if offset >= item.size > 0:
            return offset
        what = f"upload of {item.remote_path}"
        try:
            conn = self._open_data(handle, offset)
        except (OSError, EOFError, ftplib.Error) as error:
            self._drop_on_connection_error(error)
            raise map_ftp_error(error, what) from None
        sent = offset
        stopped = False
        try:
            try:
                while True:
                    chunk = source.read(CHUNK_SIZE)
                    if not chunk:
                        break
                    if hook(memoryview(chunk)) is False:
                        stopped = True
                        break
                    conn.sendall(chunk)
                    sent += len(chunk)
                if isinstance(conn, ssl.SSLSocket):
                    conn.unwrap()
            finally:
                conn.close()
            assert self._ftp is not None
            self._ftp.voidresp()
            self._last_command = time.monotonic()
        except (OSError, EOFError, ftplib.Error) as error:
            raise self._data_failure(error, what) from None
        if stopped:
            offset_now = self._size(handle)
            return sent if offset_now is None else offset_now
        return sent

    def _data_failure(self, error: BaseException, what: str) -> TransferError:
        """After a failed data transfer: prefer the server's explanation (e.g. ``552``) to the socket's."""
        mapped = map_ftp_error(error, what)
        if isinstance(error, OSError) and self._ftp is not None:
            try:
                if self._ftp.sock is not None:
                    self._ftp.sock.settimeout(2.0)
                self._ftp.voidresp()
            except ftplib.Error as reply:
                mapped = map_ftp_error(reply, what)
            except Exception:  # no explanation: the connection itself is gone
                pass
        self._drop()  # the control connection is in an unknown state: the next use reconnects
        return mapped

    def _drop_on_connection_error(self, error: BaseException) -> None:
        if isinstance(error, (OSError, EOFError)) or _reply_code(error) == "421":
            self._drop()

    def verify(self, handle: str, item: RemoteFile) -> Verification:
        """Compare the remote ``SIZE`` with the local size (FTP has no standard checksum)."""
        size = self._size(handle)
        if size == item.size:
            return Verification(True, detail="size checked by the server; MD5 recorded locally")
        return Verification(False, detail=f"the server holds {size if size is not None else 'no'} bytes "
                            f"instead of {item.size}")

    def abandon(self, handle: str) -> None:
        """Delete the partial remote file (``DELE``); errors are ignored."""
        with contextlib.suppress(Exception):
            self._command(f"removal of {handle}", lambda f: f.delete(handle))

    def close(self) -> None:
        """``QUIT`` politely, or just close."""
        if self._ftp is not None:
            with contextlib.suppress(Exception):
                self._ftp.quit()
            self._drop()


class FtpTransport:
    """FTP or FTPS target: ``ftp://user@host[:port]/folder`` (see the module docstring).

    Parameters
    ----------
    host, port
        The server.
    user, password
        The login (anonymous when ``user`` is empty).
    root
        The target folder, relative to the folder the server puts the user in after login.
    tls
        Explicit FTPS (``AUTH TLS`` then ``PROT P``), for ``ftps://``.
    timeout
        Socket timeout in seconds.
    context
        TLS settings (default: the system's trusted certificates, host name checked).
    """

    def __init__(
        self,
        host: str,
        port: int = 21,
        user: str = "",
        password: str | None = None,
        root: str = "",
        *,
        tls: bool = False,
        timeout: float = DEFAULT_TIMEOUT_S,
        context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.root = root
        self.tls = tls
        self.timeout = timeout
        self.context = context
        self.name = "FTPS" if tls else "FTP"
        self.settle_seconds = SETTLE_S

    def __repr__(self) -> str:  # never show the password
        user = f"{self.user}@" if self.user else ""
        return f"FtpTransport({self.name.lower()}://{user}{self.host}:{self.port}/{self.root})"

    def open_session(self) -> FtpSession:
        """Connect and log in; ``auth.failed`` (permanent) for a refused login."""
        session = FtpSession(self)
        session.connect()
        return session


def from_url(url: str, password: str | None = None) -> FtpTransport:
    """An :class:`FtpTransport` for ``ftp://`` or ``ftps://`` URLs.

    Parameters
    ----------
    url
        ``ftp[s]://[user[:password]@]host[:port]/folder``; the folder is relative to the login folder.
    password
        Used instead of a password in the URL.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("ftp", "ftps"):
        raise ValueError(f"not an FTP URL: {url}")
    if not parts.hostname:
        raise TransferError("target.invalid", "The FTP address has no server name, e.g. ftp://user@host/folder.",
                            permanent=True)
    try:
        port = parts.port or 21
    except ValueError:
        raise TransferError("target.invalid", "The FTP address has an invalid port number.", permanent=True) from None
    return FtpTransport(
        parts.hostname,
        port,
        unquote(parts.username or ""),
        password if password is not None else (unquote(parts.password) if parts.password else None),
        unquote(parts.path).strip("/"),
        tls=parts.scheme == "ftps",
    )
