"""MD5 (and optionally SHA-256) of every file in a list, computed once and resumable.

Both archives check uploads by MD5, and a deposition can be terabytes, so the
checksums are computed in the background before the transfer, in streaming
chunks (constant memory, whatever the file size) by a few worker threads:
:mod:`hashlib` and file reads release the GIL, so threads use every core. Files
are handed out largest first, so one huge file never runs alone at the end.

Every finished checksum goes into a :class:`~.checksum_cache.ChecksumCache`
(committed in small batches, at most half a second apart), keyed by absolute
path, size and modification time. A repeated or restarted job takes those from
the cache and hashes only what is left; a changed file no longer matches its
record and is hashed again.

A file that changes while it is read (its size or modification time differs
before and after, or it ends early) is reported and not cached: its checksum
would describe no version of the file that exists.

Small files (up to one chunk) cost one ``open``, one ``read``, one ``fstat``
and one ``close``, checked against the size and time listed a moment before;
larger files are read chunk by chunk into one reused 1 MiB buffer. With few,
large reads the threads hold the interpreter lock only between chunks, so
hashing runs on every core at ``md5sum`` speed and neither starves the other
threads nor the window (64 KiB reads needed the lock sixteen times as often,
and on a busy two-core machine that made a large file take up to twice as
long: see ``benchmarks/checksums.py``).
"""

from __future__ import annotations

import collections
import hashlib
import io
import os
import queue
import stat
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from ..deposition import FileEntry
from . import hash_helper
from .checksum_cache import CachedChecksum, ChecksumCache
from .progress import Progress, ProgressCallback, Reporter

#: Bytes read and hashed at a time.
DEFAULT_CHUNK_SIZE = 1024 * 1024
#: Most worker threads used by default; more only add seeking on a hard disk.
MAX_DEFAULT_WORKERS = 4
# Finished checksums are written to the cache at least this often (seconds) or per this many files.
_COMMIT_INTERVAL_S = 0.5
_COMMIT_FILES = 2000
_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows would otherwise translate line ends
# How often the coordinating thread collects results, commits them and reports progress (seconds).
_POLL_S = 0.05
#: Hash many small files in helper processes beside the large-file threads (see :mod:`.hash_helper`).
USE_HELPER_PROCESSES = True
# Small files are handed to workers in batches of up to this many files or bytes.
_BATCH_FILES = 64
_BATCH_BYTES = 1024 * 1024


class FileChecksum(NamedTuple):
    """The checksums of one file (a named tuple: made once per file, so it must be cheap).

    Attributes
    ----------
    source
        Absolute path.
    size
        Size in bytes of the version hashed.
    mtime_ns
        Its modification time in nanoseconds.
    md5
        Lower-case hexadecimal MD5.
    sha256
        Lower-case hexadecimal SHA-256, or ``None`` when not asked for.
    from_cache
        Whether it came from the cache rather than from reading the file.
    """

    source: str
    size: int
    mtime_ns: int
    md5: str
    sha256: str | None
    from_cache: bool = False


@dataclass(frozen=True)
class ChecksumProblem:
    """A file whose checksum could not be computed.

    Attributes
    ----------
    code
        ``checksum.missing``, ``checksum.unreadable``, ``checksum.not_a_file`` or
        ``checksum.changed`` (modified while it was read).
    source
        Absolute path.
    message
        One sentence for the user.
    """

    code: str
    source: str
    message: str


@dataclass
class ChecksumReport:
    """What a checksum job did.

    Attributes
    ----------
    results
        Checksums by absolute path, for every file done (hashed now or taken from the cache).
    problems
        Files that could not be done, and why.
    cancelled
        Whether the job stopped early; finished files are in ``results`` and in the cache.
    hashed_files, hashed_bytes
        What was actually read in this run.
    cached_files
        How many checksums came from the cache.
    """

    results: dict[str, FileChecksum] = field(default_factory=dict)
    problems: list[ChecksumProblem] = field(default_factory=list)
    cancelled: bool = False
    hashed_files: int = 0
    hashed_bytes: int = 0
    cached_files: int = 0


