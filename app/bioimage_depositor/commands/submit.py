"""``bioimage-depositor submit DRAFT [--archive bia|empiar|all]``: submit a draft to the archives, headless.

The same persisted state machines as the wizard (:mod:`..domain.archives`): the
draft is exported (:func:`~..domain.exports.package.export_package`) into the
state folder, its files are moved into the archives' upload areas, the study is
submitted and the accessions are awaited. Every step's outcome is saved before
the next one starts, so running the same command again after a crash, a
Ctrl-C, a closed laptop or a server outage continues from where it stopped
without creating a second entry or sending a file twice. A correlative study
with ``--archive all`` goes to the BIA first, then to EMPIAR referencing the BIA
study, then the BIA study is updated with the EMPIAR accessions.

Credentials (never printed, never saved in the draft or the record):

* BIA: e-mail from ``--bia-login`` or ``BIOIMAGE_DEPOSITOR_BIA_LOGIN``; password from
  ``BIOIMAGE_DEPOSITOR_BIA_PASSWORD`` or the keyring (account ``bia:<e-mail>``);
* EMPIAR: API token from ``BIOIMAGE_DEPOSITOR_EMPIAR_TOKEN`` or the keyring
  (account ``empiar:token``).

Servers: production by default; ``--dev`` for the archives' test servers;
``--bia-api`` / ``--empiar-api`` (or ``BIOIMAGE_DEPOSITOR_BIA_API_URL`` /
``BIOIMAGE_DEPOSITOR_EMPIAR_API_URL``) for any other.

Exit codes: 0 submitted (every accession known); 1 the draft has blocking problems
or an archive rejected something (the message says what to fix); 2 unusable input
(draft, options or credentials); 3 stopped for now (network, server busy, still
processing): run the same command again later to continue.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..cli_errors import UsageError
from ..domain.draft_errors import DraftError
from .export import load_draft

if TYPE_CHECKING:  # the archives' clients (requests, pydantic models) are imported when the command runs
    from ..domain.archives.empiar_submission import EmpiarOptions, Grant
    from ..domain.archives.journal import Observer, StepEvent
    from ..domain.archives.state import SubmissionRecord
    from ..domain.archives.uploads import TransferFn, TransferReport, TransferTarget, UploadItem
    from ..domain.draft_file import DraftEnvelope
    from ..domain.transfer.transport import TransferError

EXIT_OK, EXIT_PROBLEMS, EXIT_UNUSABLE, EXIT_LATER = 0, 1, 2, 3
#: ``archives.session.BIA_LOGIN_ENV``, named in --help; spelled out here so --help does not import the
#: archives' clients (tests/test_cli_startup.py checks that the two agree).
BIA_LOGIN_ENV = "BIOIMAGE_DEPOSITOR_BIA_LOGIN"

#: Error codes that mean the user must fix an input, not wait.
_INPUT_CODES = frozenset(
    {"auth.missing", "auth.failed", "auth.expired", "local.no_source", "local.missing", "local.changed"}
)
_ORCID = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")
_RIGHT_NAMES = {"owner": 1, "view": 2, "edit": 3, "submit": 4}


# ---------------------------------------------------------------- the transfer engine


def make_transfer(args: argparse.Namespace) -> TransferFn:
    """The transfer function the submission uses: the resumable engine, one ledger per upload target."""
    from ..domain.archives.engine_transfer import engine_transfer

    parallel = max(1, int(getattr(args, "parallel", 2) or 2))

    def transfer(items: Sequence[UploadItem], target: TransferTarget) -> TransferReport:
        return engine_transfer(items, target, parallel=parallel)

    return transfer


# ---------------------------------------------------------------- credentials


def bia_credentials(args: argparse.Namespace) -> tuple[str, str]:
    """The BIA account's e-mail and password (asked for only when the BIA has work to do)."""
    from ..domain.archives.errors import ArchiveError
    from ..domain.archives.session import bia_credentials as _bia_credentials
    from ..domain.archives.session import bia_login_from_environment

    login = bia_login_from_environment(getattr(args, "bia_login", None))
    if not login:
        raise ArchiveError(
            "auth.missing",
            f"No BioImage Archive account is set: give --bia-login E-MAIL (or set {BIA_LOGIN_ENV}).",
            permanent=True,
            archive="BIA",
        )
    return _bia_credentials(login)


