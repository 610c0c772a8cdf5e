"""A small HTTP server for archive stand-ins: routing, request log and injected faults.

Each stand-in is an ``app(request) -> Response`` function served by a
``ThreadingHTTPServer`` on 127.0.0.1 with an ephemeral port. Tests inject faults
that a real archive shows: an HTTP status (5xx), 429 with ``Retry-After``, a
slow answer, a dropped connection, and *kill*: SIGKILL a child process either
before the request takes effect or after it took effect but before the answer
is sent (the case where only a server-side check can avoid a duplicate).
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    """One received request."""

    method: str
    path: str  # without the query, percent-decoded segments kept as sent
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    def form(self) -> tuple[dict[str, str], dict[str, list[tuple[str, bytes]]]]:
        """Fields and files of a urlencoded or multipart body (what Spring's @RequestParam reads)."""
        content_type = self.header("content-type")
        if content_type.startswith("application/x-www-form-urlencoded"):
            fields = {k: v[0] for k, v in parse_qs(self.body.decode("utf-8"), keep_blank_values=True).items()}
            return fields, {}
        if content_type.startswith("multipart/form-data"):
            return parse_multipart(content_type, self.body)
        return {}, {}


def parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, list[tuple[str, bytes]]]]:
    """Parse ``multipart/form-data`` with the standard library's e-mail parser (``cgi`` is gone in 3.13)."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    fields: dict[str, str] = {}
    files: dict[str, list[tuple[str, bytes]]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_param("filename", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if filename is not None:
            files.setdefault(str(name), []).append((str(filename), payload))
        else:
            fields[str(name)] = payload.decode("utf-8")
    return fields, files


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    # Exactly "application/json": empiar-depositor 1.6b30 compares the header with ==.
    all_headers = {"Content-Type": "application/json"}
    all_headers.update(headers or {})
    return Response(status, json.dumps(payload).encode("utf-8"), all_headers)


@dataclass
class Fault:
    """A fault for requests matching ``method`` and the regular expression ``path``.

    ``action`` is one of ``status`` (answer ``status`` with ``body``), ``throttle`` (429 with
    ``Retry-After: retry_after``), ``delay`` (sleep ``seconds`` then answer normally), ``drop``
    (close the connection without an answer, before the request takes effect), ``kill_before``
    (SIGKILL ``pid`` before the request takes effect), ``kill_after`` (let the request take
    effect, SIGKILL ``pid``, close the connection without an answer) and ``drop_after`` (the
    request takes effect, the connection closes without an answer).
    """

    method: str
    path: str
    action: str
    times: int = 1
    status: int = 500
    body: Any = None
    retry_after: str | None = None
    seconds: float = 0.0
    pid: int | None = None
    skip: int = 0  # let this many matching requests through first

    def matches(self, request: Request) -> bool:
        return request.method == self.method and re.search(self.path, request.path) is not None


class FaultPlan:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, request: Request) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.times > 0 and fault.matches(request):
                    if fault.skip > 0:
                        fault.skip -= 1
                        continue
                    fault.times -= 1
                    return fault
        return None


@dataclass
class LoggedRequest:
    at: float
    method: str
    path: str
    status: int | None  # None: no answer was sent


def kill_and_wait(pid: int, timeout: float = 10.0) -> None:
    """SIGKILL ``pid`` and wait until it no longer runs (it may stay a zombie until its parent reaps it)."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat", "rb") as stat:
                state = stat.read().split(b") ", 1)[1][:1]
        except (FileNotFoundError, IndexError):
            return
        if state in (b"Z", b"X"):
            return
        time.sleep(0.01)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        # Clients that go away mid-answer (killed, timed out) are part of the tests, not errors.
        error = sys.exc_info()[1]
        if not isinstance(error, (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class StandinServer:
    """Serves ``app`` on 127.0.0.1 with faults and a request log."""

    def __init__(self, app: Callable[[Request], Response], prefix: str = "") -> None:
        self.app = app
        self.prefix = prefix.rstrip("/")
        self.faults = FaultPlan()
        self.log: list[LoggedRequest] = []
        self._log_lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        return f"http://127.0.0.1:{self._server.server_port}{self.prefix}"

    def _record(self, request: Request, status: int | None) -> None:
        with self._log_lock:
            self.log.append(LoggedRequest(time.monotonic(), request.method, request.path, status))

    def requests(self, method: str | None = None, path: str | None = None) -> list[LoggedRequest]:
        with self._log_lock:
            return [
                entry
                for entry in self.log
                if (method is None or entry.method == method) and (path is None or re.search(path, entry.path))
            ]

    def start(self) -> StandinServer:
        server_self = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; without this, Nagle plus delayed ACKs add 40 ms per answer.
            disable_nagle_algorithm = True

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = split.path
                if server_self.prefix and path.startswith(server_self.prefix):
                    path = path[len(server_self.prefix) :] or "/"
                request = Request(
                    method=self.command,
                    path=path,
                    query=parse_qs(split.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                fault = server_self.faults.take(request)
                if fault is not None:
                    if fault.action == "delay":
                        time.sleep(fault.seconds)
                    elif fault.action in ("drop", "kill_before"):
                        if fault.action == "kill_before" and fault.pid:
                            kill_and_wait(fault.pid)
                        server_self._record(request, None)
                        self.close_connection = True
                        return
                    elif fault.action in ("status", "throttle"):
                        if fault.action == "throttle":
                            response = json_response(
                                429,
                                {"detail": "Request was throttled."},
                                {"Retry-After": fault.retry_after} if fault.retry_after is not None else {},
                            )
                        else:
                            payload = fault.body if fault.body is not None else {"error": "injected fault"}
                            extra = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
                            response = json_response(fault.status, payload, extra)
                        self._send(request, response)
                        return
                try:
                    response = server_self.app(request)
                except Exception as error:  # a stand-in bug must show up as a 500, not a hung client
                    response = json_response(500, {"error": f"stand-in failure: {error!r}"})
                if fault is not None and fault.action in ("kill_after", "drop_after"):
                    if fault.pid:
                        kill_and_wait(fault.pid)
                    server_self._record(request, None)
                    self.close_connection = True
                    return
                self._send(request, response)

            def _send(self, request: Request, response: Response) -> None:
                # Logged before the answer leaves, so a test reading the log after the answer sees it.
                server_self._record(request, response.status)
                self.send_response(response.status)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                if request.method != "HEAD":
                    self.wfile.write(response.body)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> StandinServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
