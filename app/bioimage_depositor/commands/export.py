"""``bioimage-depositor export DRAFT --out DIR``: write the deposition package of a draft.

Exit codes: 0 the package was written; 1 the draft has blocking problems (listed,
nothing written); 2 the draft or the output folder cannot be used.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..cli_errors import UsageError
from ..domain.draft_errors import DraftError
from ..domain.problems import format_location

if TYPE_CHECKING:  # the domain modules are imported when the command runs, not when --help is built
    from ..domain.draft_file import DraftEnvelope
    from ..domain.exports.check_locations import LocatedCheck

EXIT_OK, EXIT_PROBLEMS, EXIT_UNUSABLE = 0, 1, 2


def load_draft(target: str, drafts_dir: str | None) -> tuple[DraftEnvelope, str]:
    """A draft by file or folder path, or by the name or id of a draft of the store.

    Returns
    -------
    tuple
        The envelope and how to name it in messages.

    Raises
    ------
    UsageError
        When ``target`` looks like a path but nothing is there.
    DraftError
        When the draft cannot be read.
    """
    from ..domain.draft_file import read_draft_file
    from ..domain.drafts import DraftStore

    path = Path(target)
    if path.exists():
        return read_draft_file(path), str(path)
    if path.suffix or "/" in target or "\\" in target:
        raise UsageError(f"{target}: no such file or folder.")
    store = DraftStore(Path(drafts_dir)) if drafts_dir else DraftStore()
    envelope = store.load(target)
    return envelope, f"draft '{envelope.name}' ({envelope.draft_id})"


def _accession(value: str, archive: str) -> str:
    from ..domain.identifiers import IdentifierError, parse_accession

    try:
        found, accession = parse_accession(value)
    except IdentifierError as error:
        raise UsageError(f"{value}: {error.message}") from None
    if found != archive:
        raise UsageError(f"{value} is not a{'n' if archive == 'EMPIAR' else ''} {archive} accession.")
    return accession


def _empiar_accessions(envelope: DraftEnvelope, values: list[str]) -> list[tuple[str, str]]:
    pairs = []
    components = [c for c in envelope.deposition.components if c.archive == "EMPIAR"]
    for value in values:
        key, sep, accession = value.rpartition("=")
        if not sep:
            if len(components) != 1:
                raise UsageError(
                    f"--empiar-accession {value}: say which component it belongs to, as COMPONENT=EMPIAR-NNNNN."
                )
            key = components[0].id
        match = [c for c in components if key in (c.id, c.name)]
        if not match:
            names = ", ".join(f"'{c.name}'" for c in components) or "none"
            raise UsageError(f"--empiar-accession {value}: no EMPIAR component '{key}' (EMPIAR components: {names}).")
        pairs.append((match[0].id, _accession(accession, "EMPIAR")))
    return pairs


def _fail(args: argparse.Namespace, code: str, message: str, problems: list[dict[str, object]] | None = None) -> None:
    if args.json:
        payload: dict[str, object] = {
            "target": args.draft,
            "exported": False,
            "error": {"code": code, "message": message},
        }
        if problems is not None:
            payload["problems"] = problems
        json.dump(payload, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        print(f"bioimage-depositor: {message}", file=sys.stderr)


def cmd_export(args: argparse.Namespace) -> int:
    """Export a draft as a deposition package folder."""
    from ..domain.exports.check_locations import locate_checks
    from ..domain.exports.package import ExportBlockedError, ExportError, context_for_draft, export_package
    from ..domain.exports.package_checks import check_package

    try:
        envelope, label = load_draft(args.draft, args.drafts_dir)
        bia = _accession(args.bia_accession, "BioStudies") if args.bia_accession else None
        ctx = context_for_draft(
            envelope.modified, bia_accession=bia, empiar_accessions=_empiar_accessions(envelope, args.empiar_accession)
        )
    except (DraftError, UsageError) as error:
        _fail(args, getattr(error, "code", "usage"), getattr(error, "message", str(error)))
        return EXIT_UNUSABLE
    try:
        result = export_package(envelope.deposition, Path(args.out), ctx, overwrite=args.overwrite)
    except ExportBlockedError as error:
        if args.json:
            _fail(args, error.code, f"{label} has blocking problems", [p.to_json() for p in error.problems])
        else:
            for problem in error.problems:
                print(f"{problem.severity:<8}{problem.path}  [{problem.code}]\n        {problem.message}")
            print(f"{label}: {len(error.problems)} problem(s) to fix before export; nothing was written.")
        return EXIT_PROBLEMS
    except ExportError as error:
        _fail(args, error.code, error.message)
        return EXIT_UNUSABLE
    checks = check_package(result.path) if args.check else []
    located = locate_checks(envelope.deposition, ctx, checks)
    failed = any(check.available and not check.ok for check in checks)
    if args.json:
        report = {"target": label, "exported": True, **result.to_json()}
        if args.check:
            report["checks"] = [_check_json(found) for found in located]
        json.dump(report, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return EXIT_PROBLEMS if failed else EXIT_OK
    print(f"Exported {label} to {result.path} ({len(result.files)} files).")
    for problem in result.warnings:
        print(f"warning {problem.path}  [{problem.code}]\n        {problem.message}")
    for note in result.notes:
        print(f"note    {note}")
    for found in located:
        check = found.check
        print(f"check   {check.summary}")
        if not check.available:
            print(f"        {check.messages[0] if check.messages else 'the validator is not installed'}")
            continue
        for issue, location in zip(check.issues, found.locations, strict=True):
            where = format_location(location) if location else "the package as a whole"
            print(f"        {issue.message}\n          -> {where}")
        for message in check.messages[len(check.issues) :]:  # notes after the issues (e.g. a version warning)
            print(f"        {message}")
    print(f"Read {result.path / 'SUMMARY.md'} for what goes where.")
    return EXIT_PROBLEMS if failed else EXIT_OK


def _check_json(found: LocatedCheck) -> dict[str, object]:
    check = found.check
    return {
        "name": check.name,
        "target": check.target,
        "available": check.available,
        "ok": check.ok,
        "messages": list(check.messages),
        "issues": [
            {
                "message": issue.message,
                "severity": issue.severity,
                "location": format_location(location) if location else None,
            }
            for issue, location in zip(check.issues, found.locations, strict=True)
        ],
    }


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``export`` command."""
    parser = subparsers.add_parser(
        "export",
        help="write a draft's deposition package (PageTab, RO-Crate, EMPIAR JSON, summary, manifest)",
        description="Write the deposition package of a draft into a new folder, atomically. "
        "Refused while the draft has problems that block deposition (see 'validate').",
    )
    parser.add_argument("draft", help="a draft file (.json or .biodraft), a draft folder, or a draft's name")
    parser.add_argument("--out", required=True, metavar="DIR", help="the package folder to create")
    parser.add_argument("--overwrite", action="store_true", help="replace an earlier package in DIR")
    parser.add_argument("--bia-accession", metavar="S-BIADNNNN", help="the study's BIA accession, once assigned")
    parser.add_argument(
        "--empiar-accession",
        action="append",
        default=[],
        metavar="COMPONENT=EMPIAR-NNNNN",
        help="an EMPIAR accession already assigned to a component (name or id); repeat for several",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="then run the archives' own validators on the package (bia-ro-crate, EMPIAR schema, NGFF scene); "
        "exit 1 if one rejects it",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=cmd_export)
