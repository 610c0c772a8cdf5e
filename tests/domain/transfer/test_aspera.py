"""The Aspera hand-off: argument building, output parsing, resume and error mapping.

The real ``ascp`` is proprietary, so these tests run our transport against
tests/data/fake_ascp/ascp, a script that handles ascp's arguments, copies the files
into a folder standing for the server, prints ascp's console formats, and can be
told to refuse the password, die mid-way (SIGKILL) or run slowly.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import sys
from pathlib import Path

import pytest

from bioimage_depositor.domain.transfer import aspera
from bioimage_depositor.domain.transfer.transport import RemoteFile, TransferError

FAKE_ASCP = Path(__file__).resolve().parents[2] / "data" / "fake_ascp" / "ascp"
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the stand-in ascp is run through /bin/sh")


class DictState:
    """A ledger stand-in for the hand-off's identifiers."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get_meta(self, key: str) -> str | None:
        return self.values.get(key)

    def set_meta(self, key: str, value: str) -> None:
        self.values[key] = value


@pytest.fixture
def server(tmp_path, monkeypatch):
    """The stand-in ascp on the override variable, with its docroot and run log."""
    wrapper = tmp_path / "bin" / "ascp"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE_ASCP}" "$@"\n')
    wrapper.chmod(0o755)
    root = tmp_path / "docroot"
    (root / "upload").mkdir(parents=True)
    log = tmp_path / "ascp-runs.jsonl"
    monkeypatch.setenv(aspera.ASCP_ENV, str(wrapper))
    monkeypatch.setenv("FAKE_ASCP_ROOT", str(root))
    monkeypatch.setenv("FAKE_ASCP_LOG", str(log))
    monkeypatch.setenv("FAKE_ASCP_PASSWORD", "s3cret pass")
    for name in ("FAKE_ASCP_FAIL", "FAKE_ASCP_DIE_AFTER", "FAKE_ASCP_DELAY", "ASPERA_SCP_PASS"):
        monkeypatch.delenv(name, raising=False)

    class Server:
        ascp = str(wrapper)
        docroot = root

        @staticmethod
        def runs() -> list[dict]:
            if not log.exists():
                return []
            return [json.loads(line) for line in log.read_text().splitlines()]

    return Server


