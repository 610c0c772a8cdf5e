"""The Globus native-app sign-in against globus-sdk's recorded Auth and Transfer answers (no network, no Qt).

Token answers are built with the SDK's ``RegisteredResponse`` in the shape its own
``auth.oauth2_exchange_code_for_tokens`` fixture has, plus the refresh token and
``other_tokens`` a native-app sign-in with ``openid`` returns; revocation, the
submission id and the ``invalid_grant`` refusal are the SDK's fixtures as they are.
The keyring is the fail backend (tests/conftest.py), so the store is session-only.
"""

from __future__ import annotations

import base64
import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from globus_sdk.testing import RegisteredResponse, get_last_request, get_response_set, load_response

from bioimage_depositor.domain.secrets import SecretStore
from bioimage_depositor.domain.transfer import globus, globus_auth
from bioimage_depositor.domain.transfer.globus_auth import GlobusLoginError
from bioimage_depositor.domain.transfer.transport import TransferError

CLIENT_ID = "5e1c2a77-0b3d-4c1e-9f2a-7d8e9f0a1b2c"  # made up: no real app is registered for these tests
COLLECTION = "138b5c78-adef-4c12-89e6-2cd170bf63ed"  # EMPIAR's production collection (empiar.md §5.2)
SUBMISSION_ID = get_response_set("transfer.get_submission_id").metadata["submission_id"]
REFRESH_TOKEN = "refresh-token-for-transfer"
TRANSFER_TOKEN = "transfer-access-token"


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def id_token(**claims) -> str:
    header = {"alg": "RS512", "typ": "JWT"}
    body = {"aud": CLIENT_ID, "iss": "https://auth.globus.org", "sub": "1f0a7c2e-0000-4000-8000-00000000abcd", **claims}
    return f"{b64(header)}.{b64(body)}.c2lnbmF0dXJl"


def token_answer(with_id_token: bool = True, refresh: str | None = REFRESH_TOKEN) -> RegisteredResponse:
    """A native-app code exchange answer: Auth's token first, Transfer's in other_tokens."""
    transfer = {
        "access_token": TRANSFER_TOKEN,
        "scope": "urn:globus:auth:scope:transfer.api.globus.org:all",
        "expires_in": 172800,
        "token_type": "Bearer",
        "resource_server": "transfer.api.globus.org",
        "state": "_default",
    }
    if refresh:
        transfer["refresh_token"] = refresh
    body = {
        "access_token": "auth-access-token",
        "scope": "openid profile email",
        "expires_in": 172800,
        "token_type": "Bearer",
        "resource_server": "auth.globus.org",
        "refresh_token": "refresh-token-for-auth",
        "state": "_default",
        "other_tokens": [transfer],
    }
    if with_id_token:
        body["id_token"] = id_token(preferred_username="jane@globusid.org", name="Jane Doe", email="jane@example.org")
    return RegisteredResponse(service="auth", path="/v2/oauth2/token", method="POST", json=body)


@pytest.fixture
def mock():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture(autouse=True)
def client_id(monkeypatch):
    monkeypatch.setenv(globus_auth.CLIENT_ID_ENV, CLIENT_ID)
    yield
    globus.register_client_factory(None)  # no sign-in leaks into other tests


@pytest.fixture
def store():
    store = SecretStore()
    assert not store.persistent  # the fail keyring: secrets live in this object for the session
    return store


def signed_in(mock, store, collections=()) -> globus_auth.StoredLogin:
    token_answer().add(requests_mock=mock)
    return globus_auth.start_login(collections).finish("the-code", store)


def test_the_authorize_url_uses_pkce_refresh_tokens_and_the_right_scopes():
    flow = globus_auth.start_login([COLLECTION])
    url = urlsplit(flow.authorize_url)
    query = {key: values[0] for key, values in parse_qs(url.query).items()}
    assert (url.scheme, url.netloc, url.path) == ("https", "auth.globus.org", "/v2/oauth2/authorize")
    assert query["client_id"] == CLIENT_ID
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) >= 43
    assert query["access_type"] == "offline"  # refresh tokens: the sign-in outlives the access token
    assert query["response_type"] == "code"
    scopes = query["scope"].split(" ")
    assert {"openid", "profile", "email"} <= set(scopes)
    transfer = f"urn:globus:auth:scope:transfer.api.globus.org:all[*https://auth.globus.org/scopes/{COLLECTION}/data_access]"
    assert transfer in scopes
    other = urlsplit(globus_auth.start_login().authorize_url)
    assert parse_qs(other.query)["code_challenge"][0] != query["code_challenge"]  # a fresh verifier per sign-in
    assert "urn:globus:auth:scope:transfer.api.globus.org:all" in parse_qs(other.query)["scope"][0].split(" ")


