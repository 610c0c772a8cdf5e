"""The BIA submission as a persisted state machine (``bia.md`` §4, "Recommended sequence").

Steps, each saved before the next begins::

    sign_in   → the session and the secret upload folder (fetched again on every run, never saved)
    transfer  → the data files, file lists and transform files into the secret folder (resumable)
    validate  → fileLists/validate for every file list, one saved mark per list
    submit    → POST submissions/async; the accession and version the server assigns
    process   → poll the request until PROCESSED / POST_PROCESSED (or INVALID, with the server's errors)

and, for a correlative study once the EMPIAR accessions exist, the back-link:

    link_submit  → resubmit the study (same accession) with Links to the EMPIAR entries
    link_process → poll that version until it is stored

No duplicates after a crash: before a submit request is sent, the time of the
request is saved. A resumed run that finds that mark but no accession lists the
user's submissions and adopts the one with the same title created since the
mark (for the back-link: a version newer than the one it replaced); only when
there is none does it submit again.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping

from .bia_client import DONE_STATUSES, FAILED_STATUSES, BiaClient, BiaProfile, SubmissionId
from .errors import ArchiveError, redact
from .inputs import BiaInputs
from .journal import Journal, PollSettings
from .state import BiaProgress, utc_now
from .uploads import TransferFn, bia_target, check_local_files

log = logging.getLogger(__name__)

ARCHIVE = "BIA"

#: Clocks of client and server differ; a submission created this long before our mark still counts as ours.
CLOCK_SKEW = dt.timedelta(minutes=10)

Credentials = Callable[[], tuple[str, str]]


def _parse_time(text: str) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class BiaSubmission:
    """Drives one draft's BIA study from files on disk to an accession.

    Parameters
    ----------
    client
        The BioStudies API client.
    credentials
        Returns ``(e-mail, password)``; called only when a step needs the server.
    upload_root
        Root URL of the upload area (:class:`~.uploads.UploadRoots`).
    transfer
        The resumable transfer function.
    journal
        Saves the record and reports progress.
    poll
        How to wait while the archive processes the study.
    """

    def __init__(
        self,
        client: BiaClient,
        credentials: Credentials,
        upload_root: str,
        transfer: TransferFn,
        journal: Journal,
        poll: PollSettings | None = None,
    ) -> None:
        self.client = client
        self.credentials = credentials
        self.upload_root = upload_root
        self.transfer = transfer
        self.journal = journal
        self.poll = poll or PollSettings()
        self._profile: BiaProfile | None = None

    @property
    def progress(self) -> BiaProgress:
        """The BIA part of the record."""
        return self.journal.record.bia

    # ------------------------------------------------------------ steps

    def _sign_in(self) -> BiaProfile:
        if self._profile is not None:
            return self._profile
        self.journal.start(ARCHIVE, "sign_in")
        login, password = self.credentials()
        profile = self.client.sign_in(login, password)
        progress = self.progress
        if progress.account and progress.account.casefold() != profile.email.casefold() and not progress.done:
            raise ArchiveError(
                "bia.account_changed",
                f"This submission was started with the BioImage Archive account {progress.account}, but the "
                f"program is now signed in as {profile.email}. Sign in with {progress.account} to continue it.",
                permanent=True,
                archive=ARCHIVE,
            )
        if not progress.account:
            progress.account = profile.email
        self._profile = profile
        self.journal.commit(ARCHIVE, "sign_in", detail=f"signed in as {profile.email}")
        return profile

    def _transfer(self, inputs: BiaInputs) -> None:
        progress = self.progress
        if progress.transfer_done:
            return
        profile = self._sign_in()
        self.journal.start(ARCHIVE, "transfer", detail=f"{len(inputs.uploads)} file(s)")
        problems = check_local_files(inputs.uploads)
        if problems:
            raise ArchiveError(
                "local.changed",
                "Some files cannot be uploaded: " + " ".join(problems[:5]) + (" …" if len(problems) > 5 else ""),
                permanent=True,
                archive=ARCHIVE,
                details=problems,
            )
        target = bia_target(self.upload_root, profile.secret, profile.upload_type, profile.email)
        report = self.transfer(inputs.uploads, target)
        if not report.complete:
            raise ArchiveError(
                "transfer.incomplete",
                f"{report.files_total - report.files_done} of {report.files_total} file(s) did not reach the "
                "BioImage Archive upload folder; run the submission again to send the rest.",
                archive=ARCHIVE,
                details=[redact(line, [profile.secret]) for line in report.failed],
            )
        progress.transfer_done = True
        saved = report.to_json()
        # The engine may name the target; the secret folder never goes into the record.
        saved["detail"] = redact(report.detail, [profile.secret])
        progress.transfer_report = saved
        self.journal.commit(ARCHIVE, "transfer", detail=f"{report.files_done} file(s) in the upload folder")

    def _validate(self, inputs: BiaInputs) -> None:
        progress = self.progress
        remaining = [name for name in inputs.file_lists if name not in progress.validated]
        if not remaining:
            return
        self._sign_in()
        for name in remaining:
            self.journal.start(ARCHIVE, "validate", detail=name)
            self.client.validate_file_list(name, root_path=inputs.root_path)
            progress.validated.append(name)
            self.journal.commit(ARCHIVE, "validate", detail=name)

    def _find_own_submission(self, title: str, since: dt.datetime) -> SubmissionId | None:
        """A submission of this title the server created after ``since`` (a crashed run's request)."""
        earliest = since - CLOCK_SKEW
        candidates = []
        for row in self.client.list_submissions(keywords=title):
            created = _parse_time(row.created)
            if row.title == title and created is not None and created >= earliest and row.version > 0:
                candidates.append((created, row))
        if not candidates:
            return None
        _, newest = max(candidates, key=lambda pair: pair[0])
        return SubmissionId(newest.acc_no, newest.version)

    def _submit(self, inputs: BiaInputs) -> None:
        progress = self.progress
        if progress.acc_no:
            return
        self._sign_in()
        self.journal.start(ARCHIVE, "submit")
        found = None
        if progress.submit_requested_at is not None:
            found = self._find_own_submission(inputs.title, progress.submit_requested_at)
        if found is None:
            progress.submit_requested_at = utc_now()
            self.journal.mark(ARCHIVE, "submit")
            try:
                found = self.client.submit_async(inputs.pagetab)
            except ArchiveError as error:
                if error.code != "server.uncertain":
                    raise
                found = self._find_own_submission(inputs.title, progress.submit_requested_at)
                if found is None:
                    raise
        progress.acc_no, progress.version = found.acc_no, found.version
        self.journal.commit(ARCHIVE, "submit", detail=f"{found.acc_no} version {found.version} requested")

    def _wait(self, submission: SubmissionId, step: str, on_status: Callable[[str], None]) -> str:
        """Poll until the request is stored or invalid; returns the final status."""
        started = self.journal.monotonic()
        last = ""
        while True:
            status = self.client.request_status(submission)
            if status != last:
                on_status(status)
                self.journal.save()
                last = status
            if status in DONE_STATUSES or status in FAILED_STATUSES:
                return status
            if self.journal.monotonic() - started > self.poll.timeout:
                raise ArchiveError(
                    "bia.still_processing",
                    f"The BioImage Archive is still processing {submission.acc_no} (status {status}). Nothing is "
                    "lost: run the submission again later and it continues waiting.",
                    archive=ARCHIVE,
                )
            self.journal.waiting(ARCHIVE, step, detail=f"{submission.acc_no}: {status}")
            self.journal.sleep(self.poll.interval)

    def _invalid(self, submission: SubmissionId) -> ArchiveError:
        errors = self.client.request_errors(submission)
        reason = errors[0] if errors else "no reason given"
        return ArchiveError(
            "bia.submission_invalid",
            f"The BioImage Archive rejected the study ({submission.acc_no}): {reason}. Fix the draft (or the "
            "files) and run the submission again.",
            permanent=True,
            archive=ARCHIVE,
            details=errors,
        )

    def _process(self) -> None:
        progress = self.progress
        if progress.done:
            return
        self._sign_in()
        submission = SubmissionId(progress.acc_no, progress.version)
        self.journal.start(ARCHIVE, "process", detail=progress.acc_no)

        def record(status: str) -> None:
            progress.status = status

        status = self._wait(submission, "process", record)
        if status in FAILED_STATUSES:
            rejected = self._invalid(submission)
            progress.errors = list(rejected.details)
            # A fixed draft is submitted afresh: files are checked again and the request is repeated.
            progress.acc_no, progress.version, progress.submit_requested_at = "", 0, None
            progress.transfer_done, progress.validated = False, []
            self.journal.commit(ARCHIVE, "process", "failed", detail=str(rejected))
            raise rejected
        progress.accession = submission.acc_no
        progress.completed_at = utc_now()
        progress.errors = []
        self.journal.commit(ARCHIVE, "process", detail=f"stored as {submission.acc_no}")

    def run(self, inputs: BiaInputs) -> BiaProgress:
        """Run every step not yet done; return the progress (with the accession when finished).

        Raises
        ------
        ArchiveError
            When a step fails; the record keeps everything done so far.
        """
        if self.progress.done:
            self.journal.commit(ARCHIVE, "study", "skipped", detail=f"already stored as {self.progress.accession}")
            return self.progress
        self._transfer(inputs)
        self._validate(inputs)
        self._submit(inputs)
        self._process()
        return self.progress

    # ------------------------------------------------------------ back-link

    def _latest_version(self, acc_no: str) -> int:
        rows = [row for row in self.client.list_submissions(acc_no=acc_no) if row.acc_no == acc_no]
        return max((row.version for row in rows), default=0)

    def run_backlink(self, inputs: BiaInputs, empiar_accessions: Mapping[str, str]) -> None:
        """Resubmit the stored study with links to its EMPIAR entries (correlative studies).

        Parameters
        ----------
        inputs
            The BIA inputs exported with the BIA accession and the EMPIAR accessions.
        empiar_accessions
            Component id → EMPIAR accession that ``inputs`` links to.
        """
        progress, link = self.progress, self.journal.record.backlink
        wanted = dict(sorted(empiar_accessions.items()))
        if not progress.done or not wanted:
            return
        if link.done and link.empiar_accessions == wanted:
            self.journal.commit(ARCHIVE, "link", "skipped", detail="the study already links the EMPIAR entries")
            return
        if link.empiar_accessions != wanted:
            link.empiar_accessions, link.requested_at, link.version = wanted, None, 0
            link.status, link.completed_at, link.base_version = "", None, 0
        if inputs.pagetab.get("accno") != progress.accession:
            raise ArchiveError(
                "bia.link_mismatch",
                "The study update does not carry the study's accession (a program error; please report it).",
                permanent=True,
                archive=ARCHIVE,
            )
        self._sign_in()
        acc_no = progress.accession
        if not link.version:
            self.journal.start(ARCHIVE, "link_submit", detail=acc_no)
            found = 0
            if link.requested_at is not None:
                newest = self._latest_version(acc_no)
                found = newest if newest > link.base_version else 0
            if not found:
                link.base_version = self._latest_version(acc_no) or progress.version
                link.requested_at = utc_now()
                self.journal.mark(ARCHIVE, "link_submit", detail=acc_no)
                try:
                    found = self.client.submit_async(inputs.pagetab).version
                except ArchiveError as error:
                    if error.code != "server.uncertain":
                        raise
                    newest = self._latest_version(acc_no)
                    if newest <= link.base_version:
                        raise
                    found = newest
            link.version = found
            self.journal.commit(ARCHIVE, "link_submit", detail=f"{acc_no} version {found} requested")
        self.journal.start(ARCHIVE, "link_process", detail=acc_no)
        submission = SubmissionId(acc_no, link.version)

        def record(status: str) -> None:
            link.status = status

        status = self._wait(submission, "link_process", record)
        if status in FAILED_STATUSES:
            rejected = self._invalid(submission)
            link.requested_at, link.version = None, 0
            self.journal.commit(ARCHIVE, "link_process", "failed", detail=str(rejected))
            raise rejected
        link.completed_at = utc_now()
        accessions = ", ".join(wanted.values())
        self.journal.commit(ARCHIVE, "link_process", detail=f"{acc_no} now links {accessions}")
