from __future__ import annotations

import dataclasses
import hashlib
import itertools
import os
import random
import threading
import time
from pathlib import Path

import pytest
from transfer_fakes import CHUNK, FakeHandoff, MemoryServer

from bioimage_depositor.domain.transfer import engine as engine_module
from bioimage_depositor.domain.transfer.engine import TransferJob
from bioimage_depositor.domain.transfer.ledger import FAILED, PENDING, VERIFIED, Ledger, PlannedFile, find_interrupted
from bioimage_depositor.domain.transfer.local import PARTIAL_SUFFIX, FolderTransport
from bioimage_depositor.domain.transfer.progress import TransferSnapshot
from bioimage_depositor.domain.transfer.retry import RetryPolicy
from bioimage_depositor.domain.transfer.transport import TransferError

FAST = RetryPolicy(base_delay=0.01, factor=2, max_delay=0.05, max_attempts=4)


def make_tree(root: Path, sizes: dict[str, int], seed: int = 0) -> dict[str, bytes]:
    rng = random.Random(seed)
    contents = {}
    for name, size in sizes.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = rng.randbytes(size)
        path.write_bytes(data)
        contents[name] = data
    return contents


def job(tmp_path, transport, source, **kwargs) -> tuple[TransferJob, Ledger]:
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    kwargs.setdefault("retry", FAST)
    kwargs.setdefault("rng", random.Random(7))
    return TransferJob(ledger, transport, source=source, **kwargs), ledger


def test_folder_tree_is_copied_byte_identical_and_a_second_run_sends_nothing(tmp_path):
    src = tmp_path / "src"
    contents = make_tree(src, {"a.bin": 3 * 1024 * 1024 + 5, "sub/b.txt": 10, "sub/deeper/c.raw": 70_000, "empty": 0})
    dst = tmp_path / "dst"
    first, ledger = job(tmp_path, FolderTransport(dst), src, parallel=3)
    report = first.run()
    assert report.ok and report.status == "completed"
    assert (report.files_total, report.sent, report.verified, report.skipped) == (4, 4, 4, 0)
    assert report.bytes_sent == sum(len(data) for data in contents.values())
    for name, data in contents.items():
        assert (dst / name).read_bytes() == data
    assert not list(dst.rglob("*" + PARTIAL_SUFFIX))
    rows = {row.remote_path: row for row in ledger.rows()}
    assert rows["sub/deeper/c.raw"].md5 == hashlib.md5(contents["sub/deeper/c.raw"]).hexdigest()
    assert "MD5" in report.verification
    sent_before = ledger.total_sent_bytes()
    ledger.close()
    again, ledger = job(tmp_path, FolderTransport(dst), src)
    report = again.run()
    assert (report.status, report.sent, report.skipped, report.bytes_sent) == ("completed", 0, 4, 0)
    assert ledger.total_sent_bytes() == sent_before
    ledger.close()


def test_sha256_is_computed_in_the_same_pass_when_asked(tmp_path):
    src = tmp_path / "one.bin"
    src.write_bytes(os.urandom(200_000))
    server = MemoryServer()
    work, ledger = job(tmp_path, server, src, sha256=True)
    assert work.run().ok
    row = next(ledger.rows())
    assert row.sha256 == hashlib.sha256(src.read_bytes()).hexdigest()
    assert row.remote_path == "one.bin"
    ledger.close()


def test_pause_stops_after_the_current_chunk_and_resume_continues_without_resending(tmp_path):
    src = tmp_path / "big.bin"
    data = os.urandom(40 * CHUNK)
    src.write_bytes(data)
    server = MemoryServer()
    paused_at: list[int] = []
    work, ledger = job(tmp_path, server, src, parallel=1)

    def on_chunk(handle, offset):
        if offset == 10 * CHUNK and not paused_at:
            work.pause()
            paused_at.append(offset)
            threading.Timer(0.3, work.resume).start()

    server.on_chunk = on_chunk
    snapshots: list[TransferSnapshot] = []
    work._callback = snapshots.append
    report = work.run()
    assert report.ok
    assert server.content("big.bin") == data
    assert server.received == len(data)  # nothing was sent twice
    assert any(s.status == "paused" for s in snapshots)
    ledger.close()


