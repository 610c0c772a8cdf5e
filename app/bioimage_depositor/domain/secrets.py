"""Passwords and tokens in the operating system's keyring, behind one small interface.

Secrets never go into drafts, config files, logs, ledgers or reports. When no
keyring backend works (a headless server, a locked or missing keyring) the store
falls back to memory for this session only and says so through
:attr:`SecretStore.persistent` and :attr:`SecretStore.notice`, so the program can
tell the user that the password will be asked again next time.

:func:`resolve_password` decides where a transfer's password comes from: the
target URL (with a warning, as it may end up in shell history), the environment
variable :data:`PASSWORD_ENV`, or the keyring.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

#: Keyring service name under which every secret of the program is stored.
SERVICE = "bioimage-depositor"
#: Environment variable holding a transfer password (for scripts and cluster jobs).
PASSWORD_ENV = "BIOIMAGE_DEPOSITOR_PASSWORD"


class SecretStore:
    """Get, set and delete secrets by service and account.

    Parameters
    ----------
    service
        Default service name for calls that do not give one.

    Notes
    -----
    The keyring is probed once when the store is made. Any later keyring error
    (a locked collection, a vanished D-Bus session) moves the store to memory too,
    keeping what it already had.
    """

    def __init__(self, service: str = SERVICE) -> None:
        self.service = service
        self._memory: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()
        self._keyring = _usable_keyring()
        self.notice = "" if self._keyring is not None else _SESSION_ONLY

    @property
    def persistent(self) -> bool:
        """Whether secrets are kept by the system keyring (``False``: for this session only)."""
        return self._keyring is not None

    def _fall_back(self, error: Exception) -> None:
        log.warning("the keyring failed (%s); secrets are kept for this session only", type(error).__name__)
        self._keyring = None
        self.notice = _SESSION_ONLY

    def get(self, account: str, service: str | None = None) -> str | None:
        """The secret stored for ``account``, or ``None``."""
        key = (service or self.service, account)
        with self._lock:
            if key in self._memory:
                return self._memory[key]
        if self._keyring is not None:
            try:
                value: str | None = self._keyring.get_password(*key)
                return value
            except Exception as error:  # keyring backends raise many different things
                self._fall_back(error)
        return None

    def set(self, account: str, secret: str, service: str | None = None) -> None:
        """Store ``secret`` for ``account`` (in memory when the keyring does not work)."""
        key = (service or self.service, account)
        if self._keyring is not None:
            try:
                self._keyring.set_password(*key, secret)
                with self._lock:
                    self._memory.pop(key, None)
                return
            except Exception as error:
                self._fall_back(error)
        with self._lock:
            self._memory[key] = secret

    def delete(self, account: str, service: str | None = None) -> None:
        """Forget the secret for ``account``; nothing happens when there is none."""
        key = (service or self.service, account)
        with self._lock:
            self._memory.pop(key, None)
        if self._keyring is not None:
            try:
                self._keyring.delete_password(*key)
            except Exception as error:
                if type(error).__name__ != "PasswordDeleteError":
                    self._fall_back(error)


_SESSION_ONLY = (
    "No system keyring is available, so passwords are kept only until the program ends "
    "and will be asked for again next time."
)


def _usable_keyring() -> Any:
    """The keyring module when a real backend is configured, else ``None``."""
    try:
        import keyring
        from keyring.backends import fail
    except Exception:  # keyring missing or broken: memory only
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:
        return None
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 1) <= 0:
        return None
    return keyring


@dataclass(frozen=True)
class PasswordChoice:
    """Where a password came from; ``warning`` is a sentence for the user, or empty."""

    password: str | None
    source: str  # "url", "environment", "keyring", "none"
    warning: str = ""

    def __repr__(self) -> str:  # never show the password
        return f"PasswordChoice(source={self.source!r}, warning={self.warning!r})"


def resolve_password(
    url_password: str | None,
    account: str,
    store: SecretStore | None = None,
    environ: Mapping[str, str] | None = None,
) -> PasswordChoice:
    """Pick a transfer's password: from the URL (with a warning), the environment, or the keyring.

    Parameters
    ----------
    url_password
        The password written in the target URL, if any.
    account
        The keyring account (see :attr:`~.transfer.targets.Target.account`).
    store
        The secret store; a new :class:`SecretStore` when ``None``.
    environ
        Environment variables (default :data:`os.environ`).
    """
    if url_password:
        return PasswordChoice(
            url_password,
            "url",
            "The password is written in the address, where shell history and process lists can show it; "
            f"prefer the keyring or the {PASSWORD_ENV} environment variable.",
        )
    env = os.environ if environ is None else environ
    if env.get(PASSWORD_ENV):
        return PasswordChoice(env[PASSWORD_ENV], "environment")
    stored = (store or SecretStore()).get(account)
    if stored is not None:
        return PasswordChoice(stored, "keyring")
    return PasswordChoice(None, "none")
