"""Small files hashed in a helper process: the same checksums, and nothing lost when the helper fails."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

import pytest

from bioimage_depositor.domain.filelist import checksums, hash_helper
from bioimage_depositor.domain.filelist.checksum_cache import ChecksumCache
from bioimage_depositor.domain.filelist.checksums import compute_checksums

pytestmark = pytest.mark.skipif(not hash_helper.available(), reason="needs a Python interpreter to start")


@pytest.fixture
def mixed(tmp_path: Path) -> list[Path]:
    """60 small files (0 bytes to a few KiB) and two files larger than one chunk."""
    out = []
    for index in range(60):
        path = tmp_path / "small" / f"frame {index:03d}.tif"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(os.urandom(index * 37))
        out.append(path)
    for index in range(2):
        path = tmp_path / "large" / f"volume_{index}.raw"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(os.urandom(checksums.DEFAULT_CHUNK_SIZE * 2 + index))
        out.append(path)
    return out


@pytest.fixture
def cache(tmp_path: Path):
    with ChecksumCache(tmp_path / "cache.sqlite3") as opened:
        yield opened


@pytest.fixture
def helped(monkeypatch: pytest.MonkeyPatch):
    """Use the helper for any number of small files, and count the helpers started."""
    monkeypatch.setattr(hash_helper, "MIN_FILES", 1)
    started: list[int] = []
    real = hash_helper.HashHelper.__init__

    def counting(self, files, *, sha256):
        started.append(len(files))
        real(self, files, sha256=sha256)

    monkeypatch.setattr(hash_helper.HashHelper, "__init__", counting)
    return started


def _expected(paths: list[Path]) -> dict[str, tuple[str, str]]:
    return {str(p): (hashlib.md5(p.read_bytes()).hexdigest(), hashlib.sha256(p.read_bytes()).hexdigest())
            for p in paths}


def test_the_helper_gives_the_same_checksums(mixed, cache, helped):
    report = compute_checksums(mixed, cache=cache, sha256=True, workers=2)
    assert sum(helped) == 60  # the small files went to the helper, the large ones stayed in threads
    assert report.problems == [] and report.hashed_files == len(mixed)
    assert {s: (r.md5, r.sha256) for s, r in report.results.items()} == _expected(mixed)
    assert len(cache) == len(mixed)


def test_missing_and_changed_files_are_handled_as_in_threads(mixed, cache, helped, tmp_path, monkeypatch):
    gone = tmp_path / "small" / "gone.tif"
    gone.write_bytes(b"soon gone")
    listed = [*mixed, gone]
    real_init = hash_helper.HashHelper.__init__

    def change_then_start(self, files, *, sha256):
        gone.unlink()  # vanishes after it was listed
        with open(mixed[5], "ab") as writer:  # and another grows: not as listed
            writer.write(b"appended")
        real_init(self, files, sha256=sha256)

    monkeypatch.setattr(hash_helper.HashHelper, "__init__", change_then_start)
    report = compute_checksums(listed, cache=cache)
    assert [(p.code, p.source) for p in report.problems] == [("checksum.missing", str(gone))]
    assert report.results[str(mixed[5])].md5 == hashlib.md5(mixed[5].read_bytes()).hexdigest()
    assert report.results[str(mixed[5])].size == mixed[5].stat().st_size


def test_a_helper_that_dies_loses_nothing(mixed, cache, helped, monkeypatch):
    # one answer, then a line cut short (a wrong checksum that must not be used), then a crash
    dying = ("import sys, os\nwith open(sys.argv[3], 'wb') as out:\n"
             "    out.write(b'0 M\\n1 d41d8cd98f00b204e9800998ecf8427e - cut sh')\nos._exit(3)")
    monkeypatch.setattr(hash_helper, "HELPER_SOURCE", dying)
    report = compute_checksums(mixed, cache=cache)
    assert report.problems == [] and len(report.results) == len(mixed)
    assert {s: r.md5 for s, r in report.results.items()} == {s: v[0] for s, v in _expected(mixed).items()}


def test_a_helper_that_talks_nonsense_loses_nothing(mixed, cache, helped, monkeypatch):
    talking = "import sys\nwith open(sys.argv[3], 'wb') as out:\n    out.write(b'what?\\n0 M\\n')"
    monkeypatch.setattr(hash_helper, "HELPER_SOURCE", talking)
    report = compute_checksums(mixed, cache=cache)
    assert report.problems == [] and len(report.results) == len(mixed)


def test_no_helper_in_a_frozen_bundle(mixed, cache, helped, monkeypatch):
    monkeypatch.setattr("sys.frozen", True, raising=False)
    assert not hash_helper.available()
    report = compute_checksums(mixed, cache=cache)
    assert helped == [] and len(report.results) == len(mixed)


def test_cancelling_kills_the_helper(tmp_path, cache, helped, monkeypatch):
    slow = "import sys, time\nsys.stdin.buffer.read()\ntime.sleep(60)\n"
    monkeypatch.setattr(hash_helper, "HELPER_SOURCE", slow)
    files = []
    for index in range(20):
        path = tmp_path / f"{index}.bin"
        path.write_bytes(b"x" * index)
        files.append(path)
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    started = time.monotonic()
    processes = []
    real_popen = hash_helper.subprocess.Popen

    def recording(*args, **kwargs):
        process = real_popen(*args, **kwargs)
        processes.append(process)
        return process

    monkeypatch.setattr(hash_helper.subprocess, "Popen", recording)
    report = compute_checksums(files, cache=cache, cancel=cancel)
    assert report.cancelled and time.monotonic() - started < 10
    assert processes and all(process.poll() is not None for process in processes)