def test_stop_then_a_new_job_resumes_from_the_partial_file(tmp_path):
    src = tmp_path / "src"
    contents = make_tree(src, {"big.bin": 6 * 1024 * 1024})
    dst = tmp_path / "dst"
    first, ledger = job(tmp_path, FolderTransport(dst), src, limit_rate=8 * 1024 * 1024)
    threading.Timer(0.25, first.stop).start()
    report = first.run()
    assert report.status == "paused"
    partial = dst / ("big.bin" + PARTIAL_SUFFIX)
    assert partial.exists() and 0 < partial.stat().st_size < len(contents["big.bin"])
    assert not (dst / "big.bin").exists()
    assert find_interrupted(ledger.path.parent)[0].path == ledger.path
    ledger.close()
    second, ledger = job(tmp_path, FolderTransport(dst), src)
    report = second.run()
    assert report.ok and report.resumed == 1
    assert (dst / "big.bin").read_bytes() == contents["big.bin"]
    # sent twice: at most the chunk that was in flight when it stopped
    assert ledger.total_sent_bytes() - len(contents["big.bin"]) <= 1024 * 1024
    assert find_interrupted(ledger.path.parent) == []
    ledger.close()


def test_connection_drops_are_retried_and_progress_resets_the_attempt_count(tmp_path):
    src = tmp_path / "f.bin"
    data = os.urandom(30 * CHUNK)
    src.write_bytes(data)
    server = MemoryServer()
    server.drop_every, server.drops_left = 3 * CHUNK + 100, 8  # more drops than max_attempts allows in a row
    work, ledger = job(tmp_path, server, src)
    report = work.run()
    assert report.ok, report
    assert server.content("f.bin") == data
    assert report.resumed == 1
    # each interruption may send at most one chunk twice
    assert server.received - len(data) <= 8 * CHUNK
    ledger.close()


def test_a_file_that_keeps_failing_gives_up_with_the_last_error(tmp_path):
    src = tmp_path / "f.bin"
    src.write_bytes(b"x" * 1000)
    server = MemoryServer()
    server.fail_send = TransferError("remote.busy", "The server is busy (450).")
    work, ledger = job(tmp_path, server, src)
    report = work.run()
    assert report.status == "failed"
    assert [(f.remote_path, f.code) for f in report.failed] == [("f.bin", "remote.busy")]
    assert "gave up after 4 attempts" in report.failed[0].message
    assert next(ledger.rows()).state == FAILED
    ledger.close()


def test_a_permanent_error_fails_only_that_file_without_retrying(tmp_path):
    src = tmp_path / "src"
    contents = make_tree(src, {"a.bin": 1000, "b.bin": 2000, "c.bin": 3000})
    server = MemoryServer()
    server.fail_paths["b.bin"] = TransferError("remote.permission", "No permission (550).", permanent=True)
    work, ledger = job(tmp_path, server, src)
    report = work.run()
    assert report.status == "failed"
    assert [(f.remote_path, f.message) for f in report.failed] == [("b.bin", "No permission (550).")]
    assert server.content("a.bin") == contents["a.bin"] and server.content("c.bin") == contents["c.bin"]
    assert {row.remote_path: row.attempts for row in ledger.rows()}["b.bin"] == 1
    ledger.close()
    # a second run tries the failed file again and finishes the job once the cause is gone
    server.fail_paths.clear()
    work, ledger = job(tmp_path, server, src)
    report = work.run()
    assert report.ok and report.sent == 1 and report.skipped == 2
    ledger.close()


def test_wrong_credentials_stop_the_whole_job_at_once(tmp_path):
    src = tmp_path / "src"
    make_tree(src, {f"f{i}.bin": 100 for i in range(20)})
    server = MemoryServer()
    server.refuse_login = TransferError("auth.failed", "The server refused the login (530).", permanent=True)
    work, ledger = job(tmp_path, server, src, parallel=4, retry=RetryPolicy(base_delay=5, max_attempts=10))
    started = time.monotonic()
    report = work.run()
    assert time.monotonic() - started < 10  # no backoff at all
    assert (report.status, report.error_code) == ("failed", "auth.failed")
    assert "530" in report.message
    assert report.failed == ()  # the files are not at fault: they stay ready for the next run
    assert {row.state for row in ledger.rows()} == {PENDING}
    ledger.close()


