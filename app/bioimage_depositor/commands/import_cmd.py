"""``bioimage-depositor import SUBMISSION``: start a draft from a BioStudies PageTab submission.

Writes the new draft to ``--out FILE`` and/or adds it to the draft store
(``--into-store [NAME]``), then prints the import report: what the draft has no
place for, what could not be found, and the problems to fix. Exit codes: 0 the
draft was written (problems in it are normal for real submissions and are
listed); 2 the submission or the output cannot be used.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..cli_errors import UsageError

if TYPE_CHECKING:  # the domain modules are imported when the command runs, not when --help is built
    from ..domain.imports.pagetab_import import ImportResult

EXIT_OK, EXIT_UNUSABLE = 0, 2


def _draft_name(result: ImportResult, source: Path, wanted: str | None) -> str:
    if wanted:
        return wanted
    title = result.deposition.study.title
    base = title if title else source.stem
    return f"{base} (imported)"


def _print_report(result: ImportResult, written: list[str]) -> None:
    report = result.report
    template = report.template or "no template"
    accession = f", accession {report.accession}" if report.accession else ""
    print(f"Imported {report.source} ({template}{accession}).")
    for place in written:
        print(f"Draft written to {place}.")
    if report.file_lists:
        print(f"File lists read: {', '.join(report.file_lists)}.")
    if report.unrepresented:
        print(f"\nNot represented in the draft ({len(report.unrepresented)}):")
        for item in report.unrepresented:
            print(f"  {item.line()}")
    if report.notes:
        print("\nNotes:")
        for note in report.notes:
            print(f"  {note}")
    errors = [p for p in report.problems if p.blocking]
    warnings = [p for p in report.problems if not p.blocking]
    if report.problems:
        print(f"\nProblems to fix ({len(errors)} error(s), {len(warnings)} warning(s)):")
        for problem in report.problems:
            print(f"  {problem.severity:<8}{problem.path}  [{problem.code}]\n          {problem.message}")
    else:
        print("\nNo problems found.")


def cmd_import(args: argparse.Namespace) -> int:
    """Import a PageTab submission into a new draft."""
    from ..domain.atomic_io import atomic_write_bytes
    from ..domain.draft_file import DraftEnvelope, serialise_draft
    from ..domain.drafts import DraftStore
    from ..domain.imports.pagetab_import import PageTabImportError, import_pagetab

    if not args.out and args.into_store is None:
        print("bioimage-depositor: say where the draft goes: --out FILE and/or --into-store [NAME].", file=sys.stderr)
        return EXIT_UNUSABLE
    out = Path(args.out) if args.out else None
    if out is not None and (out.is_dir() or (out.exists() and not args.overwrite)):
        what = "is a folder" if out.is_dir() else "already exists (add --overwrite to replace it)"
        raise UsageError(f"{out} {what}.")
    try:
        result = import_pagetab(args.submission)
    except PageTabImportError as error:
        if args.json:
            json.dump(
                {"source": args.submission, "imported": False, "error": {"code": error.code, "message": error.message}},
                sys.stdout,
                indent=2,
                ensure_ascii=False,
            )
            sys.stdout.write("\n")
        else:
            print(f"bioimage-depositor: {error.message}", file=sys.stderr)
        return EXIT_UNUSABLE
    source = Path(result.report.source or args.submission)
    name = _draft_name(result, source, args.into_store or None)
    written: list[str] = []
    if out is not None:
        if not out.parent.exists():
            raise UsageError(f"{out.parent}: no such folder.")
        envelope = DraftEnvelope(name=name, revision=1, deposition=result.deposition)
        atomic_write_bytes(out, serialise_draft(envelope))
        written.append(str(out))
    if args.into_store is not None:
        store = DraftStore(Path(args.drafts_dir)) if args.drafts_dir else DraftStore()
        envelope = store.create(name, result.deposition)
        written.append(f"the draft store as '{envelope.name}' ({envelope.draft_id})")
    if args.json:
        payload = {"imported": True, "written": written, **result.report.to_json()}
        json.dump(payload, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        _print_report(result, written)
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``import`` command."""
    parser = subparsers.add_parser(
        "import",
        help="start a draft from a BioStudies PageTab submission (JSON or TSV) or an exported package",
        description="Read a PageTab submission (BioImages v4, v5 or MIFA; JSON or TSV) with the file lists "
        "next to it, or an exported package folder, into a new draft. Values that break the rules are "
        "imported as written and listed as problems; anything the draft cannot hold is listed.",
    )
    parser.add_argument("submission", help="submission.json / submission.tsv, or a package folder")
    parser.add_argument("--out", metavar="DRAFT", help="write the new draft to this file (e.g. study.draft.json)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing file at --out")
    parser.add_argument(
        "--into-store",
        nargs="?",
        const="",
        default=None,
        metavar="NAME",
        help="add the draft to the draft store (named NAME, or after the study title)",
    )
    parser.add_argument("--json", action="store_true", help="print the import report as JSON")
    parser.set_defaults(handler=cmd_import)
