"""FTP transfers against a real pyftpdlib server on 127.0.0.1, with the faults that happen in real life.

The server runs as a subprocess (``ftp_server.py``), throttled so that kills land
mid-file, and is stopped by PID. Every test checks that the uploaded files are
byte-identical, and the fault tests check how many bytes were sent twice: at most
one chunk per interruption.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from ftp_server import PASSWORD, FtpServer

from bioimage_depositor.domain.transfer.engine import TransferJob
from bioimage_depositor.domain.transfer.ftp import CHUNK_SIZE, FtpTransport
from bioimage_depositor.domain.transfer.ledger import Ledger
from bioimage_depositor.domain.transfer.retry import RetryPolicy

MIB = 1024 * 1024
#: Bytes a killed client can have in kernel socket buffers (its send buffer and the server's receive buffer),
#: which the server discards with the dead connection: Linux autotunes the send buffer up to 4 MiB.
IN_FLIGHT = 8 * MIB
QUICK = RetryPolicy(base_delay=0.1, factor=2, max_delay=1.0, max_attempts=30)


@pytest.fixture
def servers(tmp_path):
    started: list[FtpServer] = []

    def start(**options) -> FtpServer:
        root = tmp_path / f"ftproot{len(started)}"
        root.mkdir()
        server = FtpServer(root, log=tmp_path / f"ftp{len(started)}.log", **options)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


def write_random(path: Path, size: int, seed: int) -> bytes:
    data = random.Random(seed).randbytes(size)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


def transport(server: FtpServer, password: str = PASSWORD, folder: str = "ab/cdef-secret-a1") -> FtpTransport:
    return FtpTransport("127.0.0.1", server.port, "bsftp", password, folder, timeout=10)


def run_job(tmp_path, server, source, **kwargs):
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        job = TransferJob(ledger, kwargs.pop("transport", None) or transport(server), source=source,
                          retry=kwargs.pop("retry", QUICK), **kwargs)
        report = job.run()
        return report, ledger.total_sent_bytes()


def test_a_folder_tree_lands_byte_identical_in_new_remote_folders(tmp_path, servers):
    server = servers()
    src = tmp_path / "src"
    files = {name: write_random(src / name, size, n) for n, (name, size) in enumerate(
        {"run1/frames 0.tif": 3 * MIB + 17, "run1/deep/er/x.mrc": 100_000, "notes.txt": 5, "empty.dat": 0}.items())}
    report, _ = run_job(tmp_path, server, src, parallel=2)
    assert report.ok, report
    assert report.verification == "size checked by the server; MD5 recorded locally"
    for name, data in files.items():
        assert (server.root / "ab/cdef-secret-a1" / name).read_bytes() == data
    again, _ = run_job(tmp_path, server, src)
    assert (again.status, again.skipped, again.bytes_sent) == ("completed", 4, 0)


@pytest.mark.parametrize("no_rest", [False, True], ids=["REST+STOR", "APPE"])
def test_a_stopped_upload_resumes_from_the_servers_size(tmp_path, servers, no_rest):
    server = servers(read_limit=4 * MIB, no_rest=no_rest)
    src = tmp_path / "big.bin"
    data = write_random(src, 16 * MIB, 1)
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        job = TransferJob(ledger, transport(server), source=src, retry=QUICK)
        job._callback = lambda snapshot: snapshot.bytes_sent >= 2 * MIB and job.stop()
        assert job.run().status == "paused"
        held = (server.root / "ab/cdef-secret-a1/big.bin").stat().st_size
        assert 0 < held < len(data)
    report, sent = run_job(tmp_path, server, src)
    assert report.ok and report.resumed == 1
    assert (server.root / "ab/cdef-secret-a1/big.bin").read_bytes() == data
    assert server.received() - len(data) <= CHUNK_SIZE
    assert sent - len(data) <= CHUNK_SIZE


def _ledger_sent(path: Path) -> int:
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return 0
    try:
        return int(connection.execute("SELECT COALESCE(SUM(sent_bytes), 0) FROM files").fetchone()[0])
    except sqlite3.Error:
        return 0
    finally:
        connection.close()


@pytest.mark.slow
def test_the_client_killed_ten_times_at_random_moments_still_finishes_byte_identical(tmp_path, servers):
    server = servers(read_limit=MIB)  # slow, so that ten kills land before the end
    src = tmp_path / "src"
    data = {"a.bin": write_random(src / "a.bin", 40 * MIB, 2), "b/c.bin": write_random(src / "b/c.bin", 3 * MIB, 3)}
    size = sum(len(d) for d in data.values())
    state = tmp_path / "state.sqlite3"
    command = [sys.executable, "-m", "bioimage_depositor.cli", "transfer", str(src), server.url(), "--state",
               str(state), "--json", "--parallel", "2"]
    env = {**os.environ, "BIOIMAGE_DEPOSITOR_PASSWORD": PASSWORD}
    rng = random.Random(20261125)
    kills = 0
    while kills < 10:
        before = _ledger_sent(state)
        child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and child.poll() is None and _ledger_sent(state) <= before:
            time.sleep(0.02)  # kill only once bytes are moving, so every kill lands mid-transfer
        time.sleep(rng.uniform(0, 0.3))
        if child.poll() is not None:
            break
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        kills += 1
    assert kills == 10, "the transfer finished before it could be interrupted ten times"
    server.stop()  # the last run may go at full speed: same files, same port, no throttle
    server.options["read_limit"] = 0
    server.start()
    final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert final.returncode == 0, final.stderr
    for name, content in data.items():
        assert (server.root / "upload" / name).read_bytes() == content
    # bytes the server received twice: at most the chunk in flight at each kill
    assert server.received() - size <= kills * CHUNK_SIZE, f"{server.received() - size} bytes received twice"
    # the ledger also counts what the killed client had in its socket buffers, which died with it unread
    sent = _ledger_sent(state)
    assert sent - size <= kills * (CHUNK_SIZE + IN_FLIGHT), f"{sent - size} bytes sent twice over {kills} kills"
    print(f"ledger: {sent - size} bytes sent twice over {kills} kills; server: {server.received() - size}")
    assert '"event": "report"' in final.stdout and '"status": "completed"' in final.stdout


@pytest.mark.slow
def test_the_server_killed_and_restarted_mid_file(tmp_path, servers):
    server = servers(read_limit=4 * MIB)
    src = tmp_path / "big.bin"
    data = write_random(src, 10 * MIB, 4)
    remote = server.root / "ab/cdef-secret-a1/big.bin"
    held_at_kill: list[int] = []

    def kill_and_restart():
        while not remote.exists() or remote.stat().st_size < 2 * MIB:
            time.sleep(0.02)
        server.kill()
        held_at_kill.append(remote.stat().st_size)
        time.sleep(1.0)
        server.start()

    chaos = threading.Thread(target=kill_and_restart)
    chaos.start()
    report, sent = run_job(tmp_path, server, src)
    chaos.join()
    assert report.ok, report
    assert report.resumed == 1
    assert remote.read_bytes() == data
    # what the server received: what the killed one had written, plus what the new one logged
    received = held_at_kill[0] + server.received()
    assert received - len(data) <= CHUNK_SIZE
    print(f"client-side bytes sent twice after the server kill (lost in socket buffers): {sent - len(data)}")


def test_a_reset_data_socket_is_resumed(tmp_path, servers):
    server = servers(reset_after=MIB + 12345)
    src = tmp_path / "f.bin"
    data = write_random(src, 5 * MIB, 5)
    report, _ = run_job(tmp_path, server, src)
    assert report.ok and report.resumed == 1
    assert (server.root / "ab/cdef-secret-a1/f.bin").read_bytes() == data
    assert server.received() - len(data) <= CHUNK_SIZE


def test_a_full_remote_disk_stops_the_transfer_with_the_reason(tmp_path, servers):
    server = servers(quota=3 * MIB)
    src = tmp_path / "src"
    for n in range(3):
        write_random(src / f"f{n}.bin", 2 * MIB, n)
    started = time.monotonic()
    report, _ = run_job(tmp_path, server, src, parallel=1, retry=RetryPolicy(base_delay=2, max_attempts=10))
    assert time.monotonic() - started < 15  # stopped at once, not retried
    assert (report.status, report.error_code) == ("failed", "remote.full")
    assert "552" in report.message and "no space" in report.message


def test_wrong_credentials_fail_at_once_with_a_clear_message(tmp_path, servers):
    server = servers()
    src = tmp_path / "f.bin"
    write_random(src, 1000, 6)
    started = time.monotonic()
    report, _ = run_job(tmp_path, server, src, transport=transport(server, password="wrong-password"),
                        retry=RetryPolicy(base_delay=2, max_attempts=10))
    assert time.monotonic() - started < 10
    assert (report.status, report.error_code) == ("failed", "auth.failed")
    assert "530" in report.message and "password" in report.message
    assert "wrong-password" not in report.message
