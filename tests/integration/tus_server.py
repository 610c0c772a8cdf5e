"""Real tus servers on 127.0.0.1 for the tus tests and benchmark, started as subprocesses and stopped by PID.

* :class:`NodeTusServer`: the npm ``@tus/server`` + ``@tus/file-store`` (tests/servers/tus/server.mjs);
  no checksum extension, keeps partial bodies of interrupted requests.
* :class:`PyTusServer`: PyPI ``resumable-upload`` 0.3.0, which offers the checksum extension (460 on a
  wrong digest) and returns relative ``Location`` headers.
* :class:`CorruptingProxy`: an HTTP relay that flips one byte in the body of chosen ``PATCH`` requests,
  to make a checksum-checking server answer 460.
* :class:`StatusServer`: a minimal tus endpoint answering every upload request with one fixed status,
  for the status codes the real servers cannot be made to return.

Pytest fixtures for the first two skip with a clear reason when node (or the npm packages) or
``resumable-upload`` are missing; CI installs both (packaging/dev.sh runs ``npm ci``).
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

SERVER_DIR = Path(__file__).resolve().parents[1] / "servers" / "tus"
START_TIMEOUT_S = 30.0


def node_missing_reason() -> str | None:
    """Why the node tus server cannot run here, or ``None`` when it can."""
    if shutil.which("node") is None:
        return "node is not installed (CI installs it; locally: apt-get install nodejs npm)"
    if not (SERVER_DIR / "node_modules" / "@tus" / "server").is_dir():
        return f"the npm packages are not installed: run `npm ci` in {SERVER_DIR}"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server did not listen on port {port} within {timeout:.0f} s")


def stop_process(process: subprocess.Popen | None, *, kill: bool = False) -> None:
    """Stop a server we started, by its PID: SIGTERM (or SIGKILL), then SIGKILL if it lingers."""
    if process is None or process.poll() is not None:
        return
    os.kill(process.pid, signal.SIGKILL if kill else signal.SIGTERM)
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


class NodeTusServer:
    """``node server.mjs PORT STORE [MAX_SIZE]``; the port is read from its ``LISTENING <port>`` line."""

    def __init__(self, store: Path, *, max_size: int | None = None) -> None:
        self.store = store
        self.max_size = max_size
        self.port = 0
        self.process: subprocess.Popen | None = None
        self.output: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/files"

    def start(self) -> NodeTusServer:
        """Start on the remembered port (any free port the first time) and wait for ``LISTENING``."""
        self.store.mkdir(parents=True, exist_ok=True)
        args = ["node", str(SERVER_DIR / "server.mjs"), str(self.port), str(self.store)]
        if self.max_size is not None:
            args.append(str(self.max_size))
        process = subprocess.Popen(
            args, cwd=SERVER_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
        )
        self.process = process
        listening = threading.Event()

        def drain() -> None:  # keeps reading so the pipe never fills, and notes the port
            assert process.stdout is not None
            for line in process.stdout:
                self.output.append(line.rstrip())
                if line.startswith("LISTENING "):
                    self.port = int(line.split()[1])
                    listening.set()

        threading.Thread(target=drain, daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not listening.wait(0.05):
            if process.poll() is not None or time.monotonic() > deadline:
                stop_process(process, kill=True)
                raise RuntimeError("the tus server did not start:\n" + "\n".join(self.output[-20:]))
        return self

    def kill(self) -> None:
        """SIGKILL the server, as a crash would."""
        stop_process(self.process, kill=True)

    def stop(self) -> None:
        stop_process(self.process)

    def upload_path(self, upload_url: str) -> Path:
        """The file-store file holding an upload's bytes."""
        return self.store / upload_url.rstrip("/").rsplit("/", 1)[1]


class PyTusServer:
    """``python -m resumable_upload serve`` with the checksum extension (sha1, sha256)."""

    def __init__(self, root: Path, *extra: str) -> None:
        self.root = root
        self.extra = extra
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/files"

    def start(self) -> PyTusServer:
        self.root.mkdir(parents=True, exist_ok=True)
        args = [
            sys.executable, "-m", "resumable_upload", "serve", "--host", "127.0.0.1", "--port", str(self.port),
            "--upload-dir", str(self.root / "uploads"), "--db-path", str(self.root / "uploads.db"),
            "--checksum-algorithms", "sha1,sha256", "--log-level", "ERROR", *self.extra,
        ]  # fmt: skip
        with open(self.root / "server.log", "wb") as log:  # the child keeps its own copy of the handle
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_port(self.port, self.process)
        except RuntimeError:
            stop_process(self.process, kill=True)
            raise
        return self

    def stop(self) -> None:
        stop_process(self.process)

    def upload_path(self, upload_url: str) -> Path:
        return self.root / "uploads" / upload_url.rstrip("/").rsplit("/", 1)[1]


class CorruptingProxy:
    """Relays HTTP requests to ``upstream_port``; flips a byte in the body of the PATCH numbers in ``corrupt``."""

    def __init__(self, upstream_port: int, corrupt: set[int]) -> None:
        self.upstream_port = upstream_port
        self.corrupt = corrupt
        self.patches = 0
        self.statuses: list[int] = []
        proxy = self

        class Relay(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if self.command == "PATCH":
                    proxy.patches += 1
                    if proxy.patches in proxy.corrupt and body:
                        body = bytes([body[0] ^ 0xFF]) + body[1:]
                upstream = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                upstream.request(self.command, self.path, body=body or None, headers=headers)
                answer = upstream.getresponse()
                data = answer.read()
                upstream.close()
                if self.command == "PATCH":
                    proxy.statuses.append(answer.status)
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in ("content-length", "connection", "transfer-encoding", "date", "server"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_OPTIONS = do_POST = do_HEAD = do_PATCH = do_DELETE = _relay

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Relay)
        self.server.daemon_threads = True
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/files"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class StatusServer:
    """A tus endpoint whose OPTIONS is normal and whose POST/HEAD/PATCH/DELETE all answer ``status``."""

    def __init__(self) -> None:
        self.status = 500
        self.seen: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            extensions: ClassVar[str] = "creation,termination"

            def do_OPTIONS(self) -> None:
                self.send_response(204)
                self.send_header("Tus-Version", "1.0.0")
                self.send_header("Tus-Extension", self.extensions)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _fixed(self) -> None:
                owner.seen.append(self.command)
                remaining = int(self.headers.get("Content-Length") or 0)
                while remaining > 0:  # read the whole body, so the client is not cut off mid-request
                    data = self.rfile.read(min(remaining, 1 << 16))
                    if not data:
                        break
                    remaining -= len(data)
                body = b"refused by the stand-in"
                self.send_response(owner.status)
                self.send_header("Tus-Resumable", "1.0.0")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_POST = do_HEAD = do_PATCH = do_DELETE = _fixed

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/files"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def node_tus(tmp_path):
    """A fresh @tus/server on a free port with its own store folder."""
    reason = node_missing_reason()
    if reason:
        pytest.skip(reason)
    server = NodeTusServer(tmp_path / "tus-store").start()
    yield server
    server.stop()


@pytest.fixture
def py_tus(tmp_path):
    """A fresh resumable-upload server offering the checksum extension."""
    try:
        import resumable_upload  # noqa: F401
    except ImportError:
        pytest.skip("resumable-upload is not installed (pip install resumable-upload==0.3.0)")
    server = PyTusServer(tmp_path / "py-tus").start()
    yield server
    server.stop()
