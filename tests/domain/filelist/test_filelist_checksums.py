"""Checksums: correct, computed once, resumable, cancellable, and honest about changing files."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bioimage_depositor.domain.deposition import FileEntry
from bioimage_depositor.domain.filelist import checksums
from bioimage_depositor.domain.filelist.checksum_cache import (
    CachedChecksum,
    ChecksumCache,
    default_cache_path,
)
from bioimage_depositor.domain.filelist.checksums import apply_checksums, compute_checksums
from bioimage_depositor.domain.filelist.progress import Progress

CHUNK = checksums.DEFAULT_CHUNK_SIZE


def make(path: Path, size: int, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    block = hashlib.sha256(str(seed).encode()).digest() * 4096  # 128 KiB of varied bytes
    with open(path, "wb") as stream:
        left = size
        while left > 0:
            piece = block[: min(left, len(block))]
            stream.write(piece)
            left -= len(piece)
    return path


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    sizes = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * 1024 * 1024 + 7]
    return [make(tmp_path / "data" / f"file {index}.bin", size, index) for index, size in enumerate(sizes)]


@pytest.fixture
def cache(tmp_path: Path):
    with ChecksumCache(tmp_path / "cache" / "checksums.sqlite3") as opened:
        yield opened


class OpenCounter:
    """Counts files opened for hashing, through the module's one opening function."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, after_open=None) -> None:
        self.opened: list[str] = []
        self.after_open = after_open
        self.lock = threading.Lock()
        self._real = checksums._open
        monkeypatch.setattr(checksums, "_open", self)

    def __call__(self, path):
        with self.lock:
            self.opened.append(os.fspath(path))
            count = len(self.opened)
        fd = self._real(path)
        if self.after_open is not None:
            self.after_open(count)
        return fd


def test_md5_and_sha256_equal_hashlib(files: list[Path], cache: ChecksumCache):
    report = compute_checksums(files, cache=cache, sha256=True)
    assert report.problems == [] and not report.cancelled
    for path in files:
        data = path.read_bytes()
        result = report.results[str(path)]
        assert result.md5 == hashlib.md5(data).hexdigest()
        assert result.sha256 == hashlib.sha256(data).hexdigest()
        assert result.size == len(data)
    assert report.hashed_files == len(files)
    assert report.hashed_bytes == sum(path.stat().st_size for path in files)


@pytest.mark.skipif(shutil.which("md5sum") is None, reason="needs coreutils md5sum")
def test_md5_equals_md5sum(files: list[Path], cache: ChecksumCache):
    report = compute_checksums(files, cache=cache, workers=3, chunk_size=4096)
    output = subprocess.run(["md5sum", *map(str, files)], capture_output=True, text=True, check=True).stdout
    expected = {line[34:]: line[:32] for line in output.splitlines()}
    assert {source: result.md5 for source, result in report.results.items()} == expected


def test_cache_hit_avoids_reading(files: list[Path], cache: ChecksumCache, monkeypatch: pytest.MonkeyPatch):
    first = compute_checksums(files, cache=cache)
    counter = OpenCounter(monkeypatch)
    second = compute_checksums(files, cache=cache)
    assert counter.opened == []
    assert second.cached_files == len(files) and second.hashed_files == 0
    assert {k: v.md5 for k, v in second.results.items()} == {k: v.md5 for k, v in first.results.items()}
    assert all(result.from_cache for result in second.results.values())


def test_changed_file_is_hashed_again(files: list[Path], cache: ChecksumCache, monkeypatch: pytest.MonkeyPatch):
    compute_checksums(files, cache=cache)
    files[2].write_bytes(b"new content")
    counter = OpenCounter(monkeypatch)
    report = compute_checksums(files, cache=cache)
    assert counter.opened == [str(files[2])]
    assert report.results[str(files[2])].md5 == hashlib.md5(b"new content").hexdigest()
    # the same size but a new modification time is a new version too
    os.utime(files[3], ns=(1, 1))
    counter.opened.clear()
    compute_checksums(files, cache=cache)
    assert counter.opened == [str(files[3])]


