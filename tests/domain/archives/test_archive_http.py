"""The archive HTTP session: timeouts, retries of 429/5xx with Retry-After and backoff, secret-free errors."""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import random
import socket

import pytest
from tests.standins.http_base import Fault, Request, Response, StandinServer, json_response

from bioimage_depositor.domain.archives.errors import ArchiveError, redact
from bioimage_depositor.domain.archives.http import ApiSession, RetryPolicy, parse_retry_after

TOKEN = "tok-5f1e2d3c4b5a69788796a5b4c3d2e1f0"


def echo_app(request: Request) -> Response:
    return json_response(200, {"path": request.path, "method": request.method})


@pytest.fixture
def server():
    with StandinServer(echo_app, "/api") as running:
        yield running


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def session_for(server: StandinServer, sleeps: Sleeps, attempts: int = 4, **kwargs) -> ApiSession:
    policy = RetryPolicy(attempts=attempts, base_delay=0.5, max_delay=4.0, max_retry_after=30.0, jitter=0.5)
    session = ApiSession(server.url, archive="EMPIAR", retry=policy, sleep=sleeps, rng=random.Random(1), **kwargs)
    session.add_secret(TOKEN)
    return session


def test_retry_after_seconds_is_honoured(server) -> None:
    server.faults.add(Fault("GET", "/thing", "throttle", times=2, retry_after="7"))
    sleeps = Sleeps()
    response = session_for(server, sleeps).request("GET", "thing", idempotent=True, what="read the thing")
    assert response.status_code == 200 and response.json()["path"] == "/thing"
    assert len(sleeps) == 2 and all(7.0 <= pause <= 7.7 for pause in sleeps)
    assert [entry.status for entry in server.requests("GET", "/thing")] == [429, 429, 200]


def test_retry_after_http_date_is_honoured(server) -> None:
    when = email.utils.format_datetime(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=20), usegmt=True)
    server.faults.add(Fault("POST", "/create", "throttle", retry_after=when))
    sleeps = Sleeps()
    # 429 means the server did not act: even a creating request is repeated.
    response = session_for(server, sleeps).request("POST", "create", idempotent=False, what="create the entry")
    assert response.status_code == 200
    assert 17.0 <= sleeps[0] <= 22.0