@pytest.fixture
def dataset(tmp_path):
    folder = tmp_path / "my data"  # a space: the argument list must keep it intact
    (folder / "run1").mkdir(parents=True)
    files = []
    for index, size in enumerate((3 * 1024 * 1024 + 11, 200 * 1024, 0)):
        path = folder / "run1" / f"frames {index}.tif"
        path.write_bytes(hashlib.sha512(str(index).encode()).digest() * (size // 64) + b"x" * (size % 64))
        files.append((str(path), RemoteFile(f"run1/frames {index}.tif", size)))
    return files


def transport(**options) -> aspera.AsperaTransport:
    return aspera.AsperaTransport("fasp.example.org", "emp_dep", "upload/ENTRY-1/data", password="s3cret pass",
                                  **options)


def md5(path: str | Path) -> str:
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


def assert_arrived(server, files) -> None:
    for local, item in files:
        landed = server.docroot / "upload" / "ENTRY-1" / "data" / item.remote_path
        assert landed.is_file() and md5(landed) == md5(local), item.remote_path
        assert not Path(f"{landed}.partial").exists()


# ------------------------------------------------------------------------------------------ arguments


def test_command_arguments():
    built = transport(key_file="/keys/asperaweb_id_dsa.openssh", target_rate="200M", encrypt=False, port=33002)
    args = built.command("/opt/ascp", "/tmp/pairs.txt")
    assert args[0] == "/opt/ascp"
    assert args[args.index("-k") + 1] == "2"  # resume on every run, the first included
    assert "-d" in args and args[args.index("-P") + 1] == "33002"
    assert "--policy=fair" in args and args[args.index("-l") + 1] == "200M"
    assert "-T" in args and args[args.index("-i") + 1] == "/keys/asperaweb_id_dsa.openssh"
    assert args[-5:] == ["--mode=send", "--user=emp_dep", "--host=fasp.example.org",
                         "--file-pair-list=/tmp/pairs.txt", "upload/ENTRY-1/data"]
    assert not any("s3cret" in arg for arg in args)
    plain = transport().command("ascp", "p")
    assert "-T" not in plain and "-i" not in plain and "-l" not in plain
    limited = transport()
    limited.limit_rate = 1_250_000  # bytes/s from --limit-rate: 10 Mbit/s
    assert limited.command("ascp", "p")[limited.command("ascp", "p").index("-l") + 1] == "10000"
    env = transport().environment()
    assert env["ASPERA_SCP_PASS"] == "s3cret pass"


def test_from_url():
    built = aspera.from_url("ascp://emp_dep@hx-fasp-1.ebi.ac.uk:33001/upload/ENTRY-1/data?rate=200M&encrypt=no", "pw")
    assert (built.host, built.user, built.port, built.target) == ("hx-fasp-1.ebi.ac.uk", "emp_dep", 33001,
                                                                 "upload/ENTRY-1/data")
    assert built.password == "pw" and built.target_rate == "200M" and not built.encrypt
    keyed = aspera.from_url("ascp://bsaspera_w@fasp.example.org/secret-dir?key=/k/id.openssh", None)
    assert keyed.port == aspera.DEFAULT_PORT and keyed.key_file == "/k/id.openssh" and keyed.password is None
    assert aspera.from_url("ascp://u:inurl@h/", None).password == "inurl"
    assert aspera.from_url("ascp://u@h", None).target == "."
    for bad in ("ascp://host/x", "ascp://u@/x", "ftp://u@h/x", "ascp://u@h:99999/x"):
        with pytest.raises(TransferError) as caught:
            aspera.from_url(bad, None)
        assert caught.value.permanent and caught.value.code == "target.invalid"


# ------------------------------------------------------------------------------------------ parsing


def test_output_lines_are_parsed():
    line = "frames 0.tif                              45%   12MB   97.4Mb/s    00:05 ETA"
    progress = aspera.parse_line(line)
    assert progress == aspera.Progress("frames 0.tif", 45, 12 * 1024**2, 97.4e6 / 8)
    final = aspera.parse_line("frames 0.tif  100% 3072KB 201Mb/s 00:09")
    assert isinstance(final, aspera.Progress) and final.percent == 100 and final.amount == 3072 * 1024
    summary = aspera.parse_line("Completed: 102400K bytes transferred in 9 seconds (88453K bits/sec), in 2 files.")
    assert summary == aspera.Summary(True, 102400 * 1024, 9, 2)
    partial = aspera.parse_line("Partial Completion: 2048K bytes transferred in 3 seconds")
    assert isinstance(partial, aspera.Summary) and not partial.complete and partial.files is None
    assert aspera.parse_line("ascp: failed to authenticate, exiting.") == aspera.ErrorLine("failed to authenticate")
    assert aspera.parse_line("Session Stop  (Error: Disk write failed (server))") == aspera.ErrorLine(
        "Disk write failed (server)"
    )
    assert aspera.parse_line(" (88453K bits/sec), in 1 file.") is None
    assert aspera.parse_line("") is None


@pytest.mark.parametrize(
    ("text", "code", "permanent"),
    [
        ("failed to authenticate", "auth.failed", True),
        ("Disk write failed (server): No space left on device", "remote.full", True),
        ("failed to open source file /x: No such file or directory", "local.unreadable", True),
        ("Server aborted session: Permission denied", "permission.denied", True),
        ("Failed to open TCP connection for SSH", "connection.lost", False),
        ("Session timed out", "connection.lost", False),
        ("something nobody has seen", "aspera.failed", False),
    ],
)
def test_failures_are_classified(text, code, permanent):
    assert aspera.classify_failure(text)[:2] == (code, permanent)


# ------------------------------------------------------------------------------------------ runs


def test_upload_with_progress_and_password_in_the_environment(server, dataset):
    state = DictState()
    sender = transport()
    sender.start(dataset, state)
    assert state.values[aspera.PAIR_LIST_KEY] and state.values[aspera.PID_KEY].isdigit()
    reports = list(sender.poll(state))
    assert reports[-1].state == "succeeded"
    assert reports[-1].bytes_done == reports[-1].bytes_total == sum(item.size for _p, item in dataset)
    assert reports[-1].files_done == 3 and "Aspera sent" in reports[-1].message
    assert_arrived(server, dataset)
    (run,) = [r for r in server.runs() if r["event"] == "finish"]
    assert run["password_in_env"] and not any("s3cret" in arg for arg in run["argv"])
    assert state.values[aspera.OUTCOME_KEY] == "succeeded" and state.values[aspera.PID_KEY] == ""
    # running the job again neither starts ascp nor sends anything
    again = transport()
    again.start(dataset, state)
    assert [r.state for r in again.poll(state)] == ["succeeded"]
    assert len(server.runs()) == 2  # one start and one finish record: no new ascp


def test_progress_reports_while_sending(server, dataset, monkeypatch):
    monkeypatch.setenv("FAKE_ASCP_DELAY", "0.02")
    monkeypatch.setattr(aspera, "_REPORT_INTERVAL_S", 0.05)
    state = DictState()
    sender = transport()
    sender.start(dataset[:1], state)
    reports = list(sender.poll(state))
    active = [r for r in reports if r.state == "active"]
    assert len(active) >= 3
    assert all(a.bytes_done <= b.bytes_done for a, b in itertools.pairwise(active))
    assert 0 < active[0].bytes_done < dataset[0][1].size and active[-1].rate_bytes_per_s
    assert reports[-1].state == "succeeded"


def test_wrong_password_is_permanent(server, dataset, monkeypatch):
    state = DictState()
    sender = aspera.AsperaTransport("fasp.example.org", "emp_dep", "upload", password="wrong")
    sender.start(dataset, state)
    with pytest.raises(TransferError) as caught:
        list(sender.poll(state))
    assert caught.value.permanent and caught.value.code == "auth.failed"
    assert "emp_dep@fasp.example.org" in str(caught.value) and "wrong" not in str(caught.value)


@pytest.mark.parametrize(("mode", "code", "permanent"), [("disk", "remote.full", True),
                                                         ("network", "connection.lost", False)])
def test_server_failures(server, dataset, monkeypatch, mode, code, permanent):
    monkeypatch.setenv("FAKE_ASCP_FAIL", mode)
    state = DictState()
    sender = transport()
    sender.start(dataset, state)
    with pytest.raises(TransferError) as caught:
        list(sender.poll(state))
    assert (caught.value.code, caught.value.permanent) == (code, permanent)
    assert state.values[aspera.OUTCOME_KEY] == ""


def test_ascp_killed_mid_way_resumes_on_the_next_run(server, dataset, monkeypatch):
    monkeypatch.setenv("FAKE_ASCP_DIE_AFTER", str(1024 * 1024))
    state = DictState()
    first = transport()
    first.start(dataset, state)
    with pytest.raises(TransferError) as caught:
        list(first.poll(state))
    assert caught.value.code == "aspera.interrupted" and not caught.value.permanent
    partial = server.docroot / "upload" / "ENTRY-1" / "data" / "run1" / "frames 0.tif.partial"
    assert partial.exists() and 0 < partial.stat().st_size < dataset[0][1].size
    kept = partial.stat().st_size
    monkeypatch.delenv("FAKE_ASCP_DIE_AFTER")
    second = transport()
    second.start(dataset, state)
    reports = list(second.poll(state))
    assert reports[-1].state == "succeeded"
    finish = [r for r in server.runs() if r["event"] == "finish"][-1]
    assert finish["files"]["run1/frames 0.tif"] == kept  # ascp continued from the partial file
    assert finish["sent"] == sum(item.size for _p, item in dataset) - kept  # nothing already there was resent
    assert_arrived(server, dataset)


def test_restart_stops_an_orphaned_ascp_and_resumes(server, dataset, monkeypatch):
    if not sys.platform.startswith("linux"):
        pytest.skip("orphans are recognised through /proc")
    monkeypatch.setenv("FAKE_ASCP_DELAY", "0.05")
    state = DictState()
    crashed = transport()
    crashed.start(dataset, state)  # the program then "crashes": nobody reads ascp's output
    orphan = crashed._process
    assert orphan is not None
    monkeypatch.delenv("FAKE_ASCP_DELAY")
    restarted = transport()
    restarted.start(dataset, state)  # stops the orphan first, then resumes
    assert orphan.poll() is not None
    assert [r for r in restarted.poll(state)][-1].state == "succeeded"
    assert_arrived(server, dataset)


def test_cancel_stops_ascp(server, dataset, monkeypatch):
    monkeypatch.setenv("FAKE_ASCP_DELAY", "0.05")
    monkeypatch.setattr(aspera, "_REPORT_INTERVAL_S", 0.0)
    state = DictState()
    sender = transport()
    sender.start(dataset, state)
    reports = sender.poll(state)
    first = next(reports)
    assert first.state == "active"
    sender.cancel(state)
    rest = list(reports)
    assert rest[-1].state == "cancelled"
    assert state.values[aspera.OUTCOME_KEY] == ""


def test_ascp_not_installed(tmp_path, monkeypatch, dataset):
    monkeypatch.setenv(aspera.ASCP_ENV, str(tmp_path / "nowhere" / "ascp"))
    with pytest.raises(TransferError) as caught:
        transport().start(dataset, DictState())
    assert caught.value.permanent and caught.value.code == "aspera.not_installed"
    monkeypatch.delenv(aspera.ASCP_ENV)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    monkeypatch.setenv("HOME", str(tmp_path / "empty-home"))
    with pytest.raises(TransferError) as caught:
        transport().start(dataset, DictState())
    assert caught.value.permanent and caught.value.code == "aspera.not_installed"
    assert "Aspera Connect" in str(caught.value) and aspera.ASCP_ENV in str(caught.value)


def test_missing_local_file_is_permanent(server, dataset, tmp_path):
    gone = [(str(tmp_path / "vanished.tif"), RemoteFile("vanished.tif", 10)), *dataset]
    state = DictState()
    sender = transport()
    sender.start(gone, state)
    with pytest.raises(TransferError) as caught:
        list(sender.poll(state))
    assert caught.value.permanent and caught.value.code == "local.unreadable"


def test_pair_list_keeps_names_with_spaces(server, dataset):
    state = DictState()
    sender = transport()
    sender.start(dataset, state)
    pair_list = Path(state.values[aspera.PAIR_LIST_KEY])
    lines = pair_list.read_text(encoding="utf-8").splitlines()
    assert lines[0] == os.path.abspath(dataset[0][0]) and lines[1] == "run1/frames 0.tif"
    assert list(sender.poll(state))[-1].state == "succeeded"
    assert not pair_list.exists()  # removed once ascp has exited
