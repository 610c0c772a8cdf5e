"""The BioStudies submission API as the BioImage Archive uses it (``bia.md`` §4).

One method per endpoint the submission needs: sign in (session token plus the
user's secret upload folder and upload type), validate a file list, submit a
PageTab study asynchronously, poll the request's status and errors, list the
user's submissions (to find a submission a crashed run made), and read a study
back. Every call after sign-in carries ``X-SESSION-TOKEN``.

BioStudies reports application errors as a JSON *log*
(``{"status": "FAIL", "log": {"message": ..., "subnodes": [...]}}``), and a
file-list validation failure comes back as HTTP **500** with such a log: those
are final answers, not server trouble, and are never retried.

The session token, the password and the secret folder never appear in a
message or a log line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests
import requests.auth

from .errors import ArchiveError
from .http import ApiSession, RetryPolicy, Timeout, response_json, response_text

ARCHIVE = "BIA"

#: API roots (``bia.md`` §4).
PRODUCTION_URL = "https://www.ebi.ac.uk/biostudies/submissions/api"
BETA_URL = "https://wwwdev.ebi.ac.uk/biostudies/submissions/api"

#: Request statuses after which the study is stored and has its accession (``RequestStatus.kt``).
DONE_STATUSES = frozenset({"PROCESSED", "POST_PROCESSED"})
#: The request failed; ``/errors`` says why.
FAILED_STATUSES = frozenset({"INVALID"})

SESSION_HEADER = "X-SESSION-TOKEN"


@dataclass(frozen=True)
class BiaProfile:
    """Who signed in, and where their files go.

    ``secret`` is the relative path of the user's private upload folder: anyone who
    knows it can write there, so it is kept out of ``repr`` and every message.
    """

    email: str
    username: str
    upload_type: str  # "ftp" or "nfs": selects the shared FTP/Aspera login (bia.md §5)
    secret: str = field(repr=False)


@dataclass(frozen=True)
class SubmissionId:
    """An accepted asynchronous submission request."""

    acc_no: str
    version: int


@dataclass(frozen=True)
class SubmissionSummary:
    """One row of the user's submission list."""

    acc_no: str
    title: str
    version: int
    created: str
    status: str


def log_messages(body: Any) -> list[str]:
    """Every message of a BioStudies error log, depth first."""
    if not isinstance(body, Mapping):
        return []
    messages: list[str] = []

    def walk(node: Any) -> None:
        if not isinstance(node, Mapping):
            return
        message = node.get("message")
        if isinstance(message, str) and message.strip():
            messages.append(message.strip())
        for child in node.get("subnodes") or []:
            walk(child)

    walk(body.get("log"))
    if not messages and isinstance(body.get("message"), str):
        messages.append(body["message"])
    return messages


def _is_log_answer(response: requests.Response) -> bool:
    """A 5xx that carries a BioStudies log with ``status: FAIL`` is the application's verdict."""
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, Mapping) and body.get("status") == "FAIL" and isinstance(body.get("log"), Mapping)