def test_without_a_registered_client_id_sign_in_is_refused_plainly(monkeypatch):
    monkeypatch.delenv(globus_auth.CLIENT_ID_ENV)
    with pytest.raises(GlobusLoginError) as caught:
        globus_auth.start_login()
    assert caught.value.code == "globus.no_client_id"
    assert globus_auth.CLIENT_ID_ENV in str(caught.value) and "register" in str(caught.value)
    monkeypatch.setenv(globus_auth.CLIENT_ID_ENV, globus_auth.UNREGISTERED_CLIENT_ID)
    assert globus_auth.configured_client_id() is None
    monkeypatch.setenv(globus_auth.CLIENT_ID_ENV, "my-app")
    with pytest.raises(GlobusLoginError, match="not a Globus client id"):
        globus_auth.start_login()


def test_a_bad_collection_id_is_refused_before_anything_is_sent():
    with pytest.raises(GlobusLoginError, match="not a Globus collection id") as caught:
        globus_auth.start_login(["EMPIAR"])
    assert caught.value.code == "globus.bad_collection"


def test_the_code_exchange_keeps_the_refresh_token_in_the_store_and_says_who_signed_in(mock, store):
    flow = globus_auth.start_login([COLLECTION])
    token_answer().add(requests_mock=mock)
    login = flow.finish("  the-code\n", store)
    sent = parse_qs(get_last_request(requests_mock=mock).body)
    assert sent["grant_type"] == ["authorization_code"] and sent["code"] == ["the-code"]
    assert sent["client_id"] == [CLIENT_ID] and len(sent["code_verifier"][0]) >= 43  # PKCE, no secret
    assert login.identity.username == "jane@globusid.org"
    assert login.identity.display() == "Jane Doe (jane@globusid.org)"
    assert login.collections == (COLLECTION,)
    kept = json.loads(store.get(globus_auth.KEYRING_ACCOUNT))
    assert kept["refresh_token"] == REFRESH_TOKEN and kept["access_token"] == TRANSFER_TOKEN
    assert kept["expires_at"] > time.time()
    assert REFRESH_TOKEN not in repr(login) and TRANSFER_TOKEN not in repr(login)
    assert globus_auth.load_login(store) == login


def test_a_pasted_code_page_address_works_too(mock, store):
    flow = globus_auth.start_login()
    token_answer().add(requests_mock=mock)
    flow.finish("https://auth.globus.org/v2/web/auth-code?code=abc123&state=_default", store)
    assert parse_qs(get_last_request(requests_mock=mock).body)["code"] == ["abc123"]


def test_identity_comes_from_userinfo_when_there_is_no_id_token(mock, store):
    flow = globus_auth.start_login()
    token_answer(with_id_token=False).add(requests_mock=mock)
    RegisteredResponse(
        service="auth",
        path="/v2/oauth2/userinfo",
        json={"sub": "abc", "preferred_username": "sam@orcid.org", "name": "Sam Roe", "email": "sam@example.org"},
    ).add(requests_mock=mock)
    login = flow.finish("the-code", store)
    assert login.identity.username == "sam@orcid.org"
    assert get_last_request(requests_mock=mock).headers["Authorization"] == "Bearer auth-access-token"


def test_a_bad_code_is_explained_and_nothing_is_kept(mock, store):
    flow = globus_auth.start_login()
    load_response("auth.oauth2_exchange_code_for_tokens", case="invalid_grant", requests_mock=mock)
    with pytest.raises(GlobusLoginError) as caught:
        flow.finish("wrong-code", store)
    assert caught.value.code == "globus.bad_code" and caught.value.permanent
    assert "did not accept that code" in str(caught.value) and "wrong-code" not in str(caught.value)
    assert store.get(globus_auth.KEYRING_ACCOUNT) is None
    with pytest.raises(GlobusLoginError, match="Paste the code"):
        flow.finish("   ", store)


def test_an_answer_without_a_refresh_token_is_refused(mock, store):
    flow = globus_auth.start_login()
    token_answer(refresh=None).add(requests_mock=mock)
    with pytest.raises(GlobusLoginError, match="no refresh token"):
        flow.finish("the-code", store)
    assert store.get(globus_auth.KEYRING_ACCOUNT) is None


def test_the_stored_sign_in_drives_the_globus_transport(mock, store):
    signed_in(mock, store)
    globus.register_client_factory(None)  # as at a fresh program start
    with pytest.raises(TransferError, match="Sign in to Globus first"):
        globus.GlobusTransport(COLLECTION)._transfer_client()
    assert globus_auth.install_stored_login(store) is not None
    load_response("transfer.get_submission_id", requests_mock=mock)
    client = globus.GlobusTransport(COLLECTION)._transfer_client()
    assert client.get_submission_id()["value"] == SUBMISSION_ID
    assert get_last_request(requests_mock=mock).headers["Authorization"] == f"Bearer {TRANSFER_TOKEN}"


