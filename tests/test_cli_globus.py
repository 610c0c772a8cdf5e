"""``bioimage-depositor globus login|status|logout`` with the code on stdin and globus-sdk's recorded answers."""

from __future__ import annotations

import io
import json
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from globus_sdk.testing import load_response

from bioimage_depositor.cli import main
from bioimage_depositor.domain.archives import session as archive_session
from bioimage_depositor.domain.transfer import globus, globus_auth
from tests.domain.transfer.test_globus_auth import CLIENT_ID, COLLECTION, REFRESH_TOKEN, TRANSFER_TOKEN, token_answer


@pytest.fixture(autouse=True)
def globus_command(monkeypatch):
    monkeypatch.setattr(archive_session, "_shared_store", None)  # one "process" per test
    monkeypatch.setenv(globus_auth.CLIENT_ID_ENV, CLIENT_ID)
    yield
    globus.register_client_factory(None)


@pytest.fixture
def mock():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def login(monkeypatch, code: str, *extra: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(code + "\n"))
    return main(["globus", "login", *extra])


def test_login_prints_the_address_reads_the_code_and_status_shows_the_identity(monkeypatch, mock, capsys):
    token_answer().add(requests_mock=mock)
    assert login(monkeypatch, "the-code", "--collection", COLLECTION) == 0
    out = capsys.readouterr()
    url = next(line.strip() for line in out.out.splitlines() if line.strip().startswith("https://"))
    query = parse_qs(urlsplit(url).query)
    assert query["client_id"] == [CLIENT_ID] and query["code_challenge_method"] == ["S256"]
    assert COLLECTION in query["scope"][0]
    assert "Signed in to Globus as Jane Doe (jane@globusid.org)" in out.out
    assert "no system keyring" in out.err  # the fail keyring: the sign-in lasts for this process only
    assert REFRESH_TOKEN not in out.out + out.err and TRANSFER_TOKEN not in out.out + out.err

    assert main(["globus", "status"]) == 0
    status = capsys.readouterr().out
    assert "Signed in to Globus as Jane Doe (jane@globusid.org)" in status and COLLECTION in status
    assert main(["globus", "status", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["signed_in"] and data["identity"]["username"] == "jane@globusid.org" and not data["persistent"]

    load_response("auth.oauth2_revoke_token", requests_mock=mock)
    assert main(["globus", "logout"]) == 0
    assert "Signed out of Globus" in capsys.readouterr().out
    assert main(["globus", "status"]) == 1
    assert "Not signed in to Globus" in capsys.readouterr().out


def test_a_bad_code_is_one_clear_line_and_exit_2(monkeypatch, mock, capsys):
    load_response("auth.oauth2_exchange_code_for_tokens", case="invalid_grant", requests_mock=mock)
    assert login(monkeypatch, "typo") == 2
    err = capsys.readouterr().err
    assert "did not accept that code" in err and "Traceback" not in err
    assert main(["globus", "status"]) == 1


def test_no_code_on_stdin_is_refused(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["globus", "login"]) == 2
    assert "no code was given" in capsys.readouterr().err


def test_without_a_client_id_login_explains_who_must_register_one(monkeypatch, capsys):
    monkeypatch.delenv(globus_auth.CLIENT_ID_ENV)
    assert login(monkeypatch, "the-code") == 2
    err = capsys.readouterr().err
    assert globus_auth.CLIENT_ID_ENV in err and globus_auth.REGISTER_APP_PAGE in err
    assert main(["globus", "status"]) == 1
    assert globus_auth.CLIENT_ID_ENV in capsys.readouterr().out


def test_a_globus_transfer_without_a_sign_in_says_how_to_sign_in(tmp_path, capsys):
    source = tmp_path / "data.txt"
    source.write_text("hello")
    assert main(["transfer", str(source), f"globus://{COLLECTION}/entry/data"]) == 2
    err = capsys.readouterr().err
    assert "bioimage-depositor globus login" in err and "Traceback" not in err
