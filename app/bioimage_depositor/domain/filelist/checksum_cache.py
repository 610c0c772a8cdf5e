"""A persistent record of checksums already computed, so no file is hashed twice.

Hashing terabytes takes hours, and a laptop sleeps, a program is closed and a
scan is repeated. Each finished checksum is stored with the file's absolute
path, size and modification time (nanoseconds); a later run that finds the same
three values reuses it, and a file that was changed gets hashed again.

SQLite in WAL mode keeps the record consistent when the program is killed
mid-write and lets the wizard and a headless command read it at the same time.
One connection is shared by the threads of a process behind a lock: writes are
batched by the caller, so contention is negligible. Paths are stored as the
operating system's bytes (``os.fsencode``) so that names that are not valid text
are still keys.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import NamedTuple

from ... import paths

log = logging.getLogger(__name__)

#: File name of the default cache under :func:`bioimage_depositor.paths.cache_dir`.
CACHE_FILE_NAME = "checksums.sqlite3"
# SQLite's limit on parameters in one statement is 32766 in current versions, 999 in old ones.
_QUERY_BATCH = 900

_SCHEMA = """
CREATE TABLE IF NOT EXISTS checksums (
    path BLOB PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    md5 TEXT NOT NULL,
    sha256 TEXT,
    computed_at REAL NOT NULL
)
"""


class CachedChecksum(NamedTuple):
    """A checksum recorded for one version of a file (a named tuple: cheap to make by the thousand).

    Attributes
    ----------
    source
        Absolute path of the file.
    size
        Size in bytes when hashed.
    mtime_ns
        Modification time in nanoseconds when hashed.
    md5
        Lower-case hexadecimal MD5.
    sha256
        Lower-case hexadecimal SHA-256, or ``None`` when it was not asked for.
    computed_at
        When it was computed (seconds since the epoch).
    """

    source: str
    size: int
    mtime_ns: int
    md5: str
    sha256: str | None
    computed_at: float


def default_cache_path() -> Path:
    """Where the per-user checksum cache lives."""
    return paths.cache_dir() / CACHE_FILE_NAME


def open_user_cache() -> ChecksumCache | None:
    """The per-user cache, or ``None`` (logged) when it cannot be opened: without it files are just hashed again."""
    try:
        return ChecksumCache()
    except (OSError, sqlite3.Error) as error:
        log.warning("the checksum cache %s could not be opened: %s", default_cache_path(), error)
        return None


class ChecksumCache:
    """Checksums by absolute path, size and modification time, stored in SQLite.

    Parameters
    ----------
    path
        The database file (created with its folder when missing), ``":memory:"``
        for a throw-away cache, or ``None`` for :func:`default_cache_path`.

    Notes
    -----
    Safe to share between threads. Use as a context manager, or call
    :meth:`close`, to release the database file.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        if path is None:
            path = default_cache_path()
        self.path = os.fspath(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a batch is one transaction.
        self._db = sqlite3.connect(self.path, timeout=10.0, isolation_level=None, check_same_thread=False)
        with self._lock:
            if self.path != ":memory:":
                self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode: a power cut may lose the last commits, never corrupt the file;
            # a lost checksum is just computed again.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(_SCHEMA)

    # -- context manager

    def __enter__(self) -> ChecksumCache:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the database; the object cannot be used afterwards."""
        with self._lock:
            self._db.close()

    # -- reading

    def lookup(self, source: str, size: int, mtime_ns: int) -> CachedChecksum | None:
        """The checksum recorded for this version of ``source``, or ``None``.

        Parameters
        ----------
        source
            Absolute path.
        size, mtime_ns
            The file's current size and modification time; a record for other values is ignored.
        """
        found = self.lookup_many([(source, size, mtime_ns)])
        return found.get(source)

    def lookup_many(self, keys: Iterable[tuple[str, int, int]]) -> dict[str, CachedChecksum]:
        """Checksums recorded for many files at once, by source.

        Parameters
        ----------
        keys
            ``(absolute path, size, mtime_ns)`` for each file.

        Returns
        -------
        dict
            Only the files whose record matches size and modification time.
        """
        wanted = {os.fsencode(source): (source, size, mtime_ns) for source, size, mtime_ns in keys}
        found: dict[str, CachedChecksum] = {}
        for batch in _batches(list(wanted), _QUERY_BATCH):
            marks = ",".join("?" * len(batch))
            with self._lock:
                rows = self._db.execute(
                    f"SELECT path, size, mtime_ns, md5, sha256, computed_at FROM checksums WHERE path IN ({marks})",
                    batch,
                ).fetchall()
            for raw, size, mtime_ns, md5, sha256, computed_at in rows:
                source, want_size, want_mtime = wanted[raw]
                if size == want_size and mtime_ns == want_mtime:
                    found[source] = CachedChecksum(source, size, mtime_ns, md5, sha256, computed_at)
        return found

    def __len__(self) -> int:
        with self._lock:
            (count,) = self._db.execute("SELECT COUNT(*) FROM checksums").fetchone()
        return int(count)

    # -- writing

    def store(self, records: Iterable[CachedChecksum]) -> None:
        """Record checksums in one transaction, replacing older records of the same paths.

        Parameters
        ----------
        records
            Finished checksums; committed before this returns.
        """
        rows = [
            (os.fsencode(r.source), r.size, r.mtime_ns, r.md5, r.sha256, r.computed_at or time.time()) for r in records
        ]
        if not rows:
            return
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "INSERT OR REPLACE INTO checksums (path, size, mtime_ns, md5, sha256, computed_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    rows,
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def forget(self, sources: Iterable[str]) -> None:
        """Drop the records of ``sources`` (for example files removed from every draft)."""
        keys = [(os.fsencode(source),) for source in sources]
        with self._lock:
            self._db.executemany("DELETE FROM checksums WHERE path = ?", keys)


def _batches(items: Sequence[bytes], size: int) -> Iterator[Sequence[bytes]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