def default_workers() -> int:
    """Worker threads to use: one per core, at least 2, at most :data:`MAX_DEFAULT_WORKERS`."""
    return max(2, min(MAX_DEFAULT_WORKERS, os.cpu_count() or 2))


class _Task(NamedTuple):
    source: str
    size: int
    mtime_ns: int


class _Changed(Exception):
    """The file changed while it was read."""


class _Stopped(Exception):
    """Cancellation was requested while the file was read."""


def _open(path: str) -> int:
    """Open a file for reading and return its descriptor (one place for tests to watch)."""
    return os.open(path, os.O_RDONLY | _O_BINARY)


_read = os.read


def _readinto(stream: io.FileIO, view: memoryview) -> int:
    """Read into ``view`` (one place for tests to watch); the interpreter lock is released while reading."""
    return stream.readinto(view) or 0


def _hash_file(
    task: _Task, chunk_size: int, with_sha256: bool, reporter: Reporter, progressed: list[int], slot: int
) -> FileChecksum:
    """Hash one file; raise :class:`_Changed`, :class:`_Stopped` or :class:`OSError`.

    A file no larger than one chunk is read with a single ``read`` and checked
    against the size and modification time listed a moment ago (one ``fstat``
    after reading): four system calls and no loop, which is what 100,000 small
    files cost. A file that does not match its listing, and every larger file,
    is read chunk by chunk into one reused buffer between two ``fstat`` calls.
    """
    if 0 < task.size <= chunk_size:
        fd = _open(task.source)
        try:
            data = _read(fd, task.size + 1)  # one byte more shows a file that grew
            after = os.fstat(fd)
        finally:
            os.close(fd)
        if len(data) == task.size and (after.st_size, after.st_mtime_ns) == (task.size, task.mtime_ns):
            progressed[slot] += len(data)
            return FileChecksum(
                task.source,
                task.size,
                task.mtime_ns,
                hashlib.md5(data, usedforsecurity=False).hexdigest(),
                hashlib.sha256(data).hexdigest() if with_sha256 else None,
            )
        # It changed since it was listed: hash the version there is now, watching for changes while reading.
    return _hash_chunked(task, chunk_size, with_sha256, reporter, progressed, slot)


def _hash_chunked(
    task: _Task, chunk_size: int, with_sha256: bool, reporter: Reporter, progressed: list[int], slot: int
) -> FileChecksum:
    """Hash a file chunk by chunk into a reused buffer; its size and time must not change meanwhile.

    Reading into one buffer (no new ``bytes`` per chunk) and hashing it with the
    interpreter lock released leaves the lock free almost all the time, so
    these threads run in parallel with each other and never hold up the window.
    """
    md5 = hashlib.md5(usedforsecurity=False)
    sha = hashlib.sha256() if with_sha256 else None
    fd = _open(task.source)
    try:
        before = os.fstat(fd)
        remaining = before.st_size
        buffer = memoryview(bytearray(min(chunk_size, max(1, remaining))))
        with io.FileIO(fd, "rb", closefd=False) as stream:
            while remaining > 0:
                if reporter.cancelled:
                    raise _Stopped
                view = buffer[: min(len(buffer), remaining)]
                count = _readinto(stream, view)
                if not count:
                    raise _Changed  # shorter than it was a moment ago
                part = view[:count]
                md5.update(part)
                if sha is not None:
                    sha.update(part)
                remaining -= count
                progressed[slot] += count
        after = os.fstat(fd)
    finally:
        os.close(fd)
    if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
        raise _Changed
    return FileChecksum(
        task.source, before.st_size, before.st_mtime_ns, md5.hexdigest(), sha.hexdigest() if sha else None
    )


def _batches(todo: Sequence[_Task]) -> list[list[_Task]]:
    """Group small files so a worker takes many at once; large files go alone (``todo`` is largest first)."""
    batches: list[list[_Task]] = []
    batch: list[_Task] = []
    batch_bytes = 0
    for task in todo:
        if task.size >= _BATCH_BYTES:
            batches.append([task])
            continue
        batch.append(task)
        batch_bytes += task.size
        if len(batch) >= _BATCH_FILES or batch_bytes >= _BATCH_BYTES:
            batches.append(batch)
            batch, batch_bytes = [], 0
    if batch:
        batches.append(batch)
    return batches


