"""Target URLs: which transport a URL names, and how to show it without its password.

``file://``, ``ftp://``, ``ftps://``, ``tus+http://``, ``tus+https://``,
``globus://`` and ``ascp://`` each map to a module of this package named after the
protocol, imported only when used (so the command line does not load globus-sdk
to copy into a folder). Each module exposes ``from_url(url, password)`` returning a
transport. A module that is missing, or whose own dependencies are not installed,
gives a clear "not available" error instead of a traceback.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass, field
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

from .transport import HandoffTransport, StreamTransport, TransferError

log = logging.getLogger(__name__)

#: URL scheme → module of this package that implements it.
SCHEME_MODULES: dict[str, str] = {
    "file": "local",
    "ftp": "ftp",
    "ftps": "ftp",
    "tus+http": "tus",
    "tus+https": "tus",
    "globus": "globus",
    "ascp": "aspera",
}
#: Protocol names for messages.
SCHEME_NAMES = {"local": "folder", "ftp": "FTP", "tus": "tus", "globus": "Globus", "aspera": "Aspera"}


@dataclass(frozen=True)
class Target:
    """A parsed target URL; ``password`` is kept out of ``repr`` and :attr:`display`."""

    url: str = field(repr=False)
    scheme: str
    host: str
    port: int | None
    username: str
    path: str
    password: str | None = field(default=None, repr=False)

    @property
    def display(self) -> str:
        """The URL without its password, safe for logs, the ledger and reports."""
        return display_url(self.url)

    @property
    def account(self) -> str:
        """The key its password is stored under in the keyring, e.g. ``ftp://user@host:21``."""
        port = f":{self.port}" if self.port else ""
        user = f"{self.username}@" if self.username else ""
        return f"{self.scheme}://{user}{self.host}{port}"

    @property
    def module(self) -> str:
        """The transport module's name."""
        return SCHEME_MODULES[self.scheme]


def _parts(url: str) -> SplitResult:
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as error:
        raise TransferError("target.invalid", f"'{display_url(url)}' is not a valid address ({error}).",
                            permanent=True) from None
    return parts


def display_url(url: str) -> str:
    """``url`` without its password (and otherwise unchanged), safe to show, log and store."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return "<invalid address>"
    if parts.password is None:
        return url.strip()
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    netloc = f"{parts.username}@{host}{port}" if parts.username else f"{host}{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def parse_target(url: str) -> Target:
    """Parse a target URL.

    Raises
    ------
    TransferError
        ``target.invalid`` (permanent) for an address that is not a URL of a known protocol.
    """
    parts = _parts(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEME_MODULES:
        known = ", ".join(f"{name}://" for name in SCHEME_MODULES)
        shown = display_url(url)
        hint = " (a local folder is written file:///path/to/folder)" if not scheme or len(scheme) == 1 else ""
        raise TransferError(
            "target.invalid", f"'{shown}' is not a transfer target; use one of {known}{hint}.", permanent=True
        )
    return Target(
        url=url.strip(),
        scheme=scheme,
        host=parts.hostname or "",
        port=parts.port,
        username=unquote(parts.username or ""),
        path=unquote(parts.path),
        password=unquote(parts.password) if parts.password is not None else None,
    )


def open_transport(url: str, password: str | None = None) -> StreamTransport | HandoffTransport:
    """The transport for ``url``, built by its module's ``from_url(url, password)``.

    Parameters
    ----------
    url
        A target URL (see :data:`SCHEME_MODULES`).
    password
        The password to use; overrides one in the URL.

    Raises
    ------
    TransferError
        ``target.invalid`` for a bad URL; ``target.unavailable`` when the protocol is not
        available in this installation (its module or one of its dependencies is missing).
    """
    target = parse_target(url)
    name = SCHEME_NAMES.get(target.module, target.module)
    try:
        module = importlib.import_module(f"{__package__}.{target.module}")
    except ImportError as error:
        log.info("transport module %s cannot be imported: %s", target.module, error)
        missing = getattr(error, "name", "") or ""
        detail = "" if missing.endswith(f".{target.module}") else f" ({error})"
        raise TransferError(
            "target.unavailable",
            f"{name} transfers ({target.scheme}://) are not available in this installation{detail}.",
            permanent=True,
        ) from None
    factory = getattr(module, "from_url", None)
    if factory is None:
        raise TransferError(
            "target.unavailable", f"{name} transfers ({target.scheme}://) are not available yet.", permanent=True
        )
    transport: StreamTransport | HandoffTransport = factory(url, password)
    return transport
