"""Signing in to Globus as a native app, so that Globus targets get an authenticated ``TransferClient``.

The Globus hand-off (:mod:`.globus`) needs the user's permission to start and
watch transfer tasks. This module does the native-app sign-in (OAuth2
authorization code with PKCE, no client secret) and keeps its result:

1. :func:`start_login` builds the authorize URL (transfer scope, plus the
   ``data_access`` scope of each GCSv5 collection given, as an optional
   dependency of the transfer scope, and ``openid profile email`` to know who
   signed in). The user opens it in a browser, signs in, and Globus shows a
   one-time code.
2. :meth:`LoginFlow.finish` exchanges that code (with the PKCE verifier) for
   tokens, keeps the refresh token in the :class:`~..secrets.SecretStore` (the
   system keyring, or memory for this session), never in settings or logs, and
   installs a client factory into :mod:`.globus`.
3. :func:`transfer_client` builds a ``TransferClient`` with a
   ``RefreshTokenAuthorizer`` that writes refreshed tokens back to the store.
4. :func:`sign_out` revokes the tokens at Globus and deletes them here.

:func:`install_stored_login` is what the CLI and the GUI call at start: when a
sign-in is stored, Globus targets can use it without asking again.

**The client id must be registered by whoever distributes the program.** A
native app is identified by a public client id that its distributor registers
at https://app.globus.org/settings/developers ("Register a thick client or
script that will be installed and run by users on their devices"). This
project cannot register one on its builders' behalf, so the built-in value is
the placeholder :data:`UNREGISTERED_CLIENT_ID`, and signing in refuses with a
plain explanation until :data:`CLIENT_ID_ENV` names a registered client id.
Nothing here has been tried against the real Globus Auth service; the tests use
globus-sdk's recorded responses.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import globus_sdk
from globus_sdk.scopes import AuthScopes, GCSCollectionScopes, Scope, TransferScopes
from globus_sdk.transport import RetryConfig

from ..secrets import SecretStore
from . import globus
from .transport import TransferError

log = logging.getLogger(__name__)

#: Environment variable naming the program's registered Globus native-app client id.
CLIENT_ID_ENV = "BIOIMAGE_DEPOSITOR_GLOBUS_CLIENT_ID"
#: The built-in client id: a placeholder. The distributor must register a native app and set :data:`CLIENT_ID_ENV`.
UNREGISTERED_CLIENT_ID = "UNREGISTERED-the-distributor-must-register-a-Globus-native-app"
#: Where a distributor registers the native app that provides the client id.
REGISTER_APP_PAGE = "https://app.globus.org/settings/developers"
#: Where a user sees (and can withdraw) what the program may do in their name.
CONSENTS_PAGE = "https://app.globus.org/account/consents"
#: Keyring account under which the sign-in (refresh token, access token, identity) is kept.
KEYRING_ACCOUNT = "globus:login"
#: Shown on Globus's consent page, so users recognise the grant later.
GRANT_LABEL = "BioImage Depositor"
#: The Transfer service's resource server in token responses.
TRANSFER_RS = "transfer.api.globus.org"
AUTH_RS = "auth.globus.org"

NOT_CONFIGURED = (
    "Globus sign-in is not available in this copy of BioImage Depositor: it has no registered Globus app "
    f"(client id). Whoever distributes the program must register a native app at {REGISTER_APP_PAGE} and set "
    f"the {CLIENT_ID_ENV} environment variable to its client id."
)

_install_lock = threading.Lock()


class GlobusLoginError(TransferError):
    """Signing in to Globus failed; ``str(error)`` says why and what to do (never a token)."""

    def __init__(self, code: str, message: str, *, permanent: bool = True) -> None:
        super().__init__(code, message, permanent=permanent)


# ---------------------------------------------------------------------- configuration


def configured_client_id(environ: Mapping[str, str] | None = None) -> str | None:
    """The registered client id from :data:`CLIENT_ID_ENV`, or ``None`` when only the placeholder is there."""
    env = os.environ if environ is None else environ
    value = (env.get(CLIENT_ID_ENV) or "").strip()
    return value if value and value != UNREGISTERED_CLIENT_ID else None


def require_client_id(environ: Mapping[str, str] | None = None) -> str:
    """The registered client id.

    Raises
    ------
    GlobusLoginError
        ``globus.no_client_id`` when none is configured, ``globus.bad_client_id`` when it is not a UUID.
    """
    client_id = configured_client_id(environ)
    if client_id is None:
        raise GlobusLoginError("globus.no_client_id", NOT_CONFIGURED)
    try:
        return str(uuid.UUID(client_id))
    except ValueError:
        raise GlobusLoginError(
            "globus.bad_client_id",
            f"{CLIENT_ID_ENV} is set to '{client_id}', which is not a Globus client id (those look like "
            f"1b0dc9d3-0a2b-4000-8bbf-3d3f4a6b2b4c). Copy the client id of the native app from {REGISTER_APP_PAGE}.",
        ) from None


def login_scopes(collections: Iterable[str] = ()) -> list[Scope]:
    """The scopes a sign-in asks for.

    Parameters
    ----------
    collections
        GCSv5 collection ids whose ``data_access`` consent the transfer scope should carry
        (optional dependencies, as globus-cli asks for them).

    Raises
    ------
    GlobusLoginError
        ``globus.bad_collection`` when a collection id is not a UUID.
    """
    transfer = TransferScopes.all
    for collection in _collection_ids(collections):
        transfer = transfer.with_dependency(GCSCollectionScopes(collection).data_access.with_optional(True))
    return [AuthScopes.openid, AuthScopes.profile, AuthScopes.email, transfer]


def _collection_ids(collections: Iterable[str]) -> list[str]:
    result: list[str] = []
    for raw in collections:
        try:
            collection = str(uuid.UUID(str(raw).strip()))
        except ValueError:
            raise GlobusLoginError(
                "globus.bad_collection",
                f"'{raw}' is not a Globus collection id (a UUID such as 138b5c78-adef-4c12-89e6-2cd170bf63ed).",
            ) from None
        if collection not in result:
            result.append(collection)
    return result


# ---------------------------------------------------------------------- what is kept


@dataclass(frozen=True)
class GlobusIdentity:
    """Who signed in (from the id_token or the userinfo call)."""

    username: str = ""  # the identity EMPIAR shares upload folders with, e.g. jane@globusid.org
    name: str = ""
    email: str = ""
    sub: str = ""

    def display(self) -> str:
        """A short phrase naming the identity ("an unknown identity" when Globus did not say)."""
        if self.name and self.username:
            return f"{self.name} ({self.username})"
        return self.username or self.name or self.email or "an unknown Globus identity"


_IDENTITY_KEYS = ("username", "name", "email", "sub")


@dataclass(frozen=True)
class StoredLogin:
    """A sign-in as kept in the secret store (one JSON value; tokens never leave it)."""

    refresh_token: str
    access_token: str = ""
    expires_at: int | None = None
    client_id: str = ""
    collections: tuple[str, ...] = ()
    identity: GlobusIdentity = field(default_factory=GlobusIdentity)
    signed_in_at: int = 0

    def __repr__(self) -> str:  # never show a token
        return f"StoredLogin(identity={self.identity!r}, collections={self.collections!r})"

    def to_json(self) -> str:
        """The value for the secret store (compact: some keyrings limit a secret's size)."""
        data = {
            "refresh_token": self.refresh_token,
            "access_token": self.access_token,
            "expires_at": self.expires_at,
            "client_id": self.client_id,
            "collections": list(self.collections),
            "identity": {k: v for k, v in vars(self.identity).items() if v},
            "signed_in_at": self.signed_in_at,
        }
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> StoredLogin | None:
        """Read a stored value; ``None`` when it is unreadable (treated as not signed in)."""
        try:
            data = json.loads(text)
            identity = data.get("identity") or {}
            login = cls(
                refresh_token=str(data["refresh_token"]),
                access_token=str(data.get("access_token") or ""),
                expires_at=int(data["expires_at"]) if data.get("expires_at") is not None else None,
                client_id=str(data.get("client_id") or ""),
                collections=tuple(str(c) for c in data.get("collections") or ()),
                identity=GlobusIdentity(**{key: str(identity.get(key) or "") for key in _IDENTITY_KEYS}),
                signed_in_at=int(data.get("signed_in_at") or 0),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        return login if login.refresh_token else None


def _default_store() -> SecretStore:
    # The program's one store: session-only secrets live inside it, so sign-in and transfers must share it.
    # Imported here because the archives package imports the transfer package.
    from ..archives.session import shared_secret_store

    return shared_secret_store()


def load_login(store: SecretStore | None = None) -> StoredLogin | None:
    """The stored sign-in, or ``None`` (blocking: the keyring may be slow)."""
    text = (store or _default_store()).get(KEYRING_ACCOUNT)
    if not text:
        return None
    login = StoredLogin.from_json(text)
    if login is None:
        log.warning("the stored Globus sign-in is unreadable; it is treated as signed out")
    return login


# ---------------------------------------------------------------------- signing in


class LoginFlow:
    """One sign-in attempt: the authorize URL to open, then :meth:`finish` with the code Globus shows.

    Use :func:`start_login` to make one. The PKCE verifier lives only in this object, so the code
    must be exchanged by the same flow (the same process) that made the URL.
    """

    def __init__(self, client_id: str, collections: Iterable[str] = ()) -> None:
        self.client_id = client_id
        self.collections = tuple(_collection_ids(collections))
        self._auth = globus_sdk.NativeAppAuthClient(client_id)
        self._flow = self._auth.oauth2_start_flow(
            login_scopes(self.collections), refresh_tokens=True, prefill_named_grant=GRANT_LABEL
        )
        self.authorize_url: str = self._flow.get_authorize_url()

    def finish(self, code: str, store: SecretStore | None = None) -> StoredLogin:
        """Exchange the code for tokens, keep them in ``store`` and make Globus targets use them.

        Parameters
        ----------
        code
            The code Globus showed after sign-in (a pasted address that carries ``code=`` works too).
        store
            Where the tokens go; default: the program's shared secret store.

        Raises
        ------
        GlobusLoginError
            An empty or refused code, Globus unreachable, or an answer without a refresh token.
        """
        code = _clean_code(code)
        try:
            tokens = self._flow.exchange_code_for_tokens(code)
        except globus_sdk.GlobusAPIError as error:
            raise _exchange_error(error) from None
        except globus_sdk.NetworkError as error:
            raise GlobusLoginError(
                "connection.lost",
                f"Globus could not be reached to finish signing in ({type(error).__name__}). Check the network "
                "and paste the code again; it stays valid for a few minutes.",
                permanent=False,
            ) from None
        transfer = tokens.by_resource_server.get(TRANSFER_RS) or {}
        if not transfer.get("refresh_token"):
            raise GlobusLoginError(
                "globus.no_refresh_token",
                "Globus signed you in but did not allow the program to stay signed in (no refresh token for "
                "transfers). Sign in again and approve every permission asked for.",
            )
        store = store or _default_store()
        previous = load_login(store)
        collections = self.collections
        if previous is not None and previous.client_id == self.client_id:
            # consents given earlier stay with Globus; keep listing them so status shows them all
            collections = tuple(dict.fromkeys((*previous.collections, *collections)))
        login = StoredLogin(
            refresh_token=str(transfer["refresh_token"]),
            access_token=str(transfer.get("access_token") or ""),
            expires_at=_int_or_none(transfer.get("expires_at_seconds")),
            client_id=self.client_id,
            collections=collections,
            identity=_identity(tokens, self._auth),
            signed_in_at=int(time.time()),
        )
        store.set(KEYRING_ACCOUNT, login.to_json())
        _install(login, store)
        return login


def start_login(collections: Iterable[str] = (), *, environ: Mapping[str, str] | None = None) -> LoginFlow:
    """Begin a sign-in; show or open :attr:`LoginFlow.authorize_url`, then call :meth:`LoginFlow.finish`.

    Parameters
    ----------
    collections
        GCSv5 collection ids to ask ``data_access`` consent for (e.g. the archive's destination).
    environ
        Environment variables to read :data:`CLIENT_ID_ENV` from (default :data:`os.environ`).

    Raises
    ------
    GlobusLoginError
        No registered client id, or a collection id that is not a UUID. No network is used.
    """
    return LoginFlow(require_client_id(environ), collections)


def _clean_code(code: str) -> str:
    text = "".join(code.split())
    if "code=" in text:  # the whole address of Globus's code page was pasted
        text = parse_qs(urlsplit(text).query).get("code", [""])[0] or text
    if not text:
        raise GlobusLoginError(
            "globus.no_code", "Paste the code Globus shows after you sign in (a line of letters and digits)."
        )
    return text


def _exchange_error(error: globus_sdk.GlobusAPIError) -> GlobusLoginError:
    body = error.raw_json if isinstance(error.raw_json, dict) else {}
    said = str(body.get("error") or error.code or "")
    if error.http_status in (400, 401, 403) or said in ("invalid_grant", "invalid_request"):
        return GlobusLoginError(
            "globus.bad_code",
            "Globus did not accept that code. Codes work once and only for a few minutes, and only for the "
            "sign-in that produced them: start signing in again and paste the new code exactly as shown.",
        )
    if error.http_status >= 500 or error.http_status == 429:
        return GlobusLoginError(
            "server.error",
            f"Globus could not finish signing in right now (HTTP {error.http_status}); try again in a minute.",
            permanent=False,
        )
    return GlobusLoginError("globus.rejected", f"Globus refused the sign-in ({said or error.http_status}).")


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _identity(tokens: globus_sdk.OAuthTokenResponse, auth: globus_sdk.NativeAppAuthClient) -> GlobusIdentity:
    """Who signed in: the id_token's claims, else Globus's userinfo answer, else unknown (never fatal)."""
    claims = _id_token_claims(tokens.get("id_token"), auth.client_id)
    if claims is None:
        auth_token = (tokens.by_resource_server.get(AUTH_RS) or {}).get("access_token")
        if auth_token:
            try:
                client = globus_sdk.AuthClient(authorizer=globus_sdk.AccessTokenAuthorizer(str(auth_token)))
                claims = dict(client.userinfo().data or {})
            except globus_sdk.GlobusError as error:
                log.warning("Globus did not say who signed in (%s)", type(error).__name__)
    claims = claims or {}
    return GlobusIdentity(
        username=str(claims.get("preferred_username") or ""),
        name=str(claims.get("name") or ""),
        email=str(claims.get("email") or ""),
        sub=str(claims.get("sub") or ""),
    )


def _id_token_claims(id_token: Any, client_id: str | None) -> dict[str, Any] | None:
    """The claims of an id_token received straight from the token endpoint.

    OpenID Connect Core §3.1.3.7 lets a client rely on TLS instead of the signature for an
    id_token it received directly from the token endpoint, so no key download is needed;
    the audience is still checked. Only used to show who signed in, never to authorise.
    """
    if not isinstance(id_token, str) or id_token.count(".") != 2:
        return None
    payload = id_token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(claims, dict):
        return None
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if client_id and client_id not in audiences:
        return None
    return claims


# ---------------------------------------------------------------------- using the sign-in


def transfer_client(login: StoredLogin, store: SecretStore | None = None) -> globus_sdk.TransferClient:
    """A ``TransferClient`` that refreshes its access token with the stored refresh token.

    Refreshed tokens (and a rotated refresh token) are written back to ``store`` so the next run
    starts with them. No network is used until the client makes its first call.
    """
    store = store or _default_store()
    client_id = login.client_id or require_client_id()
    auth = globus_sdk.NativeAppAuthClient(client_id)
    state = {"login": login}

    def on_refresh(response: globus_sdk.OAuthRefreshTokenResponse) -> None:
        tokens = response.by_resource_server.get(TRANSFER_RS) or {}
        current = state["login"]
        updated = StoredLogin(
            refresh_token=str(tokens.get("refresh_token") or current.refresh_token),
            access_token=str(tokens.get("access_token") or ""),
            expires_at=_int_or_none(tokens.get("expires_at_seconds")),
            client_id=current.client_id,
            collections=current.collections,
            identity=current.identity,
            signed_in_at=current.signed_in_at,
        )
        state["login"] = updated
        store.set(KEYRING_ACCOUNT, updated.to_json())

    authorizer = globus_sdk.RefreshTokenAuthorizer(
        login.refresh_token,
        auth,
        access_token=login.access_token or None,
        expires_at=login.expires_at if login.access_token else None,
        on_refresh=on_refresh,
    )
    return globus_sdk.TransferClient(authorizer=authorizer)


def _install(login: StoredLogin, store: SecretStore) -> None:
    """Make Globus targets build their client from this sign-in."""

    def factory() -> globus_sdk.TransferClient:
        # read again at each use: another window may have signed out or refreshed the tokens meanwhile
        current = load_login(store)
        if current is None:
            raise TransferError(
                "auth.required",
                "Sign in to Globus first: the stored Globus sign-in has been removed.",
                permanent=True,
            )
        return transfer_client(current, store)

    with _install_lock:
        globus.register_client_factory(factory)


def install_stored_login(store: SecretStore | None = None) -> StoredLogin | None:
    """Let Globus targets use the stored sign-in, if there is one (call at program start, off the UI thread).

    Parameters
    ----------
    store
        Where the sign-in is kept; default: the program's shared secret store.

    Returns
    -------
    StoredLogin or None
        The sign-in now in use, or ``None`` (nothing installed) when there is none.
    """
    store = store or _default_store()
    login = load_login(store)
    if login is not None:
        _install(login, store)
    return login


@dataclass(frozen=True)
class SignOutResult:
    """What signing out did: whether Globus confirmed the revocation, and a sentence for the user."""

    was_signed_in: bool
    revoked: bool
    message: str


def sign_out(store: SecretStore | None = None) -> SignOutResult:
    """Revoke the stored tokens at Globus, then delete them here (deleted even when Globus cannot be reached)."""
    store = store or _default_store()
    login = load_login(store)
    had_value = store.get(KEYRING_ACCOUNT) is not None
    revoked = False
    if login is not None:
        client_id = login.client_id or configured_client_id()
        if client_id:
            # one retry: the user is waiting, and the tokens are removed here whatever Globus answers
            auth = globus_sdk.NativeAppAuthClient(client_id, retry_config=RetryConfig(max_retries=1))
            try:
                for token in (login.refresh_token, login.access_token):
                    if token:
                        auth.oauth2_revoke_token(token)
                revoked = True
            except globus_sdk.GlobusError as error:
                log.warning("revoking the Globus tokens failed (%s)", type(error).__name__)
    store.delete(KEYRING_ACCOUNT)
    with _install_lock:
        globus.register_client_factory(None)
    if login is None and not had_value:
        return SignOutResult(False, False, "Not signed in to Globus; nothing to remove.")
    if revoked:
        return SignOutResult(True, True, "Signed out of Globus: the tokens were revoked and removed from here.")
    return SignOutResult(
        True,
        False,
        "The Globus sign-in was removed from this computer, but Globus could not be told to revoke it. "
        f"To withdraw it now, remove BioImage Depositor at {CONSENTS_PAGE}.",
    )


@dataclass(frozen=True)
class LoginStatus:
    """What the Accounts window and ``globus status`` show (no tokens, no network)."""

    configured: bool
    login: StoredLogin | None
    persistent: bool
    notice: str

    @property
    def signed_in(self) -> bool:
        """Whether a sign-in is stored."""
        return self.login is not None


def login_status(store: SecretStore | None = None, environ: Mapping[str, str] | None = None) -> LoginStatus:
    """Whether a client id is configured and who is signed in (blocking: reads the keyring)."""
    store = store or _default_store()
    return LoginStatus(configured_client_id(environ) is not None, load_login(store), store.persistent, store.notice)


__all__ = [
    "CLIENT_ID_ENV",
    "CONSENTS_PAGE",
    "KEYRING_ACCOUNT",
    "NOT_CONFIGURED",
    "REGISTER_APP_PAGE",
    "UNREGISTERED_CLIENT_ID",
    "GlobusIdentity",
    "GlobusLoginError",
    "LoginFlow",
    "LoginStatus",
    "SignOutResult",
    "StoredLogin",
    "configured_client_id",
    "install_stored_login",
    "load_login",
    "login_scopes",
    "login_status",
    "require_client_id",
    "sign_out",
    "start_login",
    "transfer_client",
]
