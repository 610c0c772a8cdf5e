"""The EMPIAR deposition API, as its own client ``empiar-depositor`` uses it (``empiar.md`` §1–2).

Endpoints (paths under the API root, ``Authorization: Token <token>``):

=================================  ==========================================================
``POST deposit_entry/``            create an entry from the deposition JSON
``GET fetch_entry_upload_directory/``  the upload folder, when creation answered "In progress"
``PUT redeposit_entry/``           replace *all* metadata of an unsubmitted entry
``POST image_upload/``             the entry's thumbnail (multipart ``entry_id`` + ``file``)
``POST grant_rights/``             rights for users (``u``), e-mails (``e``) or ORCID iDs (``o``)
``GET share_globus_directory/``    share the upload folder with the depositor's Globus identity
``POST acknowledge_upload/``       the data transfer is complete
``POST submit_entry/``             submit; 1.6b30 answers with the accession, newer servers
                                   answer ``{"submission": true}`` and ``GET submit_entry/``
                                   reports it when ready
=================================  ==========================================================

JSON bodies are sent as ``application/json`` exactly (the server insists). The
token never appears in a message or a log line.

:meth:`EmpiarClient.find_entries` asks ``GET deposit_entry/`` for the user's
entries. That listing is **not documented**: it is how a resumed run would find
an entry whose creation answer was lost in a crash. When the server has no
such listing the method returns ``None`` and the submission machine stops and
asks the user instead of risking a duplicate entry.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import requests.auth

from .errors import ArchiveError
from .http import ApiSession, RetryPolicy, Timeout, response_json, response_text

ARCHIVE = "EMPIAR"

#: API roots (``empiar.md`` §1).
PRODUCTION_URL = "https://www.ebi.ac.uk/empiar/deposition/api/"
DEV_URL = "https://wwwdev.ebi.ac.uk/empiar/deposition/api/"

#: The upload folder is being prepared (1.6b32 creation and submission answers).
IN_PROGRESS = "In progress"

#: Rights a principal can be given (``grant_rights/``).
RIGHTS = {1: "owner", 2: "view only", 3: "view and edit", 4: "view, edit and submit"}
#: Principal kinds of ``grant_rights/``: username, e-mail address, ORCID iD.
PRINCIPAL_KINDS = ("u", "e", "o")

_JSON = {"Content-Type": "application/json"}


class TokenAuth(requests.auth.AuthBase):
    """``Authorization: Token <token>`` (Django REST Framework token authentication)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Add the header to ``request``."""
        request.headers["Authorization"] = f"Token {self._token}"
        return request

    def __repr__(self) -> str:  # never show the token
        return "TokenAuth(***)"


@dataclass(frozen=True)
class EntryRef:
    """An EMPIAR deposition entry: its number and its upload folder (``None`` while being prepared)."""

    entry_id: int
    directory: str | None


@dataclass(frozen=True)
class ListedEntry:
    """One of the user's entries as the (undocumented) listing reports it."""

    entry_id: int
    title: str
    directory: str | None
    submitted: bool


@dataclass(frozen=True)
class SubmitStatus:
    """Where an entry's submission stands: ``"in_progress"``, ``"completed"`` or ``"not_submitted"``."""

    state: str
    accession: str | None = None