class _Job:
    """One run of :func:`compute_checksums`: the coordinating thread plus its workers.

    Workers take batches of files from a queue and append results to a deque; the
    coordinating thread looks at the deque a few times a second, so a small file
    costs no thread switch (waking it per file cost more than hashing the file).
    """

    def __init__(self, reporter: Reporter, with_sha256: bool, chunk_size: int, workers: int) -> None:
        self.reporter = reporter
        self.with_sha256 = with_sha256
        self.chunk_size = chunk_size
        self.workers = workers
        self.tasks: queue.SimpleQueue[list[_Task]] = queue.SimpleQueue()
        self.results: collections.deque[tuple[_Task, FileChecksum | BaseException]] = collections.deque()
        # Bytes read so far by each worker (threads, then helpers), for progress inside large files.
        self.progressed = [0] * (workers * 2)
        self.running = 0
        self.running_lock = threading.Lock()
        self.all_done = threading.Event()
        self.helpers: list[hash_helper.HashHelper] = []  # running helper processes, killed on cancel

    def _finished(self) -> None:
        with self.running_lock:
            self.running -= 1
            if self.running == 0:
                self.all_done.set()

    def work(self, slot: int) -> None:
        try:
            while not self.reporter.cancelled:
                try:
                    batch = self.tasks.get_nowait()
                except queue.Empty:
                    return
                for task in batch:
                    if self.reporter.cancelled:
                        return
                    self._hash_here(task, slot)
        finally:
            self._finished()

    def _hash_here(self, task: _Task, slot: int) -> None:
        outcome: FileChecksum | BaseException
        try:
            outcome = _hash_file(task, self.chunk_size, self.with_sha256, self.reporter, self.progressed, slot)
        except BaseException as error:  # handed to the coordinating thread, which decides
            outcome = error
        self.results.append((task, outcome))

    def helper_work(self, small: Sequence[_Task], slot: int) -> None:
        """Have a helper process hash ``small``; hash here whatever it could not (see :mod:`.hash_helper`)."""
        try:
            reported: set[int] = set()
            redo: list[_Task] = []
            try:
                helper = hash_helper.HashHelper([(t.source, t.size, t.mtime_ns) for t in small],
                                                sha256=self.with_sha256)
            except OSError:
                helper = None
            if helper is not None:
                with self.running_lock:
                    self.helpers.append(helper)
                if self.reporter.cancelled:
                    helper.kill()
                for result in helper.results(lambda: self.reporter.cancelled):
                    task = small[result.position]
                    reported.add(result.position)
                    if result.kind == "changed":
                        redo.append(task)  # not as listed: hashed here, watching for changes
                        continue
                    outcome: FileChecksum | BaseException
                    if result.kind == "ok":
                        outcome = FileChecksum(task.source, task.size, task.mtime_ns, result.md5, result.sha256)
                        self.progressed[slot] += task.size
                    else:
                        outcome = OSError(result.errno, os.strerror(result.errno), task.source)
                    self.results.append((task, outcome))
            for task in redo + [task for index, task in enumerate(small) if index not in reported]:
                if self.reporter.cancelled:
                    return
                self._hash_here(task, slot)
        finally:
            self._finished()

    def _kill_helpers(self) -> None:
        with self.running_lock:
            helpers = list(self.helpers)
        for helper in helpers:
            helper.kill()

    def _plan(self, todo: Sequence[_Task]) -> tuple[list[_Task], list[list[_Task]]]:
        """(files for the threads, groups of small files for helper processes)."""
        small = [task for task in todo if task.size <= self.chunk_size]
        if not USE_HELPER_PROCESSES or len(small) < hash_helper.MIN_FILES or not hash_helper.available():
            return list(todo), []
        large = [task for task in todo if task.size > self.chunk_size]
        # Cores not busy with large files take small ones: one helper beside large files, more without.
        helpers = max(1, self.workers - min(self.workers, len(large)))
        return large, [small[i::helpers] for i in range(helpers)]

    def run(self, todo: Sequence[_Task], cache: ChecksumCache, report: ChecksumReport, base: Progress) -> None:
        threaded, helped = self._plan(todo)
        for batch in _batches(threaded):
            self.tasks.put(batch)
        threads = [
            threading.Thread(target=self.work, args=(slot,), name=f"checksum-{slot}", daemon=True)
            for slot in range(min(self.workers, len(threaded)))
        ]
        threads += [
            threading.Thread(target=self.helper_work, args=(group, self.workers + slot), name=f"checksum-helper-{slot}",
                             daemon=True)
            for slot, group in enumerate(helped)
        ]
        self.running = len(threads)
        for thread in threads:
            thread.start()
        pending: list[CachedChecksum] = []
        last_commit = time.monotonic()
        finished = 0
        error: BaseException | None = None
        current = ""
        try:
            while True:
                workers_done = self.all_done.wait(_POLL_S)
                while self.results and error is None:
                    task, outcome = self.results.popleft()
                    finished += 1
                    current = task.source
                    error = self._record(task, outcome, report, pending)
                if error is not None:
                    self.reporter.stop()
                    break
                if workers_done:
                    break
                if self.reporter.cancelled:
                    self._kill_helpers()  # a helper blocked on its next line would not notice
                if pending and (len(pending) >= _COMMIT_FILES or time.monotonic() - last_commit >= _COMMIT_INTERVAL_S):
                    cache.store(pending)
                    pending.clear()
                    last_commit = time.monotonic()
                if self.reporter.due():
                    self.reporter.report(
                        Progress(
                            base.done + finished,
                            base.total,
                            base.bytes_done + sum(self.progressed),
                            base.bytes_total,
                            current,
                        )
                    )
        finally:
            if error is not None or finished < len(todo):
                self.reporter.stop()
                self._kill_helpers()
            for thread in threads:
                thread.join()
            # Files that finished while we were stopping are kept too.
            while self.results:
                task, outcome = self.results.popleft()
                self._record(task, outcome, report, pending)
            cache.store(pending)
        if error is not None:
            raise error

    def _record(
        self,
        task: _Task,
        outcome: FileChecksum | BaseException,
        report: ChecksumReport,
        pending: list[CachedChecksum],
    ) -> BaseException | None:
        """File one worker result; return an unexpected exception for the caller to raise."""
        if isinstance(outcome, FileChecksum):
            report.results[task.source] = outcome
            report.hashed_files += 1
            report.hashed_bytes += outcome.size
            pending.append(
                CachedChecksum(outcome.source, outcome.size, outcome.mtime_ns, outcome.md5, outcome.sha256, time.time())
            )
        elif isinstance(outcome, _Stopped):
            pass
        elif isinstance(outcome, _Changed):
            report.problems.append(
                ChecksumProblem(
                    "checksum.changed",
                    task.source,
                    f"'{task.source}' changed while its checksum was computed; wait until it is "
                    "completely written and compute checksums again.",
                )
            )
        elif isinstance(outcome, OSError):
            report.problems.append(_os_problem(task.source, outcome))
        else:
            return outcome
        return None


