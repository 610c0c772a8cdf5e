"""The transfer engine: sends a planned file set through a transport, resumably, and reports.

:class:`TransferJob` is used the same way by the command line and the wizard's
Upload page: build it with a :class:`~.ledger.Ledger` and a transport, call
:meth:`TransferJob.run` in a worker thread (it blocks until the job ends), and
call :meth:`~TransferJob.pause`, :meth:`~TransferJob.resume`,
:meth:`~TransferJob.stop` or :meth:`~TransferJob.cancel` from any thread. The
progress callback receives immutable :class:`~.progress.TransferSnapshot` objects
at most about ten times a second, on the thread that runs the job.

For a stream transport (folder, FTP, tus) each of ``parallel`` workers owns one
session and takes files from a shared queue. Per file it:

1. compares the file's size, modification time and inode with the ledger; a
   changed file starts again from 0 with a new remote handle (never spliced);
2. asks the server how much it holds (``remote_offset``), and trusts the answer
   only when it is no more than the bytes this ledger may have sent (``reserved``),
   so a stranger's file of the same name is overwritten rather than appended to;
3. hashes the part already on the server from the disk and the rest as it goes
   out (:class:`~.hashing.StreamHasher`), unless the checksum cache already holds
   the digests of this version of the file (the Image data page computed them, or
   an earlier transfer did): MD5 costs more CPU than sending on a fast link, so a
   file is hashed once, not once per page and per target. It writes the
   reservation and the bytes-sent counter to the ledger *before* each chunk goes
   on the wire;
4. retries transient errors with backoff and jitter, reset by progress, and stops
   at permanent ones: authentication and a full remote disk stop the whole job,
   other permanent errors (no permission, an unreadable local file) only that file;
5. checks the local file did not change while it was read, records the checksums
   and asks the transport to verify the remote file (size always, checksum where
   the protocol allows).

A hand-off transport (Globus, ``ascp``) receives the whole file set once the plan
is complete; its identifiers are stored in the ledger's meta table before it
starts, and the job polls it until it ends.

When a ``source`` is given, planning runs on its own thread while the workers
already send what the ledger left unfinished, so a restart with 100,000 files
resumes the interrupted file at once instead of first walking the whole tree.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import random
import stat
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from ..filelist.checksum_cache import CachedChecksum, ChecksumCache
from .hashing import HashAborted, StreamHasher
from .ledger import (
    FAILED,
    PENDING,
    SENT,
    STATUS_CANCELLED,
    STATUS_COMPLETED,
    STATUS_FAILED,
    STATUS_PAUSED,
    STATUS_RUNNING,
    VERIFIED,
    FileRow,
    Ledger,
    PlannedFile,
    Problem,
    find_interrupted,
)
from .plan import scan_source
from .progress import (
    CANCELLED,
    COMPLETED,
    PAUSED,
    PLANNING,
    RUNNING,
    FailedFile,
    FileProgress,
    TransferReport,
    TransferSnapshot,
)
from .progress import FAILED as JOB_FAILED
from .rate import RateMeter, TokenBucket
from .retry import Backoff, RetryPolicy
from .transport import HandoffTransport, RemoteFile, StreamSession, StreamTransport, TransferError, UploadGone

__all__ = ["JOB_FATAL_CODES", "TransferJob", "find_interrupted"]

log = logging.getLogger(__name__)

#: Error codes that stop the whole transfer: every other file would fail the same way.
JOB_FATAL_CODES = frozenset({"auth.failed", "remote.full", "target.unavailable", "protocol.version", "tls.untrusted"})
#: Seconds between two progress snapshots (at most ten a second).
REPORT_INTERVAL_S = 0.1
#: The reservation written to the ledger before a chunk goes out covers about this many seconds of sending at
#: the recent rate (at least the chunk itself), so a fast transfer writes the ledger a few times a second.
RESERVE_AHEAD_S = 0.25
#: ... but never more than this many bytes ahead: after a kill -9, ``sent_bytes`` may exceed the truth by the
#: unused rest of the last reservation, so this bounds that over-count (the server-side resend is unaffected).
RESERVE_AHEAD_MAX = 4 * 1024 * 1024
# Planned files are written to the ledger in batches of this many, or at least this often (seconds).
_PLAN_BATCH = 500
_PLAN_FLUSH_S = 0.2

ProgressCallback = Callable[[TransferSnapshot], None]


class _Stopped(Exception):
    """The job was paused, stopped or cancelled while a file was being worked on."""


class _NoSession(Exception):
    """The transport could not connect or log in: a job-wide condition, not this file's fault."""

    def __init__(self, error: TransferError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass
class _Active:
    """A file a worker is working on (mutable; copied into an immutable snapshot)."""

    remote_path: str
    size: int
    done: int
    phase: str = "connecting"
    message: str = ""


class _WorkQueue:
    """File ids to do: the planner adds, workers take; paused files go back to the front."""

    def __init__(self, ids: Iterable[int]) -> None:
        self._items: collections.deque[int] = collections.deque(ids)
        self._cond = threading.Condition()
        self._closed = False
        self._queued = set(self._items)

    def put(self, ids: Iterable[int]) -> None:
        with self._cond:
            for file_id in ids:
                if file_id not in self._queued:
                    self._items.append(file_id)
                    self._queued.add(file_id)
            self._cond.notify_all()

    def put_front(self, file_id: int) -> None:
        with self._cond:
            if file_id not in self._queued:
                self._items.appendleft(file_id)
                self._queued.add(file_id)
            self._cond.notify_all()

    def close(self) -> None:
        """No more files will be planned."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def get(self, keep_waiting: Callable[[], bool]) -> int | None:
        """The next id; ``None`` when the queue is closed and empty or ``keep_waiting()`` turns false."""
        with self._cond:
            while True:
                if not keep_waiting():
                    return None
                if self._items:
                    file_id = self._items.popleft()
                    self._queued.discard(file_id)
                    return file_id
                if self._closed:
                    return None
                self._cond.wait(0.5)


@dataclass
class _Worker:
    """One worker thread's connection (sessions are never shared between threads)."""

    transport: StreamTransport
    session: StreamSession | None = None

    def ensure(self) -> StreamSession:
        if self.session is None:
            self.session = self.transport.open_session()
        return self.session

    def drop(self) -> None:
        if self.session is not None:
            with contextlib.suppress(Exception):
                self.session.close()
            self.session = None


@dataclass
class _Counts:
    """What this run did, for the report."""

    sent: set[int] = field(default_factory=set)
    resumed: set[int] = field(default_factory=set)
    failed: dict[int, FailedFile] = field(default_factory=dict)
    skipped: int = 0
    verified_now: int = 0


class TransferJob:
    """Send the files of a ledger through a transport (see the module docstring).

    Parameters
    ----------
    ledger
        Where progress is recorded; its ``meta`` holds ``source`` and ``target``.
    transport
        A :class:`~.transport.StreamTransport` or a :class:`~.transport.HandoffTransport`.
    source
        A local file or folder to (re-)plan from; ``None`` sends what the ledger holds.
    parallel
        Files sent at the same time (stream transports).
    limit_rate
        Bytes per second for all files together, or ``None`` for no limit.
    progress
        Called with a :class:`~.progress.TransferSnapshot` at most about ten times a second.
    retry
        Backoff limits for transient errors.
    sha256
        Also compute SHA-256 (MD5 is always computed).
    checksums
        Digests already computed for files by path, size and modification time:
        a file found there is not hashed again, and the digests this job computes
        are added to it. ``None`` hashes every file and records nothing.
    rng
        Source of retry jitter (seed it in tests).
    """

    def __init__(
        self,
        ledger: Ledger,
        transport: StreamTransport | HandoffTransport,
        *,
        source: str | os.PathLike[str] | None = None,
        parallel: int = 2,
        limit_rate: float | None = None,
        progress: ProgressCallback | None = None,
        retry: RetryPolicy | None = None,
        sha256: bool = False,
        checksums: ChecksumCache | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if parallel < 1:
            raise ValueError("parallel must be at least 1")
        self.ledger = ledger
        self.transport = transport
        self.source = None if source is None else Path(os.path.abspath(os.fspath(source)))
        self.parallel = parallel
        self.bucket = TokenBucket(limit_rate) if limit_rate else None
        self.retry = retry or RetryPolicy()
        self.sha256 = sha256 or bool(getattr(transport, "wants_sha256", False))
        self.checksums = checksums
        self._distrusted: set[int] = set()  # files whose cached digest the server contradicted: hash them
        self._rng = rng or random.Random()
        self._callback = progress
        # control: _halt wakes every wait and makes chunk hooks stop; the flags say why
        self._lock = threading.Lock()
        self._halt = threading.Event()
        self._thread_ended = threading.Event()  # wakes the progress loop at once when a worker or the planner ends
        self._resumed = threading.Event()
        self._resumed.set()
        self._paused = False
        self._stopping = False
        self._cancelled = False
        self._fatal: TransferError | None = None
        self._planning = False
        self._plan_error: BaseException | None = None
        # progress state (guarded by _lock)
        self._active: dict[int, _Active] = {}
        self._counted: dict[int, int] = {}
        self._files_total = 0
        self._files_done = 0
        self._bytes_total = 0
        self._bytes_done = 0
        self._bytes_sent = 0
        self._counts = _Counts()
        self._meter = RateMeter()
        # failures to connect at all are counted for the whole job, not per file (see _no_session)
        self._connect_backoff = Backoff(self.retry, self._rng)
        self._message = ""
        self._queue: _WorkQueue | None = None

    # ------------------------------------------------------------ control (any thread)

    def pause(self) -> None:
        """Stop sending after the current chunk; :meth:`run` keeps waiting for :meth:`resume`."""
        with self._lock:
            if self._stopping:
                return
            self._paused = True
            self._resumed.clear()
            self._halt.set()
        self._wake()

    def resume(self) -> None:
        """Continue after :meth:`pause`."""
        with self._lock:
            if not self._paused or self._stopping:
                return
            self._paused = False
            self._halt.clear()
            self._resumed.set()
        self._wake()

    def stop(self) -> None:
        """Stop after the current chunk and make :meth:`run` return; the ledger keeps everything to resume."""
        with self._lock:
            self._stopping = True
            self._halt.set()
            self._resumed.set()
        self._wake()

    def cancel(self) -> None:
        """Stop, discard partial remote files, and mark the transfer cancelled (finished files stay)."""
        with self._lock:
            self._cancelled = True
            self._stopping = True
            self._halt.set()
            self._resumed.set()
        self._wake()

    @property
    def paused(self) -> bool:
        """Whether the job is paused."""
        return self._paused

    def _wake(self) -> None:
        if self._queue is not None:
            self._queue.wake()

    def _fail_job(self, error: TransferError) -> None:
        with self._lock:
            if self._fatal is None:
                self._fatal = error
            self._stopping = True
            self._halt.set()
            self._resumed.set()
        self._wake()

    # ------------------------------------------------------------ run

    def run(self) -> TransferReport:
        """Do the transfer; block until it completes, fails, is stopped or is cancelled.

        Returns
        -------
        TransferReport
            What was sent, skipped, resumed and verified, and what failed and why.
        """
        started = time.monotonic()
        self.ledger.set_status(STATUS_RUNNING)
        self.ledger.retry_failed()
        totals = self.ledger.totals()
        with self._lock:
            self._files_total = sum(count for count, _, _ in totals.values())
            self._bytes_total = sum(size for _, size, _ in totals.values())
            self._files_done = totals[VERIFIED][0]
            self._bytes_done = totals[VERIFIED][1] + totals[SENT][1] + totals[PENDING][2] + totals[FAILED][2]
            self._counts.skipped = totals[VERIFIED][0]
        if hasattr(self.transport, "open_session"):
            self._run_stream(cast(StreamTransport, self.transport))
        else:
            self._run_handoff(cast(HandoffTransport, self.transport))
        return self._finish(time.monotonic() - started)

    def _run_stream(self, transport: StreamTransport) -> None:
        queue = self._queue = _WorkQueue(self.ledger.unfinished_ids())
        planner: threading.Thread | None = None
        if self.source is not None:
            self._planning = True
            planner = threading.Thread(target=self._plan, args=(queue,), name="transfer-plan", daemon=True)
            planner.start()
        else:
            queue.close()
        workers = [
            threading.Thread(target=self._work, args=(_Worker(transport), queue), name=f"transfer-{n}", daemon=True)
            for n in range(self.parallel)
        ]
        for worker in workers:
            worker.start()
        self._report_until(
            lambda: not any(w.is_alive() for w in workers) and (planner is None or not planner.is_alive())
        )
        if planner is not None:
            planner.join()
        if self._cancelled:
            self._abandon_partials(transport)

    def _report_until(self, finished: Callable[[], bool]) -> None:
        """Send progress snapshots from the calling thread until ``finished()``."""
        next_emit = time.monotonic() + REPORT_INTERVAL_S
        while not finished():
            # a worker ending wakes this at once (so a short job does not wait out the interval),
            # but snapshots still go out at most every REPORT_INTERVAL_S
            self._thread_ended.wait(max(0.0, next_emit - time.monotonic()))
            self._thread_ended.clear()
            if time.monotonic() >= next_emit:
                self._emit()
                next_emit = time.monotonic() + REPORT_INTERVAL_S
        self._emit()

    # ------------------------------------------------------------ planning

    def _plan(self, queue: _WorkQueue) -> None:
        """Walk the source, add new files to the ledger and queue them; re-queue verified files that changed."""
        assert self.source is not None
        try:
            known = self.ledger.identities()
            batch: list[PlannedFile] = []
            problems: list[Problem] = []
            last_flush = time.monotonic()
            for found in scan_source(self.source):
                if self._stopping:
                    return
                if isinstance(found, Problem):
                    problems.append(found)
                    continue
                row = known.get(found.remote_path)
                if row is None:
                    batch.append(found)
                elif row[4] == VERIFIED and (found.size, found.mtime_ns, found.inode) != row[1:4]:
                    self._requeue_changed(row[0], row[1], found, queue)
                if len(batch) >= _PLAN_BATCH or (batch and time.monotonic() - last_flush > _PLAN_FLUSH_S):
                    self._add_planned(batch, queue)
                    batch = []
                    last_flush = time.monotonic()
            self._add_planned(batch, queue)
            self.ledger.set_problems(problems)
            self.ledger.set_meta("planned", "1")
        except BaseException as error:  # reported by _finish: a planning failure must not hang the workers
            self._plan_error = error
        finally:
            self._planning = False
            queue.close()
            self._thread_ended.set()

    def _add_planned(self, batch: list[PlannedFile], queue: _WorkQueue) -> None:
        if not batch:
            return
        ids = self.ledger.add_files(batch)  # every item is new: known paths were filtered out
        with self._lock:
            self._files_total += len(ids)
            self._bytes_total += sum(item.size for item in batch)
        queue.put(ids)

    def _requeue_changed(self, file_id: int, old_size: int, found: PlannedFile, queue: _WorkQueue) -> None:
        """A verified file changed since it was sent: send the new version from 0 with a new handle."""
        self.ledger.update(
            file_id,
            local_path=found.local_path,
            size=found.size,
            mtime_ns=found.mtime_ns,
            inode=found.inode,
            md5=None,
            sha256=None,
            handle=None,
            committed=0,
            reserved=0,
            state=PENDING,
        )
        with self._lock:
            self._files_done -= 1
            self._bytes_done -= old_size
            self._bytes_total += found.size - old_size
            self._counts.skipped -= 1
        queue.put([file_id])

    # ------------------------------------------------------------ workers

    def _keep_working(self) -> bool:
        """Whether a worker should take another file (blocks while paused)."""
        while True:
            if self._stopping:
                return False
            if not self._paused:
                return True
            self._resumed.wait(0.5)

    def _work(self, worker: _Worker, queue: _WorkQueue) -> None:
        try:
            while True:
                file_id = queue.get(self._keep_working)
                if file_id is None:
                    return
                if not self._do_file(worker, file_id):
                    queue.put_front(file_id)  # paused mid-file: continue it first on resume
        except BaseException as error:  # a bug must end the job with a report, not hang it
            log.exception("transfer worker failed")
            self._fail_job(TransferError("internal", f"An unexpected error stopped the transfer: {error!r}",
                                         permanent=True))
        finally:
            worker.drop()
            self._thread_ended.set()

    def _do_file(self, worker: _Worker, file_id: int) -> bool:
        """Send one file with retries; ``False`` when it was interrupted by a pause and must be continued."""
        row = self.ledger.row(file_id)
        if row.state == VERIFIED:
            return True
        backoff = Backoff(self.retry, self._rng)
        with self._lock:
            self._counted.setdefault(file_id, row.committed)
            self._active[file_id] = _Active(row.remote_path, row.size, row.committed)
        try:
            while True:
                if self._stopping:
                    return True
                if self._paused:
                    return False
                before = self.ledger.row(file_id).committed
                try:
                    self._attempt(worker, file_id)
                    return True
                except _Stopped:
                    return self._stopping
                except _NoSession as failure:
                    worker.drop()
                    if self._no_session(file_id, failure.error):
                        return True
                except (TransferError, OSError, EOFError) as raw:
                    error = _as_transfer_error(raw)
                    worker.drop()
                    row = self.ledger.row(file_id)
                    if row.committed > before:
                        backoff.progress()
                    if self._give_up(file_id, row, error, backoff):
                        return True
        finally:
            with self._lock:
                self._active.pop(file_id, None)

    def _give_up(self, file_id: int, row: FileRow, error: TransferError, backoff: Backoff) -> bool:
        """Record ``error``; wait before the next attempt, or return ``True`` when the file (or job) stops."""
        if error.permanent and error.code in JOB_FATAL_CODES:
            self.ledger.update(file_id, error_code=error.code, last_error=str(error))
            self._fail_job(error)
            return True
        delay = None if error.permanent else backoff.failed()
        attempts = row.attempts + 1
        if delay is None:
            message = str(error) if error.permanent else f"{error} (gave up after {attempts} attempts)"
            self.ledger.update(file_id, state=FAILED, attempts=attempts, error_code=error.code, last_error=message)
            with self._lock:
                self._counts.failed[file_id] = FailedFile(row.remote_path, row.local_path, error.code, message)
            log.warning("transfer of %s failed: [%s] %s", row.remote_path, error.code, message)
            return True
        self.ledger.update(file_id, attempts=attempts, error_code=error.code, last_error=str(error))
        log.info("transfer of %s: %s; retrying in %.1f s", row.remote_path, error, delay)
        self._set_phase(file_id, "waiting", str(error))
        self._halt.wait(delay)
        return False

    def _no_session(self, file_id: int, error: TransferError) -> bool:
        """No connection could be made: wait with the job-wide backoff; ``True`` when the job gives up.

        An unreachable server or a refused login is the same for every file, so it
        neither uses up the files' own attempts nor marks them failed: the job stops
        and the files stay ready for the next run.
        """
        with self._lock:
            delay = None if error.permanent else self._connect_backoff.failed()
            failures = self._connect_backoff.failures
        if delay is None:
            if not error.permanent:
                error = TransferError(
                    error.code, f"{error} Gave up after {failures} attempts; run the transfer again once the "
                    "server can be reached.", permanent=True,
                )
            self._fail_job(error)
            return True
        log.info("cannot connect (%s); trying again in %.1f s", error, delay)
        self._set_phase(file_id, "waiting", str(error))
        self._halt.wait(delay)
        return False

    def _set_phase(self, file_id: int, phase: str, message: str = "") -> None:
        with self._lock:
            active = self._active.get(file_id)
            if active is not None:
                active.phase, active.message = phase, message

    def _set_done(self, file_id: int, done: int) -> None:
        """Move the file's share of ``bytes_done`` to ``done``."""
        with self._lock:
            before = self._counted.get(file_id, 0)
            self._counted[file_id] = done
            self._bytes_done += done - before
            active = self._active.get(file_id)
            if active is not None:
                active.done = done

    def _attempt(self, worker: _Worker, file_id: int) -> None:
        """One try at sending a file to the end and verifying it; raises on failure."""
        row = self.ledger.row(file_id)
        info = _stat_local(row.local_path)
        identity = (info.st_size, info.st_mtime_ns, info.st_ino)
        changed = identity != (row.size, row.mtime_ns, row.inode)
        if changed:
            log.info("%s changed since it was planned; it is sent again from the start", row.local_path)
            self.ledger.update(
                file_id, size=info.st_size, mtime_ns=info.st_mtime_ns, inode=info.st_ino, md5=None, sha256=None,
                committed=0, reserved=0, state=PENDING,
            )
            with self._lock:
                self._bytes_total += info.st_size - row.size
            row = self.ledger.row(file_id)
            with self._lock:
                active = self._active.get(file_id)
                if active is not None:
                    active.size = row.size
        item = RemoteFile(row.remote_path, row.size, row.md5, row.sha256)
        self._set_phase(file_id, "connecting")
        if worker.session is None:
            try:
                worker.ensure()
            except TransferError as error:
                raise _NoSession(error) from None
            with self._lock:
                self._connect_backoff.progress()
        session = worker.ensure()
        offset = self._reconcile(session, row, item, fresh=changed)
        row = self.ledger.row(file_id)
        self._set_done(file_id, offset)
        if offset > 0:
            with self._lock:
                self._counts.resumed.add(file_id)
            self.ledger.update(file_id, resumed=row.resumed + 1)
        self._send(session, row, item, offset, identity)

    def _reconcile(self, session: StreamSession, row: FileRow, item: RemoteFile, *, fresh: bool) -> int:
        """Settle the remote handle and the offset to resume from (the server's truth)."""
        if row.handle is not None and not fresh:
            try:
                remote = session.remote_offset(row.handle, item)
                if remote is not None and remote < min(row.reserved, row.size):
                    remote = self._settle(session, row.handle, item, remote, row.reserved)
            except UploadGone:
                remote = None
            if remote is not None and remote <= min(row.reserved, row.size):
                if remote != row.committed:
                    self.ledger.update(row.id, committed=remote)
                return remote
            if remote is not None:
                log.warning(
                    "the server holds %d bytes of %s but this transfer sent at most %d; starting it again",
                    remote, row.remote_path, row.reserved,
                )
        handle = session.prepare(item)
        # persisted before any byte goes out, so a crash right after still finds the same upload
        self.ledger.update(row.id, handle=handle, committed=0, reserved=0, state=PENDING)
        return 0

    def _settle(self, session: StreamSession, handle: str, item: RemoteFile, remote: int, reserved: int) -> int:
        """Wait until a partial remote file stops growing, after a crash or a dropped connection.

        Bytes the previous attempt put into socket buffers may still be arriving;
        resuming before they land would send them twice. The transport's
        ``settle_seconds`` (0 for a folder, where nothing is in flight) says how long
        the size must stay the same; reaching ``reserved`` (all we ever sent) ends the wait.
        """
        window = float(getattr(self.transport, "settle_seconds", 0.0))
        if window <= 0:
            return remote
        started = last_change = time.monotonic()
        while not self._halt.is_set():
            now = time.monotonic()
            if now - last_change >= window or now - started >= 5 * window:
                break
            self._halt.wait(min(0.25, window))
            again = session.remote_offset(handle, item)
            if again is None:
                return remote
            if again != remote:
                remote, last_change = again, time.monotonic()
            if remote >= reserved:
                break
        if self._halt.is_set():
            raise _Stopped
        return remote

    def _send(self, session: StreamSession, row: FileRow, item: RemoteFile, offset: int,
              identity: tuple[int, int, int]) -> None:
        file_id = row.id
        handle = row.handle
        assert handle is not None
        known = self._cached_digests(row, identity)
        hasher = None if known is not None else StreamHasher(row.local_path, row.size, start=offset, sha256=self.sha256)
        position = offset
        ledger = self.ledger
        bucket = self.bucket
        halt = self._halt
        lock = self._lock
        counted = self._counted
        active = self._active.get(file_id)
        # the ledger's reservation (and sent_bytes) reach ``reserved_to``: bytes below it may go out unwritten
        reserved_to = offset
        last_write = time.monotonic()

        def hook(chunk: memoryview) -> bool:
            nonlocal position, reserved_to, last_write
            size = len(chunk)
            if halt.is_set() or (bucket is not None and not bucket.acquire(size, halt)):
                return False
            end = position + size
            if end > reserved_to:
                # Reserve before the bytes go out (never below the truth), ahead by what about RESERVE_AHEAD_S of
                # sending at the recent rate would need: one write per chunk on a slow link, a few a second on a
                # fast one (a write per 1 MiB chunk cost ~20 % of loopback throughput).
                now = time.monotonic()
                recent = (end - reserved_to) / max(now - last_write, 1e-3)  # bytes/s since the last write
                ahead = min(RESERVE_AHEAD_MAX, int(recent * RESERVE_AHEAD_S))
                new_reserved = min(max(row.size, end), max(end, position + ahead))
                ledger.add_sent(file_id, new_reserved - reserved_to, new_reserved)
                reserved_to, last_write = new_reserved, now
            if hasher is not None:
                hasher.offer(position, chunk)
            position = end
            with lock:
                self._bytes_sent += size
                self._bytes_done += size
                counted[file_id] = counted.get(file_id, 0) + size
                if active is not None:
                    active.done = end
            return True

        self._set_phase(file_id, "sending")
        try:
            with _open_local(row.local_path) as source:
                opened = os.fstat(source.fileno())
                if (opened.st_size, opened.st_mtime_ns, opened.st_ino) != identity:
                    raise TransferError("local.changed", f"{row.local_path} changed while it was opened.")
                source.seek(offset)
                committed = session.send(handle, item, source, offset, hook)
            ledger.update(file_id, committed=committed)
            self._set_done(file_id, committed)
            if committed < row.size:
                if halt.is_set():
                    # a clean stop: the server confirmed ``committed`` and nothing else is in flight
                    ledger.update(file_id, reserved=committed)
                    raise _Stopped
                raise TransferError("connection.lost", "The connection ended before the whole file was sent.")
            md5, sha256 = known if known is not None else cast(StreamHasher, hasher).finish()
        except BaseException:
            if hasher is not None:
                hasher.abort()
            raise
        finally:
            if reserved_to > position:
                # the send ended in this process: what was reserved but never handed over was not sent
                with contextlib.suppress(Exception):
                    ledger.add_sent(file_id, position - reserved_to, 0)
        self._finish_file(session, row, item, identity, md5, sha256)
        if known is None:
            self._remember_digests(row, identity, md5, sha256)

    def _cached_digests(self, row: FileRow, identity: tuple[int, int, int]) -> tuple[str, str | None] | None:
        """The MD5 (and SHA-256 when wanted) the checksum cache holds for this version of the file, if any."""
        if self.checksums is None or row.id in self._distrusted:
            return None
        try:
            found = self.checksums.lookup(row.local_path, identity[0], identity[1])
        except Exception as error:  # a damaged cache costs a re-hash, never the transfer
            log.warning("the checksum cache could not be read (%s); hashing %s", error, row.local_path)
            return None
        if found is None or (self.sha256 and found.sha256 is None):
            return None
        return found.md5, found.sha256 if self.sha256 else None

    def _remember_digests(self, row: FileRow, identity: tuple[int, int, int], md5: str, sha256: str | None) -> None:
        """Add the digests just computed to the checksum cache, so the next page or target does not hash again."""
        if self.checksums is None:
            return
        try:
            self.checksums.store([CachedChecksum(row.local_path, identity[0], identity[1], md5, sha256, time.time())])
        except Exception as error:
            log.warning("the checksum of %s could not be cached: %s", row.local_path, error)

    def _finish_file(self, session: StreamSession, row: FileRow, item: RemoteFile,
                     identity: tuple[int, int, int], md5: str, sha256: str | None) -> None:
        file_id = row.id
        info = _stat_local(row.local_path)
        digest_differs = (row.md5 is not None and row.md5 != md5) or (
            row.sha256 is not None and sha256 is not None and row.sha256 != sha256
        )
        if (info.st_size, info.st_mtime_ns, info.st_ino) != identity or digest_differs:
            # the bytes on the server may mix two versions: the next attempt notices and restarts from 0
            raise TransferError("local.changed", f"{row.local_path} changed while it was being sent; it is sent again.")
        self.ledger.update(file_id, md5=md5, sha256=sha256, state=SENT, committed=row.size)
        self._set_phase(file_id, "verifying")
        checked = RemoteFile(item.remote_path, item.size, md5, sha256)
        verification = session.verify(self.ledger.row(file_id).handle or "", checked)
        if verification.checksum_matches is False:
            # a cached digest may be stale (a file rewritten with its old time): the next attempt hashes
            with self._lock:
                self._distrusted.add(file_id)
            self.ledger.update(file_id, md5=None, sha256=None, handle=None, committed=0, reserved=0, state=PENDING)
            self._set_done(file_id, 0)
            raise TransferError("verify.checksum", f"The server's copy of {row.remote_path} differs from the local "
                                f"file ({verification.detail or verification.checksum_algorithm}); it is sent again.")
        if not verification.size_matches:
            self.ledger.update(file_id, state=PENDING)
            raise TransferError("verify.size", f"The server's copy of {row.remote_path} has the wrong size "
                                f"({verification.detail}); the rest is sent again.")
        detail = verification.detail or (
            f"size and {verification.checksum_algorithm} checked by the server"
            if verification.checksum_algorithm
            else "size checked by the server; MD5 recorded locally"
        )
        self.ledger.update(file_id, state=VERIFIED, verify_detail=detail, error_code=None, last_error=None,
                           attempts=0)
        with self._lock:
            self._files_done += 1
            self._counts.verified_now += 1
            self._counts.sent.add(file_id)

    # ------------------------------------------------------------ cancel

    def _abandon_partials(self, transport: StreamTransport) -> None:
        """After a cancel: delete partial remote files and forget their handles (finished files stay)."""
        worker = _Worker(transport)
        try:
            for file_id in self.ledger.unfinished_ids():
                row = self.ledger.row(file_id)
                if row.handle is None:
                    continue
                with contextlib.suppress(TransferError, OSError, EOFError):
                    worker.ensure().abandon(row.handle)
                self.ledger.update(file_id, handle=None, committed=0, reserved=0, state=PENDING)
        finally:
            worker.drop()

    # ------------------------------------------------------------ hand-off

    def _run_handoff(self, transport: HandoffTransport) -> None:
        if self.source is not None:
            self._planning = True
            queue = _WorkQueue(())
            self._plan(queue)
            if self._plan_error is not None:
                return
        rows = [row for row in self.ledger.rows() if row.state != VERIFIED]
        with self._lock:
            self._files_total = self._files_total or len(rows)
        if not rows:
            return
        files = [(row.local_path, RemoteFile(row.remote_path, row.size, row.md5, row.sha256)) for row in rows]
        by_path = {row.remote_path: row for row in rows}
        try:
            transport.start(files, self.ledger)
            for status in transport.poll(self.ledger):
                with self._lock:
                    self._bytes_sent = status.bytes_done
                    self._bytes_done = max(self._bytes_done, status.bytes_done)
                    self._message = status.message
                self._emit()
                if self._cancelled:
                    transport.cancel(self.ledger)
                    return
                if self._stopping or self._paused:
                    return  # the hand-off goes on by itself; running the job again re-attaches
                if status.state in ("succeeded", "failed", "cancelled"):
                    self._settle_handoff(transport.name, status.state, status.message, status.failed_files, by_path)
                    return
        except TransferError as error:
            if not error.permanent:
                error = TransferError(error.code, f"{error} Run the transfer again to re-attach.", permanent=True)
            self._fail_job(error)

    def _settle_handoff(self, name: str, state: str, message: str, failed_files: Iterable[str],
                        by_path: dict[str, FileRow]) -> None:
        failed = set(failed_files)
        if state != "succeeded" and not failed:
            failed = set(by_path)
        for path, row in by_path.items():
            if path in failed:
                reason = message or f"{name} reported that this file failed."
                self.ledger.update(row.id, state=FAILED, error_code="handoff.failed", last_error=reason)
                with self._lock:
                    self._counts.failed[row.id] = FailedFile(path, row.local_path, "handoff.failed", reason)
            else:
                self.ledger.update(row.id, state=VERIFIED, committed=row.size, verify_detail=f"verified by {name}")
                with self._lock:
                    self._files_done += 1
                    self._counts.verified_now += 1
                    self._counts.sent.add(row.id)
                    self._bytes_done += row.size - self._counted.get(row.id, row.committed)
                    self._counted[row.id] = row.size

    # ------------------------------------------------------------ progress and report

    def snapshot(self) -> TransferSnapshot:
        """The transfer as it is now (safe from any thread)."""
        now = time.monotonic()
        with self._lock:
            rate = self._meter.update(self._bytes_sent, now)
            if self._cancelled:
                status = CANCELLED
            elif self._paused:
                status = PAUSED
            elif self._planning and self._files_total == 0:
                status = PLANNING
            else:
                status = RUNNING
            remaining = max(0, self._bytes_total - self._bytes_done)
            active = tuple(
                FileProgress(file_id, a.remote_path, a.size, a.done, a.phase, a.message)
                for file_id, a in sorted(self._active.items())
            )
            return TransferSnapshot(
                status=status,
                planning=self._planning,
                files_total=self._files_total,
                files_done=self._files_done,
                files_failed=len(self._counts.failed),
                bytes_total=self._bytes_total,
                bytes_done=self._bytes_done,
                bytes_sent=self._bytes_sent,
                rate=rate,
                eta=None if self._planning else self._meter.eta(remaining),
                active=active,
                message=str(self._fatal) if self._fatal is not None else self._message,
            )

    def _emit(self) -> None:
        if self._callback is None:
            return
        try:
            self._callback(self.snapshot())
        except Exception:  # a display problem must not stop the transfer
            log.exception("transfer progress callback failed")

    def _finish(self, duration: float) -> TransferReport:
        failed_rows = [row for row in self.ledger.rows() if row.state == FAILED]
        with self._lock:
            failed = dict(self._counts.failed)
        for row in failed_rows:
            failed.setdefault(row.id, FailedFile(row.remote_path, row.local_path, row.error_code or "failed",
                                                 row.last_error or "failed"))
        problems = tuple(self.ledger.problems())
        totals = self.ledger.totals()
        files_total = sum(count for count, _, _ in totals.values())
        bytes_total = sum(size for _, size, _ in totals.values())
        verified = totals[VERIFIED][0]
        error_code, message = None, ""
        if self._plan_error is not None:
            error_code = getattr(self._plan_error, "code", "plan.failed")
            message = str(self._plan_error)
        if self._fatal is not None:
            error_code, message = self._fatal.code, str(self._fatal)
        if self._cancelled:
            status, ledger_status = CANCELLED, STATUS_CANCELLED
        elif error_code is not None:
            status, ledger_status = JOB_FAILED, STATUS_FAILED
        elif self._stopping or self._paused or verified + len(failed) < files_total:
            status, ledger_status = PAUSED, STATUS_PAUSED
        elif failed or problems:
            status, ledger_status = JOB_FAILED, STATUS_FAILED
        else:
            status, ledger_status = COMPLETED, STATUS_COMPLETED
        self.ledger.set_status(ledger_status)
        with self._lock:
            counts = self._counts
            report = TransferReport(
                status=status,
                files_total=files_total,
                sent=len(counts.sent),
                skipped=max(0, counts.skipped),
                resumed=len(counts.resumed & counts.sent),
                verified=verified,
                bytes_total=bytes_total,
                bytes_sent=self._bytes_sent,
                duration_s=duration,
                failed=tuple(failed[key] for key in sorted(failed)),
                problems=problems,
                error_code=error_code,
                message=message,
                verification=_verification_summary(self.ledger),
            )
        self._emit()
        return report


def _verification_summary(ledger: Ledger) -> str:
    """The distinct verification details of verified files, e.g. "size checked by the server; MD5 recorded locally"."""
    return "; ".join(ledger.verification_details())


def _stat_local(path: str) -> os.stat_result:
    """``os.stat`` of a local file, as a permanent :class:`TransferError` for the user when it fails."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise TransferError("local.missing", f"{path} no longer exists; it was not sent.", permanent=True) from None
    except OSError as error:
        raise TransferError(
            "local.unreadable", f"{path} cannot be read ({error.strerror or error}); it was not sent.", permanent=True
        ) from None
    if not stat.S_ISREG(info.st_mode):
        raise TransferError("local.special", f"{path} is not a regular file; it was not sent.", permanent=True)
    return info


_raw_open = open  # one name for tests to replace (as root every file is readable)


def _open_local(path: str) -> Any:
    """Open a local file for reading, as a permanent :class:`TransferError` for the user when it fails."""
    try:
        return _raw_open(path, "rb", buffering=0)
    except FileNotFoundError:
        raise TransferError("local.missing", f"{path} no longer exists; it was not sent.", permanent=True) from None
    except OSError as error:
        raise TransferError(
            "local.unreadable", f"{path} cannot be read ({error.strerror or error}); check its permissions.",
            permanent=True,
        ) from None


def _as_transfer_error(error: BaseException) -> TransferError:
    """Network and file errors a transport did not translate become transient :class:`TransferError`."""
    if isinstance(error, TransferError):
        return error
    if isinstance(error, HashAborted):
        return TransferError("local.changed", "The file could not be checked to its end; it is sent again.")
    if isinstance(error, OSError) and getattr(error, "filename", None):
        return TransferError("local.unreadable", f"{error.filename} could not be read ({error.strerror or error}).")
    return TransferError("connection.lost", f"The connection was lost ({error or type(error).__name__}).")