class EmpiarClient:
    """Client of the EMPIAR deposition API.

    Parameters
    ----------
    base_url
        The API root; :data:`PRODUCTION_URL` by default.
    token
        The user's API token (https://empiar.org/deposition/api_token).
    timeout, retry, session, sleep
        Passed to :class:`~.http.ApiSession`.
    """

    def __init__(
        self,
        token: str,
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
        self.api.add_secret(token)
        # Session-level auth: it is applied to every request and keeps a ~/.netrc entry from replacing it.
        self.api.session.auth = TokenAuth(token)

    def close(self) -> None:
        """Release the connections."""
        self.api.close()

    # ------------------------------------------------------------ helpers

    def _headers(self, json_body: bool = False) -> dict[str, str]:
        return dict(_JSON) if json_body else {}

    def _fail(self, response: requests.Response, what: str, code: str = "request.rejected") -> ArchiveError:
        status = response.status_code
        detail = response_text(response, self.api)
        try:
            body = response.json()
        except ValueError:
            body = None
        messages = _messages(body) or ([detail] if detail else [])
        messages = [self.api.scrub(m) for m in messages]
        if status == 401:
            return ArchiveError(
                "auth.failed",
                "EMPIAR did not accept the API token. Create a new one at https://empiar.org/deposition/api_token, "
                "store it in the program, and run the submission again.",
                permanent=True,
                status=status,
                archive=ARCHIVE,
                details=messages,
            )
        if status == 403:
            return ArchiveError(
                "auth.forbidden",
                f"EMPIAR refused to {what}: this account has no permission for it"
                + (f" ({messages[0]})." if messages else "."),
                permanent=True,
                status=status,
                archive=ARCHIVE,
                details=messages,
            )
        reason = messages[0] if messages else f"HTTP {status}"
        return ArchiveError(
            code, f"EMPIAR could not {what}: {reason}", permanent=True, status=status, archive=ARCHIVE, details=messages
        )

    def _json_ok(self, response: requests.Response, what: str, code: str = "request.rejected") -> Any:
        if response.status_code >= 300:
            raise self._fail(response, what, code)
        return response_json(response, self.api, what)

    def _unexpected(self, what: str, response: requests.Response) -> ArchiveError:
        return ArchiveError(
            "response.invalid",
            f"EMPIAR's answer when the program tried to {what} cannot be read; the service may have changed. "
            "Please report this.",
            status=response.status_code,
            archive=ARCHIVE,
            details=[response_text(response, self.api)],
        )

    # ------------------------------------------------------------ entries

    def create_entry(self, document: bytes) -> EntryRef:
        """Create a deposition entry from the deposition JSON (exact bytes).

        Raises
        ------
        ArchiveError
            ``empiar.metadata_rejected`` with the server's reasons; ``server.uncertain``
            when the outcome is unknown (the entry may exist).
        """
        what = "create the EMPIAR entry"
        response = self.api.request(
            "POST", "deposit_entry/", idempotent=False, what=what, data=document, headers=self._headers(True)
        )
        body = self._json_ok(response, what, "empiar.metadata_rejected")
        return self._entry(body, response, what)

    def _entry(self, body: Any, response: requests.Response, what: str) -> EntryRef:
        if not isinstance(body, Mapping) or body.get("deposition") is not True:
            raise self._fail(response, what, "empiar.metadata_rejected")
        entry_id = body.get("entry_id")
        if not isinstance(entry_id, int) or isinstance(entry_id, bool):
            raise self._unexpected(what, response)
        directory = body.get("directory")
        if not isinstance(directory, str) or not directory or directory == IN_PROGRESS:
            directory = None
        return EntryRef(entry_id, directory)

    def upload_directory(self, entry_id: int) -> str | None:
        """The entry's upload folder, or ``None`` while EMPIAR is still preparing it."""
        what = f"read the upload folder of entry {entry_id}"
        response = self.api.request(
            "GET",
            "fetch_entry_upload_directory/",
            idempotent=True,
            what=what,
            params={"entry_id": entry_id},
            headers=self._headers(True),
        )
        body = self._json_ok(response, what)
        if not isinstance(body, Mapping):
            raise self._unexpected(what, response)
        if body.get("status") == IN_PROGRESS:
            return None
        value = body.get("return_value")
        return value if isinstance(value, str) and value and value != IN_PROGRESS else None

    def redeposit(self, entry_id: int, document: Mapping[str, Any]) -> EntryRef:
        """Replace all metadata of an unsubmitted entry with ``document`` (the full deposition JSON)."""
        what = f"update the metadata of EMPIAR entry {entry_id}"
        payload = dict(document)
        payload["entry_id"] = entry_id
        response = self.api.request(
            "PUT",
            "redeposit_entry/",
            idempotent=True,
            what=what,
            data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            headers=self._headers(True),
        )
        body = self._json_ok(response, what, "empiar.metadata_rejected")
        return self._entry(body, response, what)

    def find_entries(self) -> list[ListedEntry] | None:
        """The user's entries, or ``None`` when the server offers no listing (see the module docstring)."""
        what = "list your EMPIAR entries"
        response = self.api.request("GET", "deposit_entry/", idempotent=True, what=what, headers=self._headers())
        if response.status_code in (404, 405, 501):
            return None
        body = self._json_ok(response, what)
        rows = body.get("entries") if isinstance(body, Mapping) else body
        if not isinstance(rows, list):
            raise self._unexpected(what, response)
        found = []
        for row in rows:
            if not isinstance(row, Mapping) or not isinstance(row.get("entry_id"), int):
                continue
            directory = row.get("directory")
            found.append(
                ListedEntry(
                    entry_id=row["entry_id"],
                    title=str(row.get("title") or ""),
                    directory=directory if isinstance(directory, str) and directory != IN_PROGRESS else None,
                    submitted=bool(row.get("submitted")),
                )
            )
        return found

    # ------------------------------------------------------------ entry steps

    def upload_thumbnail(self, entry_id: int, image: Path) -> None:
        """Upload the picture shown for the entry (PNG preferred, at least 400 × 400 pixels)."""
        what = f"upload the thumbnail of entry {entry_id}"
        with open(image, "rb") as stream:
            response = self.api.request(
                "POST",
                "image_upload/",
                idempotent=True,
                what=what,
                data={"entry_id": str(entry_id)},
                files={"file": (image.name, stream, "image/png" if image.suffix.lower() == ".png" else None)},
                headers=self._headers(),
                rewind=[stream],
                timeout=(self.api.timeout[0], max(self.api.timeout[1], 300.0)),
            )
        body = self._json_ok(response, what, "empiar.thumbnail_rejected")
        if not isinstance(body, Mapping) or body.get("thumbnail_upload") is not True:
            raise self._fail(response, what, "empiar.thumbnail_rejected")

    def grant_rights(self, entry_id: int, kind: str, grants: Mapping[str, int]) -> set[str]:
        """Give rights on the entry; returns the principals EMPIAR confirmed.

        Parameters
        ----------
        entry_id
            The entry.
        kind
            ``"u"`` (EMPIAR username), ``"e"`` (e-mail address) or ``"o"`` (ORCID iD).
        grants
            Principal → right (1 owner, 2 view, 3 view + edit, 4 view + edit + submit).
        """
        if kind not in PRINCIPAL_KINDS:
            raise ValueError(f"unknown principal kind {kind!r}")
        what = f"grant rights on entry {entry_id}"
        payload = {kind: {principal: str(right) for principal, right in grants.items()}, "entry_id": entry_id}
        response = self.api.request(
            "POST",
            "grant_rights/",
            idempotent=True,
            what=what,
            data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            headers=self._headers(True),
        )
        body = self._json_ok(response, what, "empiar.rights_rejected")
        if not isinstance(body, Mapping):
            raise self._unexpected(what, response)
        return {str(key) for key, value in body.items() if key in grants and value not in (False, None)}

    def share_globus_directory(self, entry_id: int, globus_identity: str) -> str:
        """Share the entry's upload folder with the depositor's Globus identity; returns EMPIAR's note."""
        what = f"share the upload folder of entry {entry_id} with your Globus identity"
        response = self.api.request(
            "GET",
            "share_globus_directory/",
            idempotent=True,
            what=what,
            params={"entry_id": entry_id, "globus_username": globus_identity},
            headers=self._headers(),
        )
        body = self._json_ok(response, what, "empiar.share_failed")
        # The server answers with a JSON *string* that holds the JSON object (empiar-depositor decodes twice).
        if isinstance(body, str):
            try:
                body = json.loads(body)
            except ValueError:
                raise self._unexpected(what, response) from None
        answer = body.get("response") if isinstance(body, Mapping) else None
        if not isinstance(answer, list) or not answer:
            raise self._unexpected(what, response)
        code = str(answer[0])
        note = self.api.scrub(str(answer[1])) if len(answer) > 1 else ""
        if code not in ("1", "5"):
            raise ArchiveError(
                "empiar.share_failed",
                f"EMPIAR could not share the upload folder with the Globus identity: {note or 'code ' + code}. "
                "Check the Globus identity (e.g. name@globusid.org) and try again.",
                permanent=True,
                status=response.status_code,
                archive=ARCHIVE,
                details=[note] if note else [],
            )
        return note

    def acknowledge_upload(self, entry_id: int) -> None:
        """Tell EMPIAR that the data transfer into the upload folder is complete."""
        what = f"confirm the end of the upload of entry {entry_id}"
        response = self.api.request(
            "POST",
            "acknowledge_upload/",
            idempotent=True,
            what=what,
            params={"entry_id": entry_id},
            headers=self._headers(),
        )
        body = self._json_ok(response, what, "empiar.acknowledge_failed")
        if not isinstance(body, Mapping) or body.get("response_code") != 1:
            raise self._fail(response, what, "empiar.acknowledge_failed")

    def submit(self, entry_id: int) -> str | None:
        """Submit the entry for curation; returns the accession when the server gives it at once."""
        what = f"submit EMPIAR entry {entry_id}"
        response = self.api.request(
            "POST",
            "submit_entry/",
            idempotent=False,
            what=what,
            data=json.dumps({"entry_id": str(entry_id)}).encode("utf-8"),
            headers=self._headers(True),
        )
        body = self._json_ok(response, what, "empiar.submit_rejected")
        if not isinstance(body, Mapping) or body.get("submission") is not True:
            raise self._fail(response, what, "empiar.submit_rejected")
        accession = body.get("empiar_id")
        return accession if isinstance(accession, str) and accession.startswith("EMPIAR-") else None

    def submission_status(self, entry_id: int) -> SubmitStatus:
        """Whether the entry's submission is still being processed, done (with its accession) or not made."""
        what = f"read the submission status of entry {entry_id}"
        response = self.api.request(
            "GET",
            "submit_entry/",
            idempotent=True,
            what=what,
            params={"entry_id": entry_id},
            headers=self._headers(True),
        )
        body = self._json_ok(response, what)
        if not isinstance(body, Mapping):
            raise self._unexpected(what, response)
        status = str(body.get("status") or "")
        accession = body.get("return_value") or body.get("empiar_id")
        if isinstance(accession, str) and accession.startswith("EMPIAR-"):
            return SubmitStatus("completed", accession)
        if status == IN_PROGRESS:
            return SubmitStatus("in_progress")
        if status.lower() in ("not submitted", "not_submitted"):
            return SubmitStatus("not_submitted")
        if status.lower() == "completed":
            raise self._unexpected(what, response)
        raise ArchiveError(
            "empiar.submit_failed",
            f"EMPIAR reports the submission of entry {entry_id} as '{self.api.scrub(status)}'. "
            "Contact empiar-help@ebi.ac.uk with the entry number.",
            permanent=True,
            status=response.status_code,
            archive=ARCHIVE,
        )


def _messages(body: Any) -> list[str]:
    """Human-readable reasons from a DRF-style error body (``detail``, field errors, lists)."""
    if isinstance(body, str):
        return [body]
    if isinstance(body, list):
        return [str(item) for item in body if item]
    if not isinstance(body, Mapping):
        return []
    out: list[str] = []
    for key, value in body.items():
        if key in ("deposition", "submission", "thumbnail_upload", "response_code"):
            continue
        if isinstance(value, list):
            out += [f"{key}: {item}" if key not in ("detail", "errors") else str(item) for item in value]
        elif isinstance(value, str):
            out.append(value if key in ("detail", "error", "message") else f"{key}: {value}")
    return out