class BiaClient:
    """Client of the BioStudies submission API.

    Parameters
    ----------
    base_url
        The API root; :data:`PRODUCTION_URL` by default, :data:`BETA_URL` for trials.
    timeout, retry, session, sleep
        Passed to :class:`~.http.ApiSession`.
    """

    def __init__(
        self,
        base_url: str = PRODUCTION_URL,
        *,
        timeout: Timeout | None = None,
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        kwargs: dict[str, Any] = {"archive": ARCHIVE, "retry": retry, "session": session}
        if timeout is not None:
            kwargs["timeout"] = timeout
        if sleep is not None:
            kwargs["sleep"] = sleep
        self.api = ApiSession(base_url, **kwargs)
        self._token = ""
        # Session-level auth adds the token to every call and keeps a ~/.netrc entry from adding Basic auth.
        self.api.session.auth = _SessionTokenAuth(self)

    @property
    def signed_in(self) -> bool:
        """Whether a session token is held."""
        return bool(self._token)

    def close(self) -> None:
        """Release the connections (the server-side session simply expires)."""
        self.api.close()

    # ------------------------------------------------------------ helpers

    def _headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        if not self._token:
            raise ArchiveError(
                "auth.required",
                "The program has not signed in to the BioImage Archive yet (a program error; please report it).",
                permanent=True,
                archive=ARCHIVE,
            )
        return dict(extra or {})

    def _fail(self, response: requests.Response, what: str, code: str = "request.rejected") -> ArchiveError:
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        messages = [self.api.scrub(m) for m in log_messages(body)] or [response_text(response, self.api)]
        messages = [m for m in messages if m]
        if status == 401:
            return ArchiveError(
                "auth.expired",
                "The BioImage Archive session has expired or was not accepted; sign in again and run the "
                "submission again (it continues where it stopped).",
                permanent=True,
                status=status,
                archive=ARCHIVE,
                details=messages,
            )
        if status == 403:
            return ArchiveError(
                "auth.forbidden",
                f"The BioImage Archive refused to {what}: this account may not do that"
                + (f" ({messages[0]})." if messages else "."),
                permanent=True,
                status=status,
                archive=ARCHIVE,
                details=messages,
            )
        reason = messages[0] if messages else f"HTTP {status}"
        return ArchiveError(
            code,
            f"The BioImage Archive could not {what}: {reason}",
            permanent=True,
            status=status,
            archive=ARCHIVE,
            details=messages,
        )

    # ------------------------------------------------------------ account

    def sign_in(self, login: str, password: str) -> BiaProfile:
        """Sign in with the BioStudies account's e-mail and password.

        Returns
        -------
        BiaProfile
            The account, its upload type and its secret upload folder.

        Raises
        ------
        ArchiveError
            ``auth.failed`` for a wrong e-mail or password; network and server errors as usual.
        """
        self.api.add_secret(password)
        what = "sign in"
        response = self.api.request(
            "POST", "auth/login", idempotent=True, what=what, json={"login": login, "password": password}
        )
        if response.status_code in (400, 401, 403):
            raise ArchiveError(
                "auth.failed",
                "The BioImage Archive did not accept this e-mail address and password. Check them on "
                "https://www.ebi.ac.uk/biostudies/submissions/ (where the password can be reset) and try again.",
                permanent=True,
                status=response.status_code,
                archive=ARCHIVE,
                details=[self.api.scrub(m) for m in log_messages(_safe_json(response))],
            )
        if response.status_code >= 300:
            raise self._fail(response, what)
        body = response_json(response, self.api, what)
        token = body.get("sessid") if isinstance(body, Mapping) else None
        secret = body.get("secret") if isinstance(body, Mapping) else None
        if not isinstance(token, str) or not token or not isinstance(secret, str) or not secret:
            raise ArchiveError(
                "response.invalid",
                "The BioImage Archive's sign-in answer has no session or upload folder; the service may have "
                "changed. Please report this.",
                archive=ARCHIVE,
            )
        self._token = token
        self.api.add_secret(token)
        self.api.add_secret(secret)
        return BiaProfile(
            email=str(body.get("email") or login),
            username=str(body.get("username") or ""),
            upload_type=str(body.get("uploadType") or "ftp").lower(),
            secret=secret,
        )

    def sign_out(self) -> None:
        """End the session on the server (best effort; never raises)."""
        if not self._token:
            return
        try:
            self.api.request(
                "POST",
                "auth/logout",
                idempotent=True,
                what="sign out",
                json={"sessid": self._token},
                headers=self._headers(),
            )
        except ArchiveError:
            pass
        self._token = ""

    # ------------------------------------------------------------ files

    def list_user_files(self, path: str = "") -> list[dict[str, Any]]:
        """The files and folders of the user's upload space under ``path``."""
        what = "list the uploaded files"
        suffix = "/" + quote(path.strip("/")) if path.strip("/") else ""
        response = self.api.request("GET", f"files/user{suffix}", idempotent=True, what=what, headers=self._headers())
        if response.status_code >= 300:
            raise self._fail(response, what)
        body = response_json(response, self.api, what)
        return [item for item in body if isinstance(item, dict)] if isinstance(body, list) else []

    def validate_file_list(self, name: str, *, root_path: str | None = None, acc_no: str | None = None) -> None:
        """Ask the server to check a file list already in the upload space.

        Parameters
        ----------
        name
            The list's path in the user space, as the study's ``File List`` attribute names it.
        root_path
            The submission's ``RootPath``, when it has one.
        acc_no
            The study's accession for a resubmission (its earlier files count as present).

        Raises
        ------
        ArchiveError
            ``bia.file_list_invalid`` with the server's reasons (format, missing files, bad names).
        """
        what = f"check the file list {name}"
        form = {"fileListName": name}
        if root_path:
            form["rootPath"] = root_path
        if acc_no:
            form["accNo"] = acc_no
        response = self.api.request(
            "POST",
            "submissions/fileLists/validate",
            idempotent=True,
            what=what,
            data=form,
            headers=self._headers(),
            app_error=_is_log_answer,
        )
        if response.status_code >= 300:
            raise self._fail(response, what, "bia.file_list_invalid")

    # ------------------------------------------------------------ submissions

    def submit_async(self, pagetab: Mapping[str, Any]) -> SubmissionId:
        """Submit a PageTab study (JSON form) for asynchronous processing.

        A study without ``accno`` is new and gets an accession; one with an
        existing accession is a new version of that study.

        Returns
        -------
        SubmissionId
            The accession and version the request will create.

        Raises
        ------
        ArchiveError
            ``bia.submission_rejected`` when the server refuses the study outright;
            ``server.uncertain`` when the outcome of the request is unknown.
        """
        what = "submit the study"
        body = json.dumps(pagetab, ensure_ascii=False).encode("utf-8")
        response = self.api.request(
            "POST",
            "submissions/async",
            idempotent=False,
            what=what,
            data=body,
            headers=self._headers({"Submission_Type": "application/json", "Content-Type": "application/json"}),
            app_error=_is_log_answer,
        )
        if response.status_code >= 300:
            raise self._fail(response, what, "bia.submission_rejected")
        answer = response_json(response, self.api, what)
        acc_no = answer.get("accNo") if isinstance(answer, Mapping) else None
        version = answer.get("version") if isinstance(answer, Mapping) else None
        if not isinstance(acc_no, str) or not acc_no or not isinstance(version, int):
            raise ArchiveError(
                "response.invalid",
                "The BioImage Archive accepted the study but its answer has no accession; please report this.",
                archive=ARCHIVE,
                details=[response_text(response, self.api)],
            )
        return SubmissionId(acc_no, version)

    def request_status(self, submission: SubmissionId) -> str:
        """The processing status of a submission request, e.g. ``"REQUESTED"``, ``"PROCESSED"``, ``"INVALID"``."""
        what = f"read the status of {submission.acc_no}"
        response = self.api.request(
            "GET",
            f"submissions/requests/{quote(submission.acc_no)}/{submission.version}/status",
            idempotent=True,
            what=what,
            headers=self._headers(),
        )
        if response.status_code >= 300:
            raise self._fail(response, what)
        body = response_json(response, self.api, what)
        # The resource returns the RequestStatus enum, which Jackson writes as a JSON string.
        status = body.get("status") if isinstance(body, Mapping) else body
        if not isinstance(status, str) or not status:
            raise ArchiveError(
                "response.invalid",
                f"The BioImage Archive's status answer for {submission.acc_no} cannot be read; please report this.",
                archive=ARCHIVE,
                details=[response_text(response, self.api)],
            )
        return status.upper()

    def request_errors(self, submission: SubmissionId) -> list[str]:
        """Why a submission request became ``INVALID``, as the server words it."""
        what = f"read the errors of {submission.acc_no}"
        response = self.api.request(
            "GET",
            f"submissions/requests/{quote(submission.acc_no)}/{submission.version}/errors",
            idempotent=True,
            what=what,
            headers=self._headers(),
        )
        if response.status_code >= 300:
            raise self._fail(response, what)
        body = response_json(response, self.api, what)
        if isinstance(body, list):
            return [self.api.scrub(str(item)) for item in body]
        return [self.api.scrub(m) for m in log_messages(body)]

    def list_submissions(
        self, *, keywords: str | None = None, acc_no: str | None = None, limit: int = 50
    ) -> list[SubmissionSummary]:
        """The user's submissions, newest first, including requests still being processed."""
        what = "list your submissions"
        params: dict[str, Any] = {"limit": limit, "offset": 0}
        if keywords:
            params["keywords"] = keywords
        if acc_no:
            params["accNo"] = acc_no
        response = self.api.request(
            "GET", "submissions", idempotent=True, what=what, params=params, headers=self._headers()
        )
        if response.status_code >= 300:
            raise self._fail(response, what)
        body = response_json(response, self.api, what)
        rows = []
        for item in body if isinstance(body, list) else []:
            if not isinstance(item, Mapping):
                continue
            acc = item.get("accno") or item.get("accNo")
            if not isinstance(acc, str):
                continue
            version = item.get("version")
            rows.append(
                SubmissionSummary(
                    acc_no=acc,
                    title=str(item.get("title") or ""),
                    version=version if isinstance(version, int) else 0,
                    created=str(item.get("ctime") or item.get("creationTime") or ""),
                    status=str(item.get("status") or ""),
                )
            )
        return rows

    def get_submission(self, acc_no: str) -> dict[str, Any] | None:
        """The current PageTab JSON of a study, or ``None`` when the server has no processed version yet."""
        what = f"read the study {acc_no}"
        response = self.api.request(
            "GET", f"submissions/{quote(acc_no)}.json", idempotent=True, what=what, headers=self._headers()
        )
        if response.status_code == 404:
            return None
        if response.status_code >= 300:
            raise self._fail(response, what)
        body = response_json(response, self.api, what)
        return body if isinstance(body, dict) else None


class _SessionTokenAuth(requests.auth.AuthBase):
    """Adds ``X-SESSION-TOKEN`` once the client has signed in."""

    def __init__(self, client: BiaClient) -> None:
        self._client = client

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Add the header to ``request``."""
        if self._client._token:
            request.headers[SESSION_HEADER] = self._client._token
        return request

    def __repr__(self) -> str:  # never show the token
        return "SessionTokenAuth(***)"


def _safe_json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