def test_an_unreachable_server_is_retried_for_the_job_then_reported(tmp_path):
    src = tmp_path / "src"
    contents = make_tree(src, {"a.bin": 5000, "b.bin": 5000})
    server = MemoryServer()
    server.unreachable_times = 2
    work, ledger = job(tmp_path, server, src)
    assert work.run().ok  # back after two failed connections
    assert server.content("a.bin") == contents["a.bin"]
    ledger.close()
    (src / "c.bin").write_bytes(b"new")
    server.unreachable_times = 1000
    work, ledger = job(tmp_path, server, src)
    report = work.run()
    assert (report.status, report.error_code) == ("failed", "connection.failed")
    assert "Gave up after" in report.message and report.failed == ()
    ledger.close()


def test_a_local_file_changed_between_runs_is_sent_again_from_zero(tmp_path):
    src = tmp_path / "src"
    make_tree(src, {"big.bin": 4 * 1024 * 1024})
    dst = tmp_path / "dst"
    first, ledger = job(tmp_path, FolderTransport(dst), src, limit_rate=8 * 1024 * 1024)
    threading.Timer(0.2, first.stop).start()
    assert first.run().status == "paused"
    ledger.close()
    new = os.urandom(4 * 1024 * 1024 + 10)
    (src / "big.bin").write_bytes(new)
    second, ledger = job(tmp_path, FolderTransport(dst), src)
    report = second.run()
    assert report.ok and report.resumed == 0
    assert (dst / "big.bin").read_bytes() == new
    ledger.close()


def test_a_verified_file_changed_later_is_sent_again_by_the_next_run(tmp_path):
    src = tmp_path / "src"
    make_tree(src, {"a.txt": 100, "b.txt": 200})
    dst = tmp_path / "dst"
    work, ledger = job(tmp_path, FolderTransport(dst), src)
    assert work.run().ok
    ledger.close()
    (src / "a.txt").write_bytes(b"changed content")
    os.utime(src / "a.txt", ns=(time.time_ns(), time.time_ns() + 10**9))
    (src / "new.txt").write_bytes(b"added later")
    work, ledger = job(tmp_path, FolderTransport(dst), src)
    report = work.run()
    assert report.ok and (report.sent, report.skipped, report.files_total) == (2, 1, 3)
    assert (dst / "a.txt").read_bytes() == b"changed content"
    assert (dst / "new.txt").read_bytes() == b"added later"
    ledger.close()


def test_a_file_changing_while_it_is_sent_is_never_spliced(tmp_path):
    src = tmp_path / "f.bin"
    src.write_bytes(os.urandom(20 * CHUNK))
    server = MemoryServer()
    final = os.urandom(20 * CHUNK)

    def on_chunk(handle, offset):
        if offset == 5 * CHUNK and src.read_bytes() != final:
            src.write_bytes(final)
            os.utime(src, ns=(time.time_ns(), time.time_ns() + 10**9))

    server.on_chunk = on_chunk
    work, ledger = job(tmp_path, server, src)
    report = work.run()
    assert report.ok
    assert server.content("f.bin") == final
    assert next(ledger.rows()).md5 == hashlib.md5(final).hexdigest()
    ledger.close()


def test_a_strangers_longer_partial_file_is_overwritten_not_appended_to(tmp_path):
    src = tmp_path / "src"
    contents = make_tree(src, {"big.bin": 3 * 1024 * 1024})
    dst = tmp_path / "dst"
    first, ledger = job(tmp_path, FolderTransport(dst), src, limit_rate=4 * 1024 * 1024)
    threading.Timer(0.2, first.stop).start()
    first.run()
    reserved = next(ledger.rows()).reserved
    ledger.close()
    partial = dst / ("big.bin" + PARTIAL_SUFFIX)
    with open(partial, "ab") as stream:  # someone else wrote more than this transfer ever sent
        stream.write(b"\0" * (reserved + 1000))
    second, ledger = job(tmp_path, FolderTransport(dst), src)
    assert second.run().ok
    assert (dst / "big.bin").read_bytes() == contents["big.bin"]
    ledger.close()