def empiar_token() -> str:
    """The EMPIAR API token (asked for only when EMPIAR has work to do)."""
    from ..domain.archives.session import empiar_token as _empiar_token

    return _empiar_token()


# ---------------------------------------------------------------- options


def parse_grant(text: str) -> Grant:
    """``PRINCIPAL=RIGHT`` (right 1–4 or owner/view/edit/submit); the kind follows from the principal."""
    from ..domain.archives import empiar_client
    from ..domain.archives.empiar_submission import Grant

    principal, sep, right_text = text.rpartition("=")
    principal = principal.strip()
    if not sep or not principal:
        raise UsageError(f"--empiar-grant {text}: write PRINCIPAL=RIGHT, e.g. alan.doe@example.org=3.")
    right_text = right_text.strip().lower()
    right = _RIGHT_NAMES.get(right_text) or (int(right_text) if right_text.isdigit() else 0)
    if right not in empiar_client.RIGHTS:
        raise UsageError(f"--empiar-grant {text}: the right must be 1 (owner), 2 (view), 3 (edit) or 4 (submit).")
    bare = principal.removeprefix("https://orcid.org/")
    kind = "o" if _ORCID.match(bare) else "e" if "@" in principal else "u"
    return Grant(kind, bare if kind == "o" else principal, right)


def _component(envelope: DraftEnvelope, key: str, option: str) -> str:
    components = [c for c in envelope.deposition.components if c.archive == "EMPIAR"]
    match = [c for c in components if key in (c.id, c.name)]
    if not match:
        names = ", ".join(f"'{c.name}'" for c in components) or "none"
        raise UsageError(f"{option} {key}: no EMPIAR component of that name or id (EMPIAR components: {names}).")
    return match[0].id


def empiar_options(args: argparse.Namespace, envelope: DraftEnvelope) -> EmpiarOptions:
    """The EMPIAR choices of the command line."""
    from ..domain.archives.empiar_submission import EmpiarOptions

    entries: dict[str, int] = {}
    for value in args.empiar_entry:
        key, sep, number = value.rpartition("=")
        components = [c for c in envelope.deposition.components if c.archive == "EMPIAR"]
        if not sep:
            if len(components) != 1:
                raise UsageError(f"--empiar-entry {value}: say which component, as COMPONENT=ENTRY_NUMBER.")
            key = components[0].id
        if not number.strip().isdigit():
            raise UsageError(f"--empiar-entry {value}: the entry number must be a whole number.")
        entries[_component(envelope, key, "--empiar-entry")] = int(number)
    new_entry = frozenset(_component(envelope, key, "--empiar-new-entry") for key in args.empiar_new_entry)
    thumbnail = Path(args.empiar_thumbnail) if args.empiar_thumbnail else None
    if thumbnail is not None and not thumbnail.is_file():
        raise UsageError(f"--empiar-thumbnail {thumbnail}: no such file.")
    return EmpiarOptions(
        thumbnail=thumbnail,
        grants=tuple(parse_grant(text) for text in args.empiar_grant),
        globus_identity=(args.globus_identity or "").strip(),
        entry_ids=entries,
        new_entry=new_entry,
    )


# ---------------------------------------------------------------- output


def _printer(stream: Any) -> Observer:
    def show(event: StepEvent) -> None:
        if event.phase in ("start", "requested"):
            return
        where = event.archive + (f" [{event.component}]" if event.component else "")
        detail = f": {event.detail}" if event.detail else ""
        print(f"{where} {event.step} {event.phase}{detail}", file=stream, flush=True)

    return show


