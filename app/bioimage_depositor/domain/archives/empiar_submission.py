"""The EMPIAR deposition of one study component as a persisted state machine (``empiar.md`` §2.2).

Steps, each saved before the next begins::

    entry        → create the entry (or adopt one the user names); re-deposit the full JSON when it changed
    directory    → wait for the upload folder when EMPIAR prepares it in the background
    thumbnail    → the entry's picture (skipped when none is given)
    rights       → grant rights to the people named, one saved mark per principal kind
    share        → share the upload folder with the depositor's Globus identity (skipped without one)
    transfer     → the component's files (and the transform files) into ``<folder>/data/`` (resumable)
    acknowledge  → tell EMPIAR the upload is complete
    submit       → submit the entry
    accession    → poll until EMPIAR gives the accession

No duplicate entries after a crash: the time of the create request is saved
before it is sent. A resumed run that finds the mark without an entry number
looks for the entry among the user's entries (an undocumented listing, see
:meth:`~.empiar_client.EmpiarClient.find_entries`) and adopts an unsubmitted
one with the same title; when EMPIAR offers no listing, the run stops and asks
the user to check their EMPIAR account, rather than risk a second entry. The
submit request is guarded the same way, by asking ``submit_entry/`` for the
entry's submission status first.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .empiar_client import PRINCIPAL_KINDS, EmpiarClient, EntryRef
from .errors import ArchiveError
from .inputs import EmpiarInputs
from .journal import Journal, PollSettings
from .state import EmpiarProgress, utc_now
from .uploads import TransferFn, check_local_files, empiar_target

log = logging.getLogger(__name__)

ARCHIVE = "EMPIAR"


@dataclass(frozen=True)
class Grant:
    """Rights on an entry for one person: ``kind`` is ``u`` (username), ``e`` (e-mail) or ``o`` (ORCID iD)."""

    kind: str
    principal: str
    right: int


@dataclass(frozen=True)
class EmpiarOptions:
    """Choices for the EMPIAR depositions of a run.

    Attributes
    ----------
    thumbnail
        PNG (at least 400 × 400) shown for every entry; ``None`` skips the step.
    grants
        Rights to give on every entry.
    globus_identity
        The depositor's Globus identity (``name@globusid.org``) the upload folder is shared with.
    entry_ids
        Component id → existing entry number to use instead of creating one.
    new_entry
        Component ids for which the user confirmed that no entry exists (after an uncertain creation).
    """

    thumbnail: Path | None = None
    grants: Sequence[Grant] = ()
    globus_identity: str = ""
    entry_ids: dict[str, int] = field(default_factory=dict)
    new_entry: frozenset[str] = frozenset()


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


class EmpiarSubmission:
    """Drives EMPIAR entries from deposition JSON and files on disk to accessions.

    Parameters
    ----------
    connect
        Returns the API client; called only when a step needs the server (so a
        finished run never asks for the token).
    upload_root
        Root URL of EMPIAR's upload area (:class:`~.uploads.UploadRoots`).
    transfer
        The resumable transfer function.
    journal
        Saves the record and reports progress.
    options
        Thumbnail, rights, Globus identity and entries to adopt.
    poll
        How to wait while EMPIAR prepares a folder or processes a submission.
    """

    def __init__(
        self,
        connect: Callable[[], EmpiarClient],
        upload_root: str,
        transfer: TransferFn,
        journal: Journal,
        options: EmpiarOptions | None = None,
        poll: PollSettings | None = None,
    ) -> None:
        self._connect = connect
        self._client: EmpiarClient | None = None
        self.upload_root = upload_root
        self.transfer = transfer
        self.journal = journal
        self.options = options or EmpiarOptions()
        self.poll = poll or PollSettings(interval=20.0)

    @property
    def client(self) -> EmpiarClient:
        """The API client (connected on first use)."""
        if self._client is None:
            self._client = self._connect()
        return self._client

    # ------------------------------------------------------------ entry

    def _other_entries(self, component_id: str) -> set[int]:
        return {
            p.entry_id
            for key, p in self.journal.record.empiar.items()
            if key != component_id and p.entry_id is not None
        }

    def _find_created(self, progress: EmpiarProgress, part: EmpiarInputs) -> EntryRef | None:
        """The entry a crashed run's create request made, if the server lists it."""
        entries = self.client.find_entries()
        if entries is None:
            raise ArchiveError(
                "empiar.create_uncertain",
                f"The program asked EMPIAR to create the entry for '{part.name}', but stopped before the answer "
                "arrived, and EMPIAR offers no way to check. Look at your depositions on "
                "https://empiar.org/deposition/: if an entry titled "
                f"'{part.title}' is there, run the submission again naming it "
                f"(--empiar-entry '{part.component_id}=<entry number>'); if there is none, run again with "
                f"--empiar-new-entry '{part.component_id}'.",
                permanent=True,
                archive=ARCHIVE,
            )
        taken = self._other_entries(progress.component_id)
        matches = [e for e in entries if e.title == part.title and not e.submitted and e.entry_id not in taken]
        if not matches:
            return None
        newest = max(matches, key=lambda entry: entry.entry_id)
        return EntryRef(newest.entry_id, newest.directory)

    def _entry(self, progress: EmpiarProgress, part: EmpiarInputs) -> None:
        digest = sha256_bytes(part.document)
        component = part.component_id
        adopt = self.options.entry_ids.get(component)
        if progress.entry_id is None and adopt is not None:
            progress.entry_id, progress.adopted, progress.metadata_sha256 = adopt, True, ""
            progress.create_requested_at = None
            self.journal.commit(ARCHIVE, "entry", component=component, detail=f"using existing entry {adopt}")
        if progress.entry_id is None:
            self.journal.start(ARCHIVE, "entry", component=component)
            found = None
            if progress.create_requested_at is not None and component not in self.options.new_entry:
                found = self._find_created(progress, part)
            # An entry found again (not created by this call) may hold older metadata: re-send it below.
            progress.metadata_sha256 = ""
            if found is None:
                progress.create_requested_at = utc_now()
                self.journal.mark(ARCHIVE, "entry", component=component)
                try:
                    found = self.client.create_entry(part.document)
                    progress.metadata_sha256 = digest
                except ArchiveError as error:
                    if error.code != "server.uncertain":
                        raise
                    found = self._find_created(progress, part)
                    if found is None:
                        raise
            progress.entry_id, progress.directory = found.entry_id, found.directory or ""
            progress.title = part.title
            self.journal.commit(ARCHIVE, "entry", component=component, detail=f"entry {found.entry_id}")
        if progress.metadata_sha256 != digest:
            entry_id = progress.entry_id
            assert entry_id is not None
            if progress.submitted:
                self.journal.commit(
                    ARCHIVE,
                    "metadata",
                    "skipped",
                    component=component,
                    detail=f"the metadata changed after entry {entry_id} was submitted; ask EMPIAR "
                    "(empiar-help@ebi.ac.uk) to apply the change",
                )
                return
            self.journal.start(ARCHIVE, "metadata", component=component)
            ref = self.client.redeposit(entry_id, part.document_json())
            progress.metadata_sha256 = digest
            progress.directory = ref.directory or progress.directory
            progress.title = part.title
            self.journal.commit(ARCHIVE, "metadata", component=component, detail=f"entry {entry_id} updated")

    def _directory(self, progress: EmpiarProgress, component: str) -> None:
        if progress.directory:
            return
        entry_id = progress.entry_id
        assert entry_id is not None
        self.journal.start(ARCHIVE, "directory", component=component)
        started = self.journal.monotonic()
        while True:
            directory = self.client.upload_directory(entry_id)
            if directory:
                break
            if self.journal.monotonic() - started > self.poll.timeout:
                raise ArchiveError(
                    "empiar.still_preparing",
                    f"EMPIAR is still preparing the upload folder of entry {entry_id}. Nothing is lost: run the "
                    "submission again later and it continues.",
                    archive=ARCHIVE,
                )
            self.journal.waiting(ARCHIVE, "directory", component=component, detail=f"entry {entry_id}")
            self.journal.sleep(self.poll.interval)
        progress.directory = directory
        self.journal.commit(ARCHIVE, "directory", component=component, detail="upload folder ready")

    # ------------------------------------------------------------ entry details

    def _thumbnail(self, progress: EmpiarProgress, component: str) -> None:
        image = self.options.thumbnail
        entry_id = progress.entry_id
        assert entry_id is not None
        if image is None:
            if not progress.thumbnail_done:
                progress.thumbnail_done = True
                self.journal.commit(ARCHIVE, "thumbnail", "skipped", component=component, detail="no thumbnail given")
            return
        try:
            digest = sha256_bytes(image.read_bytes())
        except OSError as error:
            raise ArchiveError(
                "local.missing",
                f"The thumbnail {image} cannot be read ({error.strerror or error}).",
                permanent=True,
                archive=ARCHIVE,
            ) from None
        if progress.thumbnail_sha256 == digest:
            return
        self.journal.start(ARCHIVE, "thumbnail", component=component)
        self.client.upload_thumbnail(entry_id, image)
        progress.thumbnail_sha256, progress.thumbnail_done = digest, True
        self.journal.commit(ARCHIVE, "thumbnail", component=component, detail=image.name)

    def _rights(self, progress: EmpiarProgress, component: str) -> None:
        entry_id = progress.entry_id
        assert entry_id is not None
        for kind in PRINCIPAL_KINDS:
            grants = {g.principal: g.right for g in self.options.grants if g.kind == kind}
            if not grants or kind in progress.rights_done:
                continue
            self.journal.start(ARCHIVE, "rights", component=component, detail=", ".join(grants))
            confirmed = self.client.grant_rights(entry_id, kind, grants)
            missing = sorted(set(grants) - confirmed)
            if missing:
                raise ArchiveError(
                    "empiar.rights_partial",
                    f"EMPIAR did not give rights on entry {entry_id} to {', '.join(missing)}; check the "
                    "names (EMPIAR usernames, e-mail addresses of EMPIAR accounts or ORCID iDs) and run again.",
                    permanent=True,
                    archive=ARCHIVE,
                )
            progress.rights_done.append(kind)
            self.journal.commit(ARCHIVE, "rights", component=component, detail=", ".join(sorted(grants)))

    def _share(self, progress: EmpiarProgress, component: str) -> None:
        identity = self.options.globus_identity
        entry_id = progress.entry_id
        assert entry_id is not None
        if progress.share_done or not identity:
            return
        self.journal.start(ARCHIVE, "share", component=component)
        note = self.client.share_globus_directory(entry_id, identity)
        progress.share_done = True
        self.journal.commit(ARCHIVE, "share", component=component, detail=note or f"shared with {identity}")

    # ------------------------------------------------------------ data and submission

    def _transfer(self, progress: EmpiarProgress, part: EmpiarInputs) -> None:
        if progress.transfer_done:
            return
        component = part.component_id
        entry_id = progress.entry_id
        assert entry_id is not None
        self.journal.start(ARCHIVE, "transfer", component=component, detail=f"{len(part.uploads)} file(s)")
        problems = check_local_files(part.uploads)
        if problems:
            raise ArchiveError(
                "local.changed",
                "Some files cannot be uploaded: " + " ".join(problems[:5]) + (" …" if len(problems) > 5 else ""),
                permanent=True,
                archive=ARCHIVE,
                details=problems,
            )
        report = self.transfer(part.uploads, empiar_target(self.upload_root, entry_id, progress.directory))
        if not report.complete:
            raise ArchiveError(
                "transfer.incomplete",
                f"{report.files_total - report.files_done} of {report.files_total} file(s) did not reach EMPIAR; "
                "run the submission again to send the rest.",
                archive=ARCHIVE,
                details=list(report.failed),
            )
        progress.transfer_done = True
        progress.transfer_report = report.to_json()
        self.journal.commit(ARCHIVE, "transfer", component=component, detail=f"{report.files_done} file(s) uploaded")

    def _acknowledge(self, progress: EmpiarProgress, component: str) -> None:
        if progress.acknowledged:
            return
        entry_id = progress.entry_id
        assert entry_id is not None
        self.journal.start(ARCHIVE, "acknowledge", component=component)
        try:
            self.client.acknowledge_upload(entry_id)
        except ArchiveError as error:
            if error.status != 404:
                raise
            # Servers of the 1.6b30 generation have no acknowledgement endpoint: nothing to confirm.
            progress.acknowledged = True
            self.journal.commit(ARCHIVE, "acknowledge", "skipped", component=component, detail="not offered")
            return
        progress.acknowledged = True
        self.journal.commit(ARCHIVE, "acknowledge", component=component, detail="upload confirmed")

    def _submit(self, progress: EmpiarProgress, component: str) -> None:
        if progress.submitted:
            return
        entry_id = progress.entry_id
        assert entry_id is not None
        self.journal.start(ARCHIVE, "submit", component=component)
        accession = None
        if progress.submit_requested_at is not None:
            status = self.client.submission_status(entry_id)
            if status.state != "not_submitted":
                progress.submitted, accession = True, status.accession
        if not progress.submitted:
            progress.submit_requested_at = utc_now()
            self.journal.mark(ARCHIVE, "submit", component=component)
            try:
                accession = self.client.submit(entry_id)
            except ArchiveError as error:
                if error.code != "server.uncertain":
                    raise
                status = self.client.submission_status(entry_id)
                if status.state == "not_submitted":
                    raise
                accession = status.accession
            progress.submitted = True
        if accession:
            progress.accession, progress.completed_at = accession, utc_now()
        self.journal.commit(ARCHIVE, "submit", component=component, detail=f"entry {entry_id} submitted")

    def _accession(self, progress: EmpiarProgress, component: str) -> None:
        entry_id = progress.entry_id
        assert entry_id is not None
        if not progress.accession:
            self.journal.start(ARCHIVE, "accession", component=component)
            started = self.journal.monotonic()
            while True:
                status = self.client.submission_status(entry_id)
                if status.state == "completed" and status.accession:
                    progress.accession, progress.completed_at = status.accession, utc_now()
                    break
                if status.state == "not_submitted":
                    progress.submitted, progress.submit_requested_at = False, None
                    self.journal.save()
                    raise ArchiveError(
                        "empiar.not_submitted",
                        f"EMPIAR reports entry {entry_id} as not submitted; run the submission again to submit it.",
                        archive=ARCHIVE,
                    )
                if self.journal.monotonic() - started > self.poll.timeout:
                    raise ArchiveError(
                        "empiar.still_processing",
                        f"EMPIAR is still processing the submission of entry {entry_id}. Nothing is lost: run the "
                        "submission again later and it continues waiting for the accession.",
                        archive=ARCHIVE,
                    )
                self.journal.waiting(ARCHIVE, "accession", component=component, detail=f"entry {entry_id}")
                self.journal.sleep(self.poll.interval)
        self.journal.commit(ARCHIVE, "accession", component=component, detail=progress.accession)

    def run(self, part: EmpiarInputs) -> EmpiarProgress:
        """Run every step of one component's entry that is not yet done.

        Raises
        ------
        ArchiveError
            When a step fails; the record keeps everything done so far.
        """
        progress = self.journal.record.empiar_entry(part.component_id)
        component = part.component_id
        if progress.done:
            digest = sha256_bytes(part.document)
            detail = f"already submitted as {progress.accession}"
            if progress.metadata_sha256 and progress.metadata_sha256 != digest:
                detail += "; the metadata changed since: ask EMPIAR (empiar-help@ebi.ac.uk) to apply the change"
            self.journal.commit(ARCHIVE, "entry", "skipped", component=component, detail=detail)
            return progress
        self._entry(progress, part)
        self._directory(progress, component)
        self._thumbnail(progress, component)
        self._rights(progress, component)
        self._share(progress, component)
        self._transfer(progress, part)
        self._acknowledge(progress, component)
        self._submit(progress, component)
        self._accession(progress, component)
        return progress