def test_an_expired_upload_and_a_checksum_mismatch_are_sent_again(tmp_path):
    src = tmp_path / "f.bin"
    data = os.urandom(10 * CHUNK)
    src.write_bytes(data)
    server = MemoryServer()
    first, ledger = job(tmp_path, server, src, parallel=1)
    server.on_chunk = lambda handle, offset: offset == 4 * CHUNK and first.stop()
    assert first.run().status == "paused"
    ledger.close()
    server.on_chunk = None
    server.forget_handles = True
    second, ledger = job(tmp_path, server, src)
    second_server_handles = server.handles
    server.forget_handles = False
    server.corrupt_verify = 1
    report = second.run()
    assert report.ok and report.resumed in (0, 1)
    assert server.content("f.bin") == data
    assert server.handles > second_server_handles  # a new upload was created
    ledger.close()


def test_symlink_loops_broken_links_and_special_files_are_reported_not_sent(tmp_path):
    src = tmp_path / "src"
    contents = make_tree(src, {"a.txt": 10, "sub/b.txt": 20})
    (src / "sub" / "loop").symlink_to(src)
    (src / "broken").symlink_to(tmp_path / "nowhere")
    os.mkfifo(src / "pipe")
    (src / "sub" / "alias.txt").symlink_to(src / "a.txt")
    server = MemoryServer()
    work, ledger = job(tmp_path, server, src)
    report = work.run()
    assert report.status == "failed" and report.failed == ()
    assert sorted(p.code for p in report.problems) == ["local.broken_link", "local.link_loop", "local.special"]
    assert server.content("sub/alias.txt") == contents["a.txt"]  # links to files are followed
    assert report.verified == 3
    ledger.close()


def test_missing_and_unreadable_files_fail_with_a_clear_reason(tmp_path, monkeypatch):
    src = tmp_path / "src"
    make_tree(src, {"gone.bin": 10, "locked.bin": 10, "fine.bin": 10})
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    infos = {name: (src / name).stat() for name in ("gone.bin", "locked.bin", "fine.bin")}
    ledger.add_files(
        PlannedFile(str(src / name), name, info.st_size, info.st_mtime_ns, info.st_ino) for name, info in infos.items()
    )
    (src / "gone.bin").unlink()
    real_open = engine_module._raw_open

    def refusing_open(path, *args, **kwargs):
        if str(path).endswith("locked.bin"):
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(engine_module, "_raw_open", refusing_open)
    server = MemoryServer()
    report = TransferJob(ledger, server, retry=FAST).run()
    reasons = {f.remote_path: (f.code, f.message) for f in report.failed}
    assert reasons["gone.bin"][0] == "local.missing" and "no longer exists" in reasons["gone.bin"][1]
    assert reasons["locked.bin"][0] == "local.unreadable" and "Permission denied" in reasons["locked.bin"][1]
    assert report.verified == 1 and server.content("fine.bin") == (src / "fine.bin").read_bytes()
    ledger.close()


def test_cancel_discards_partial_uploads_and_keeps_finished_files(tmp_path):
    src = tmp_path / "src"
    contents = make_tree(src, {"a-small.bin": 1000, "b-big.bin": 8 * 1024 * 1024})
    dst = tmp_path / "dst"
    work, ledger = job(tmp_path, FolderTransport(dst), src, parallel=1, limit_rate=8 * 1024 * 1024)

    def cancel_when_big_started(snapshot):
        if any(f.remote_path == "b-big.bin" and f.done > 0 for f in snapshot.active):
            work.cancel()

    work._callback = cancel_when_big_started
    report = work.run()
    assert report.status == "cancelled"
    assert (dst / "a-small.bin").read_bytes() == contents["a-small.bin"]
    assert not (dst / ("b-big.bin" + PARTIAL_SUFFIX)).exists() and not (dst / "b-big.bin").exists()
    rows = {row.remote_path: row for row in ledger.rows()}
    assert rows["a-small.bin"].state == VERIFIED
    assert (rows["b-big.bin"].handle, rows["b-big.bin"].committed) == (None, 0)
    assert find_interrupted(ledger.path.parent) == []
    ledger.close()


