"""The persistent record of a transfer: one SQLite file per transfer, one row per file.

The ledger is the single source of truth for progress across crashes, sleeps and
restarts. Every write is a small committed transaction, so a ``kill -9`` at any
moment leaves a ledger that describes the transfer as it was a moment before.
What each row remembers, and why:

* local path, size, ``mtime_ns`` and inode: a local file that changed since its
  bytes started going out is detected and sent again from 0, never spliced;
* remote handle (FTP path, tus URL), stored *before* the first byte is sent, so
  that a restarted program asks the server about the same upload;
* ``committed``: the offset the server last confirmed; ``reserved``: the most
  bytes that can have been sent through the current handle, written before the
  bytes go out (the engine reserves ahead of the chunk it sends; see engine.py).
  A server that claims to hold more than ``reserved`` holds something that is not
  ours, and the file starts again from 0;
* ``sent_bytes``: every byte handed to the wire over all runs (counted when it is
  reserved, before it is sent, so never less than the truth; after a crash it may
  exceed the truth by the unused rest of the last reservation), which shows how much
  was sent twice;
* MD5/SHA-256 once the whole file has been read, state, attempts and the last error.

A ``meta`` key/value table holds the source, target, status and the identifiers
of hand-off transports (:class:`~.transport.HandoffState`). The database runs in
WAL mode with one connection per thread, so the planner, the workers and a
progress display can use it at the same time. ``synchronous=NORMAL`` makes each
commit safe against a crash of the program; after a power cut the last commits may
be lost, which the engine tolerates because it always asks the server for its
truth before resuming.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ... import paths

#: Version of the table layout; a ledger written by a newer program is refused, not guessed at.
SCHEMA_VERSION = 1

PENDING = "pending"  # not finished: nothing sent yet, or interrupted (``committed`` tells how far)
SENT = "sent"  # every byte is on the server; verification has not confirmed it yet
VERIFIED = "verified"  # the server holds the whole file and it was checked
FAILED = "failed"  # gave up with ``last_error``; a new run tries again
STATES = (PENDING, SENT, VERIFIED, FAILED)

#: Transfer status kept in ``meta["status"]``.
STATUS_RUNNING, STATUS_PAUSED, STATUS_COMPLETED, STATUS_FAILED, STATUS_CANCELLED = (
    "running",
    "paused",
    "completed",
    "failed",
    "cancelled",
)
_FINISHED_STATUSES = (STATUS_COMPLETED, STATUS_CANCELLED)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY,
    local_path TEXT NOT NULL,
    remote_path TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    inode INTEGER NOT NULL,
    md5 TEXT,
    sha256 TEXT,
    handle TEXT,
    committed INTEGER NOT NULL DEFAULT 0,
    reserved INTEGER NOT NULL DEFAULT 0,
    sent_bytes INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    resumed INTEGER NOT NULL DEFAULT 0,
    error_code TEXT,
    last_error TEXT,
    verify_detail TEXT,
    updated REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS files_by_state ON files (state);
CREATE TABLE IF NOT EXISTS problems (path TEXT PRIMARY KEY, code TEXT NOT NULL, message TEXT NOT NULL);
"""

_COLUMNS = (
    "id, local_path, remote_path, size, mtime_ns, inode, md5, sha256, handle, committed, reserved, "
    "sent_bytes, state, attempts, resumed, error_code, last_error, verify_detail, updated"
)
_UPDATABLE = frozenset(
    "local_path size mtime_ns inode md5 sha256 handle committed reserved sent_bytes state attempts resumed "
    "error_code last_error verify_detail".split()
)