def test_sha256_requested_later_rehashes_records_without_it(
    files: list[Path], cache: ChecksumCache, monkeypatch: pytest.MonkeyPatch
):
    compute_checksums(files, cache=cache)
    counter = OpenCounter(monkeypatch)
    report = compute_checksums(files, cache=cache, sha256=True)
    assert len(counter.opened) == len(files)
    assert all(result.sha256 for result in report.results.values())
    counter.opened.clear()
    compute_checksums(files, cache=cache)  # md5 only: the records with both serve
    assert counter.opened == []


def test_cache_survives_a_restart_of_the_program(files: list[Path], tmp_path: Path, monkeypatch):
    location = tmp_path / "persist.sqlite3"
    with ChecksumCache(location) as first:
        compute_checksums(files, cache=first)
    counter = OpenCounter(monkeypatch)
    with ChecksumCache(location) as second:
        assert len(second) == len(files)
        assert compute_checksums(files, cache=second).cached_files == len(files)
    assert counter.opened == []


def test_default_cache_lives_in_the_user_cache_folder(files: list[Path], isolated_home: Path):
    compute_checksums(files[:2])
    assert default_cache_path().is_relative_to(isolated_home)
    with ChecksumCache() as opened:
        assert len(opened) == 2


def test_resume_after_cancel_hashes_only_unfinished_files(
    tmp_path: Path, cache: ChecksumCache, monkeypatch: pytest.MonkeyPatch
):
    many = [make(tmp_path / "many" / f"{index:03d}.bin", 200_000 + index, index) for index in range(60)]
    cancel = threading.Event()

    def stop_after_ten(count: int) -> None:
        if count == 10:
            cancel.set()

    counter = OpenCounter(monkeypatch, stop_after_ten)
    first = compute_checksums(many, cache=cache, cancel=cancel, workers=2)
    assert first.cancelled
    assert 0 < len(first.results) <= 10
    assert len(cache) == len(first.results)  # everything finished was committed

    counter.opened.clear()
    counter.after_open = None
    with ChecksumCache(cache.path) as restarted:  # a new process would open the file anew
        second = compute_checksums(many, cache=restarted, workers=2)
    assert not second.cancelled
    assert second.cached_files == len(first.results)
    assert sorted(counter.opened) == sorted(str(p) for p in many if str(p) not in first.results)
    for path in many:
        assert second.results[str(path)].md5 == hashlib.md5(path.read_bytes()).hexdigest()


@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")
def test_resume_after_a_killed_process(tmp_path: Path):
    many = [make(tmp_path / "killed" / f"{index:03d}.bin", 100_000, index) for index in range(400)]
    location = tmp_path / "crash.sqlite3"
    child = (
        "import sys, time\n"
        "from bioimage_depositor.domain.filelist import checksums\n"
        "from bioimage_depositor.domain.filelist.checksum_cache import ChecksumCache\n"
        "real = checksums._hash_file\n"
        "def slow(*args):\n"
        "    time.sleep(0.01)\n"
        "    return real(*args)\n"
        "checksums._hash_file = slow\n"
        "checksums.compute_checksums(sys.argv[2:], cache=ChecksumCache(sys.argv[1]), workers=2)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", child, str(location), *map(str, many)])
    try:
        deadline = time.monotonic() + 30
        committed = 0
        while time.monotonic() < deadline and committed < 50:
            time.sleep(0.05)
            if location.exists():
                with sqlite3.connect(location, timeout=5) as probe:
                    try:
                        committed = probe.execute("SELECT COUNT(*) FROM checksums").fetchone()[0]
                    except sqlite3.OperationalError:
                        committed = 0
        assert committed >= 50, "the child committed nothing"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    with ChecksumCache(location) as cache:
        survived = len(cache)
        assert 50 <= survived < len(many)
        report = compute_checksums(many, cache=cache)
    assert report.cached_files == survived
    assert report.hashed_files == len(many) - survived
    for path in many[::37]:
        assert report.results[str(path)].md5 == hashlib.md5(path.read_bytes()).hexdigest()