def _summary(record: SubmissionRecord) -> dict[str, Any]:
    return {
        "draft_id": record.draft_id,
        "bia": {
            "accession": record.bia.accession or None,
            "status": record.bia.status or None,
            "version": record.bia.version or None,
            "errors": record.bia.errors,
        },
        "empiar": {
            key: {"entry_id": p.entry_id, "accession": p.accession or None, "submitted": p.submitted}
            for key, p in sorted(record.empiar.items())
        },
        "backlink": {
            "done": record.backlink.done,
            "version": record.backlink.version or None,
            "empiar_accessions": record.backlink.empiar_accessions,
        },
    }


def _transfer_error_json(error: TransferError) -> dict[str, Any]:
    return {"code": error.code, "message": str(error), "permanent": error.permanent}


def _exit_code(error: TransferError) -> int:
    if error.code in _INPUT_CODES:
        return EXIT_UNUSABLE
    return EXIT_PROBLEMS if error.permanent else EXIT_LATER


# ---------------------------------------------------------------- the command


def run_submit(
    args: argparse.Namespace,
    *,
    transfer: TransferFn | None = None,
    observer: Observer | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Run the submission of ``args.draft``; return the exit code.

    Parameters
    ----------
    args
        The parsed command line.
    transfer
        The transfer function; :func:`make_transfer` when omitted.
    observer
        Also told about every step (the command prints them unless ``--json``).
    sleep
        Pause between status polls.
    """
    from ..domain.archives.errors import ArchiveError
    from ..domain.archives.session import RunSettings, Servers, SubmissionRun
    from ..domain.exports.package import ExportBlockedError, ExportError
    from ..domain.transfer.transport import TransferError

    out = sys.stdout
    try:
        envelope, label = load_draft(args.draft, getattr(args, "drafts_dir", None))
        options = empiar_options(args, envelope)
    except (DraftError, UsageError) as error:
        return _fail(args, getattr(error, "code", "usage"), getattr(error, "message", str(error)), EXIT_UNUSABLE)
    chosen_transfer = transfer or _lazy_transfer(args)
    printer = _printer(out) if not args.json else None

    def observe(event: StepEvent) -> None:
        if printer is not None:
            printer(event)
        if observer is not None:
            observer(event)

    servers = Servers.from_environment(dev=bool(args.dev), bia_api=args.bia_api, empiar_api=args.empiar_api)
    settings = RunSettings(
        archives=args.archive,
        bia_poll_interval=args.poll_interval if args.poll_interval is not None else 15.0,
        empiar_poll_interval=args.poll_interval if args.poll_interval is not None else 20.0,
        wait_timeout=float(args.wait_timeout),
    )
    submission = SubmissionRun(
        envelope,
        servers,
        bia_credentials=lambda: bia_credentials(args),
        empiar_token=empiar_token,
        options=options,
        transfer=chosen_transfer,
        settings=settings,
        observer=observe,
        sleep=sleep,
    )
    try:
        record = submission.open()
    except ArchiveError as error:  # another process runs it, or the record is damaged
        return _fail(args, error.code, str(error), EXIT_UNUSABLE)
    try:
        try:
            submission.run()
        except ExportBlockedError as error:
            if args.json:
                problems = [p.to_json() for p in error.problems]
                return _fail(args, error.code, f"{label} has blocking problems", EXIT_PROBLEMS, problems)
            for problem in error.problems:
                print(f"{problem.severity:<8}{problem.path}  [{problem.code}]\n        {problem.message}")
            print(f"{label}: {len(error.problems)} problem(s) to fix before it can be submitted; nothing was sent.")
            return EXIT_PROBLEMS
        except ExportError as error:
            return _fail(args, error.code, error.message, EXIT_UNUSABLE)
        except UsageError as error:
            return _fail(args, "usage", str(error), EXIT_UNUSABLE)
        except TransferError as error:  # ArchiveError, or the transfer engine's own errors
            code = _exit_code(error)
            details = error.details if isinstance(error, ArchiveError) else ()
            if args.json:
                payload = error.to_json() if isinstance(error, ArchiveError) else _transfer_error_json(error)
                _json_out({"target": label, "submitted": False, "error": payload, **_summary(record)})
            else:
                print(f"bioimage-depositor: {error}", file=sys.stderr)
                for line in details[:10]:
                    print(f"    {line}", file=sys.stderr)
                if code == EXIT_LATER:
                    print("Nothing is lost: run the same command again to continue.", file=sys.stderr)
            return code
        summary = _summary(record)
        if args.json:
            _json_out({"target": label, "submitted": True, **summary})
        else:
            if record.bia.accession:
                print(f"BIA study: {record.bia.accession}")
            for key, progress in sorted(record.empiar.items()):
                if progress.accession:
                    print(f"EMPIAR entry {progress.entry_id} ({key}): {progress.accession}")
            if record.backlink.done:
                print(f"The BIA study {record.bia.accession} links the EMPIAR entries.")
        return EXIT_OK
    finally:
        submission.close()


def _lazy_transfer(args: argparse.Namespace) -> TransferFn:
    """Build the transfer function only when a file actually has to move."""
    made: list[TransferFn] = []

    def transfer(items: Sequence[UploadItem], target: TransferTarget) -> TransferReport:
        if not made:
            made.append(make_transfer(args))
        return made[0](items, target)

    return transfer


def _json_out(payload: Mapping[str, Any]) -> None:
    json.dump(payload, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def _fail(
    args: argparse.Namespace, code: str, message: str, exit_code: int, problems: list[dict[str, Any]] | None = None
) -> int:
    if getattr(args, "json", False):
        payload: dict[str, Any] = {
            "target": args.draft,
            "submitted": False,
            "error": {"code": code, "message": message},
        }
        if problems is not None:
            payload["problems"] = problems
        _json_out(payload)
    else:
        print(f"bioimage-depositor: {message}", file=sys.stderr)
    return exit_code


def cmd_submit(args: argparse.Namespace) -> int:
    """Submit a draft to the archives."""
    return run_submit(args)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``submit`` command."""
    parser = subparsers.add_parser(
        "submit",
        help="submit a draft to the BIA and/or EMPIAR; run again to continue after any interruption",
        description="Export the draft, upload its files, submit it and wait for the accessions. Every step is "
        "saved, so running the command again continues where it stopped without duplicating anything.",
    )
    parser.add_argument("draft", help="a draft file (.json or .biodraft), a draft folder, or a draft's name")
    parser.add_argument(
        "--archive", choices=("bia", "empiar", "all"), default="all", help="what to submit (default: all)"
    )
    parser.add_argument("--bia-login", metavar="E-MAIL", help=f"the BioImage Archive account (or {BIA_LOGIN_ENV})")
    parser.add_argument("--dev", action="store_true", help="use the archives' test servers, not production")
    parser.add_argument("--bia-api", metavar="URL", help="BioStudies submission API root (default: production)")
    parser.add_argument("--empiar-api", metavar="URL", help="EMPIAR deposition API root (default: production)")
    parser.add_argument("--empiar-thumbnail", metavar="PNG", help="picture for the EMPIAR entries (≥ 400 × 400)")
    parser.add_argument(
        "--empiar-grant",
        action="append",
        default=[],
        metavar="PRINCIPAL=RIGHT",
        help="give an EMPIAR username, e-mail or ORCID iD rights on the entries: 1 owner, 2 view, 3 edit, "
        "4 submit (repeatable)",
    )
    parser.add_argument("--globus-identity", metavar="ID", help="your Globus identity, e.g. name@globusid.org")
    parser.add_argument(
        "--empiar-entry",
        action="append",
        default=[],
        metavar="COMPONENT=ENTRY",
        help="use this existing EMPIAR entry for a component instead of creating one (repeatable)",
    )
    parser.add_argument(
        "--empiar-new-entry",
        action="append",
        default=[],
        metavar="COMPONENT",
        help="confirm that no EMPIAR entry exists for a component whose creation was interrupted",
    )
    parser.add_argument("--poll-interval", type=float, metavar="SECONDS", help="seconds between status checks")
    parser.add_argument(
        "--wait-timeout",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="stop waiting for an archive after this long (run again later to continue; default 3600)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=cmd_submit)
