"""The submission record: where each archive's submission of a draft stands, saved after every step.

One JSON file per draft, ``<state dir>/submissions/<draft id>.json``, rewritten
atomically (:func:`~..atomic_io.atomic_write_bytes`) every time a step's
outcome is known and *before* the next step starts, so a run that is quit,
crashes or loses power continues from the step it was in. Steps that create
something on a server first record that they are about to ask
(``*_requested_at``); a resumed run that finds such a mark without the answer
asks the server whether the request took effect before sending it again.

The record holds no secret: no token, password, session id or secret upload
folder (the BIA folder is fetched again at every sign-in). A lock file next to
it stops two processes from driving the same draft's submission at once.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ... import paths
from ..atomic_io import atomic_write_bytes
from ..draft_errors import DraftLockedError
from ..draft_lock import DraftLock
from .errors import ArchiveError

RECORD_FORMAT = "bioimage-depositor-submission"
SCHEMA_VERSION = 1
#: Oldest events are dropped beyond this many (the record stays small).
MAX_EVENTS = 500


def utc_now() -> dt.datetime:
    """The current time in UTC."""
    return dt.datetime.now(dt.UTC)


class _Part(BaseModel):
    # Unknown keys written by a newer version are ignored rather than refused.
    model_config = ConfigDict(extra="ignore", validate_assignment=False)


class Event(_Part):
    """One step outcome, for the history shown to the user."""

    at: dt.datetime
    archive: str
    step: str
    outcome: str  # "done", "skipped", "failed", "waiting"
    component: str = ""
    detail: str = ""


class BiaProgress(_Part):
    """The BIA study's submission."""

    account: str = ""  # e-mail of the account the files went to
    transfer_done: bool = False
    transfer_report: dict[str, Any] = Field(default_factory=dict)
    validated: list[str] = Field(default_factory=list)
    submit_requested_at: dt.datetime | None = None
    acc_no: str = ""
    version: int = 0
    status: str = ""
    accession: str = ""
    completed_at: dt.datetime | None = None
    errors: list[str] = Field(default_factory=list)

    @property
    def done(self) -> bool:
        """Whether the study is stored with its accession."""
        return bool(self.accession)


class BacklinkProgress(_Part):
    """The BIA study's update that links the EMPIAR entries of a correlative study."""

    empiar_accessions: dict[str, str] = Field(default_factory=dict)
    base_version: int = 0
    requested_at: dt.datetime | None = None
    version: int = 0
    status: str = ""
    completed_at: dt.datetime | None = None

    @property
    def done(self) -> bool:
        """Whether the updated version is stored."""
        return self.completed_at is not None


class EmpiarProgress(_Part):
    """One EMPIAR entry's deposition."""

    component_id: str
    title: str = ""
    entry_id: int | None = None
    directory: str = ""
    create_requested_at: dt.datetime | None = None
    adopted: bool = False  # the entry was named by the user, not created by this program
    metadata_sha256: str = ""
    thumbnail_sha256: str = ""
    thumbnail_done: bool = False
    rights_done: list[str] = Field(default_factory=list)
    share_done: bool = False
    transfer_done: bool = False
    transfer_report: dict[str, Any] = Field(default_factory=dict)
    acknowledged: bool = False
    submit_requested_at: dt.datetime | None = None
    submitted: bool = False
    accession: str = ""
    completed_at: dt.datetime | None = None

    @property
    def done(self) -> bool:
        """Whether the entry is submitted and has its accession."""
        return bool(self.accession)


class SubmissionRecord(_Part):
    """Everything known about one draft's submission."""

    format: Literal["bioimage-depositor-submission"] = "bioimage-depositor-submission"
    schema_version: int = SCHEMA_VERSION
    draft_id: str
    created: dt.datetime = Field(default_factory=utc_now)
    updated: dt.datetime = Field(default_factory=utc_now)
    bia: BiaProgress = Field(default_factory=BiaProgress)
    backlink: BacklinkProgress = Field(default_factory=BacklinkProgress)
    empiar: dict[str, EmpiarProgress] = Field(default_factory=dict)
    events: list[Event] = Field(default_factory=list)
    last_error: dict[str, Any] | None = None

    def empiar_entry(self, component_id: str) -> EmpiarProgress:
        """The progress of a component's EMPIAR entry (created empty when new)."""
        if component_id not in self.empiar:
            self.empiar[component_id] = EmpiarProgress(component_id=component_id)
        return self.empiar[component_id]

    def empiar_accessions(self) -> dict[str, str]:
        """Component id → EMPIAR accession, for the entries that have one."""
        return {key: value.accession for key, value in sorted(self.empiar.items()) if value.accession}


def submissions_dir() -> Path:
    """The folder of submission records (inside the per-user state folder)."""
    return paths.state_dir() / "submissions"


class SubmissionStore:
    """Reads and writes one draft's :class:`SubmissionRecord`.

    Parameters
    ----------
    draft_id
        The draft's id (file names derive from it).
    folder
        Where records live; :func:`submissions_dir` by default.
    """

    def __init__(self, draft_id: str, folder: Path | None = None) -> None:
        self.draft_id = draft_id
        self.folder = folder or submissions_dir()
        self.path = self.folder / f"{draft_id}.json"
        self._lock = DraftLock(self.folder / f"{draft_id}.lock", label=f"submission of draft {draft_id}")

    def load(self) -> SubmissionRecord:
        """The saved record, or a new one when none exists.

        Raises
        ------
        ArchiveError
            ``state.damaged`` when the file exists but cannot be read (it is left untouched).
        """
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return SubmissionRecord(draft_id=self.draft_id)
        except OSError as error:
            raise ArchiveError(
                "state.unreadable",
                f"The submission record {self.path} cannot be read ({error.strerror or error}).",
                permanent=True,
            ) from None
        try:
            record = SubmissionRecord.model_validate_json(data)
        except ValidationError:
            raise ArchiveError(
                "state.damaged",
                f"The submission record {self.path} is damaged. It was left as it is; move it aside only if "
                "you are sure nothing was submitted yet (check your archive accounts), then run again.",
                permanent=True,
            ) from None
        if record.draft_id != self.draft_id:
            raise ArchiveError(
                "state.damaged",
                f"The submission record {self.path} belongs to another draft ({record.draft_id}).",
                permanent=True,
            )
        return record

    def save(self, record: SubmissionRecord) -> None:
        """Write the record atomically (the old version or the new one, never half)."""
        record.updated = utc_now()
        if len(record.events) > MAX_EVENTS:
            del record.events[: len(record.events) - MAX_EVENTS]
        self.folder.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.path, record.model_dump_json(indent=2).encode("utf-8") + b"\n")

    def acquire(self) -> None:
        """Take the lock that keeps a second process from running this submission.

        Raises
        ------
        ArchiveError
            ``state.busy`` when another live process holds it (a crashed one's lock is taken over).
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire()
        except DraftLockedError as error:
            pid = error.params.get("pid")
            raise ArchiveError(
                "state.busy",
                f"This draft is already being submitted by another BioImage Depositor process (process {pid}). "
                "Wait for it to finish, or stop it, then run the submission again.",
                permanent=True,
            ) from None

    def release(self) -> None:
        """Give the lock back (never raises)."""
        self._lock.release()