def change_while_reading(monkeypatch: pytest.MonkeyPatch, victim: Path, change) -> None:
    """Make someone else change ``victim`` right after its first read (single read or first chunk)."""
    real_read = checksums._read
    real_readinto = checksums._readinto
    victim_fds: set[int] = set()
    real_open = checksums._open

    def opener(path):
        fd = real_open(path)
        if os.fspath(path) == str(victim):
            victim_fds.add(fd)
        return fd

    def after_read(fd):
        if fd in victim_fds:
            victim_fds.discard(fd)
            change()

    def reader(fd, size):
        data = real_read(fd, size)
        after_read(fd)
        return data

    def reader_into(stream, view):
        count = real_readinto(stream, view)
        after_read(stream.fileno())
        return count

    monkeypatch.setattr(checksums, "_open", opener)
    monkeypatch.setattr(checksums, "_read", reader)
    monkeypatch.setattr(checksums, "_readinto", reader_into)


def test_file_changed_during_hashing_is_reported_not_cached(
    files: list[Path], cache: ChecksumCache, monkeypatch: pytest.MonkeyPatch
):
    victim = files[-1]

    def append() -> None:
        with open(victim, "ab") as writer:
            writer.write(b"more")

    change_while_reading(monkeypatch, victim, append)
    report = compute_checksums(files, cache=cache)
    assert [(p.code, p.source) for p in report.problems] == [("checksum.changed", str(victim))]
    assert str(victim) not in report.results
    assert len(cache) == len(files) - 1


def test_small_file_changed_after_listing_is_hashed_as_it_is_now(tmp_path: Path, cache: ChecksumCache, monkeypatch):
    victim = make(tmp_path / "small.bin", 1000)
    changed: list[bool] = []

    def append() -> None:  # once, after the single read of the listed size: the read no longer matches
        if changed:
            return
        changed.append(True)
        with open(victim, "ab") as writer:
            writer.write(b"tail")
        os.utime(victim, ns=(time.time_ns(), time.time_ns() + 1_000_000))

    change_while_reading(monkeypatch, victim, append)
    report = compute_checksums([victim], cache=cache)
    assert report.problems == []
    assert report.results[str(victim)].md5 == hashlib.md5(victim.read_bytes()).hexdigest()
    assert report.results[str(victim)].size == 1004


def test_file_rewritten_in_place_during_hashing_is_reported(tmp_path: Path, cache: ChecksumCache, monkeypatch):
    victim = make(tmp_path / "rewritten.bin", 5 * CHUNK)

    def rewrite() -> None:  # same size, new content: only the modification time tells
        with open(victim, "r+b") as writer:
            writer.seek(3 * CHUNK)
            writer.write(b"X")
        os.utime(victim, ns=(time.time_ns(), time.time_ns() + 1_000_000))

    change_while_reading(monkeypatch, victim, rewrite)
    report = compute_checksums([victim], cache=cache)
    assert [p.code for p in report.problems] == ["checksum.changed"]


def test_file_shrinking_during_hashing_is_reported(tmp_path: Path, cache: ChecksumCache, monkeypatch):
    victim = make(tmp_path / "shrinks.bin", 5 * CHUNK)
    change_while_reading(monkeypatch, victim, lambda: os.truncate(victim, CHUNK))
    report = compute_checksums([victim], cache=cache)
    assert [p.code for p in report.problems] == ["checksum.changed"]
    assert len(cache) == 0


def test_missing_and_special_files_are_reported(tmp_path: Path, files: list[Path], cache: ChecksumCache):
    report = compute_checksums([tmp_path / "gone.bin", tmp_path, files[1]], cache=cache)
    assert sorted(p.code for p in report.problems) == ["checksum.missing", "checksum.not_a_file"]
    assert list(report.results) == [str(files[1])]


def test_unreadable_file_is_reported(files: list[Path], cache: ChecksumCache, monkeypatch: pytest.MonkeyPatch):
    def deny(path):
        raise PermissionError(13, "Permission denied", os.fspath(path))

    monkeypatch.setattr(checksums, "_open", deny)
    report = compute_checksums(files[:2], cache=cache)
    assert [p.code for p in report.problems] == ["checksum.unreadable", "checksum.unreadable"]
    assert "Permission denied" in report.problems[0].message