class LedgerError(Exception):
    """A ledger file that cannot be used (damaged, from a newer program, not a ledger)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class PlannedFile:
    """A local file to send and where it goes, with the identity it had when planned."""

    local_path: str
    remote_path: str
    size: int
    mtime_ns: int
    inode: int


@dataclass(frozen=True)
class FileRow:
    """One row of the ``files`` table (see the module docstring for the meaning of each column)."""

    id: int
    local_path: str
    remote_path: str
    size: int
    mtime_ns: int
    inode: int
    md5: str | None
    sha256: str | None
    handle: str | None
    committed: int
    reserved: int
    sent_bytes: int
    state: str
    attempts: int
    resumed: int
    error_code: str | None
    last_error: str | None
    verify_detail: str | None
    updated: float


@dataclass(frozen=True)
class Problem:
    """Something found while planning that cannot be sent (a symlink loop, an unreadable folder)."""

    path: str
    code: str
    message: str


@dataclass(frozen=True)
class LedgerSummary:
    """What :func:`find_interrupted` tells about one ledger, for an offer to continue."""

    path: Path
    source: str
    target: str
    status: str
    files_total: int
    files_verified: int
    files_failed: int
    bytes_total: int
    bytes_done: int
    updated: float


class Ledger:
    """A transfer's ledger file (see the module docstring).

    Parameters
    ----------
    path
        The SQLite file; created with its folder when missing.

    Raises
    ------
    LedgerError
        When the file is not a ledger, is damaged, or was written by a newer program.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            connection = self._connection()
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise LedgerError(
                    "ledger.newer",
                    f"{self.path} was written by a newer version of BioImage Depositor; update the program "
                    "to continue this transfer.",
                )
            connection.executescript(_SCHEMA)
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.DatabaseError as error:
            self.close()
            raise LedgerError(
                "ledger.damaged", f"{self.path} is not a usable transfer record ({error}); remove it to start over."
            ) from error
        except LedgerError:
            self.close()
            raise

    # ------------------------------------------------------------ connections

    def _connection(self) -> sqlite3.Connection:
        """The calling thread's connection (SQLite connections must not be shared between threads)."""
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def close(self) -> None:
        """Close every thread's connection (call once the transfer's threads have ended)."""
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            with contextlib.suppress(sqlite3.Error):
                connection.close()
        self._local = threading.local()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ meta (HandoffState)

    def get_meta(self, key: str) -> str | None:
        """The stored value for ``key``, or ``None``."""
        row = self._connection().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Store ``value`` under ``key``, committed before returning."""
        with self._write() as connection:
            connection.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def set_status(self, status: str) -> None:
        """Record the transfer's status (see the ``STATUS_*`` constants) and when it changed."""
        with self._write() as connection:
            connection.executemany(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                (("status", status), ("updated", repr(time.time()))),
            )

    # ------------------------------------------------------------ files

    def add_files(self, files: Iterable[PlannedFile]) -> list[int]:
        """Insert files not yet in the ledger (matched by remote path); return the ids of the new rows."""
        new: list[int] = []
        now = time.time()
        with self._write() as connection:
            for item in files:
                cursor = connection.execute(
                    "INSERT OR IGNORE INTO files (local_path, remote_path, size, mtime_ns, inode, updated) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (item.local_path, item.remote_path, item.size, item.mtime_ns, item.inode, now),
                )
                if cursor.rowcount:
                    new.append(int(cursor.lastrowid or 0))
        return new

    def row(self, file_id: int) -> FileRow:
        """The row with ``file_id`` (raises :class:`KeyError` when there is none)."""
        found = self._connection().execute(f"SELECT {_COLUMNS} FROM files WHERE id = ?", (file_id,)).fetchone()
        if found is None:
            raise KeyError(file_id)
        return FileRow(*found)

    def rows(self) -> Iterator[FileRow]:
        """Every row, in the order the files were planned."""
        for found in self._connection().execute(f"SELECT {_COLUMNS} FROM files ORDER BY id"):
            yield FileRow(*found)

    def identities(self) -> dict[str, tuple[int, int, int, int, str]]:
        """``remote_path → (id, size, mtime_ns, inode, state)`` for every row, for a quick re-scan."""
        query = "SELECT remote_path, id, size, mtime_ns, inode, state FROM files"
        return {found[0]: tuple(found[1:]) for found in self._connection().execute(query)}

    def unfinished_ids(self) -> list[int]:
        """Ids of files not yet verified, interrupted ones (bytes already on the server) first.

        Uses the ``state`` index, so it stays fast with hundreds of thousands of rows.
        """
        query = "SELECT id FROM files WHERE state IN (?, ?, ?) ORDER BY committed > 0 DESC, id"
        return [found[0] for found in self._connection().execute(query, (PENDING, SENT, FAILED))]

    def update(self, file_id: int, **fields: object) -> None:
        """Change columns of one row in a single committed transaction.

        Parameters
        ----------
        file_id
            The row.
        **fields
            Column names (see :class:`FileRow`) and their new values.
        """
        unknown = set(fields) - _UPDATABLE
        if unknown:
            raise ValueError(f"not ledger columns: {sorted(unknown)}")
        assignments = ", ".join(f"{name} = ?" for name in fields)
        values = [*fields.values(), time.time(), file_id]
        with self._write() as connection:
            connection.execute(f"UPDATE files SET {assignments}, updated = ? WHERE id = ?", values)

    def add_sent(self, file_id: int, sent_bytes: int, reserved: int) -> None:
        """Count ``sent_bytes`` more bytes handed to the wire and raise the reservation to ``reserved``.

        Called before the bytes go out, so the counters are never below the truth. A
        negative ``sent_bytes`` takes back the unused part of a reservation when a send
        ends (the reservation itself is never lowered here).
        """
        # one autocommitted statement: the same single committed transaction as _write(), without the two extra
        # BEGIN/COMMIT round trips (this is the one write on the sending path)
        self._connection().execute(
            "UPDATE files SET sent_bytes = sent_bytes + ?, reserved = MAX(reserved, ?) WHERE id = ?",
            (sent_bytes, reserved, file_id),
        )

    def retry_failed(self) -> int:
        """Put failed files back in the queue (a new run tries them again); return how many."""
        with self._write() as connection:
            cursor = connection.execute(
                "UPDATE files SET state = ?, attempts = 0 WHERE state = ?", (PENDING, FAILED)
            )
            return cursor.rowcount

    def totals(self) -> dict[str, tuple[int, int, int]]:
        """``state → (files, bytes, committed bytes)`` over all rows."""
        query = "SELECT state, COUNT(*), COALESCE(SUM(size), 0), COALESCE(SUM(committed), 0) FROM files GROUP BY state"
        out = {state: (0, 0, 0) for state in STATES}
        for state, count, size, committed in self._connection().execute(query):
            out[state] = (int(count), int(size), int(committed))
        return out

    def total_sent_bytes(self) -> int:
        """Bytes handed to the wire over every run, all files together."""
        return int(self._connection().execute("SELECT COALESCE(SUM(sent_bytes), 0) FROM files").fetchone()[0])

    def verification_details(self) -> list[str]:
        """The distinct ways verified files were checked (a handful of sentences), sorted."""
        query = "SELECT DISTINCT verify_detail FROM files WHERE state = ? AND verify_detail IS NOT NULL LIMIT 5"
        return sorted(str(found[0]) for found in self._connection().execute(query, (VERIFIED,)))

    # ------------------------------------------------------------ planning problems

    def set_problems(self, problems: Sequence[Problem]) -> None:
        """Replace the list of things that could not be planned with ``problems``."""
        with self._write() as connection:
            connection.execute("DELETE FROM problems")
            connection.executemany(
                "INSERT OR REPLACE INTO problems (path, code, message) VALUES (?, ?, ?)",
                ((p.path, p.code, p.message) for p in problems),
            )

    def problems(self) -> list[Problem]:
        """What the last planning found that cannot be sent."""
        return [Problem(*found) for found in self._connection().execute("SELECT path, code, message FROM problems")]

    # ------------------------------------------------------------ summary

    def summary(self) -> LedgerSummary:
        """Source, target, status and totals, for listing interrupted transfers."""
        totals = self.totals()
        files_total = sum(count for count, _, _ in totals.values())
        bytes_total = sum(size for _, size, _ in totals.values())
        verified = totals[VERIFIED]
        bytes_done = verified[1] + totals[SENT][1] + totals[PENDING][2] + totals[FAILED][2]
        return LedgerSummary(
            path=self.path,
            source=self.get_meta("source") or "",
            target=self.get_meta("target") or "",
            status=self.get_meta("status") or STATUS_PAUSED,
            files_total=files_total,
            files_verified=verified[0],
            files_failed=totals[FAILED][0],
            bytes_total=bytes_total,
            bytes_done=bytes_done,
            updated=float(self.get_meta("updated") or 0.0),
        )