def test_parse_retry_after_forms() -> None:
    now = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Wed, 25 Nov 2026 12:01:30 GMT", now=now) == 90.0
    assert parse_retry_after("Wed, 25 Nov 2026 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_429_without_retry_after_backs_off_exponentially_with_jitter(server) -> None:
    server.faults.add(Fault("GET", "/thing", "throttle", times=3))
    sleeps = Sleeps()
    session_for(server, sleeps).request("GET", "thing", idempotent=True, what="read the thing")
    caps = [0.5, 1.0, 2.0]
    assert len(sleeps) == 3
    for pause, cap in zip(sleeps, caps, strict=True):
        assert cap * 0.5 <= pause <= cap


def test_too_long_retry_after_stops_with_server_busy(server) -> None:
    server.faults.add(Fault("GET", "/thing", "throttle", retry_after="3600"))
    sleeps = Sleeps()
    with pytest.raises(ArchiveError) as raised:
        session_for(server, sleeps).request("GET", "thing", idempotent=True, what="read the thing")
    assert raised.value.code == "server.busy" and not raised.value.permanent
    assert "60 minutes" in str(raised.value) and sleeps == []


def test_throttled_on_every_try_is_server_busy(server) -> None:
    server.faults.add(Fault("GET", "/thing", "throttle", times=10, retry_after="1"))
    with pytest.raises(ArchiveError) as raised:
        session_for(server, Sleeps(), attempts=3).request("GET", "thing", idempotent=True, what="read the thing")
    assert raised.value.code == "server.busy" and raised.value.status == 429
    assert len(server.requests("GET", "/thing")) == 3


def test_5xx_is_retried_for_safe_requests_then_gives_up(server) -> None:
    server.faults.add(Fault("GET", "/thing", "status", times=2, status=502))
    sleeps = Sleeps()
    assert session_for(server, sleeps).request("GET", "thing", idempotent=True, what="x").status_code == 200
    assert len(sleeps) == 2
    server.faults.add(Fault("GET", "/thing", "status", times=10, status=503))
    with pytest.raises(ArchiveError) as raised:
        session_for(server, Sleeps(), attempts=3).request("GET", "thing", idempotent=True, what="read the thing")
    assert raised.value.code == "server.error" and raised.value.status == 503
    assert "could not read the thing after 3 tries" in str(raised.value)


def test_5xx_on_a_creating_request_is_uncertain_and_not_repeated(server) -> None:
    server.faults.add(Fault("POST", "/create", "status", times=5, status=500))
    sleeps = Sleeps()
    with pytest.raises(ArchiveError) as raised:
        session_for(server, sleeps).request("POST", "create", idempotent=False, what="create the entry")
    assert raised.value.code == "server.uncertain" and not raised.value.permanent
    assert len(server.requests("POST", "/create")) == 1 and sleeps == []


def test_503_with_retry_after_is_repeated_even_for_creating_requests(server) -> None:
    server.faults.add(Fault("POST", "/create", "status", status=503, body={"detail": "maintenance"}, retry_after="2"))
    sleeps = Sleeps()
    response = session_for(server, sleeps).request("POST", "create", idempotent=False, what="create")
    assert response.status_code == 200 and 2.0 <= sleeps[0] <= 2.2
    server.faults.add(Fault("POST", "/create", "status", status=503, body={"detail": "maintenance"}))
    with pytest.raises(ArchiveError) as raised:  # without Retry-After nobody knows whether it acted
        session_for(server, Sleeps()).request("POST", "create", idempotent=False, what="create")
    assert raised.value.code == "server.uncertain"


def test_dropped_connection_is_retried_only_when_safe(server) -> None:
    server.faults.add(Fault("GET", "/thing", "drop"))
    sleeps = Sleeps()
    assert session_for(server, sleeps).request("GET", "thing", idempotent=True, what="x").status_code == 200
    server.faults.add(Fault("POST", "/create", "drop"))
    with pytest.raises(ArchiveError) as raised:
        session_for(server, Sleeps()).request("POST", "create", idempotent=False, what="create the entry")
    assert raised.value.code == "server.uncertain"


def test_refused_connection_is_safe_to_repeat_and_ends_as_connection_lost() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps = Sleeps()
    session = ApiSession(
        f"http://127.0.0.1:{port}/api", archive="BIA", retry=RetryPolicy(attempts=3, base_delay=0.01), sleep=sleeps
    )
    with pytest.raises(ArchiveError) as raised:
        session.request("POST", "create", idempotent=False, what="submit the study")
    assert raised.value.code == "connection.lost" and len(sleeps) == 2
    assert "Check the network connection" in str(raised.value)


def test_slow_answer_times_out(server) -> None:
    server.faults.add(Fault("GET", "/thing", "delay", times=5, seconds=1.0))
    session = session_for(server, Sleeps(), attempts=2, timeout=(2.0, 0.2))
    with pytest.raises(ArchiveError) as raised:
        session.request("GET", "thing", idempotent=True, what="read the thing")
    assert raised.value.code == "timeout"
    server.faults.clear()


def test_4xx_answers_are_returned_not_retried(server) -> None:
    server.faults.add(Fault("GET", "/thing", "status", status=404, body={"detail": "Not found."}))
    sleeps = Sleeps()
    response = session_for(server, sleeps).request("GET", "thing", idempotent=True, what="x")
    assert response.status_code == 404 and sleeps == []


def test_application_errors_in_5xx_are_returned(server) -> None:
    body = {"status": "FAIL", "log": {"message": "bad list"}}
    server.faults.add(Fault("POST", "/validate", "status", status=500, body=body))
    sleeps = Sleeps()
    response = session_for(server, sleeps).request(
        "POST", "validate", idempotent=True, what="x", app_error=lambda r: r.json().get("status") == "FAIL"
    )
    assert response.status_code == 500 and sleeps == []


def test_secrets_never_reach_messages_or_logs(server, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    body = {"detail": f"token {TOKEN} is throttled"}
    server.faults.add(Fault("GET", "/thing", "status", times=10, status=500, body=body))
    session = session_for(server, Sleeps(), attempts=2)
    with pytest.raises(ArchiveError) as raised:
        session.request("GET", "thing", idempotent=True, what="read", headers={"Authorization": f"Token {TOKEN}"})
    assert TOKEN not in str(raised.value) and TOKEN not in caplog.text
    assert session.scrub(f"echo {TOKEN}!") == "echo ***!"
    assert redact("pw=abc123", ["abc123", "ab"]) == "pw=***"
