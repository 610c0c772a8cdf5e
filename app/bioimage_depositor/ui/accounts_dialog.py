"""The Accounts window: the three sign-ins a deposition needs, each explained, tested and kept in the keyring.

* BioImage Archive: the e-mail and password of the user's BioStudies account.
  "Sign in" tests them against the BIA API and shows who signed in, the upload
  type and whether the private upload folder (the "secret directory") was
  given, without ever showing that folder.
* EMPIAR: an API token made on the EMPIAR website; "Check token" asks EMPIAR
  whether it accepts it.
* Globus: "Sign in to Globus…" opens Globus's sign-in page in the browser;
  the user pastes back the code Globus shows, the window exchanges it in the
  background (:mod:`~..domain.transfer.globus_auth`), keeps the refresh token
  in the keyring and shows who signed in. The window also says whether Globus
  Connect Personal is set up on this computer (read from its local files, no
  network) and keeps the Globus identity EMPIAR shares upload folders with.
  When the program has no registered Globus client id, it says so instead.

Secrets go to the keyring through the program's one
:func:`~..domain.archives.session.shared_secret_store` and nowhere else (not the
draft, the settings file or the log). When no keyring works, the window says
plainly that they are kept for this session only. The e-mail address and the
Globus identity are not secrets and live in the settings file. Every keyring
and network call runs off the UI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..domain.archives.errors import ArchiveError
from ..domain.archives.session import (
    BIA_ACCOUNT_PAGE,
    EMPIAR_KEYRING_ACCOUNT,
    EMPIAR_TOKEN_PAGE,
    GLOBUS_PERSONAL_PAGE,
    BiaAccount,
    GlobusStatus,
    Servers,
    bia_keyring_account,
    check_bia_account,
    check_empiar_token,
    globus_status,
    shared_secret_store,
)
from ..domain.transfer import globus_auth
from ..domain.transfer.transport import TransferError
from .background import run_in_background
from .settings import ui_settings

log = logging.getLogger(__name__)

BIA_LOGIN_KEY = "accounts/bia_login"
GLOBUS_IDENTITY_KEY = "accounts/globus_identity"

SESSION_ONLY_TEXT = (
    "No system keyring is available on this computer, so passwords and tokens are kept for this session only: "
    "they are forgotten when the program closes and will be asked for again next time."
)


def saved_bia_login() -> str:
    """The BIA e-mail address chosen on this window ("" when none)."""
    return str(ui_settings().value(BIA_LOGIN_KEY, "") or "").strip()


def saved_globus_identity() -> str:
    """The Globus identity typed on this window ("" when none)."""
    return str(ui_settings().value(GLOBUS_IDENTITY_KEY, "") or "").strip()


@dataclass(frozen=True)
class StoredSecrets:
    """Which secrets the store holds (never the secrets themselves), and where it keeps them."""

    persistent: bool
    bia_password: bool
    empiar_token: bool


def read_stored_secrets(login: str) -> StoredSecrets:
    """Look in the store (blocking: call in a worker)."""
    store = shared_secret_store()
    has_password = bool(login) and store.get(bia_keyring_account(login)) is not None
    has_token = store.get(EMPIAR_KEYRING_ACCOUNT) is not None
    return StoredSecrets(store.persistent, has_password, has_token)


def read_globus_login() -> globus_auth.LoginStatus:
    """The Globus sign-in, installed for Globus targets when one is stored (blocking: call in a worker)."""
    globus_auth.install_stored_login()
    return globus_auth.login_status()


def error_sentence(error: BaseException, action: str) -> str:
    """What to tell the user about a failed check (never a traceback, never a secret)."""
    if isinstance(error, ArchiveError):
        return str(error)
    log.error("%s failed: %s", action, type(error).__name__)
    return f"{action.capitalize()} failed because of an unexpected problem ({type(error).__name__}); see the log."


def _help(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("helpLabel")
    label.setWordWrap(True)
    label.setOpenExternalLinks(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
    return label


def _status() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


class AccountsDialog(QDialog):
    """Sign in to the archives and keep the credentials in the keyring.

    Signals
    -------
    accounts_changed()
        A credential was stored or forgotten, or the e-mail address or Globus identity changed.

    Parameters
    ----------
    servers
        Where the archives are; ``None`` reads the environment at every check (production by default).
    globus_collections
        GCSv5 collection ids whose data-access consent the Globus sign-in asks for (e.g. the archive's).
    """

    accounts_changed = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        servers: Servers | None = None,
        globus_collections: Sequence[str] = (),
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Accounts")
        self.setObjectName("accountsDialog")
        self._servers = servers
        self._stored: StoredSecrets | None = None
        self._checks = 0  # background checks in flight
        self._globus_collections = tuple(globus_collections)
        self._globus_flow: globus_auth.LoginFlow | None = None
        self._globus_login: globus_auth.LoginStatus | None = None

        intro = QLabel(
            "Each archive uses its own credential. Passwords and tokens are kept in your system's keyring, never "
            "in drafts, exports, logs or settings."
        )
        intro.setWordWrap(True)
        self.session_notice = QLabel(SESSION_ONLY_TEXT)
        self.session_notice.setWordWrap(True)
        notice_frame = QFrame()
        notice_frame.setObjectName("noticeBanner")
        notice_layout = QVBoxLayout(notice_frame)
        notice_layout.setContentsMargins(12, 8, 12, 8)
        notice_layout.addWidget(self.session_notice)
        self.notice_frame = notice_frame
        notice_frame.hide()

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(notice_frame)
        layout.addWidget(self._bia_group())
        layout.addWidget(self._empiar_group())
        layout.addWidget(self._globus_group())
        layout.addStretch(1)  # extra height goes here, not into the wrapped labels
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)
        # Wrapped explanations need width; a narrow window would squash them into unreadable lines.
        self.setMinimumWidth(620)

        self.email_edit.setText(saved_bia_login())
        self.globus_edit.setText(saved_globus_identity())

    # ------------------------------------------------------------ layout

    def _bia_group(self) -> QGroupBox:
        group = QGroupBox("BioImage Archive: your BioStudies account")
        self.email_edit = QLineEdit()
        self.email_edit.setPlaceholderText("name@example.org")
        self.email_edit.setAccessibleName("BioStudies e-mail address")
        self.email_edit.textEdited.connect(self._on_email_edit_text_edited)
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setAccessibleName("BioStudies password")
        self.password_edit.returnPressed.connect(self.sign_in)
        self.sign_in_button = QPushButton("&Sign in")
        self.sign_in_button.setToolTip("Check the e-mail address and password with the BioImage Archive and keep them")
        self.sign_in_button.clicked.connect(self.sign_in)
        self.forget_password_button = QPushButton("&Forget password")
        self.forget_password_button.clicked.connect(self.forget_password)
        self.bia_status = _status()
        form = QFormLayout()
        form.addRow("&E-mail address", self.email_edit)
        form.addRow("&Password", self.password_edit)
        row = QHBoxLayout()
        row.addWidget(self.sign_in_button)
        row.addWidget(self.forget_password_button)
        row.addStretch(1)
        box = QVBoxLayout(group)
        box.addWidget(
            _help(
                "The e-mail address and password you use at "
                f"<a href='{BIA_ACCOUNT_PAGE}'>BioStudies submissions</a> (where the password can be reset). "
                "Signing in gives the program a session and the address of your private upload folder, the "
                "“secret directory” only you can write to. The password is kept; the folder is fetched again at "
                "every sign-in and never stored or shown."
            )
        )
        box.addLayout(form)
        box.addLayout(row)
        box.addWidget(self.bia_status)
        return group

    def _empiar_group(self) -> QGroupBox:
        group = QGroupBox("EMPIAR: API token")
        self.token_edit = QLineEdit()
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_edit.setAccessibleName("EMPIAR API token")
        self.token_edit.returnPressed.connect(self.check_token)
        self.check_token_button = QPushButton("C&heck token")
        self.check_token_button.setToolTip("Ask EMPIAR whether it accepts the token, then keep it")
        self.check_token_button.clicked.connect(self.check_token)
        self.forget_token_button = QPushButton("Forget to&ken")
        self.forget_token_button.clicked.connect(self.forget_token)
        self.empiar_status = _status()
        form = QFormLayout()
        form.addRow("API &token", self.token_edit)
        row = QHBoxLayout()
        row.addWidget(self.check_token_button)
        row.addWidget(self.forget_token_button)
        row.addStretch(1)
        box = QVBoxLayout(group)
        box.addWidget(
            _help(
                "Not your EMPIAR password: a long code you create at "
                f"<a href='{EMPIAR_TOKEN_PAGE}'>empiar.org/deposition/api_token</a> while signed in to EMPIAR. "
                "Paste it here; the program sends it with every EMPIAR request to create and submit your entries."
            )
        )
        box.addLayout(form)
        box.addLayout(row)
        box.addWidget(self.empiar_status)
        return group

    def _globus_group(self) -> QGroupBox:
        group = QGroupBox("Globus: transfers of EMPIAR data")
        self.globus_status_label = QLabel("Looking for Globus Connect Personal…")
        self.globus_status_label.setWordWrap(True)
        self.globus_status_label.setOpenExternalLinks(True)
        self.globus_status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.globus_signin_label = QLabel("Looking for a Globus sign-in…")
        self.globus_signin_label.setWordWrap(True)
        self.globus_signin_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.globus_sign_in_button = QPushButton("Sign in to Gl&obus…")
        self.globus_sign_in_button.setToolTip("Open Globus's sign-in page in your web browser")
        self.globus_sign_in_button.setEnabled(False)  # until the stored sign-in has been read
        self.globus_sign_in_button.clicked.connect(self.start_globus_sign_in)
        self.globus_sign_out_button = QPushButton("Sign o&ut of Globus")
        self.globus_sign_out_button.setEnabled(False)
        self.globus_sign_out_button.clicked.connect(self.sign_out_of_globus)
        # shown while a sign-in waits for the code Globus displays
        self.globus_url_label = _help("")
        self.globus_code_edit = QLineEdit()
        self.globus_code_edit.setAccessibleName("Globus sign-in code")
        self.globus_code_edit.setPlaceholderText("paste the code Globus shows after you sign in")
        self.globus_code_edit.returnPressed.connect(self.finish_globus_sign_in)
        self.globus_finish_button = QPushButton("Fi&nish sign-in")
        self.globus_finish_button.clicked.connect(self.finish_globus_sign_in)
        code_row = QHBoxLayout()
        code_row.setContentsMargins(0, 0, 0, 0)
        code_row.addWidget(self.globus_code_edit, 1)
        code_row.addWidget(self.globus_finish_button)
        self.globus_code_box = QWidget()
        code_box = QVBoxLayout(self.globus_code_box)
        code_box.setContentsMargins(0, 0, 0, 0)
        code_box.addWidget(self.globus_url_label)
        code_box.addLayout(code_row)
        self.globus_code_box.hide()
        self.globus_signin_status = _status()
        self.globus_edit = QLineEdit()
        self.globus_edit.setPlaceholderText("name@globusid.org (optional)")
        self.globus_edit.setAccessibleName("Globus identity")
        self.globus_edit.editingFinished.connect(self._on_globus_edit_editing_finished)
        form = QFormLayout()
        form.addRow("&Globus identity", self.globus_edit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.globus_sign_in_button)
        buttons.addWidget(self.globus_sign_out_button)
        buttons.addStretch(1)
        box = QVBoxLayout(group)
        box.addWidget(
            _help(
                "EMPIAR data travel with Globus: Globus Connect Personal on this computer sends them, and the "
                "program starts and watches the Globus transfer in your name once you sign in to Globus here. "
                "Signing in opens Globus's page in your web browser; afterwards Globus shows a code to paste "
                "below. EMPIAR shares each entry's upload folder with the Globus identity below."
            )
        )
        box.addWidget(self.globus_status_label)
        box.addWidget(self.globus_signin_label)
        box.addLayout(buttons)
        box.addWidget(self.globus_code_box)
        box.addWidget(self.globus_signin_status)
        box.addLayout(form)
        return group

    # ------------------------------------------------------------ state

    def showEvent(self, event: QShowEvent) -> None:
        """Read what the keyring holds (in the background) every time the window opens."""
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        """Show which secrets are stored and whether Globus Connect Personal is set up (background)."""
        login = self.email_edit.text().strip()
        self._start_check()
        run_in_background(lambda: read_stored_secrets(login), self._on_stored_read, self._on_stored_failed)
        self._start_check()
        run_in_background(globus_status, self._on_globus_read, self._on_globus_failed)
        self._start_check()
        run_in_background(read_globus_login, self._on_globus_login_read, self._on_globus_login_failed)

    @property
    def stored(self) -> StoredSecrets | None:
        """What the store held at the last look (``None`` before the first one ends)."""
        return self._stored

    @property
    def busy(self) -> bool:
        """Whether a check or a keyring call is still running."""
        return self._checks > 0

    def _start_check(self) -> None:
        self._checks += 1

    def _end_check(self) -> None:
        self._checks = max(0, self._checks - 1)

    def _on_stored_read(self, stored: StoredSecrets) -> None:
        self._end_check()
        self._stored = stored
        self.notice_frame.setVisible(not stored.persistent)
        place = "in the system keyring" if stored.persistent else "for this session only"
        self.password_edit.setPlaceholderText(
            f"kept {place}; type a new one to change it" if stored.bia_password else ""
        )
        self.token_edit.setPlaceholderText(f"kept {place}; paste a new one to change it" if stored.empiar_token else "")
        self.forget_password_button.setEnabled(stored.bia_password)
        self.forget_token_button.setEnabled(stored.empiar_token)

    def _on_stored_failed(self, error: BaseException) -> None:
        self._end_check()
        self._show(self.bia_status, error_sentence(error, "reading the keyring"), error=True)

    def _on_globus_read(self, status: GlobusStatus) -> None:
        self._end_check()
        if status.installed:
            text = f"Globus Connect Personal is set up on this computer (collection {status.collection_id})."
        elif not status.sdk_available:
            text = "Globus support is not installed with this copy of the program."
        else:
            text = (
                "Globus Connect Personal is not set up on this computer. To send EMPIAR data from here, install it "
                f"from <a href='{GLOBUS_PERSONAL_PAGE}'>globus.org</a> and sign in to it once."
            )
        self.globus_status_label.setText(text)

    def _on_globus_failed(self, error: BaseException) -> None:
        self._end_check()
        self.globus_status_label.setText(error_sentence(error, "looking for Globus Connect Personal"))

    def _show(self, label: QLabel, text: str, *, error: bool = False) -> None:
        label.setObjectName("problemText" if error else "")
        label.style().unpolish(label)
        label.style().polish(label)
        label.setText(text)
        label.setVisible(bool(text))

    def _servers_now(self) -> Servers:
        return self._servers or Servers.from_environment()

    def _on_email_edit_text_edited(self, _text: str) -> None:
        self.bia_status.hide()

    def _on_globus_edit_editing_finished(self) -> None:
        identity = self.globus_edit.text().strip()
        if identity != saved_globus_identity():
            ui_settings().setValue(GLOBUS_IDENTITY_KEY, identity)
            self.accounts_changed.emit()

    # ------------------------------------------------------------ BioImage Archive

    def sign_in(self) -> None:
        """Test the e-mail address and password with the BIA; keep them when they work."""
        if not self.sign_in_button.isEnabled():
            return
        login = self.email_edit.text().strip()
        password = self.password_edit.text()
        if "@" not in login:
            self._show(self.bia_status, "Type the e-mail address of your BioStudies account.", error=True)
            self.email_edit.setFocus()
            return
        stored_for_login = self._stored is not None and self._stored.bia_password and login == saved_bia_login()
        if not password and not stored_for_login:
            self._show(self.bia_status, "Type the password of your BioStudies account.", error=True)
            self.password_edit.setFocus()
            return
        previous = saved_bia_login()
        api = self._servers_now().bia_api

        def work() -> tuple[BiaAccount, bool]:
            store = shared_secret_store()
            secret = password or store.get(bia_keyring_account(login))
            if not secret:
                raise ArchiveError(
                    "auth.missing", "Type the password of your BioStudies account.", permanent=True, archive="BIA"
                )
            account = check_bia_account(login, secret, api)
            store.set(bia_keyring_account(login), secret)
            if previous and previous.casefold() != login.casefold():
                store.delete(bia_keyring_account(previous))  # one BIA account at a time; no stale secrets
            return account, store.persistent

        self._set_bia_busy(True)
        self._show(self.bia_status, "Signing in…")
        self._start_check()
        run_in_background(work, self._on_signed_in, self._on_sign_in_failed)

    def _set_bia_busy(self, busy: bool) -> None:
        self.sign_in_button.setEnabled(not busy)
        self.forget_password_button.setEnabled(not busy and bool(self._stored and self._stored.bia_password))
        self.email_edit.setReadOnly(busy)

    def _on_signed_in(self, result: tuple[BiaAccount, bool]) -> None:
        self._end_check()
        account, persistent = result
        self._set_bia_busy(False)
        ui_settings().setValue(BIA_LOGIN_KEY, account.email)
        self.email_edit.setText(account.email)
        self.password_edit.clear()
        name = account.username or account.email
        folder = (
            "assigned (not shown: anyone who knows it could write to it)"
            if account.has_upload_folder
            else "missing; ask biostudies@ebi.ac.uk"
        )
        kept = "in the system keyring" if persistent else "for this session only (no system keyring)"
        self._show(
            self.bia_status,
            f"Signed in as {name} ({account.email}).\nUpload type: {account.upload_type.upper()}.\n"
            f"Private upload folder: {folder}.\nThe password is kept {kept}.",
        )
        self.accounts_changed.emit()
        self.refresh()

    def _on_sign_in_failed(self, error: BaseException) -> None:
        self._end_check()
        self._set_bia_busy(False)
        text = error_sentence(error, "signing in")
        self._show(self.bia_status, f"{text} Nothing was stored.", error=True)

    def forget_password(self) -> None:
        """Remove the stored BIA password (the e-mail address stays, so signing in again is quick)."""
        login = self.email_edit.text().strip() or saved_bia_login()
        if not login:
            return

        def work() -> None:
            shared_secret_store().delete(bia_keyring_account(login))

        self._set_bia_busy(True)
        self._start_check()
        run_in_background(work, self._on_password_forgotten, self._on_forget_failed)

    def _on_password_forgotten(self, _result: object) -> None:
        self._end_check()
        self._set_bia_busy(False)
        self._show(self.bia_status, "The BioImage Archive password is forgotten.")
        self.accounts_changed.emit()
        self.refresh()

    def _on_forget_failed(self, error: BaseException) -> None:
        self._end_check()
        self._set_bia_busy(False)
        self._set_empiar_busy(False)
        self._show(self.bia_status, error_sentence(error, "forgetting"), error=True)

    # ------------------------------------------------------------ EMPIAR

    def check_token(self) -> None:
        """Ask EMPIAR whether it accepts the pasted (or stored) token; keep it when it does."""
        if not self.check_token_button.isEnabled():
            return
        token = "".join(self.token_edit.text().split())  # pasted tokens often carry spaces or line breaks
        if not token and not (self._stored and self._stored.empiar_token):
            self._show(self.empiar_status, f"Paste the API token from {EMPIAR_TOKEN_PAGE}.", error=True)
            self.token_edit.setFocus()
            return
        api = self._servers_now().empiar_api

        def work() -> tuple[int | None, bool]:
            store = shared_secret_store()
            secret = token or store.get(EMPIAR_KEYRING_ACCOUNT)
            if not secret:
                raise ArchiveError(
                    "auth.missing", f"Paste the API token from {EMPIAR_TOKEN_PAGE}.", permanent=True, archive="EMPIAR"
                )
            entries = check_empiar_token(secret, api)
            store.set(EMPIAR_KEYRING_ACCOUNT, secret)
            return entries, store.persistent

        self._set_empiar_busy(True)
        self._show(self.empiar_status, "Asking EMPIAR…")
        self._start_check()
        run_in_background(work, self._on_token_checked, self._on_token_failed)

    def _set_empiar_busy(self, busy: bool) -> None:
        self.check_token_button.setEnabled(not busy)
        self.forget_token_button.setEnabled(not busy and bool(self._stored and self._stored.empiar_token))

    def _on_token_checked(self, result: tuple[int | None, bool]) -> None:
        self._end_check()
        entries, persistent = result
        self._set_empiar_busy(False)
        self.token_edit.clear()
        listed = f" Your account has {entries} deposition entr{'y' if entries == 1 else 'ies'}." if entries else ""
        kept = "in the system keyring" if persistent else "for this session only (no system keyring)"
        self._show(self.empiar_status, f"EMPIAR accepted the token.{listed}\nThe token is kept {kept}.")
        self.accounts_changed.emit()
        self.refresh()

    def _on_token_failed(self, error: BaseException) -> None:
        self._end_check()
        self._set_empiar_busy(False)
        text = error_sentence(error, "checking the token")
        self._show(self.empiar_status, f"{text} Nothing was stored.", error=True)

    def forget_token(self) -> None:
        """Remove the stored EMPIAR token."""

        def work() -> None:
            shared_secret_store().delete(EMPIAR_KEYRING_ACCOUNT)

        self._set_empiar_busy(True)
        self._start_check()
        run_in_background(work, self._on_token_forgotten, self._on_forget_failed)

    def _on_token_forgotten(self, _result: object) -> None:
        self._end_check()
        self._set_empiar_busy(False)
        self._show(self.empiar_status, "The EMPIAR token is forgotten.")
        self.accounts_changed.emit()
        self.refresh()

    # ------------------------------------------------------------ Globus sign-in

    def _on_globus_login_read(self, status: globus_auth.LoginStatus) -> None:
        self._end_check()
        self._globus_login = status
        self._show_globus_login()

    def _on_globus_login_failed(self, error: BaseException) -> None:
        self._end_check()
        self.globus_signin_label.setText(error_sentence(error, "reading the Globus sign-in"))
        self.globus_sign_in_button.setEnabled(globus_auth.configured_client_id() is not None)

    def _show_globus_login(self) -> None:
        status = self._globus_login
        if status is None:
            return
        login = status.login
        if login is not None:
            kept = "in the system keyring" if status.persistent else "for this session only (no system keyring)"
            text = f"Signed in to Globus as {login.identity.display()}. The sign-in is kept {kept}."
        elif not status.configured:
            text = globus_auth.NOT_CONFIGURED
        else:
            text = "Not signed in to Globus."
        self.globus_signin_label.setText(text)
        busy = self._globus_busy
        self.globus_sign_in_button.setEnabled(status.configured and not busy)
        self.globus_sign_in_button.setText("Sign in to Gl&obus again…" if login else "Sign in to Gl&obus…")
        self.globus_sign_out_button.setEnabled(login is not None and not busy)

    @property
    def _globus_busy(self) -> bool:
        return not self.globus_finish_button.isEnabled()

    @property
    def globus_login(self) -> globus_auth.LoginStatus | None:
        """The Globus sign-in at the last look (``None`` before the first one ends)."""
        return self._globus_login

    def start_globus_sign_in(self) -> None:
        """Open Globus's sign-in page in the browser and wait for the code it shows."""
        try:
            self._globus_flow = globus_auth.start_login(self._globus_collections)
        except TransferError as error:
            self._show(self.globus_signin_status, str(error), error=True)
            return
        url = self._globus_flow.authorize_url
        opened = QDesktopServices.openUrl(QUrl(url))
        where = "Your web browser shows" if opened else "No web browser could be opened. Open"
        self.globus_url_label.setText(
            f"{where} <a href='{url}'>Globus's sign-in page</a>. Sign in there, approve the access the program "
            "asks for, then paste the code Globus shows here."
        )
        self.globus_code_edit.clear()
        self.globus_code_box.show()
        self.globus_signin_status.hide()
        self.globus_code_edit.setFocus()

    def finish_globus_sign_in(self) -> None:
        """Exchange the pasted code for tokens in the background and keep them."""
        flow = self._globus_flow
        if flow is None or self._globus_busy:
            return
        code = self.globus_code_edit.text()
        if not code.strip():
            self._show(self.globus_signin_status, "Paste the code Globus shows after you sign in.", error=True)
            self.globus_code_edit.setFocus()
            return

        def work() -> tuple[globus_auth.StoredLogin, globus_auth.LoginStatus]:
            login = flow.finish(code)
            return login, globus_auth.login_status()

        self._set_globus_busy(True)
        self._show(self.globus_signin_status, "Signing in to Globus…")
        self._start_check()
        run_in_background(work, self._on_globus_signed_in, self._on_globus_sign_in_failed)

    def _set_globus_busy(self, busy: bool) -> None:
        self.globus_finish_button.setEnabled(not busy)
        self.globus_code_edit.setReadOnly(busy)
        self._show_globus_login()

    def _on_globus_signed_in(self, result: tuple[globus_auth.StoredLogin, globus_auth.LoginStatus]) -> None:
        self._end_check()
        login, status = result
        self._globus_flow = None
        self._globus_login = status
        self.globus_code_edit.clear()
        self.globus_code_box.hide()
        self._set_globus_busy(False)
        self.globus_signin_status.hide()
        if login.identity.username and not self.globus_edit.text().strip():
            # the identity EMPIAR shares folders with is the one just signed in, unless the user chose another
            self.globus_edit.setText(login.identity.username)
            ui_settings().setValue(GLOBUS_IDENTITY_KEY, login.identity.username)
        self.notice_frame.setVisible(not status.persistent)
        self.accounts_changed.emit()

    def _on_globus_sign_in_failed(self, error: BaseException) -> None:
        self._end_check()
        self._set_globus_busy(False)
        text = str(error) if isinstance(error, TransferError) else error_sentence(error, "signing in to Globus")
        self._show(self.globus_signin_status, f"{text} Nothing was stored.", error=True)

    def sign_out_of_globus(self) -> None:
        """Revoke the Globus sign-in and remove it from this computer (background)."""
        if self._globus_busy:
            return

        def work() -> tuple[globus_auth.SignOutResult, globus_auth.LoginStatus]:
            result = globus_auth.sign_out()
            return result, globus_auth.login_status()

        self._set_globus_busy(True)
        self._show(self.globus_signin_status, "Signing out of Globus…")
        self._start_check()
        run_in_background(work, self._on_globus_signed_out, self._on_globus_sign_out_failed)

    def _on_globus_signed_out(self, result: tuple[globus_auth.SignOutResult, globus_auth.LoginStatus]) -> None:
        self._end_check()
        outcome, status = result
        self._globus_login = status
        self._set_globus_busy(False)
        self._show(self.globus_signin_status, outcome.message, error=not outcome.revoked and outcome.was_signed_in)
        self.accounts_changed.emit()

    def _on_globus_sign_out_failed(self, error: BaseException) -> None:
        self._end_check()
        self._set_globus_busy(False)
        self._show(self.globus_signin_status, error_sentence(error, "signing out of Globus"), error=True)