def transfers_dir() -> Path:
    """The folder holding one ledger per transfer (under the per-user state folder)."""
    return paths.state_dir() / "transfers"


def default_ledger_path(source: str | os.PathLike[str], target: str) -> Path:
    """The ledger file for copying ``source`` to ``target``: the same pair always gives the same file.

    Parameters
    ----------
    source
        The local file or folder (made absolute).
    target
        The target URL *without* its password (see :func:`~.targets.display_url`).
    """
    absolute = os.path.abspath(os.fspath(source))
    digest = hashlib.sha256(f"{absolute}\n{target}".encode()).hexdigest()[:16]
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", os.path.basename(absolute.rstrip(os.sep)) or "root")[:40]
    return transfers_dir() / f"{stem}-{digest}.sqlite3"


def find_interrupted(folder: str | os.PathLike[str] | None = None) -> list[LedgerSummary]:
    """Ledgers in ``folder`` (default :func:`transfers_dir`) whose transfer has not finished, newest first.

    A transfer is unfinished when it was not cancelled and not every file is verified;
    the program offers to continue these after a crash. Unreadable ledger files are skipped.
    """
    root = Path(folder) if folder is not None else transfers_dir()
    found: list[LedgerSummary] = []
    if not root.is_dir():
        return found
    for path in sorted(root.glob("*.sqlite3")):
        try:
            with Ledger(path) as ledger:
                summary = ledger.summary()
        except (LedgerError, sqlite3.Error, OSError):
            continue
        if summary.status in _FINISHED_STATUSES or (
            summary.files_total and summary.files_verified == summary.files_total
        ):
            continue
        found.append(summary)
    found.sort(key=lambda summary: summary.updated, reverse=True)
    return found