def test_the_bandwidth_limit_holds_the_average_rate(tmp_path):
    src = tmp_path / "f.bin"
    src.write_bytes(os.urandom(2 * 1024 * 1024))
    work, ledger = job(tmp_path, MemoryServer(chunk=128 * 1024), src, limit_rate=4 * 1024 * 1024)
    started = time.monotonic()
    assert work.run().ok
    assert time.monotonic() - started >= 0.24  # 2 MiB at 4 MiB/s, less the initial burst of 1 MiB: 0.25 s
    ledger.close()


def test_progress_snapshots_are_immutable_throttled_and_end_complete(tmp_path):
    src = tmp_path / "src"
    make_tree(src, {f"f{i}.bin": 300_000 for i in range(6)})
    seen: list[tuple[float, TransferSnapshot]] = []
    work, ledger = job(tmp_path, MemoryServer(), src, limit_rate=3 * 1024 * 1024,
                       progress=lambda s: seen.append((time.monotonic(), s)))
    started = time.monotonic()
    assert work.run().ok
    elapsed = time.monotonic() - started
    assert len(seen) <= elapsed * 10 + 3
    with pytest.raises(dataclasses.FrozenInstanceError):
        seen[0][1].bytes_done = 5  # type: ignore[misc]
    last = seen[-1][1]
    assert (last.bytes_done, last.files_done, last.fraction) == (6 * 300_000, 6, 1.0)
    middle = [s for _, s in seen if 0 < s.bytes_done < s.bytes_total]
    assert middle and any(s.rate and s.eta is not None for s in middle)
    assert all(a.bytes_done <= b.bytes_done for (_, a), (_, b) in itertools.pairwise(seen))
    ledger.close()


def test_many_small_files_in_parallel(tmp_path):
    src = tmp_path / "src"
    contents = make_tree(src, {f"d{i % 7}/f{i}.dat": i * 37 for i in range(300)})
    server = MemoryServer()
    work, ledger = job(tmp_path, server, src, parallel=4)
    report = work.run()
    assert report.ok and report.verified == 300
    assert all(server.content(name) == data for name, data in contents.items())
    assert server.sessions <= 4
    ledger.close()


def test_handoff_persists_its_id_before_starting_and_reattaches_after_a_restart(tmp_path):
    src = tmp_path / "src"
    make_tree(src, {"a.bin": 1000, "b.bin": 2000})
    handoff = FakeHandoff(steps=3)
    work, ledger = job(tmp_path, handoff, src)
    work._callback = lambda snapshot: snapshot.bytes_sent > 0 and work.stop()
    report = work.run()
    assert report.status == "paused"
    assert ledger.get_meta("fake.task_id") == handoff.id_before_start == "task-1"
    ledger.close()
    work, ledger = job(tmp_path, handoff, src)
    report = work.run()
    assert report.ok and report.verified == 2
    assert (len(handoff.started), handoff.reattached) == (1, 1)  # never a duplicate task
    assert {row.verify_detail for row in ledger.rows()} == {"verified by fake hand-off"}
    ledger.close()


def test_handoff_failures_and_cancel(tmp_path):
    src = tmp_path / "src"
    make_tree(src, {"a.bin": 1000, "b.bin": 2000})
    work, ledger = job(tmp_path, FakeHandoff(failed=["b.bin"]), src)
    report = work.run()
    assert report.status == "failed"
    assert [(f.remote_path, f.message) for f in report.failed] == [("b.bin", "2 checksums differed")]
    ledger.close()
    (tmp_path / "ledger.sqlite3").unlink()
    handoff = FakeHandoff(steps=5)
    work, ledger = job(tmp_path, handoff, src)
    work._callback = lambda snapshot: snapshot.bytes_sent > 0 and work.cancel()
    assert work.run().status == "cancelled"
    assert handoff.cancelled
    ledger.close()
