"""The Accounts window's Globus sign-in: browser hand-off, pasted code, background exchange, sign-out.

Globus's answers are globus-sdk's recorded ones (see tests/domain/transfer/test_globus_auth.py);
the "browser" is a URL handler registered with QDesktopServices for https, so no browser starts.
"""

from __future__ import annotations

import json
import threading

import pytest
import responses
from globus_sdk.testing import load_response
from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices

from bioimage_depositor.domain.archives import session as archive_session
from bioimage_depositor.domain.archives.session import shared_secret_store
from bioimage_depositor.domain.transfer import globus, globus_auth
from bioimage_depositor.ui.accounts_dialog import AccountsDialog, saved_globus_identity
from bioimage_depositor.ui.background import default_runner
from tests.domain.transfer.test_globus_auth import CLIENT_ID, COLLECTION, REFRESH_TOKEN, token_answer
from tests.ui.test_responsiveness import Heartbeat


class Browser(QObject):
    """Receives the addresses the window asks the desktop to open."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.append(url.toString())


@pytest.fixture
def browser():
    receiver = Browser()
    QDesktopServices.setUrlHandler("https", receiver, "open")
    yield receiver
    QDesktopServices.unsetUrlHandler("https")


@pytest.fixture
def mock():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture(autouse=True)
def fresh_session(monkeypatch):
    monkeypatch.setattr(archive_session, "_shared_store", None)
    monkeypatch.setenv(globus_auth.CLIENT_ID_ENV, CLIENT_ID)
    yield
    globus.register_client_factory(None)


def open_dialog(qtbot, **options) -> AccountsDialog:
    window = AccountsDialog(**options)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: not window.busy and window.globus_login is not None, timeout=10_000)
    return window


def finish(qtbot, window: AccountsDialog) -> None:
    qtbot.waitUntil(lambda: not window.busy, timeout=20_000)
    assert default_runner().wait_for_done(10_000)


def test_sign_in_opens_the_browser_exchanges_the_code_and_shows_who(qtbot, browser, mock):
    window = open_dialog(qtbot, globus_collections=[COLLECTION])
    assert "Not signed in to Globus" in window.globus_signin_label.text()
    assert window.globus_sign_in_button.isEnabled() and not window.globus_sign_out_button.isEnabled()
    window.globus_sign_in_button.click()
    assert len(browser.opened) == 1 and browser.opened[0].startswith("https://auth.globus.org/v2/oauth2/authorize")
    assert COLLECTION in QUrl(browser.opened[0]).query(QUrl.ComponentFormattingOption.FullyDecoded)
    assert window.globus_code_box.isVisible() and "sign-in page" in window.globus_url_label.text()

    # Globus answers only when the test lets it: meanwhile the window must stay responsive
    gate = threading.Event()
    answer = token_answer().json

    def slow_token_endpoint(request):
        gate.wait(20)
        return 200, {"Content-Type": "application/json"}, json.dumps(answer)

    mock.add_callback(responses.POST, "https://auth.globus.org/v2/oauth2/token", callback=slow_token_endpoint)
    window.globus_code_edit.setText("the-code")
    heartbeat = Heartbeat()
    window.globus_finish_button.click()
    qtbot.wait(300)
    assert window.busy and not window.globus_finish_button.isEnabled()
    assert "Signing in to Globus" in window.globus_signin_status.text()
    assert heartbeat.longest < 250  # ms; generous on a loaded machine, far below the gated exchange
    with qtbot.waitSignal(window.accounts_changed, timeout=20_000):
        gate.set()
    heartbeat.timer.stop()
    finish(qtbot, window)
    assert "Signed in to Globus as Jane Doe (jane@globusid.org)" in window.globus_signin_label.text()
    assert "for this session only" in window.globus_signin_label.text()
    assert window.notice_frame.isVisible()  # the fail keyring: the session-only notice
    assert not window.globus_code_box.isVisible() and window.globus_sign_out_button.isEnabled()
    assert window.globus_edit.text() == "jane@globusid.org" == saved_globus_identity()
    kept = json.loads(shared_secret_store().get(globus_auth.KEYRING_ACCOUNT))
    assert kept["refresh_token"] == REFRESH_TOKEN
    assert REFRESH_TOKEN not in window.globus_signin_label.text()

    load_response("transfer.get_submission_id", requests_mock=mock)
    client = globus.GlobusTransport(COLLECTION)._transfer_client()  # the window installed the sign-in
    assert client.get_submission_id()["value"]

    load_response("auth.oauth2_revoke_token", requests_mock=mock)
    with qtbot.waitSignal(window.accounts_changed, timeout=20_000):
        window.globus_sign_out_button.click()
    finish(qtbot, window)
    assert "Signed out of Globus" in window.globus_signin_status.text()
    assert "Not signed in to Globus" in window.globus_signin_label.text()
    assert not window.globus_sign_out_button.isEnabled()
    assert shared_secret_store().get(globus_auth.KEYRING_ACCOUNT) is None


def test_a_bad_code_is_explained_and_can_be_corrected(qtbot, browser, mock):
    window = open_dialog(qtbot)
    window.globus_sign_in_button.click()
    window.globus_finish_button.click()  # nothing pasted yet
    assert "Paste the code" in window.globus_signin_status.text()
    load_response("auth.oauth2_exchange_code_for_tokens", case="invalid_grant", requests_mock=mock)
    window.globus_code_edit.setText("typo")
    window.globus_finish_button.click()
    finish(qtbot, window)
    assert "did not accept that code" in window.globus_signin_status.text()
    assert "Nothing was stored" in window.globus_signin_status.text()
    assert window.globus_code_box.isVisible() and window.globus_finish_button.isEnabled()
    assert shared_secret_store().get(globus_auth.KEYRING_ACCOUNT) is None

    mock.replace(responses.POST, "https://auth.globus.org/v2/oauth2/token", json=token_answer().json)
    window.globus_code_edit.setText("the-right-code")
    window.globus_finish_button.click()
    finish(qtbot, window)
    assert "Signed in to Globus as" in window.globus_signin_label.text()


def test_without_a_registered_client_id_the_window_says_so(qtbot, browser, monkeypatch):
    monkeypatch.delenv(globus_auth.CLIENT_ID_ENV)
    window = open_dialog(qtbot)
    assert globus_auth.CLIENT_ID_ENV in window.globus_signin_label.text()
    assert "register" in window.globus_signin_label.text()
    assert not window.globus_sign_in_button.isEnabled()
    window.start_globus_sign_in()  # reached another way: still refused, plainly, no browser
    assert browser.opened == [] and globus_auth.CLIENT_ID_ENV in window.globus_signin_status.text()
