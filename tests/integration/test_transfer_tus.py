"""Our tus client against real tus servers on 127.0.0.1: @tus/server (node) and resumable-upload (Python).

Faults are real: the hook stops a send mid-file, a client process is killed with SIGKILL at
random moments, the server is killed and restarted mid-upload, the upload is deleted or its
store files removed, a relay corrupts a request body so the server answers 460. Every test
checks the stored bytes against the local file, and the interruption tests check that the
bytes sent twice are at most one piece (the unit the hook sees) per interruption.

Run as a script, this file is the client process that the SIGKILL test starts and kills.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from bioimage_depositor.domain.transfer import tus
from bioimage_depositor.domain.transfer.transport import RemoteFile, TransferError, UploadGone

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tus_server
from tus_server import CorruptingProxy, NodeTusServer, PyTusServer, StatusServer, free_port, node_missing_reason

node_tus = tus_server.node_tus  # the fixtures, under the names the tests ask for
py_tus = tus_server.py_tus

MIB = 1024 * 1024
PIECE = tus.DEFAULT_PIECE_SIZE
# When a connection drops, @tus/server loses what sits in its own stream buffers (observed 100–128 KiB with
# @tus/server 2.4.5 + @tus/file-store 2.1.1): bytes that reached the server but never reached its disk. No
# client can keep those, so a killed client's resend bound is one piece plus this.
SERVER_STREAM_BUFFERS = 256 * 1024


def make_file(path: Path, size: int, seed: int = 1) -> Path:
    rng = random.Random(seed)
    block = rng.randbytes(MIB + 7)  # odd length, so piece boundaries never line up with the pattern
    with open(path, "wb") as out:
        written = 0
        while written < size:
            part = block[: min(len(block), size - written)]
            out.write(part)
            written += len(part)
    return path


class Recorder:
    """A hook that keeps what it saw (to check each byte is seen once, in order) and can stop or slow down."""

    def __init__(self, stop_after: int | None = None, delay: float = 0.0) -> None:
        self.stop_after = stop_after
        self.delay = delay
        self.seen = 0
        self.md5 = hashlib.md5()
        self.calls = 0

    def __call__(self, piece: memoryview) -> bool:
        self.calls += 1
        self.seen += len(piece)
        self.md5.update(piece)
        if self.delay:
            time.sleep(self.delay)
        return self.stop_after is None or self.seen < self.stop_after


def md5_of(path: Path, start: int = 0, end: int | None = None) -> str:
    with open(path, "rb") as stream:
        stream.seek(start)
        data = stream.read() if end is None else stream.read(end - start)
    return hashlib.md5(data).hexdigest()


def session_for(url: str, **options) -> tus.TusSession:
    transport = tus.from_url("tus+" + url, None)
    for key, value in options.items():
        setattr(transport, key, value)
    return transport.open_session()


def send_from(session, handle, item, path: Path, offset: int, hook) -> int:
    with open(path, "rb") as source:
        source.seek(offset)
        return session.send(handle, item, source, offset, hook)


# ---------------------------------------------------------------------------------------------- @tus/server


def test_full_upload_is_byte_identical_and_carries_metadata(node_tus, tmp_path):
    path = make_file(tmp_path / "volume.raw", 24 * MIB + 12345)
    item = RemoteFile("run1/volume.raw", path.stat().st_size, sha256="ab" * 32, md5="cd" * 16)
    session = session_for(node_tus.url)
    assert "creation" in session.capabilities.extensions
    assert session.capabilities.checksum_algorithm is None  # @tus/server offers no checksum extension
    handle = session.prepare(item)
    assert handle.startswith(node_tus.url + "/")
    assert session.remote_offset(handle, item) == 0
    hook = Recorder()
    assert send_from(session, handle, item, path, 0, hook) == item.size
    assert hook.seen == item.size and hook.md5.hexdigest() == md5_of(path)
    assert hook.calls == -(-item.size // PIECE)  # bounded pieces, never the whole file at once
    verification = session.verify(handle, item)
    assert verification.size_matches
    assert md5_of(node_tus.upload_path(handle)) == md5_of(path)
    head = requests.head(handle, headers={"Tus-Resumable": "1.0.0"}, timeout=10)
    metadata = dict(pair.split(" ") for pair in head.headers["Upload-Metadata"].split(","))
    assert metadata.keys() >= {"filename", "relpath", "sha256", "md5"}
    assert tus.upload_metadata(item) == head.headers["Upload-Metadata"]
    session.close()


def test_empty_file(node_tus, tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    item = RemoteFile("empty.txt", 0)
    session = session_for(node_tus.url)
    handle = session.prepare(item)
    assert send_from(session, handle, item, path, 0, Recorder()) == 0
    assert session.verify(handle, item).size_matches


def test_hook_stop_then_resume_sends_at_most_one_piece_twice(node_tus, tmp_path):
    path = make_file(tmp_path / "stack.tif", 20 * MIB + 999, seed=2)
    item = RemoteFile("stack.tif", path.stat().st_size)
    session = session_for(node_tus.url)
    handle = session.prepare(item)
    first = Recorder(stop_after=7 * MIB + 5)
    stopped_at = send_from(session, handle, item, path, 0, first)
    assert stopped_at < item.size
    held = session.remote_offset(handle, item)
    assert held is not None and stopped_at <= held <= first.seen  # never more than was sent
    assert first.seen - held <= PIECE
    second = Recorder()
    assert send_from(session, handle, item, path, held, second) == item.size
    assert second.md5.hexdigest() == md5_of(path, held)  # the hook saw the rest exactly once
    assert first.seen + second.seen - item.size <= PIECE
    assert md5_of(node_tus.upload_path(handle)) == md5_of(path)


def test_client_killed_ten_times_resumes_from_server_offset(node_tus, tmp_path):
    size = 40 * MIB + 4321
    path = make_file(tmp_path / "movie.mrc", size, seed=3)
    item = RemoteFile("movie.mrc", size)
    session = session_for(node_tus.url)
    handle = session.prepare(item)
    rng = random.Random(20261125)
    targets = sorted(rng.sample(range(1, 38), 10))  # MiB marks after which each kill lands
    resent: list[int] = []
    previous_seen = 0
    for target in targets:
        offset, seen, finished = run_child(node_tus.url, handle, path, size, kill_at=target * MIB, rng=rng)
        assert not finished
        if previous_seen:
            resent.append(previous_seen - offset)
        previous_seen = seen
        held = session.remote_offset(handle, item)
        assert held is not None and held <= seen  # the server never holds more than was sent
    offset, seen, finished = run_child(node_tus.url, handle, path, size, kill_at=None, rng=rng)
    assert finished and seen == size
    resent.append(previous_seen - offset)
    # at most the piece in flight (plus the server's stream buffers) is sent twice per interruption
    assert len(resent) == len(targets)
    assert all(0 <= r <= PIECE + SERVER_STREAM_BUFFERS for r in resent), resent
    print(f"client kills: bytes sent twice per interruption {resent}")
    assert md5_of(node_tus.upload_path(handle)) == md5_of(path)
    assert session.verify(handle, item).size_matches


def run_child(url: str, handle: str, path: Path, size: int, kill_at: int | None, rng: random.Random):
    """Run this file as a client process; SIGKILL it once it has hooked ``kill_at`` bytes (plus a random moment)."""
    child = subprocess.Popen(
        [sys.executable, __file__, url, handle, str(path), str(size)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    offset = seen = -1
    finished = False
    killed = False
    assert child.stdout is not None
    for line in child.stdout:
        word, _, value = line.partition(" ")
        if word == "OFFSET":
            offset = seen = int(value)
        elif word == "HOOKED":
            seen = int(value)
            if kill_at is not None and seen >= kill_at and not killed:
                time.sleep(rng.uniform(0, 0.012))  # anywhere inside the hook's pause or the piece's send
                os.kill(child.pid, signal.SIGKILL)
                killed = True
        elif word == "DONE":
            finished = True
    child.wait(timeout=30)
    assert killed or child.returncode == 0, child.stderr.read() if child.stderr else ""
    if child.stderr:
        child.stderr.close()
    child.stdout.close()
    return offset, seen, finished


def test_server_killed_and_restarted_mid_upload(node_tus, tmp_path):
    size = 48 * MIB + 17
    path = make_file(tmp_path / "tomogram.mrc", size, seed=4)
    item = RemoteFile("tomogram.mrc", size)
    session = session_for(node_tus.url)
    handle = session.prepare(item)
    hook = Recorder(delay=0.004)
    errors: list[BaseException] = []

    def upload() -> None:
        try:
            send_from(session, handle, item, path, 0, hook)
        except BaseException as error:
            errors.append(error)

    worker = threading.Thread(target=upload)
    worker.start()
    deadline = time.monotonic() + 60
    while hook.seen < 16 * MIB and worker.is_alive() and time.monotonic() < deadline:
        time.sleep(0.002)
    node_tus.kill()
    worker.join(timeout=60)
    assert not worker.is_alive()
    assert errors and isinstance(errors[0], TransferError) and not errors[0].permanent, errors
    node_tus.start()  # same port, same store
    fresh = session_for(node_tus.url)
    held = fresh.remote_offset(handle, item)
    assert held is not None and held <= hook.seen < size
    rest = Recorder()
    assert send_from(fresh, handle, item, path, held, rest) == size
    assert rest.md5.hexdigest() == md5_of(path, held)
    assert md5_of(node_tus.upload_path(handle)) == md5_of(path)
    # bytes lost with the server's process (socket buffers and unwritten data) are sent again
    print(f"server kill: {hook.seen - held:,} bytes sent twice")


def test_deleted_upload_is_gone(node_tus, tmp_path):
    path = make_file(tmp_path / "a.bin", 3 * MIB, seed=5)
    item = RemoteFile("a.bin", 3 * MIB)
    session = session_for(node_tus.url)
    handle = session.prepare(item)
    send_from(session, handle, item, path, 0, Recorder(stop_after=MIB))
    session.abandon(handle)  # termination: DELETE
    assert session.remote_offset(handle, item) is None
    assert not node_tus.upload_path(handle).exists()
    with pytest.raises(UploadGone) as caught:
        send_from(session, handle, item, path, 0, Recorder())
    assert caught.value.code == "upload.expired" and not caught.value.permanent
    verification = session.verify(handle, item)
    assert not verification.size_matches


def test_removed_store_files_make_the_upload_gone(node_tus, tmp_path):
    path = make_file(tmp_path / "b.bin", 2 * MIB, seed=6)
    item = RemoteFile("b.bin", 2 * MIB)
    session = session_for(node_tus.url)
    handle = session.prepare(item)
    send_from(session, handle, item, path, 0, Recorder(stop_after=MIB // 2))
    stored = node_tus.upload_path(handle)
    stored.unlink()
    stored.with_name(stored.name + ".json").unlink()  # as the server's expiry clean-up does
    assert session.remote_offset(handle, item) is None
    with pytest.raises(UploadGone):
        send_from(session, handle, item, path, MIB // 2, Recorder())
    # a new upload from 0 then completes
    again = session.prepare(item)
    assert send_from(session, again, item, path, 0, Recorder()) == item.size
    assert md5_of(node_tus.upload_path(again)) == md5_of(path)


def test_offset_conflict_rereads_the_offset_and_continues(node_tus, tmp_path):
    path = make_file(tmp_path / "c.bin", 5 * MIB + 3, seed=7)
    item = RemoteFile("c.bin", path.stat().st_size)
    session = session_for(node_tus.url)
    handle = session.prepare(item)
    # the engine believes 2 MiB are committed (its hash covers them), but the server holds 0: a 409
    hook = Recorder()
    assert send_from(session, handle, item, path, 2 * MIB, hook) == item.size
    assert hook.md5.hexdigest() == md5_of(path, 2 * MIB)  # the bytes below 2 MiB were resent without the hook
    assert md5_of(node_tus.upload_path(handle)) == md5_of(path)


def test_a_different_length_is_not_resumed(node_tus, tmp_path):
    session = session_for(node_tus.url)
    handle = session.prepare(RemoteFile("d.bin", 1000))
    assert session.remote_offset(handle, RemoteFile("d.bin", 1001)) is None


def test_wrong_protocol_version_is_permanent(node_tus, tmp_path, monkeypatch):
    session = session_for(node_tus.url)
    monkeypatch.setattr(tus, "TUS_VERSION", "0.2.2")
    with pytest.raises(TransferError) as caught:  # @tus/server answers 400 for a version it does not know
        session.prepare(RemoteFile("e.bin", 10))
    assert caught.value.permanent and caught.value.code == "protocol.rejected"
    with pytest.raises(TransferError) as caught:  # and OPTIONS shows it does not list ours
        session_for(node_tus.url)
    assert caught.value.permanent and caught.value.code == "protocol.version"
    assert "0.2.2" in str(caught.value)


def test_too_large_is_permanent(tmp_path):
    reason = node_missing_reason()
    if reason:
        pytest.skip(reason)
    server = NodeTusServer(tmp_path / "small-store", max_size=1000).start()
    try:
        session = session_for(server.url)
        assert session.capabilities.max_size == 1000
        with pytest.raises(TransferError) as caught:  # refused from Tus-Max-Size before any request
            session.prepare(RemoteFile("big.bin", 1001))
        assert caught.value.permanent and caught.value.code == "remote.too_large"
        session.capabilities = dataclasses.replace(session.capabilities, max_size=None)
        with pytest.raises(TransferError) as caught:  # and the server's own 413 maps the same way
            session.prepare(RemoteFile("big.bin", 1001))
        assert caught.value.permanent and caught.value.code == "remote.too_large"
        assert session.prepare(RemoteFile("ok.bin", 1000)).startswith(server.url)
    finally:
        server.stop()


def test_nothing_listening_is_transient(tmp_path):
    with pytest.raises(TransferError) as caught:
        session_for(f"http://127.0.0.1:{free_port()}/files")
    assert not caught.value.permanent and caught.value.code.startswith("connection.")


@pytest.mark.parametrize(
    ("status", "code", "permanent"),
    [
        (401, "auth.failed", True),
        (403, "permission.denied", True),
        (400, "protocol.rejected", True),
        (412, "protocol.version", True),
        (413, "remote.too_large", True),
        (415, "protocol.rejected", True),
        (423, "upload.locked", False),
        (429, "server.busy", False),
        (500, "server.error", False),
        (503, "server.error", False),
        (507, "remote.full", True),
    ],
)
def test_status_codes_map_to_permanent_or_transient(tmp_path, status, code, permanent):
    server = StatusServer()
    try:
        server.status = status
        session = session_for(server.url)
        item = RemoteFile("f.bin", 10)
        with pytest.raises(TransferError) as caught:
            session.prepare(item)
        assert (caught.value.code, caught.value.permanent) == (code, permanent)
        path = tmp_path / "f.bin"
        path.write_bytes(b"0123456789")
        with pytest.raises(TransferError) as caught:
            send_from(session, server.url + "/x", item, path, 0, Recorder())
        assert (caught.value.code, caught.value.permanent) == (code, permanent)
        assert str(caught.value)  # a sentence for the user
        session.abandon(server.url + "/x")  # never raises, whatever the status
        assert server.seen[-1] == "DELETE"
    finally:
        server.close()


def test_from_url_parses_targets():
    transport = tus.from_url("tus+https://alice@uploads.example.org:8443/files/", "s3cret")
    assert transport.endpoint == "https://uploads.example.org:8443/files/"
    assert transport.auth == ("alice", "s3cret")
    token = tus.from_url("tus+http://127.0.0.1:1080/files", "tok")
    assert token.endpoint == "http://127.0.0.1:1080/files" and token.token == "tok" and token.auth is None
    for bad in ("https://host/files", "tus+ftp://host/x", "tus+http:///files", "tus+http://host:99999/files"):
        with pytest.raises(TransferError) as caught:
            tus.from_url(bad, None)
        assert caught.value.permanent and caught.value.code == "target.invalid"


# ------------------------------------------------------------------------------------ resumable-upload


def test_checksum_extension_sends_checked_requests(py_tus, tmp_path):
    path = make_file(tmp_path / "checked.bin", 5 * MIB + 77, seed=8)
    item = RemoteFile("nested/checked.bin", path.stat().st_size)
    session = session_for(py_tus.url, checksum_request_size=2 * MIB)
    assert session.capabilities.checksum_algorithm == "sha256"
    handle = session.prepare(item)
    assert handle.startswith(py_tus.url + "/")  # the server's Location is relative: resolved
    hook = Recorder()
    assert send_from(session, handle, item, path, 0, hook) == item.size
    assert hook.md5.hexdigest() == md5_of(path)
    assert session.verify(handle, item).size_matches
    assert md5_of(py_tus.upload_path(handle)) == md5_of(path)


def test_checksum_mismatch_460_resends_the_request(py_tus, tmp_path):
    proxy = CorruptingProxy(py_tus.port, corrupt={2})  # the second PATCH arrives with one byte flipped
    try:
        path = make_file(tmp_path / "resent.bin", 5 * MIB + 1, seed=9)
        item = RemoteFile("resent.bin", path.stat().st_size)
        session = session_for(proxy.url, checksum_request_size=2 * MIB)
        handle = session.prepare(item)
        hook = Recorder()
        assert send_from(session, handle, item, path, 0, hook) == item.size
        assert proxy.statuses.count(460) == 1 and proxy.statuses[-1] == 204
        assert hook.seen == item.size  # the resent request did not go through the hook again
        assert hook.md5.hexdigest() == md5_of(path)
        assert md5_of(py_tus.upload_path(handle)) == md5_of(path)
    finally:
        proxy.close()


def test_persistent_checksum_mismatch_gives_up(py_tus, tmp_path):
    proxy = CorruptingProxy(py_tus.port, corrupt=set(range(1, 100)))
    try:
        path = make_file(tmp_path / "bad.bin", MIB, seed=10)
        item = RemoteFile("bad.bin", MIB)
        session = session_for(proxy.url, checksum_request_size=MIB)
        handle = session.prepare(item)
        with pytest.raises(TransferError) as caught:
            send_from(session, handle, item, path, 0, Recorder())
        assert caught.value.code == "checksum.mismatch" and not caught.value.permanent
        assert session.remote_offset(handle, item) == 0  # nothing corrupt was committed
    finally:
        proxy.close()


def test_stop_inside_a_checked_request_resumes_from_its_start(py_tus, tmp_path):
    path = make_file(tmp_path / "paused.bin", 6 * MIB, seed=11)
    item = RemoteFile("paused.bin", 6 * MIB)
    session = session_for(py_tus.url, checksum_request_size=2 * MIB)
    handle = session.prepare(item)
    first = Recorder(stop_after=3 * MIB)  # inside the second 2 MiB request
    committed = send_from(session, handle, item, path, 0, first)
    assert committed == 2 * MIB == session.remote_offset(handle, item)  # the incomplete request was discarded
    assert first.seen - committed <= session._transport.checksum_request_size  # at most one request again
    rest = Recorder()
    assert send_from(session, handle, item, path, committed, rest) == item.size
    assert md5_of(py_tus.upload_path(handle)) == md5_of(path)


def test_wrong_version_gets_412_from_a_spec_server(py_tus, monkeypatch):
    session = session_for(py_tus.url)
    monkeypatch.setattr(tus, "TUS_VERSION", "0.2.2")
    with pytest.raises(TransferError) as caught:
        session.prepare(RemoteFile("v.bin", 10))
    assert caught.value.permanent and caught.value.code == "protocol.version"


def test_abandon_without_termination_does_nothing(tmp_path):
    try:
        import resumable_upload  # noqa: F401
    except ImportError:
        pytest.skip("resumable-upload is not installed (pip install resumable-upload==0.3.0)")
    server = PyTusServer(tmp_path / "no-term", "--disable-termination").start()
    try:
        session = session_for(server.url)
        assert "termination" not in session.capabilities.extensions
        item = RemoteFile("kept.bin", 10)
        handle = session.prepare(item)
        session.abandon(handle)
        assert session.remote_offset(handle, item) == 0
    finally:
        server.stop()


# ------------------------------------------------------------------------------- the killed client process


def _child(url: str, handle: str, path: str, size: int) -> None:
    """Resume ``handle`` from the server's offset, reporting each hooked byte count; the test kills it."""
    session = tus.from_url("tus+" + url, None).open_session()
    item = RemoteFile("movie.mrc", size)
    offset = session.remote_offset(handle, item)
    assert offset is not None
    print(f"OFFSET {offset}", flush=True)
    seen = offset

    def hook(piece: memoryview) -> bool:
        nonlocal seen
        seen += len(piece)
        print(f"HOOKED {seen}", flush=True)
        time.sleep(0.01)  # slow enough that the kill lands mid-file
        return True

    with open(path, "rb") as source:
        source.seek(offset)
        final = session.send(handle, item, source, offset, hook)
    print(f"DONE {final}", flush=True)


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
