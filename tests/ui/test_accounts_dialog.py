"""The Accounts window against the archive stand-ins: sign-in, token check, the keyring, nothing blocking."""

from __future__ import annotations

from pathlib import Path

import pytest

from bioimage_depositor import paths
from bioimage_depositor.domain.archives import session as archive_session
from bioimage_depositor.domain.archives.session import (
    EMPIAR_KEYRING_ACCOUNT,
    Servers,
    bia_keyring_account,
    shared_secret_store,
)
from bioimage_depositor.domain.archives.uploads import UploadRoots
from bioimage_depositor.ui.accounts_dialog import AccountsDialog, saved_bia_login, saved_globus_identity
from bioimage_depositor.ui.background import default_runner
from tests.standins.biostudies import BioStudiesStandin
from tests.standins.empiar import EmpiarStandin
from tests.standins.http_base import Fault
from tests.standins.scenario import BIA_LOGIN, BIA_PASSWORD
from tests.ui.test_responsiveness import Heartbeat


@pytest.fixture(autouse=True)
def fresh_secret_store(monkeypatch: pytest.MonkeyPatch) -> None:
    # The store of this "session" (the fail keyring keeps secrets in the store object): one per test.
    monkeypatch.setattr(archive_session, "_shared_store", None)


@pytest.fixture
def archives(tmp_path: Path):
    bia = BioStudiesStandin(tmp_path / "biostudies").start()
    empiar = EmpiarStandin(tmp_path / "empiar").start()
    user = bia.add_user(BIA_LOGIN, BIA_PASSWORD)
    token = empiar.add_user("jsmith")
    yield bia, empiar, user, token
    bia.stop()
    empiar.stop()


@pytest.fixture
def dialog(qtbot, archives):
    bia, empiar, _user, _token = archives
    servers = Servers(bia.url, empiar.url, UploadRoots(bia.upload_root, empiar.upload_root))
    window = AccountsDialog(servers=servers)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: not window.busy and window.stored is not None, timeout=10_000)
    yield window
    qtbot.waitUntil(lambda: not window.busy, timeout=20_000)
    assert default_runner().wait_for_done(10_000)


def settings_bytes() -> bytes:
    path = paths.config_dir() / "ui.ini"
    return path.read_bytes() if path.exists() else b""


def sign_in(qtbot, dialog: AccountsDialog, login: str, password: str) -> None:
    dialog.email_edit.setText(login)
    dialog.password_edit.setText(password)
    dialog.sign_in_button.click()
    qtbot.waitUntil(lambda: not dialog.busy and dialog.sign_in_button.isEnabled(), timeout=20_000)


def test_the_fail_keyring_is_announced_as_session_only(dialog) -> None:
    assert dialog.stored is not None and not dialog.stored.persistent
    assert dialog.notice_frame.isVisible()
    assert "kept for this session only" in dialog.session_notice.text()
    assert "will be asked for again" in dialog.session_notice.text()


def test_sign_in_shows_the_account_and_keeps_the_password_in_the_store_only(qtbot, dialog, archives) -> None:
    _bia, _empiar, user, _token = archives
    with qtbot.waitSignal(dialog.accounts_changed, timeout=20_000):
        dialog.email_edit.setText(BIA_LOGIN)
        dialog.password_edit.setText(BIA_PASSWORD)
        dialog.sign_in_button.click()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=20_000)
    text = dialog.bia_status.text()
    assert f"Signed in as jane.smith ({BIA_LOGIN})" in text
    assert f"Upload type: {user.upload_type.upper()}" in text
    assert "Private upload folder: assigned (not shown" in text
    assert "kept for this session only" in text
    assert user.secret not in text and BIA_PASSWORD not in text
    assert dialog.password_edit.text() == ""  # the field does not keep the secret either
    assert shared_secret_store().get(bia_keyring_account(BIA_LOGIN)) == BIA_PASSWORD
    assert saved_bia_login() == BIA_LOGIN
    assert BIA_PASSWORD.encode() not in settings_bytes() and user.secret.encode() not in settings_bytes()
    assert "stored" in dialog.password_edit.placeholderText() or "kept" in dialog.password_edit.placeholderText()
    assert dialog.forget_password_button.isEnabled()

    dialog.forget_password_button.click()
    qtbot.waitUntil(lambda: not dialog.busy and "forgotten" in dialog.bia_status.text(), timeout=10_000)
    assert shared_secret_store().get(bia_keyring_account(BIA_LOGIN)) is None
    assert not dialog.forget_password_button.isEnabled()


