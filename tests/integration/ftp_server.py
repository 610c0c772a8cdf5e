"""A pyftpdlib server for the transfer tests, run as a subprocess on 127.0.0.1 with fault switches.

Run: ``python ftp_server.py --root DIR [--port 0] [--read-limit BYTES_PER_S] [--quota BYTES]
[--reset-after BYTES] [--no-rest] [--log FILE]``. It prints ``LISTENING <port>`` once it
accepts connections. The switches:

* ``--read-limit``: ThrottledDTPHandler's receive limit, so kills land mid-file;
* ``--quota``: after this many bytes received in total, the upload is answered ``552``
  (a full remote disk);
* ``--reset-after``: the first data connection that reaches this many bytes is cut with
  a TCP reset (``SO_LINGER`` 0), once per server process;
* ``--no-rest``: ``REST`` is answered ``502``, so clients must resume with ``APPE``;
* ``--tls CERTFILE``: explicit FTPS (``AUTH TLS``; control and data must be encrypted) with
  the certificate and key in ``CERTFILE`` (needs pyOpenSSL; the fault switches do not apply);
* ``--log``: one line ``RECV <bytes> <path>`` per finished upload data connection, written
  as it closes, so a test can add up every byte the server received.

The tests also import :class:`FtpServer`, which starts, restarts and stops it by PID.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

USER, PASSWORD = "bsftp", "bsftp1"


def serve(args: argparse.Namespace) -> None:
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import FTPHandler, ThrottledDTPHandler
    from pyftpdlib.log import logger
    from pyftpdlib.servers import FTPServer

    state = {"received": 0, "reset_done": False}
    log_file = open(args.log, "a", buffering=1) if args.log else None  # lives as long as the server

    class FaultyDtp(ThrottledDTPHandler):
        read_limit = args.read_limit

        def handle_read(self):
            before = self.tot_bytes_received
            super().handle_read()
            if self._closed:
                return
            state["received"] += self.tot_bytes_received - before
            if args.quota and state["received"] > args.quota:
                self._resp = ("552 Exceeded storage allocation (quota).", logger.warning)
                self.close()
            elif args.reset_after and not state["reset_done"] and self.tot_bytes_received >= args.reset_after:
                state["reset_done"] = True
                self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self._resp = ("426 Connection reset by the test server.", logger.warning)
                self.close()

        handle_read_event = handle_read  # the base class aliases its own handle_read under this name

        def close(self):
            if not self._closed and self.receive and self.file_obj is not None and log_file is not None:
                log_file.write(f"RECV {self.tot_bytes_received} {self.file_obj.name}\n")
            super().close()

    base: type[FTPHandler] = FTPHandler
    if args.tls:
        from pyftpdlib.handlers import TLS_FTPHandler

        base = TLS_FTPHandler
        base.certfile = args.tls
        base.tls_control_required = True
        base.tls_data_required = True

    class Handler(base):  # type: ignore[valid-type,misc]
        if not args.tls:
            dtp_handler = FaultyDtp

        def ftp_REST(self, line):
            if args.no_rest:
                self.respond("502 Command not implemented.")
            else:
                super().ftp_REST(line)

    authorizer = DummyAuthorizer()
    authorizer.add_user(USER, PASSWORD, args.root, perm="elradfmwMT")
    Handler.authorizer = authorizer
    Handler.banner = "test server ready"
    server = FTPServer(("127.0.0.1", args.port), Handler)
    port = server.socket.getsockname()[1]
    signal.signal(signal.SIGTERM, lambda *_: server.close_all())
    print(f"LISTENING {port}", flush=True)
    server.serve_forever(handle_exit=False)


class FtpServer:
    """Starts ``ftp_server.py`` as a subprocess; restart keeps the port; stop kills by PID."""

    def __init__(self, root: Path, *, log: Path | None = None, **options: object) -> None:
        self.root = root
        self.log = log
        self.options = options
        self.port = 0
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> FtpServer:
        command = [sys.executable, __file__, "--root", str(self.root), "--port", str(self.port)]
        if self.log is not None:
            command += ["--log", str(self.log)]
        for key, value in self.options.items():
            flag = "--" + key.replace("_", "-")
            if value is True:
                command.append(flag)
            elif value not in (None, False):
                command += [flag, str(value)]
        deadline = time.monotonic() + 30
        while True:
            self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            assert self.process.stdout is not None
            line = self.process.stdout.readline()
            if line.startswith("LISTENING"):
                self.port = int(line.split()[1])
                return self
            self.process.wait()
            if time.monotonic() > deadline:  # the old port may linger for a moment after a kill
                raise RuntimeError("the test FTP server did not start")
            time.sleep(0.2)

    def kill(self) -> None:
        """``kill -9`` the server (a crash)."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.process is not None and self.process.stdout is not None:
            with contextlib.suppress(OSError):
                self.process.stdout.close()

    def received(self) -> int:
        """Bytes the server received over every logged upload."""
        if self.log is None or not self.log.exists():
            return 0
        return sum(int(line.split()[1]) for line in self.log.read_text().splitlines() if line.startswith("RECV"))

    def url(self, folder: str = "upload", user: str = USER) -> str:
        return f"ftp://{user}@127.0.0.1:{self.port}/{folder}"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--read-limit", type=int, default=0)
    parser.add_argument("--quota", type=int, default=0)
    parser.add_argument("--reset-after", type=int, default=0)
    parser.add_argument("--no-rest", action="store_true")
    parser.add_argument("--log")
    parser.add_argument("--tls")
    serve(parser.parse_args())
