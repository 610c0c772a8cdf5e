"""A lock file per draft, so that two windows never edit the same draft at once.

Two windows saving the same draft would each overwrite the other's work. The
window that opens a draft creates ``<draft>/lock`` exclusively and writes who
holds it (process id, host, start time). A lock left behind by a crashed
process on this machine is recognised as stale and taken over silently; a lock
held by a live process, or by any process on another machine (whose liveness
cannot be checked), is reported with :class:`~.draft_errors.DraftLockedError`
and can be overridden deliberately with ``force=True`` ("Open anyway").
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import secrets
import socket
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from .. import __version__
from .atomic_io import atomic_write_bytes
from .draft_errors import DraftLockedError

LOCK_FILENAME = "lock"

# A lock file that exists but is empty or garbled is normally one that another
# process has just created and not yet filled in; only after this long is it
# treated as the debris of a crash.
_UNREADABLE_GRACE_S = 10.0

# Lock files this process holds. A lock naming our own pid that is not in this
# set was left by an earlier process that happened to get the same pid
# (common in containers, where the app is often pid 1).
_held_by_us: set[str] = set()
_held_guard = threading.Lock()


@dataclass(frozen=True)
class LockHolder:
    """Who holds a draft lock, as written in the lock file."""

    pid: int
    host: str
    started: str  # ISO 8601 UTC
    app_version: str

    def to_json(self) -> bytes:
        """The lock file content."""
        return json.dumps(self.__dict__, indent=2).encode("utf-8") + b"\n"

    @classmethod
    def from_json(cls, data: bytes) -> LockHolder | None:
        """Parse a lock file; ``None`` when it is empty or garbled."""
        try:
            obj = json.loads(data.decode("utf-8"))
            return cls(
                pid=int(obj["pid"]),
                host=str(obj["host"]),
                started=str(obj["started"]),
                app_version=str(obj.get("app_version", "")),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


def _key(path: Path) -> str:
    return os.path.abspath(path)


def _this_host() -> str:
    return socket.gethostname()


def _windows_process_alive(pid: int) -> bool:
    # os.kill(pid, 0) on Windows *terminates* the process, so ask the kernel instead.
    if sys.platform != "win32":
        raise RuntimeError("only for Windows")
    import ctypes
    from ctypes import wintypes

    process_query_limited_information = 0x1000
    still_active = 259
    error_access_denied = 5
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    handle = kernel32.OpenProcess(process_query_limited_information, False, pid)
    if not handle:
        # Access denied means the process exists but belongs to someone else.
        return ctypes.get_last_error() == error_access_denied
    try:
        code = wintypes.DWORD()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True  # cannot tell: assume alive rather than steal a live lock
        return code.value == still_active
    finally:
        kernel32.CloseHandle(handle)


def process_alive(pid: int) -> bool:
    """Whether a process with id ``pid`` is running on this machine.

    Parameters
    ----------
    pid
        Process id from a lock file.

    Notes
    -----
    When in doubt the answer is ``True``: wrongly calling a lock stale could let
    two windows overwrite each other, wrongly calling it live only costs a click
    on "Open anyway".
    """
    if pid <= 0:
        return False
    if sys.platform == "win32":
        try:
            return _windows_process_alive(pid)
        except OSError:
            return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    except OSError:
        return True
    return True


def read_holder(path: Path) -> LockHolder | None:
    """The holder recorded in the lock file at ``path``; ``None`` if there is no readable lock.

    Parameters
    ----------
    path
        The lock file.
    """
    try:
        return LockHolder.from_json(path.read_bytes())
    except OSError:
        return None


def foreign_holder(path: Path) -> LockHolder | None:
    """The holder of the lock at ``path`` if it is a live process other than this one.

    Parameters
    ----------
    path
        The lock file.

    Returns
    -------
    LockHolder or None
        ``None`` when there is no lock, a stale one, or this process holds it.
    """
    holder = read_holder(path)
    if holder is None:
        return None
    if holder.host == _this_host() and holder.pid == os.getpid():
        return None
    return holder if holder_is_live(holder, path) else None


def holder_is_live(holder: LockHolder, path: Path) -> bool:
    """Whether ``holder`` still holds the lock at ``path``, as far as this machine can tell.

    Parameters
    ----------
    holder
        The parsed lock file.
    path
        The lock file, to recognise locks this process holds.
    """
    if holder.host != _this_host():
        return True  # another machine's process cannot be checked from here
    if holder.pid == os.getpid():
        with _held_guard:
            return _key(path) in _held_by_us
    return process_alive(holder.pid)


def locked_error(label: str, holder: LockHolder) -> DraftLockedError:
    """The error telling the depositor that ``holder`` has the draft ``label`` open.

    Parameters
    ----------
    label
        The draft's name and id.
    holder
        The parsed lock file.
    """
    since = holder.started
    with contextlib.suppress(ValueError):
        since = dt.datetime.fromisoformat(holder.started).strftime("%Y-%m-%d %H:%M UTC")
    return DraftLockedError(label, pid=holder.pid, host=holder.host, since=since)


class DraftLock:
    """The lock of one draft folder; use as a context manager or call acquire/release.

    Parameters
    ----------
    path
        The lock file, ``<draft folder>/lock``.
    label
        How to name the draft in messages (its name and id).
    """

    def __init__(self, path: Path, *, label: str = "") -> None:
        self.path = Path(path)
        self.label = label or str(self.path.parent)
        self._mine: bytes | None = None

    @property
    def held(self) -> bool:
        """Whether this object currently holds the lock."""
        return self._mine is not None

    def _new_content(self) -> bytes:
        started = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
        return LockHolder(os.getpid(), _this_host(), started, __version__).to_json()

    def _raise_locked(self, holder: LockHolder) -> None:
        raise locked_error(self.label, holder)

    def _create_exclusive(self, content: bytes) -> bool:
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        try:
            os.write(fd, content)
            os.fsync(fd)
        finally:
            os.close(fd)
        return True

    def _remove_stale(self, stale: bytes) -> None:
        # Move the stale file aside under a unique name, then check that what we
        # moved is still the stale lock: if another process took it over in
        # between, put its fresh lock back instead of deleting it.
        aside = self.path.with_name(f"{LOCK_FILENAME}.stale-{secrets.token_hex(4)}")
        try:
            os.replace(self.path, aside)
        except FileNotFoundError:
            return
        try:
            moved = aside.read_bytes()
        except OSError:
            moved = stale
        if moved == stale:
            with contextlib.suppress(OSError):
                aside.unlink()
            return
        try:
            os.link(aside, self.path)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                aside.unlink()

    def acquire(self, *, force: bool = False) -> DraftLock:
        """Take the lock.

        Parameters
        ----------
        force
            Take the lock even from a live holder ("Open anyway").

        Returns
        -------
        DraftLock
            ``self``, for chaining.

        Raises
        ------
        DraftLockedError
            When a live process holds the lock and ``force`` is false.
        """
        if self._mine is not None:
            return self
        content = self._new_content()
        if force:
            atomic_write_bytes(self.path, content)
            self._claim(content)
            return self
        for _attempt in range(5):
            if self._create_exclusive(content):
                self._claim(content)
                return self
            try:
                existing = self.path.read_bytes()
                age = time.time() - self.path.stat().st_mtime
            except FileNotFoundError:
                continue  # released meanwhile: try again
            holder = LockHolder.from_json(existing)
            if holder is None:
                if age < _UNREADABLE_GRACE_S:
                    time.sleep(0.05)  # most likely being written by its new holder right now
                    continue
            elif holder_is_live(holder, self.path):
                self._raise_locked(holder)
            self._remove_stale(existing)
        # Still contended after several tries: someone is creating it right now.
        raise DraftLockedError(self.label, pid=0, host=_this_host(), since="just now")

    def _claim(self, content: bytes) -> None:
        self._mine = content
        with _held_guard:
            _held_by_us.add(_key(self.path))

    def release(self) -> None:
        """Give the lock up; the file is removed only if it is still ours (not forced away)."""
        if self._mine is None:
            return
        mine, self._mine = self._mine, None
        with _held_guard:
            _held_by_us.discard(_key(self.path))
        try:
            if self.path.read_bytes() == mine:
                self.path.unlink()
        except OSError:
            pass

    def __enter__(self) -> DraftLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()
