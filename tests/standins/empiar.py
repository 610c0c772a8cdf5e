"""A stand-in for the EMPIAR deposition API (empiar.md §1–2), as ``empiar-depositor`` calls it.

Token authentication (``Authorization: Token …``, DRF-style 401/403 bodies);
JSON bodies must be ``application/json`` (415 otherwise); the deposition JSON
is validated with the schema shipped in the installed ``empiar-depositor``
(draft-07) plus the ORCID checksum the server checks; creation is throttled
like the upstream test expects (HTTP 429 with ``Retry-After`` after ten rapid
creates per user). Both generations of the API are served:

* 1.6b30: create answers with the upload directory, submit answers with the accession;
* 1.6b32 (``async_create`` / ``async_submit``): create may answer ``"In progress"``
  and ``fetch_entry_upload_directory/`` gives the folder later; submit answers
  ``{"submission": true}`` and ``GET submit_entry/`` gives the accession after a
  few polls; ``share_globus_directory/`` answers a JSON *string*;
  ``acknowledge_upload/`` checks that data arrived.

``GET deposit_entry/`` (the user's entries) is **not a documented endpoint**;
it is served only with ``entry_listing=True`` and is what lets a resumed run
find an entry whose creation answer was lost. Entries, rights and thumbnails
live in memory; uploads are files under ``<storage>/upload/<directory>/data/``.
"""

from __future__ import annotations

import importlib.resources
import io
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from .http_base import Request, Response, StandinServer, json_response

PREFIX = "/empiar/deposition/api"
ORCID_RE = re.compile(r"^(\d{4})-(\d{4})-(\d{4})-(\d{3}[\dX])$")


def load_schema() -> dict[str, Any]:
    text = (importlib.resources.files("empiar_depositor") / "empiar_deposition.schema.json").read_text("utf-8")
    return json.loads(text)


def orcid_checksum_ok(orcid: str) -> bool:
    """ISO 7064 MOD 11-2, which EMPIAR checks and the schema does not."""
    digits = orcid.replace("-", "")
    total = 0
    for char in digits[:-1]:
        total = (total + int(char)) * 2
    check = (12 - total % 11) % 11
    return digits[-1] == ("X" if check == 10 else str(check))


def detail(status: int, message: str, **extra: Any) -> Response:
    return json_response(status, {"detail": message, **extra})


@dataclass
class Entry:
    entry_id: int
    owner: str
    directory: str
    metadata: dict[str, Any]
    created: float
    directory_polls_left: int = 0
    thumbnail: bytes | None = None
    rights: dict[str, dict[str, str]] = field(default_factory=dict)
    shared_with: list[str] = field(default_factory=list)
    acknowledged: bool = False
    submitted: bool = False
    submit_polls_left: int = 0
    accession: str | None = None
    redepositions: int = 0


