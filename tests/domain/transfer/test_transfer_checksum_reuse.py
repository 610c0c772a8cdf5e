"""The engine reuses digests the checksum cache already holds and records the ones it computes."""

from __future__ import annotations

import hashlib
import os
import random

import pytest
from transfer_fakes import MemoryServer

from bioimage_depositor.domain.filelist.checksum_cache import CachedChecksum, ChecksumCache
from bioimage_depositor.domain.transfer import engine as engine_module
from bioimage_depositor.domain.transfer.engine import TransferJob
from bioimage_depositor.domain.transfer.ledger import Ledger
from bioimage_depositor.domain.transfer.local import FolderTransport
from bioimage_depositor.domain.transfer.retry import RetryPolicy

FAST = RetryPolicy(base_delay=0.01, factor=2, max_delay=0.05, max_attempts=4)


def run(tmp_path, source, cache, transport=None, **kwargs):
    with Ledger(tmp_path / f"ledger-{random.random()}.sqlite3") as ledger:
        report = TransferJob(ledger, transport or FolderTransport(tmp_path / "dst"), source=source, checksums=cache,
                             rng=random.Random(1), **kwargs).run()
        rows = {row.remote_path: row for row in ledger.rows()}
    return report, rows


@pytest.fixture
def no_hashing(monkeypatch):
    """Make any attempt to hash a file fail the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("the file was hashed although its digest was cached")

    monkeypatch.setattr(engine_module, "StreamHasher", refuse)


def test_computed_digests_are_recorded_and_a_later_transfer_does_not_hash_again(tmp_path, monkeypatch):
    source = tmp_path / "image.tif"
    data = os.urandom(300_000)
    source.write_bytes(data)
    with ChecksumCache(tmp_path / "checksums.sqlite3") as cache:
        report, rows = run(tmp_path, source, cache)
        assert report.ok
        info = source.stat()
        recorded = cache.lookup(str(source), info.st_size, info.st_mtime_ns)
        assert recorded is not None and recorded.md5 == hashlib.md5(data).hexdigest()

        hashed = []
        real = engine_module.StreamHasher
        monkeypatch.setattr(engine_module, "StreamHasher", lambda *a, **k: hashed.append(a) or real(*a, **k))
        report, rows = run(tmp_path, source, cache, transport=FolderTransport(tmp_path / "elsewhere"))
    assert report.ok and report.sent == 1
    assert hashed == []
    assert rows["image.tif"].md5 == hashlib.md5(data).hexdigest()
    assert (tmp_path / "elsewhere" / "image.tif").read_bytes() == data


def test_a_digest_from_the_image_data_page_is_used_as_is(tmp_path, no_hashing):
    source = tmp_path / "stack.tif"
    data = os.urandom(100_000)
    source.write_bytes(data)
    info = source.stat()
    with ChecksumCache(tmp_path / "checksums.sqlite3") as cache:
        cache.store([CachedChecksum(str(source), info.st_size, info.st_mtime_ns, hashlib.md5(data).hexdigest(), None,
                                    0.0)])
        report, rows = run(tmp_path, source, cache)
    assert report.ok and "MD5" in report.verification  # the folder target still checks the copy against it
    assert rows["stack.tif"].md5 == hashlib.md5(data).hexdigest()


def test_a_stale_cached_digest_the_server_contradicts_is_replaced_by_a_fresh_hash(tmp_path):
    source = tmp_path / "rewritten.tif"
    data = os.urandom(100_000)
    source.write_bytes(data)
    info = source.stat()
    with ChecksumCache(tmp_path / "checksums.sqlite3") as cache:
        # as if the file had been rewritten in place and its modification time restored
        cache.store([CachedChecksum(str(source), info.st_size, info.st_mtime_ns, "0" * 32, None, 0.0)])
        report, rows = run(tmp_path, source, cache, retry=FAST)
        assert report.ok and report.verified == 1
        assert rows["rewritten.tif"].md5 == hashlib.md5(data).hexdigest()
        assert cache.lookup(str(source), info.st_size, info.st_mtime_ns).md5 == hashlib.md5(data).hexdigest()
    assert (tmp_path / "dst" / "rewritten.tif").read_bytes() == data


def test_a_file_changed_since_it_was_hashed_is_hashed_again(tmp_path):
    source = tmp_path / "a.bin"
    source.write_bytes(b"old contents")
    info = source.stat()
    with ChecksumCache(tmp_path / "checksums.sqlite3") as cache:
        cache.store([CachedChecksum(str(source), info.st_size, info.st_mtime_ns, "f" * 32, None, 0.0)])
        source.write_bytes(b"new contents, longer")
        os.utime(source, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000_000))
        report, rows = run(tmp_path, source, cache)
        assert report.ok
        assert rows["a.bin"].md5 == hashlib.md5(b"new contents, longer").hexdigest()
        now = source.stat()
        assert cache.lookup(str(source), now.st_size, now.st_mtime_ns).md5 == rows["a.bin"].md5


def test_sha256_is_computed_when_the_cache_only_has_md5(tmp_path):
    source = tmp_path / "b.bin"
    data = os.urandom(50_000)
    source.write_bytes(data)
    info = source.stat()
    with ChecksumCache(tmp_path / "checksums.sqlite3") as cache:
        cache.store([CachedChecksum(str(source), info.st_size, info.st_mtime_ns, hashlib.md5(data).hexdigest(),
                                    None, 0.0)])
        report, rows = run(tmp_path, source, cache, transport=MemoryServer(), sha256=True)
        assert report.ok
        assert rows["b.bin"].sha256 == hashlib.sha256(data).hexdigest()
        assert cache.lookup(str(source), info.st_size, info.st_mtime_ns).sha256 == hashlib.sha256(data).hexdigest()


def test_an_unreadable_cache_costs_a_hash_not_the_transfer(tmp_path):
    source = tmp_path / "c.bin"
    source.write_bytes(os.urandom(10_000))
    cache = ChecksumCache(tmp_path / "checksums.sqlite3")
    cache.close()  # every lookup and store now raises sqlite3.ProgrammingError
    report, rows = run(tmp_path, source, cache)
    assert report.ok
    assert rows["c.bin"].md5 == hashlib.md5(source.read_bytes()).hexdigest()
