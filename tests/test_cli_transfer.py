"""The ``transfer`` command as a new user meets it: progress, --json lines, resume, bad input."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from bioimage_depositor.cli import main


def make_source(tmp_path, big: int = 200_000):
    src = tmp_path / "my data"
    (src / "run1").mkdir(parents=True)
    (src / "run1" / "frames.tif").write_bytes(os.urandom(big))
    (src / "notes.txt").write_text("hello")
    return src


def test_copy_to_a_folder_prints_a_report_and_running_again_sends_nothing(tmp_path, capsys):
    src = make_source(tmp_path)
    dst = tmp_path / "target folder"
    assert main(["transfer", str(src), dst.as_uri()]) == 0
    out = capsys.readouterr()
    assert "2 file(s)" in out.out and "2 sent" in out.out and "0 failed" in out.out
    assert "Traceback" not in out.err
    assert (dst / "run1" / "frames.tif").read_bytes() == (src / "run1" / "frames.tif").read_bytes()
    assert main(["transfer", str(src), dst.as_uri()]) == 0
    assert "2 already there" in capsys.readouterr().out


def test_json_progress_lines_and_final_report(tmp_path, capsys):
    src = make_source(tmp_path, big=3 * 1024 * 1024)
    assert main(["transfer", str(src), (tmp_path / "dst").as_uri(), "--json", "--limit-rate", "2M"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    progress = [line for line in lines if line["event"] == "progress"]
    assert len(progress) >= 2 and lines[-1]["event"] == "report"
    assert any(0 < p["bytes_done"] < p["bytes_total"] for p in progress)
    report = lines[-1]
    assert (report["status"], report["verified"], report["failed"]) == ("completed", 2, [])


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["{tmp}/missing", "file:///{tmp}/dst"], "no such file or folder"),
        (["{src}", "http://example.org/upload"], "is not a transfer target"),
        (["{src}", "/plain/path"], "file:///path/to/folder"),
        (["{src}", "file:///{tmp}/dst", "--limit-rate", "fast"], "--limit-rate"),
        (["{src}", "file:///{tmp}/dst", "--parallel", "0"], "--parallel"),
    ],
)
def test_bad_input_is_one_clear_line_with_exit_2(tmp_path, capsys, args, fragment):
    src = make_source(tmp_path)
    argv = [a.format(tmp=str(tmp_path).lstrip("/"), src=src) if "{tmp}" in a and a.startswith("file") else
            a.format(tmp=tmp_path, src=src) for a in args]
    assert main(["transfer", *argv]) == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_a_state_file_of_another_transfer_is_refused(tmp_path, capsys):
    src = make_source(tmp_path)
    state = tmp_path / "state.sqlite3"
    assert main(["transfer", str(src), (tmp_path / "a").as_uri(), "--state", str(state)]) == 0
    capsys.readouterr()
    assert main(["transfer", str(src), (tmp_path / "b").as_uri(), "--state", str(state)]) == 2
    assert "choose another state file" in capsys.readouterr().err


def _refusing_ftp_server() -> tuple[socket.socket, threading.Thread]:
    """A minimal FTP greeter on 127.0.0.1 that refuses every login with 530."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        with contextlib.suppress(OSError):
            while True:
                conn, _ = listener.accept()
                with conn, conn.makefile("rwb") as stream:
                    stream.write(b"220 test\r\n")
                    stream.flush()
                    for line in stream:
                        reply = b"331 password please\r\n" if line.startswith(b"USER") else b"530 Login incorrect.\r\n"
                        stream.write(reply)
                        stream.flush()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener, thread


def test_a_wrong_password_in_the_url_is_warned_about_never_printed_and_exits_2(tmp_path, capsys):
    src = make_source(tmp_path)
    listener, _ = _refusing_ftp_server()
    try:
        port = listener.getsockname()[1]
        code = main(["transfer", str(src), f"ftp://me:hunter2@127.0.0.1:{port}/x", "--json"])
    finally:
        listener.close()
    captured = capsys.readouterr()
    assert code == 2
    assert "hunter2" not in captured.out + captured.err
    assert "shell history" in captured.err
    report = json.loads(captured.out.splitlines()[-1])
    assert report["error_code"] == "auth.failed" and "530" in report["message"]


def test_ctrl_c_pauses_and_the_same_command_resumes(tmp_path):
    src = make_source(tmp_path, big=12 * 1024 * 1024)
    dst = tmp_path / "dst"
    command = [sys.executable, "-m", "bioimage_depositor.cli", "transfer", str(src), dst.as_uri(), "--limit-rate", "4M"]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    partial = dst / "run1" / "frames.tif.partial"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (partial.exists() and partial.stat().st_size > 0):
        time.sleep(0.05)
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 130, err
    assert "Paused. To continue, run the same command again" in out
    assert "Traceback" not in err
    assert partial.exists() and not (dst / "run1" / "frames.tif").exists()
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "1 resumed" in done.stdout
    assert (dst / "run1" / "frames.tif").read_bytes() == (src / "run1" / "frames.tif").read_bytes()
    assert "MiB / 12.0 MiB" in done.stderr and "ETA" in done.stderr  # plain progress lines when not a terminal