def test_an_expired_access_token_is_refreshed_and_the_new_one_kept(mock, store):
    login = signed_in(mock, store)
    expired = globus_auth.StoredLogin(
        refresh_token=login.refresh_token,
        access_token="old-token",
        expires_at=int(time.time()) - 60,
        client_id=login.client_id,
        identity=login.identity,
    )
    store.set(globus_auth.KEYRING_ACCOUNT, expired.to_json())
    refreshed = {
        "access_token": "fresh-token",
        "scope": "urn:globus:auth:scope:transfer.api.globus.org:all",
        "expires_in": 172800,
        "token_type": "Bearer",
        "resource_server": "transfer.api.globus.org",
        "refresh_token": "rotated-refresh-token",
        "other_tokens": [],
    }
    mock.replace(responses.POST, "https://auth.globus.org/v2/oauth2/token", json=refreshed)
    load_response("transfer.get_submission_id", requests_mock=mock)
    assert globus_auth.install_stored_login(store) is not None
    client = globus.GlobusTransport(COLLECTION)._transfer_client()
    assert client.get_submission_id()["value"] == SUBMISSION_ID
    assert get_last_request(requests_mock=mock).headers["Authorization"] == "Bearer fresh-token"
    refresh_call = [c.request for c in mock.calls if c.request.url.endswith("/v2/oauth2/token")][-1]
    assert parse_qs(refresh_call.body)["grant_type"] == ["refresh_token"]
    kept = globus_auth.load_login(store)
    assert kept is not None
    assert (kept.access_token, kept.refresh_token) == ("fresh-token", "rotated-refresh-token")
    assert kept.identity == login.identity


def test_sign_out_revokes_then_deletes_the_tokens_and_uninstalls_the_factory(mock, store):
    signed_in(mock, store)
    revoke = load_response("auth.oauth2_revoke_token", requests_mock=mock)
    result = globus_auth.sign_out(store)
    assert result.was_signed_in and result.revoked
    assert isinstance(revoke, RegisteredResponse)
    revoked = [parse_qs(c.request.body)["token"][0] for c in mock.calls if c.request.url == revoke.full_url]
    assert revoked == [REFRESH_TOKEN, TRANSFER_TOKEN]
    assert store.get(globus_auth.KEYRING_ACCOUNT) is None
    assert globus_auth.login_status(store).signed_in is False
    with pytest.raises(TransferError, match="Sign in to Globus first"):
        globus.GlobusTransport(COLLECTION)._transfer_client()
    assert globus_auth.sign_out(store).was_signed_in is False


def test_sign_out_still_deletes_when_globus_cannot_be_reached(mock, store):
    signed_in(mock, store)
    mock.add(responses.POST, "https://auth.globus.org/v2/oauth2/token/revoke", body=requests.ConnectionError("offline"))
    result = globus_auth.sign_out(store)
    assert result.was_signed_in and not result.revoked
    assert globus_auth.CONSENTS_PAGE in result.message
    assert store.get(globus_auth.KEYRING_ACCOUNT) is None


def test_a_damaged_stored_value_counts_as_signed_out(store):
    store.set(globus_auth.KEYRING_ACCOUNT, "{not json")
    assert globus_auth.load_login(store) is None
    assert globus_auth.install_stored_login(store) is None
    assert globus_auth.sign_out(store).was_signed_in  # the unreadable value is removed all the same
    assert store.get(globus_auth.KEYRING_ACCOUNT) is None


def test_an_id_token_for_another_client_is_not_trusted_for_the_name(mock, store):
    flow = globus_auth.start_login()
    answer = token_answer()
    answer_json = answer.json
    assert isinstance(answer_json, dict)
    answer_json["id_token"] = id_token(aud="someone-else", preferred_username="mallory@example.org")
    answer.add(requests_mock=mock)
    RegisteredResponse(
        service="auth", path="/v2/oauth2/userinfo", json={"sub": "abc", "preferred_username": "jane@globusid.org"}
    ).add(requests_mock=mock)
    assert flow.finish("the-code", store).identity.username == "jane@globusid.org"


def test_the_status_never_carries_a_token(mock, store):
    signed_in(mock, store, [COLLECTION])
    status = globus_auth.login_status(store)
    assert status.configured and status.signed_in and not status.persistent and status.notice
    assert REFRESH_TOKEN not in repr(status) and TRANSFER_TOKEN not in repr(status)

