"""A stand-in for the BioStudies submission API that the BioImage Archive runs on (bia.md §4–5).

Implemented as documented (and as BioStudies' own clients call it): sign-in
returning the session token, the secret upload folder and the upload type; the
user space (list, upload, folders, delete) kept on disk under
``<storage>/<secret>/``, which is also the "FTP" folder tests copy into;
``fileLists/validate`` (urlencoded or multipart form, ``fileListName``,
``rootPath``, ``accNo``; failures are HTTP 500 with a ``FAIL`` log, as the
real server does); synchronous and asynchronous submission of PageTab JSON
(``Submission_Type: application/json``), with the request advancing through
the documented statuses on each status poll; ``/errors``; the user's submission
list including requests still being processed; ``<accNo>.json``; delete.

PageTab is checked structurally (independently of the program's own
writer): sections, attributes, links, files and tables must have the shapes
of the PageTab JSON form; ``accno: null`` is refused; a new study gets
``S-BIAD<n>`` when attached to ``BioImages``; a resubmission must name a study
of the same user and no other version of it may be in process; every
``File List`` must be present and valid, and every file it lists must be in
the user space (or in the previous version, for a resubmission).

Unverified details (the stand-in's guesses): the exact wording of messages,
the 401 body, and that the submission list shows requests still in process.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from .http_base import Request, Response, StandinServer, json_response

PREFIX = "/biostudies/submissions/api"

#: RequestStatus.kt, in processing order; INVALID can follow any of the early ones.
STATUS_FLOW = (
    "REQUESTED",
    "FILES_VALIDATED",
    "INDEXED",
    "LOADED",
    "INDEXED_CLEANED",
    "VALIDATED",
    "CLEANED",
    "FILES_COPIED",
    "CHECK_RELEASED",
    "PERSISTED",
    "PROCESSED",
    "POST_PROCESSED",
)
#: FileSourcesList.kt path rule.
PATH_RE = re.compile(r"^(?!\./)(?!.*/$)(?!.*\.\./)[0-9A-Za-z!\-_*'(). /]+$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
COLLECTION_PREFIXES = {"bioimages": "S-BIAD"}


def fail(status: int, message: str, subnodes: list[str] | None = None) -> Response:
    """A BioStudies error answer: ``{"status": "FAIL", "log": {...}}``."""
    return json_response(
        status,
        {
            "status": "FAIL",
            "log": {
                "level": "ERROR",
                "message": message,
                "subnodes": [{"level": "ERROR", "message": m, "subnodes": []} for m in subnodes or []],
            },
        },
    )


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class User:
    email: str
    password: str
    user_id: int
    secret: str
    upload_type: str
    fullname: str


@dataclass
class StoredVersion:
    version: int
    pagetab: dict[str, Any]
    title: str
    mtime: str
    files: dict[str, bytes]  # file lists and listed files, as copied into the submission


@dataclass
class Study:
    acc_no: str
    owner: str
    ctime: str
    versions: list[StoredVersion] = field(default_factory=list)


@dataclass
class SubmitRequest:
    acc_no: str
    version: int
    owner: str
    pagetab: dict[str, Any]
    title: str
    created: str
    root_path: str | None
    status_index: int = 0
    status: str = "REQUESTED"
    errors: list[str] = field(default_factory=list)
    copied: dict[str, bytes] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.status not in ("PROCESSED", "POST_PROCESSED", "INVALID")


# ---------------------------------------------------------------- PageTab structure


def _check_attributes(value: Any, where: str, errors: list[str]) -> None:
    if value is None:
        return
    if not isinstance(value, list):
        errors.append(f"{where}: attributes must be a list")
        return
    for index, attribute in enumerate(value):
        spot = f"{where}.attributes[{index}]"
        if not isinstance(attribute, dict):
            errors.append(f"{spot}: an attribute must be an object")
            continue
        name = attribute.get("name")
        if not isinstance(name, str) or not name.strip():
            errors.append(f"{spot}: attribute name is required")
        if not isinstance(attribute.get("value"), str):
            errors.append(f"{spot}: attribute '{name}' must have a text value")
        if "reference" in attribute and not isinstance(attribute["reference"], bool):
            errors.append(f"{spot}: 'reference' must be true or false")
        for qualifier in ("valqual", "nmqual"):
            quals = attribute.get(qualifier, [])
            if quals is None:
                continue
            if not isinstance(quals, list) or not all(
                isinstance(q, dict) and isinstance(q.get("name"), str) and isinstance(q.get("value"), str)
                for q in quals
            ):
                errors.append(f"{spot}: {qualifier} must be a list of {{name, value}}")


def _check_rows(value: Any, where: str, kind: str, errors: list[str], check: Any) -> None:
    if value is None:
        return
    if not isinstance(value, list):
        errors.append(f"{where}: {kind} must be a list")
        return
    for index, item in enumerate(value):
        if isinstance(item, list):  # a table
            for row_index, row in enumerate(item):
                check(row, f"{where}.{kind}[{index}][{row_index}]", errors)
        else:
            check(item, f"{where}.{kind}[{index}]", errors)


def _check_link(link: Any, where: str, errors: list[str]) -> None:
    if not isinstance(link, dict) or not isinstance(link.get("url"), str) or not link["url"].strip():
        errors.append(f"{where}: a link needs a url")
        return
    _check_attributes(link.get("attributes"), where, errors)


def _check_file(entry: Any, where: str, errors: list[str]) -> None:
    if not isinstance(entry, dict) or not isinstance(entry.get("path"), str) or not entry["path"].strip():
        errors.append(f"{where}: a file needs a path")
        return
    _check_attributes(entry.get("attributes"), where, errors)


def _check_section(section: Any, where: str, errors: list[str]) -> None:
    if not isinstance(section, dict):
        errors.append(f"{where}: a section must be an object")
        return
    if not isinstance(section.get("type"), str) or not section["type"].strip():
        errors.append(f"{where}: section type is required")
    if "accno" in section and not isinstance(section["accno"], str):
        errors.append(f"{where}: section accno must be text (omit it rather than null)")
    _check_attributes(section.get("attributes"), where, errors)
    _check_rows(section.get("links"), where, "links", errors, _check_link)
    _check_rows(section.get("files"), where, "files", errors, _check_file)
    _check_rows(section.get("subsections"), where, "subsections", errors, _check_section)


def check_pagetab(document: Any) -> list[str]:
    """Structural errors of a PageTab JSON submission (empty when it is well formed)."""
    errors: list[str] = []
    if not isinstance(document, dict):
        return ["The submission must be a JSON object"]
    if "accno" in document and not isinstance(document["accno"], str):
        errors.append("accno must be text (omit it for a new submission)")
    _check_attributes(document.get("attributes"), "submission", errors)
    if "section" not in document:
        errors.append("The submission has no root section")
    else:
        _check_section(document["section"], "section", errors)
    if errors:
        return errors
    if not _attribute(document.get("attributes"), "Title") and not _attribute(
        document["section"].get("attributes"), "Title"
    ):
        errors.append("Submission title is required")
    release = _attribute(document.get("attributes"), "ReleaseDate")
    if release and not DATE_RE.match(release):
        errors.append(f"Invalid release date '{release}': use YYYY-MM-DD")
    return errors


def _attribute(attributes: Any, name: str) -> str:
    for attribute in attributes or []:
        if isinstance(attribute, dict) and str(attribute.get("name", "")).casefold() == name.casefold():
            return str(attribute.get("value") or "")
    return ""


def _walk_sections(section: dict[str, Any]):
    yield section
    for item in section.get("subsections") or []:
        for sub in item if isinstance(item, list) else [item]:
            if isinstance(sub, dict):
                yield from _walk_sections(sub)


def file_list_names(document: dict[str, Any]) -> list[str]:
    return [
        _attribute(section.get("attributes"), "File List")
        for section in _walk_sections(document["section"])
        if _attribute(section.get("attributes"), "File List")
    ]


# ---------------------------------------------------------------- the stand-in


class BioStudiesStandin:
    """The BioStudies submission API on 127.0.0.1, state in memory, user files on disk.

    Parameters
    ----------
    storage
        Folder holding each user's secret upload folder (the "FTP" area).
    steps_per_poll
        How many statuses a request advances on each status poll.
    """

    def __init__(self, storage: Path, *, steps_per_poll: int = 4, accession_start: int = 1000) -> None:
        self.storage = Path(storage)
        self.storage.mkdir(parents=True, exist_ok=True)
        self.steps_per_poll = steps_per_poll
        self._next_accession = accession_start
        self._next_user = 100
        self.users: dict[str, User] = {}
        self.sessions: dict[str, str] = {}
        self.studies: dict[str, Study] = {}
        self.submit_requests: list[SubmitRequest] = []
        self.lock = threading.RLock()
        self.server = StandinServer(self.handle, PREFIX)

    # ------------------------------------------------------------ lifecycle and test helpers

    def start(self) -> BioStudiesStandin:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def upload_root(self) -> str:
        """The ``file://`` URL standing for ``ftp://ftp-private.ebi.ac.uk/``."""
        return self.storage.resolve().as_uri() + "/"

    def add_user(self, email: str, password: str, *, upload_type: str = "ftp", fullname: str = "Test User") -> User:
        with self.lock:
            self._next_user += 1
            token = uuid.uuid4().hex
            secret = f"{token[:2]}/{token[2:]}-a{self._next_user}"
            user = User(email, password, self._next_user, secret, upload_type, fullname)
            self.users[email.lower()] = user
            self.user_folder(user).mkdir(parents=True, exist_ok=True)
            return user

    def user_folder(self, user: User) -> Path:
        return self.storage / user.secret

    def studies_of(self, email: str) -> list[Study]:
        with self.lock:
            return [study for study in self.studies.values() if study.owner == email.lower()]

    # ------------------------------------------------------------ plumbing

    def _user(self, request: Request) -> User | None:
        token = request.header("X-SESSION-TOKEN")
        email = self.sessions.get(token) if token else None
        return self.users.get(email) if email else None

    def handle(self, request: Request) -> Response:
        path = request.path
        routes = (
            ("POST", r"/auth/(login|signin)", self.login),
            ("POST", r"/auth/logout", self.logout),
            ("GET", r"/auth/profile", self.profile),
            ("GET", r"/files/user(/.*)?", self.list_files),
            ("POST", r"/files/user(/.*)?", self.upload_files),
            ("DELETE", r"/files/user(/.*)?", self.delete_file),
            ("POST", r"/folder/user(/.*)?", self.create_folder),
            ("POST", r"/submissions/fileLists/validate", self.validate_file_list),
            ("POST", r"/submissions/async", self.submit_async),
            ("POST", r"/submissions", self.submit_sync),
            ("GET", r"/submissions", self.list_submissions),
            ("GET", r"/submissions/requests/([^/]+)/(\d+)/status", self.request_status),
            ("GET", r"/submissions/requests/([^/]+)/(\d+)/errors", self.request_errors),
            ("GET", r"/submissions/([^/]+)\.json", self.get_submission),
            ("DELETE", r"/submissions/([^/]+)", self.delete_submission),
        )
        for method, pattern, handler in routes:
            match = re.fullmatch(pattern, path)
            if request.method == method and match:
                if handler not in (self.login,):
                    user = self._user(request)
                    if user is None:
                        return fail(401, "Authentication required: sign in again")
                    with self.lock:
                        return handler(request, user, *match.groups())
                with self.lock:
                    return handler(request)
        return fail(404, f"No endpoint {request.method} {path}")

    # ------------------------------------------------------------ account

    def _profile_json(self, user: User, token: str) -> dict[str, Any]:
        return {
            "sessid": token,
            "email": user.email,
            "username": user.email.split("@")[0],
            "secret": user.secret,
            "fullname": user.fullname,
            "superuser": False,
            "orcid": "",
            "allow": [],
            "deny": [],
            "uploadType": user.upload_type,
            "lastActivity": now_iso(),
        }

    def login(self, request: Request) -> Response:
        try:
            body = request.json()
        except ValueError:
            return fail(400, "The login request must be JSON")
        user = self.users.get(str(body.get("login", "")).lower()) if isinstance(body, dict) else None
        if user is None or body.get("password") != user.password:
            return fail(400, "Invalid email address or password.")
        token = uuid.uuid4().hex
        self.sessions[token] = user.email.lower()
        return json_response(200, self._profile_json(user, token))

    def logout(self, request: Request, user: User) -> Response:
        self.sessions.pop(request.header("X-SESSION-TOKEN"), None)
        return Response(200)

    def profile(self, request: Request, user: User) -> Response:
        return json_response(200, self._profile_json(user, request.header("X-SESSION-TOKEN")))

    # ------------------------------------------------------------ user files

    def _user_path(self, user: User, relative: str | None) -> Path | None:
        relative = unquote((relative or "").strip("/"))
        root = self.user_folder(user).resolve()
        target = (root / relative).resolve()
        if target != root and root not in target.parents:
            return None
        return target

    def list_files(self, request: Request, user: User, relative: str | None = None) -> Response:
        folder = self._user_path(user, relative)
        if folder is None or not folder.is_dir():
            return fail(404, f"Folder not found: {unquote((relative or '').strip('/'))}")
        base = "user/" + unquote((relative or "").strip("/"))
        rows = [
            {
                "name": child.name,
                "path": base.rstrip("/"),
                "size": child.stat().st_size if child.is_file() else 0,
                "type": "FILE" if child.is_file() else "DIR",
            }
            for child in sorted(folder.iterdir())
        ]
        return json_response(200, rows)

    def upload_files(self, request: Request, user: User, relative: str | None = None) -> Response:
        folder = self._user_path(user, relative)
        if folder is None:
            return fail(400, "Invalid folder")
        _, files = request.form()
        uploads = files.get("files", [])
        if not uploads:
            return fail(400, "Required part 'files' is not present.")
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in uploads:
            (folder / Path(name).name).write_bytes(data)
        return Response(200)

    def create_folder(self, request: Request, user: User, relative: str | None = None) -> Response:
        name = request.arg("folder")
        folder = self._user_path(user, relative)
        if not name or folder is None:
            return fail(400, "Required request parameter 'folder' is not present")
        target = self._user_path(user, f"{unquote((relative or '').strip('/'))}/{name}")
        if target is None:
            return fail(400, "Invalid folder")
        target.mkdir(parents=True, exist_ok=True)
        return Response(200)

    def delete_file(self, request: Request, user: User, relative: str | None = None) -> Response:
        name = request.arg("fileName")
        if not name:
            return fail(400, "Required request parameter 'fileName' is not present")
        target = self._user_path(user, f"{unquote((relative or '').strip('/'))}/{name}")
        if target is None or not target.exists():
            return fail(404, f"File not found: {name}")
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink()
        return Response(200)

    # ------------------------------------------------------------ file lists

    def _previous_files(self, acc_no: str | None) -> dict[str, bytes]:
        study = self.studies.get(acc_no or "")
        return study.versions[-1].files if study and study.versions else {}

    def _read_file_list(
        self, user: User, name: str, root_path: str | None, acc_no: str | None
    ) -> tuple[list[str], list[str], dict[str, bytes]]:
        """(paths, errors, copied files) of a file list in the user space."""
        base = "/".join(part for part in ((root_path or "").strip("/"), name.strip("/")) if part)
        path = self._user_path(user, base)
        previous = self._previous_files(acc_no)
        if path is not None and path.is_file():
            data = path.read_bytes()
        elif base in previous:
            data = previous[base]
        else:
            return [], [f"File list '{name}' could not be found"], {}
        paths: list[str] = []
        errors: list[str] = []
        suffix = Path(name).suffix.lower()
        if suffix == ".json":
            try:
                rows = json.loads(data)
                paths = [str(row["path"]) for row in rows]
            except (ValueError, KeyError, TypeError):
                return [], [f"File list '{name}' is not a valid JSON file list"], {}
        elif suffix == ".tsv":
            lines = data.decode("utf-8").split("\n")
            while lines and not lines[-1].strip("\r"):
                lines.pop()
            if not lines or lines[0].rstrip("\r").split("\t")[0] != "Files":
                return [], [f"File list '{name}': the first column header must be 'Files'"], {}
            for number, line in enumerate(lines[1:], 2):
                line = line.rstrip("\r")
                if not line.strip():
                    errors.append(f"File list '{name}' line {number} is empty")
                    continue
                paths.append(line.split("\t")[0])
        else:
            return [], [f"File list '{name}': unsupported format (this stand-in reads .tsv and .json)"], {}
        if not paths and not errors:
            errors.append("A file list should contain at least one file")
        copied = {base: data}
        for listed in paths:
            if not PATH_RE.match(listed):
                errors.append(f"The given file path contains invalid characters: {listed}")
                continue
            full = "/".join(part for part in ((root_path or "").strip("/"), listed) if part)
            target = self._user_path(user, full)
            if target is not None and target.is_file():
                copied[listed] = target.read_bytes()
            elif listed in previous:
                copied[listed] = previous[listed]
            else:
                errors.append(f"File not found: {listed}")
        return paths, errors, copied

    def validate_file_list(self, request: Request, user: User) -> Response:
        fields, _ = request.form()
        name = fields.get("fileListName")
        if not name:
            return fail(
                400, "Required request parameter 'fileListName' for method parameter type String is not present"
            )
        _, errors, _ = self._read_file_list(user, name, fields.get("rootPath"), fields.get("accNo"))
        if errors:
            # The real server reports validation failures as HTTP 500 with a FAIL log.
            return fail(500, f"Invalid file list '{name}'", errors)
        return Response(200)

    # ------------------------------------------------------------ submissions

    def _parse_submission(self, request: Request, user: User) -> tuple[dict[str, Any] | None, Response | None]:
        kind = request.header("Submission_Type")
        if kind.split(";")[0].strip().lower() != "application/json":
            return None, fail(415, f"Unsupported submission type '{kind}' (this stand-in reads PageTab JSON)")
        try:
            document = request.json()
        except (ValueError, UnicodeDecodeError):
            return None, fail(400, "The submission is not valid JSON")
        errors = check_pagetab(document)
        if errors:
            return None, fail(400, "Submission validation errors", errors)
        return document, None

    def _accept(self, document: dict[str, Any], user: User, request: Request) -> tuple[SubmitRequest | None, Response]:
        acc_no = document.get("accno") or ""
        title = _attribute(document.get("attributes"), "Title") or _attribute(
            document["section"].get("attributes"), "Title"
        )
        if acc_no:
            study = self.studies.get(acc_no)
            pending = [r for r in self.submit_requests if r.acc_no == acc_no and r.owner == user.email.lower()]
            if study is None and not pending:
                return None, fail(400, f"The user {user.email} is not allowed to set the accession {acc_no}")
            owner = study.owner if study else pending[0].owner
            if owner != user.email.lower():
                return None, fail(403, f"The user {user.email} is not allowed to submit to {acc_no}")
            if any(r.active for r in pending):
                return None, fail(
                    400,
                    f"Submission request can't be accepted. Another version for '{acc_no}' "
                    "is currently being processed.",
                )
            version = max([v.version for v in (study.versions if study else [])] + [r.version for r in pending]) + 1
        else:
            collection = _attribute(document.get("attributes"), "AttachTo")
            if collection and collection.lower() not in COLLECTION_PREFIXES:
                return None, fail(400, f"The collection '{collection}' does not exist")
            prefix = COLLECTION_PREFIXES.get(collection.lower(), "S-BSST")
            acc_no = f"{prefix}{self._next_accession}"
            self._next_accession += 1
            version = 1
        stored = json.loads(json.dumps(document))
        stored["accno"] = acc_no
        root_path = _attribute(document.get("attributes"), "RootPath") or None
        submit = SubmitRequest(acc_no, version, user.email.lower(), stored, title, now_iso(), root_path)
        return submit, Response(200)

    def _check_files(self, submit: SubmitRequest, user: User) -> tuple[list[str], dict[str, bytes]]:
        errors: list[str] = []
        copied: dict[str, bytes] = {}
        previous_acc = submit.acc_no if submit.version > 1 else None
        for name in file_list_names(submit.pagetab):
            _, list_errors, files = self._read_file_list(user, name, submit.root_path, previous_acc)
            errors += list_errors
            copied.update(files)
        return errors, copied

    def _store(self, submit: SubmitRequest, copied: dict[str, bytes]) -> None:
        study = self.studies.get(submit.acc_no)
        if study is None:
            study = self.studies[submit.acc_no] = Study(submit.acc_no, submit.owner, submit.created)
        study.versions.append(StoredVersion(submit.version, submit.pagetab, submit.title, now_iso(), copied))

    def submit_async(self, request: Request, user: User) -> Response:
        document, error = self._parse_submission(request, user)
        if error is not None:
            return error
        assert document is not None
        submit, answer = self._accept(document, user, request)
        if submit is None:
            return answer
        self.submit_requests.append(submit)
        return json_response(200, {"accNo": submit.acc_no, "version": submit.version})

    def submit_sync(self, request: Request, user: User) -> Response:
        document, error = self._parse_submission(request, user)
        if error is not None:
            return error
        assert document is not None
        submit, answer = self._accept(document, user, request)
        if submit is None:
            return answer
        errors, copied = self._check_files(submit, user)
        if errors:
            return fail(400, "Submission validation errors", errors)
        submit.status, submit.status_index = "PROCESSED", STATUS_FLOW.index("PROCESSED")
        self.submit_requests.append(submit)
        self._store(submit, copied)
        return json_response(200, submit.pagetab)

    def _find_request(self, user: User, acc_no: str, version: str) -> SubmitRequest | None:
        return next(
            (
                r
                for r in self.submit_requests
                if r.acc_no == acc_no and r.version == int(version) and r.owner == user.email.lower()
            ),
            None,
        )

    def request_status(self, request: Request, user: User, acc_no: str, version: str) -> Response:
        submit = self._find_request(user, acc_no, version)
        if submit is None:
            return fail(404, f"Submission request '{acc_no}', version: {version} was not found")
        if submit.active:
            files_step = STATUS_FLOW.index("FILES_VALIDATED")
            target = min(submit.status_index + self.steps_per_poll, STATUS_FLOW.index("PROCESSED"))
            if submit.status_index < files_step <= target:
                errors, copied = self._check_files(submit, user)
                if errors:
                    submit.status, submit.errors = "INVALID", errors
                    return json_response(200, submit.status)
                submit.copied = copied
            submit.status_index = target
            submit.status = STATUS_FLOW[target]
            if submit.status == "PROCESSED":
                self._store(submit, submit.copied)
        elif submit.status == "PROCESSED":
            submit.status_index, submit.status = STATUS_FLOW.index("POST_PROCESSED"), "POST_PROCESSED"
        return json_response(200, submit.status)

    def request_errors(self, request: Request, user: User, acc_no: str, version: str) -> Response:
        submit = self._find_request(user, acc_no, version)
        if submit is None:
            return fail(404, f"Submission request '{acc_no}', version: {version} was not found")
        return json_response(200, submit.errors)

    def list_submissions(self, request: Request, user: User) -> Response:
        keywords = (request.arg("keywords") or "").lower()
        wanted = request.arg("accNo")
        limit = int(request.arg("limit") or 15)
        offset = int(request.arg("offset") or 0)
        rows: dict[str, dict[str, Any]] = {}
        for study in self.studies.values():
            if study.owner != user.email.lower() or not study.versions:
                continue
            latest = study.versions[-1]
            rows[study.acc_no] = {
                "accno": study.acc_no,
                "title": latest.title,
                "version": latest.version,
                "ctime": study.ctime,
                "mtime": latest.mtime,
                "rtime": None,
                "method": "PAGE_TAB",
                "status": "PROCESSED",
            }
        for submit in self.submit_requests:
            if submit.owner != user.email.lower() or not submit.active:
                continue
            study = self.studies.get(submit.acc_no)
            rows[submit.acc_no] = {
                "accno": submit.acc_no,
                "title": submit.title,
                "version": submit.version,
                "ctime": study.ctime if study else submit.created,
                "mtime": submit.created,
                "rtime": None,
                "method": "PAGE_TAB",
                "status": "PROCESSING",
            }
        selected = [
            row
            for row in rows.values()
            if (not keywords or keywords in row["title"].lower()) and (not wanted or row["accno"] == wanted)
        ]
        selected.sort(key=lambda row: row["mtime"], reverse=True)
        return json_response(200, selected[offset : offset + limit])

    def get_submission(self, request: Request, user: User, acc_no: str) -> Response:
        study = self.studies.get(acc_no)
        if study is None or not study.versions or study.owner != user.email.lower():
            return fail(404, f"The submission '{acc_no}' was not found")
        return json_response(200, study.versions[-1].pagetab)

    def delete_submission(self, request: Request, user: User, acc_no: str) -> Response:
        study = self.studies.get(acc_no)
        if study is None or study.owner != user.email.lower():
            return fail(404, f"The submission '{acc_no}' was not found")
        del self.studies[acc_no]
        return Response(200)