def test_a_wrong_password_is_explained_and_nothing_is_kept(qtbot, dialog) -> None:
    sign_in(qtbot, dialog, BIA_LOGIN, "not-my-password-77")
    text = dialog.bia_status.text()
    assert "did not accept this e-mail address and password" in text and "Nothing was stored." in text
    assert "not-my-password-77" not in text and "Traceback" not in text
    assert dialog.bia_status.objectName() == "problemText"
    assert shared_secret_store().get(bia_keyring_account(BIA_LOGIN)) is None
    assert saved_bia_login() == ""


def test_missing_input_is_asked_for_before_anything_is_sent(qtbot, dialog, archives) -> None:
    bia = archives[0]
    dialog.email_edit.setText("not an address")
    dialog.sign_in_button.click()
    assert "Type the e-mail address" in dialog.bia_status.text()
    dialog.email_edit.setText(BIA_LOGIN)
    dialog.sign_in_button.click()
    assert "Type the password" in dialog.bia_status.text()
    dialog.check_token_button.click()
    assert "Paste the API token" in dialog.empiar_status.text()
    assert bia.server.log == []


def test_token_check_accepts_a_good_token_and_refuses_a_bad_one(qtbot, dialog, archives) -> None:
    _bia, empiar, _user, token = archives
    dialog.token_edit.setText("0123456789abcdef-wrong")
    dialog.check_token_button.click()
    qtbot.waitUntil(lambda: not dialog.busy and dialog.check_token_button.isEnabled(), timeout=20_000)
    assert "EMPIAR did not accept the API token" in dialog.empiar_status.text()
    assert "Nothing was stored." in dialog.empiar_status.text()
    assert shared_secret_store().get(EMPIAR_KEYRING_ACCOUNT) is None

    dialog.token_edit.setText(f"  {token}\n")  # pasted with stray white space
    dialog.check_token_button.click()
    qtbot.waitUntil(lambda: not dialog.busy and dialog.check_token_button.isEnabled(), timeout=20_000)
    assert "EMPIAR accepted the token." in dialog.empiar_status.text()
    assert token not in dialog.empiar_status.text()
    assert shared_secret_store().get(EMPIAR_KEYRING_ACCOUNT) == token
    assert token.encode() not in settings_bytes()
    assert any(entry.path.endswith("/deposit_entry/") for entry in empiar.server.log)

    dialog.forget_token_button.click()
    qtbot.waitUntil(lambda: not dialog.busy and "forgotten" in dialog.empiar_status.text(), timeout=10_000)
    assert shared_secret_store().get(EMPIAR_KEYRING_ACCOUNT) is None


def test_globus_is_explained_and_the_identity_is_kept_as_a_setting(qtbot, dialog) -> None:
    text = dialog.globus_status_label.text()
    assert "Globus Connect Personal is" in text or "Globus support is not installed" in text
    dialog.globus_edit.setText("jane@globusid.org")
    with qtbot.waitSignal(dialog.accounts_changed, timeout=5_000):
        dialog.globus_edit.editingFinished.emit()
    assert saved_globus_identity() == "jane@globusid.org"


def test_a_slow_archive_never_stalls_the_window(qtbot, dialog, archives) -> None:
    bia = archives[0]
    delay = bia.server.faults.add(Fault("POST", "/auth/login", "delay", seconds=2.5))
    heartbeat = Heartbeat()
    sign_in(qtbot, dialog, BIA_LOGIN, BIA_PASSWORD)
    heartbeat.timer.stop()
    assert delay.times == 0, "the sign-in went through the slow server"
    assert "Signed in as" in dialog.bia_status.text()
    # A sign-in on the UI thread would stall it for the whole 2.5 s; the guard is generous for a loaded machine.
    assert heartbeat.longest < 1_200, f"the event loop stalled for {heartbeat.longest} ms"