def open_transfer_ledger(
    source: str | os.PathLike[str], target: str, path: str | os.PathLike[str] | None = None
) -> Ledger:
    """Open (or create) the ledger of copying ``source`` to ``target``, refusing one kept for another transfer.

    Parameters
    ----------
    source
        The local file or folder, absolute.
    target
        The target URL without its password (:func:`~.targets.display_url`).
    path
        The ledger file; :func:`default_ledger_path` when ``None``.

    Raises
    ------
    LedgerError
        ``ledger.mismatch`` when ``path`` records another source or target; the errors of :class:`Ledger`.
    OSError
        When the ledger's folder cannot be written.
    """
    where = Path(path) if path is not None else default_ledger_path(source, target)
    ledger = Ledger(where)
    recorded_source, recorded_target = ledger.get_meta("source"), ledger.get_meta("target")
    if recorded_source is None:
        ledger.set_meta("source", os.fspath(source))
        ledger.set_meta("target", target)
        ledger.set_meta("created", repr(time.time()))
    elif (recorded_source, recorded_target) != (os.fspath(source), target):
        ledger.close()
        raise LedgerError(
            "ledger.mismatch",
            f"{where} records the transfer of {recorded_source} to {recorded_target}, not this one; "
            "choose another state file.",
        )
    return ledger