def test_unexpected_errors_are_raised_not_swallowed(files: list[Path], cache: ChecksumCache, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(checksums, "_hash_file", broken)
    with pytest.raises(RuntimeError, match="bug"):
        compute_checksums(files, cache=cache)
    assert not any(thread.name.startswith("checksum-") for thread in threading.enumerate())


def test_progress_counts_files_and_bytes(files: list[Path], cache: ChecksumCache, monkeypatch):
    monkeypatch.setattr("bioimage_depositor.domain.filelist.progress.REPORT_INTERVAL_S", 0.0)
    compute_checksums(files[:2], cache=cache)
    reports: list[Progress] = []
    compute_checksums(files, cache=cache, progress=reports.append)
    total = sum(path.stat().st_size for path in files)
    assert reports[0].done == 2 and reports[0].total == len(files)  # cached files count at once
    assert reports[-1].done == len(files) and reports[-1].bytes_done == reports[-1].bytes_total == total
    assert reports[-1].fraction == 1.0
    assert all(r.bytes_done <= total for r in reports)


def test_repeated_sources_are_done_once(files: list[Path], cache: ChecksumCache, monkeypatch):
    counter = OpenCounter(monkeypatch)
    report = compute_checksums([files[3], str(files[3]), files[3]], cache=cache)
    assert counter.opened == [str(files[3])]
    assert len(report.results) == 1


def test_cancellation_is_prompt_on_a_large_file(tmp_path: Path, cache: ChecksumCache):
    big = tmp_path / "sparse.bin"
    with open(big, "wb") as stream:
        stream.truncate(4 * 1024**3)  # sparse: hashing it all would take several seconds
    cancel = threading.Event()
    started = threading.Event()
    result: dict[str, object] = {}

    def run() -> None:
        result["report"] = compute_checksums(
            [big], cache=cache, cancel=cancel, progress=lambda p: started.set() if p.bytes_done else None
        )
        result["returned"] = time.monotonic()

    worker = threading.Thread(target=run)
    worker.start()
    assert started.wait(10)
    asked = time.monotonic()
    cancel.set()
    worker.join(10)
    assert not worker.is_alive()
    assert result["returned"] - asked < 0.5  # type: ignore[operator]
    report = result["report"]
    assert report.cancelled and report.results == {} and report.problems == []  # type: ignore[attr-defined]
    assert len(cache) == 0


def test_progress_returning_false_cancels(tmp_path: Path, cache: ChecksumCache):
    big = tmp_path / "sparse.bin"
    with open(big, "wb") as stream:
        stream.truncate(2 * 1024**3)
    start = time.monotonic()
    report = compute_checksums([big], cache=cache, progress=lambda p: p.bytes_done == 0)
    assert report.cancelled
    assert time.monotonic() - start < 1.5


def test_apply_checksums_fills_md5(files: list[Path], cache: ChecksumCache):
    entries = [FileEntry(path=p.name, source=str(p), size_bytes=0) for p in files[:3]]
    entries.append(FileEntry(path="elsewhere.tif", source="/nowhere/elsewhere.tif"))
    report = compute_checksums([e.source for e in entries[:3]], cache=cache)
    filled = apply_checksums(entries, report)
    assert filled[3] is entries[3]
    for entry, path in zip(filled[:3], files[:3], strict=True):
        assert entry.md5 == hashlib.md5(path.read_bytes()).hexdigest()
        assert entry.size_bytes == path.stat().st_size
        assert entry.path == path.name
    assert apply_checksums(filled, report)[0] is filled[0]


def test_cache_is_safe_to_share_between_threads(tmp_path: Path):
    with ChecksumCache(tmp_path / "threads.sqlite3") as cache:
        errors: list[BaseException] = []

        def hammer(worker: int) -> None:
            try:
                for index in range(200):
                    source = f"/w{worker}/{index}"
                    cache.store([CachedChecksum(source, index, index, f"{index:032x}", None, 0.0)])
                    assert cache.lookup(source, index, index) is not None
                    assert cache.lookup(source, index + 1, index) is None
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=hammer, args=(worker,)) for worker in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert len(cache) == 800


def test_cache_keys_names_that_are_not_text(tmp_path: Path):
    with ChecksumCache(tmp_path / "bytes.sqlite3") as cache:
        odd = os.fsdecode(b"/data/bad\xff.tif")
        cache.store([CachedChecksum(odd, 1, 2, "0" * 32, None, 0.0)])
        assert cache.lookup(odd, 1, 2) is not None
        cache.forget([odd])
        assert cache.lookup(odd, 1, 2) is None


def test_zero_chunk_size_is_refused(files: list[Path], cache: ChecksumCache):
    with pytest.raises(ValueError):
        compute_checksums(files, cache=cache, chunk_size=0)