def _os_problem(source: str, error: OSError) -> ChecksumProblem:
    if isinstance(error, FileNotFoundError):
        return ChecksumProblem(
            "checksum.missing", source, f"'{source}' no longer exists; add it again or remove it from the list."
        )
    reason = error.strerror or type(error).__name__
    return ChecksumProblem(
        "checksum.unreadable", source, f"'{source}' could not be read ({reason}); check its permissions."
    )


def compute_checksums(
    sources: Iterable[str | os.PathLike[str]],
    *,
    cache: ChecksumCache | None = None,
    sha256: bool = False,
    workers: int | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> ChecksumReport:
    """Compute the MD5 (and optionally SHA-256) of files, reusing and filling the cache.

    Parameters
    ----------
    sources
        Local files (absolute or relative to the working folder); repeats are done once.
    cache
        Where finished checksums are looked up and recorded; ``None`` opens (and
        closes again) the per-user cache. Pass ``ChecksumCache(":memory:")`` to
        keep nothing.
    sha256
        Also compute SHA-256 in the same pass (a cached record without one is redone).
    workers
        Worker threads; default :func:`default_workers`.
    chunk_size
        Bytes read and hashed at a time (memory used is this times ``workers``).
    progress
        Called about ten times a second with files and bytes done out of the total
        (cached files count as done at once); returning ``False`` cancels.
    cancel
        Set from another thread to stop; workers stop within one chunk.

    Returns
    -------
    ChecksumReport
        Checksums of every file done, problems, and whether the job was cancelled.
        Checksums finished before a cancellation are in the report and the cache, so
        running the job again continues where it stopped.

    Raises
    ------
    Exception
        Only for unexpected failures (a bug, a full disk under the cache); problems
        with the files themselves are reported, not raised.
    """
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    reporter = Reporter(progress, cancel)
    report = ChecksumReport()
    own_cache = cache is None
    store = ChecksumCache() if cache is None else cache
    try:
        tasks = _stat_all(sources, reporter, report)
        if reporter.cancelled:
            report.cancelled = True
            return report
        cached = store.lookup_many((t.source, t.size, t.mtime_ns) for t in tasks)
        todo: list[_Task] = []
        cached_bytes = 0
        for task in tasks:
            record = cached.get(task.source)
            if record is not None and (record.sha256 is not None or not sha256):
                report.results[task.source] = FileChecksum(
                    task.source, record.size, record.mtime_ns, record.md5, record.sha256, from_cache=True
                )
                cached_bytes += task.size
            else:
                todo.append(task)
        report.cached_files = len(report.results)
        total_bytes = cached_bytes + sum(task.size for task in todo)
        base = Progress(report.cached_files, len(tasks), cached_bytes, total_bytes)
        reporter.report(base, force=True)
        if todo:
            todo.sort(key=lambda task: task.size, reverse=True)
            _Job(reporter, sha256, chunk_size, workers or default_workers()).run(todo, store, report, base)
        report.cancelled = reporter.cancelled and len(report.results) + len(report.problems) < len(tasks)
        done_bytes = sum(result.size for result in report.results.values())
        reporter.report(Progress(len(report.results), len(tasks), done_bytes, total_bytes), force=True)
        return report
    finally:
        if own_cache:
            store.close()


def _stat_all(sources: Iterable[str | os.PathLike[str]], reporter: Reporter, report: ChecksumReport) -> list[_Task]:
    tasks: list[_Task] = []
    seen: set[str] = set()
    for count, raw in enumerate(sources):
        if count % 1024 == 0 and reporter.cancelled:
            break
        source = os.path.abspath(os.fspath(raw))
        if source in seen:
            continue
        seen.add(source)
        try:
            info = os.stat(source)
        except OSError as error:
            report.problems.append(_os_problem(source, error))
            continue
        if not stat.S_ISREG(info.st_mode):
            report.problems.append(
                ChecksumProblem("checksum.not_a_file", source, f"'{source}' is not a regular file; remove it.")
            )
            continue
        tasks.append(_Task(source, info.st_size, info.st_mtime_ns))
    return tasks


def apply_checksums(entries: Sequence[FileEntry], report: ChecksumReport) -> list[FileEntry]:
    """Return ``entries`` with ``md5`` (and ``size_bytes``) filled in from ``report``.

    Parameters
    ----------
    entries
        A file list; rows are matched by ``source``.
    report
        From :func:`compute_checksums`.

    Returns
    -------
    list of FileEntry
        Unchanged rows are the same objects; the others are updated copies.
    """
    out = []
    for entry in entries:
        result = report.results.get(os.path.abspath(entry.source)) if entry.source else None
        if result is None or (entry.md5 == result.md5 and entry.size_bytes == result.size):
            out.append(entry)
        else:
            out.append(entry.model_copy(update={"md5": result.md5, "size_bytes": result.size}))
    return out