class EmpiarStandin:
    """The EMPIAR deposition API on 127.0.0.1.

    Parameters
    ----------
    storage
        Folder of the upload area (``upload/<directory>/data/...``).
    async_create, async_submit
        Serve the 1.6b32 behaviour ("In progress" answers and polling).
    polls
        How many polls an "In progress" answer lasts.
    entry_listing
        Serve the undocumented ``GET deposit_entry/`` listing.
    require_ack
        Refuse to submit an entry whose upload was not acknowledged (1.6b32).
    throttle
        ``(creates, seconds)``: more creates than this per user in the window get 429.
    """

    def __init__(
        self,
        storage: Path,
        *,
        async_create: bool = False,
        async_submit: bool = False,
        polls: int = 2,
        entry_listing: bool = True,
        require_ack: bool = False,
        throttle: tuple[int, float] = (10, 60.0),
        first_entry: int = 1,
        first_accession: int = 11000,
    ) -> None:
        self.storage = Path(storage)
        (self.storage / "upload").mkdir(parents=True, exist_ok=True)
        self.async_create = async_create
        self.async_submit = async_submit
        self.polls = polls
        self.entry_listing = entry_listing
        self.require_ack = require_ack
        self.throttle = throttle
        self.tokens: dict[str, str] = {}
        self.usernames: set[str] = set()
        self.entries: dict[int, Entry] = {}
        self._creates: dict[str, list[float]] = {}
        self._next_entry = first_entry
        self._next_accession = first_accession
        self.validator = jsonschema.Draft7Validator(load_schema(), format_checker=jsonschema.FormatChecker())
        self.lock = threading.RLock()
        self.server = StandinServer(self.handle, PREFIX)

    # ------------------------------------------------------------ lifecycle and test helpers

    def start(self) -> EmpiarStandin:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    @property
    def url(self) -> str:
        return self.server.url + "/"

    @property
    def upload_root(self) -> str:
        """The ``file://`` URL standing for the EMPIAR Globus collection / Aspera area."""
        return (self.storage / "upload").resolve().as_uri() + "/"

    def add_user(self, username: str) -> str:
        token = uuid.uuid4().hex
        with self.lock:
            self.tokens[token] = username
            self.usernames.add(username)
        return token

    def entries_of(self, username: str) -> list[Entry]:
        with self.lock:
            return [entry for entry in self.entries.values() if entry.owner == username]

    def upload_folder(self, entry: Entry) -> Path:
        return self.storage / "upload" / entry.directory / "data"

    # ------------------------------------------------------------ plumbing

    def handle(self, request: Request) -> Response:
        routes = {
            ("POST", "/deposit_entry/"): self.create,
            ("GET", "/deposit_entry/"): self.list_entries,
            ("PUT", "/redeposit_entry/"): self.redeposit,
            ("GET", "/fetch_entry_upload_directory/"): self.fetch_directory,
            ("POST", "/image_upload/"): self.thumbnail,
            ("POST", "/grant_rights/"): self.grant_rights,
            ("GET", "/share_globus_directory/"): self.share,
            ("POST", "/acknowledge_upload/"): self.acknowledge,
            ("POST", "/submit_entry/"): self.submit,
            ("GET", "/submit_entry/"): self.submit_status,
        }
        handler = routes.get((request.method, request.path))
        if handler is None:
            if any(path == request.path for _, path in routes):
                return detail(405, f'Method "{request.method}" not allowed.')
            return detail(404, "Not found.")
        auth = request.header("Authorization")
        if not auth:
            return detail(401, "Authentication credentials were not provided.")
        scheme, _, token = auth.partition(" ")
        user = self.tokens.get(token) if scheme == "Token" else None
        if user is None:
            return detail(401, "Invalid token.")
        with self.lock:
            return handler(request, user)

    def _json_body(self, request: Request) -> tuple[Any, Response | None]:
        content_type = request.header("Content-Type").split(";")[0].strip()
        if content_type != "application/json":
            return None, detail(415, f'Unsupported media type "{content_type}" in request.')
        try:
            return request.json(), None
        except (ValueError, UnicodeDecodeError):
            return None, detail(400, "JSON parse error.")

    def _entry(self, user: str, value: Any, *, edit: bool = False) -> tuple[Entry | None, Response | None]:
        try:
            entry_id = int(value)
        except (TypeError, ValueError):
            return None, detail(400, "entry_id is required and must be a number.")
        entry = self.entries.get(entry_id)
        if entry is None:
            return None, detail(404, f"Entry {entry_id} not found.")
        allowed = entry.owner == user or any(
            grants.get(user) in ("3", "4") if edit else user in grants for grants in entry.rights.values()
        )
        if not allowed:
            return None, detail(403, "You do not have permission to perform this action.")
        return entry, None

    def _validate(self, document: Any) -> list[str]:
        if not isinstance(document, dict):
            return ["The deposition must be a JSON object."]
        errors = [
            f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
            for error in sorted(self.validator.iter_errors(document), key=lambda e: list(e.absolute_path))
        ]
        people = [*(document.get("authors") or []), document.get("corresponding_author") or {}]
        people += list(document.get("principal_investigator") or [])
        for person in people:
            orcid = person.get("author_orcid") if isinstance(person, dict) else None
            if isinstance(orcid, str) and ORCID_RE.match(orcid) and not orcid_checksum_ok(orcid):
                errors.append(f"author_orcid: {orcid} is not a valid ORCID iD (checksum).")
        return errors

    # ------------------------------------------------------------ endpoints

    def create(self, request: Request, user: str) -> Response:
        limit, window = self.throttle
        now = time.monotonic()
        recent = [t for t in self._creates.get(user, []) if now - t < window]
        if len(recent) >= limit:
            wait = int(window - (now - recent[0])) + 1
            return json_response(
                429,
                {"detail": f"Request was throttled. Expected available in {wait} seconds."},
                {"Retry-After": str(wait)},
            )
        recent.append(now)
        self._creates[user] = recent
        document, error = self._json_body(request)
        if error is not None:
            return error
        problems = self._validate(document)
        if problems:
            return json_response(400, {"deposition": False, "errors": problems})
        entry_id = self._next_entry
        self._next_entry += 1
        directory = f"EMPIAR_DEP_{entry_id:05d}_{uuid.uuid4().hex[:10]}"
        entry = Entry(entry_id, user, directory, document, time.time())
        self.upload_folder(entry).mkdir(parents=True, exist_ok=True)
        self.entries[entry_id] = entry
        if self.async_create:
            entry.directory_polls_left = self.polls
            return json_response(200, {"deposition": True, "entry_id": entry_id, "directory": "In progress"})
        return json_response(200, {"deposition": True, "entry_id": entry_id, "directory": directory})

    def list_entries(self, request: Request, user: str) -> Response:
        if not self.entry_listing:
            return detail(405, 'Method "GET" not allowed.')
        rows = [
            {
                "entry_id": entry.entry_id,
                "title": entry.metadata.get("title", ""),
                "directory": entry.directory if entry.directory_polls_left == 0 else "In progress",
                "submitted": entry.submitted,
            }
            for entry in sorted(self.entries.values(), key=lambda e: e.entry_id)
            if entry.owner == user
        ]
        return json_response(200, rows)

    def fetch_directory(self, request: Request, user: str) -> Response:
        entry, error = self._entry(user, request.arg("entry_id"))
        if error is not None:
            return error
        assert entry is not None
        if entry.directory_polls_left > 0:
            entry.directory_polls_left -= 1
            return json_response(200, {"status": "In progress", "return_value": None})
        return json_response(200, {"status": "Completed", "return_value": entry.directory})

    def redeposit(self, request: Request, user: str) -> Response:
        document, error = self._json_body(request)
        if error is not None:
            return error
        if not isinstance(document, dict):
            return json_response(400, {"deposition": False, "errors": ["The deposition must be a JSON object."]})
        entry, error = self._entry(user, document.pop("entry_id", None), edit=True)
        if error is not None:
            return error
        assert entry is not None
        if entry.submitted:
            return json_response(400, {"deposition": False, "errors": ["The entry has been submitted already."]})
        problems = self._validate(document)
        if problems:
            return json_response(400, {"deposition": False, "errors": problems})
        entry.metadata = document
        entry.redepositions += 1
        return json_response(200, {"deposition": True, "entry_id": entry.entry_id, "directory": entry.directory})

    def thumbnail(self, request: Request, user: str) -> Response:
        fields, files = request.form()
        entry, error = self._entry(user, fields.get("entry_id"), edit=True)
        if error is not None:
            return error
        assert entry is not None
        uploads = files.get("file") or []
        if not uploads:
            return json_response(400, {"thumbnail_upload": False, "detail": "No file was submitted."})
        data = uploads[0][1]
        try:
            from PIL import Image

            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
        except Exception:
            return json_response(400, {"thumbnail_upload": False, "detail": "The file is not an image."})
        if width < 400 or height < 400:
            return json_response(
                400, {"thumbnail_upload": False, "detail": f"The image is {width}x{height}; the minimum is 400x400."}
            )
        entry.thumbnail = data
        return json_response(200, {"thumbnail_upload": True})

    def grant_rights(self, request: Request, user: str) -> Response:
        document, error = self._json_body(request)
        if error is not None:
            return error
        if not isinstance(document, dict):
            return detail(400, "Expected a JSON object.")
        entry, error = self._entry(user, document.get("entry_id"))
        if error is not None:
            return error
        assert entry is not None
        if entry.owner != user:
            return detail(403, "You do not have permission to perform this action.")
        granted: dict[str, bool] = {}
        for kind in ("u", "e", "o"):
            for principal, right in (document.get(kind) or {}).items():
                right = str(right)
                if right not in ("1", "2", "3", "4"):
                    continue
                known = (
                    principal in self.usernames
                    if kind == "u"
                    else ("@" in principal if kind == "e" else bool(ORCID_RE.match(principal)))
                )
                if not known:
                    continue
                if right == "1" and any("1" in grants.values() for grants in entry.rights.values()):
                    continue  # only one owner
                entry.rights.setdefault(kind, {})[principal] = right
                granted[principal] = True
        return json_response(200, granted)

    def share(self, request: Request, user: str) -> Response:
        entry, error = self._entry(user, request.arg("entry_id"))
        if error is not None:
            return error
        assert entry is not None
        identity = request.arg("globus_username") or ""
        if "@" not in identity:
            answer = {"response": ["2", f"'{identity}' is not a Globus identity."]}
        elif identity in entry.shared_with:
            answer = {"response": ["5", "The directory is already shared with this identity."]}
        else:
            entry.shared_with.append(identity)
            answer = {"response": ["1", "The upload directory is shared."]}
        # The real server returns a JSON string that itself holds JSON.
        return json_response(200, json.dumps(answer))

    def acknowledge(self, request: Request, user: str) -> Response:
        entry, error = self._entry(user, request.arg("entry_id"))
        if error is not None:
            return error
        assert entry is not None
        folder = self.upload_folder(entry)
        if not any(path.is_file() for path in folder.rglob("*")):
            return json_response(200, {"response_code": 0, "detail": "No data has been uploaded."})
        entry.acknowledged = True
        return json_response(200, {"response_code": 1})

    def submit(self, request: Request, user: str) -> Response:
        document, error = self._json_body(request)
        if error is not None:
            return error
        if not isinstance(document, dict):
            return detail(400, "Expected a JSON object.")
        entry, error = self._entry(user, document.get("entry_id"))
        if error is not None:
            return error
        assert entry is not None
        if entry.submitted:
            return json_response(400, {"submission": False, "detail": "The entry has been submitted already."})
        if self.require_ack and not entry.acknowledged:
            return json_response(400, {"submission": False, "detail": "The upload has not been acknowledged."})
        entry.submitted = True
        accession = f"EMPIAR-{self._next_accession}"
        self._next_accession += 1
        if self.async_submit:
            entry.submit_polls_left = self.polls
            entry.accession = accession
            return json_response(200, {"submission": True})
        entry.accession = accession
        return json_response(200, {"submission": True, "empiar_id": accession})

    def submit_status(self, request: Request, user: str) -> Response:
        entry, error = self._entry(user, request.arg("entry_id"))
        if error is not None:
            return error
        assert entry is not None
        if not entry.submitted:
            return json_response(200, {"status": "Not submitted", "return_value": None})
        if entry.submit_polls_left > 0:
            entry.submit_polls_left -= 1
            return json_response(200, {"status": "In progress", "return_value": None})
        return json_response(200, {"status": "Completed", "return_value": entry.accession})
