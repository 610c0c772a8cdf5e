"""The ``bioimage-depositor`` command: no arguments opens the wizard, subcommands run headless.

Every subcommand reports bad input in one clear line and a documented exit code
(0 success, 1 the draft has problems, 2 the input could not be used) and never
shows a traceback: unexpected failures are logged to the log folder and
summarised on stderr with the log's path.

Start-up stays fast because building the parser imports nothing heavy: the
domain modules (pydantic models, numpy, image readers, HTTP clients) are
imported inside the handler that needs them, so ``--version``, ``--help`` and a
command's ``--help`` answer at once and each command pays only for its own imports.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .cli_errors import UsageError
from .commands import register_all
from .domain.draft_errors import DraftDamagedError, DraftError

if TYPE_CHECKING:
    from .domain.draft_file import DraftEnvelope
    from .domain.drafts import DraftStore
    from .domain.problems import Problem

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_UNUSABLE = 2
EXIT_INTERNAL = 70

log = logging.getLogger(__name__)


def _store(args: argparse.Namespace) -> DraftStore:
    from .domain.drafts import DraftStore

    return DraftStore(Path(args.drafts_dir)) if args.drafts_dir else DraftStore()


def _print_json(data: object, stream: TextIO | None = None) -> None:
    json.dump(data, stream or sys.stdout, indent=2, ensure_ascii=False, default=str)
    (stream or sys.stdout).write("\n")


# ------------------------------------------------------------------ validate


def _load_for_validation(target: str, args: argparse.Namespace) -> tuple[DraftEnvelope, str]:
    from .domain.draft_file import read_draft_file

    path = Path(target)
    if path.exists():
        return read_draft_file(path), str(path)
    if path.suffix or "/" in target or "\\" in target:
        raise UsageError(f"{target}: no such file or folder.")
    store = _store(args)
    envelope = store.load(target)  # a draft of the store, by name or id
    return envelope, f"draft '{envelope.name}' ({envelope.draft_id})"


def _draft_error_text(error: DraftError, args: argparse.Namespace) -> str:
    """The error's sentence, plus the command that repairs a damaged draft of the store."""
    draft = getattr(args, "draft", None)
    in_store = draft is not None and not Path(draft).exists()
    if isinstance(error, DraftDamagedError) and error.good_versions and in_store:
        return f"{error.message} Run 'bioimage-depositor drafts restore {draft}' to go back to it."
    return error.message


def _problem_line(problem: Problem) -> str:
    return f"{problem.severity:<8}{problem.path}  [{problem.code}]\n        {problem.message}"


def cmd_validate(args: argparse.Namespace) -> int:
    """Check a draft and print every problem: the rules', then what only a package can get wrong.

    The second part (:func:`~.domain.exports.package.export_problems`: an empty BIA file list, a
    file where a scene goes, an imported landmark file that has gone or changed) is what the
    Review page and ``export`` refuse, so a headless user learns of it before exporting.
    """
    from .domain.exports.package import export_problems
    from .domain.rules import check_deposition

    try:
        envelope, label = _load_for_validation(args.draft, args)
    except (DraftError, UsageError) as error:
        message = _draft_error_text(error, args) if isinstance(error, DraftError) else str(error)
        if args.json:
            code = getattr(error, "code", "usage")
            _print_json({"target": args.draft, "valid": False, "error": {"code": code, "message": message}})
        else:
            print(f"bioimage-depositor: {message}", file=sys.stderr)
        return EXIT_UNUSABLE
    problems = check_deposition(envelope.deposition)
    known = set(problems)  # an export problem the rules also report is listed once
    problems += [p for p in export_problems(envelope.deposition) if p not in known]
    errors = [p for p in problems if p.blocking]
    warnings = [p for p in problems if not p.blocking]
    if args.json:
        _print_json(
            {
                "target": label,
                "valid": not errors,
                "errors": len(errors),
                "warnings": len(warnings),
                "problems": [p.to_json() for p in problems],
            }
        )
    else:
        for problem in problems:
            print(_problem_line(problem))
        verdict = "ready to export" if not errors else "not ready"
        print(f"{label}: {len(errors)} error(s), {len(warnings)} warning(s) — {verdict}.")
    return EXIT_PROBLEMS if errors else EXIT_OK


# ------------------------------------------------------------------ drafts


def cmd_drafts_list(args: argparse.Namespace) -> int:
    """List the drafts of the store, newest first."""
    summaries = _store(args).list()
    if args.json:
        _print_json(
            [
                {
                    "id": s.draft_id,
                    "name": s.name,
                    "title": s.study_title,
                    "modified": s.modified.isoformat() if s.modified else None,
                    "revision": s.revision,
                    "path": str(s.path),
                    "problem": s.problem,
                }
                for s in summaries
            ]
        )
        return EXIT_OK
    if not summaries:
        print("No drafts yet. Run 'bioimage-depositor' to start one, or 'bioimage-depositor drafts import FILE'.")
        return EXIT_OK
    print(f"{'ID':<19} {'LAST CHANGE':<17} NAME")
    for s in summaries:
        when = s.modified.astimezone().strftime("%Y-%m-%d %H:%M") if s.modified else "?"
        note = f"  (damaged: {s.problem})" if s.problem else ""
        print(f"{s.draft_id:<19} {when:<17} {s.name}{note}")
    return EXIT_OK


def cmd_drafts_show(args: argparse.Namespace) -> int:
    """Show one draft: its identity, content summary and problem count."""
    from .domain.rules import check_deposition

    store = _store(args)
    envelope = store.load(args.draft)
    if args.json:
        _print_json(json.loads(envelope.model_dump_json()))
        return EXIT_OK
    problems = check_deposition(envelope.deposition)
    dep = envelope.deposition
    errors = sum(p.blocking for p in problems)
    rows = [
        ("Name", envelope.name),
        ("Id", envelope.draft_id),
        ("Created", envelope.created.astimezone().strftime("%Y-%m-%d %H:%M")),
        ("Last change", envelope.modified.astimezone().strftime("%Y-%m-%d %H:%M")),
        ("Revision", str(envelope.revision)),
        ("Study title", dep.study.title or "(none yet)"),
        ("Contributors", str(len(dep.study.contributors))),
        ("Components", ", ".join(f"{c.name or '(unnamed)'} → {c.archive}" for c in dep.components) or "none"),
        ("Correlative", "yes" if dep.correlative else "no"),
        ("Problems", f"{errors} error(s), {len(problems) - errors} warning(s)"),
        ("Folder", str(store.root / envelope.draft_id)),
    ]
    width = max(len(key) for key, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    return EXIT_OK


def cmd_drafts_export(args: argparse.Namespace) -> int:
    """Write one draft as a single portable file."""
    out = _store(args).export(args.draft, Path(args.out))
    print(f"Exported to {out}")
    return EXIT_OK


def cmd_drafts_import(args: argparse.Namespace) -> int:
    """Add a draft from a portable file to the store."""
    path = Path(args.file)
    if not path.exists():
        raise UsageError(f"{path}: no such file.")
    envelope = _store(args).import_file(path)
    print(f"Imported '{envelope.name}' as draft {envelope.draft_id}")
    return EXIT_OK


def cmd_drafts_delete(args: argparse.Namespace) -> int:
    """Move a draft to the store's trash after confirmation."""
    store = _store(args)
    draft_id = store.resolve(args.draft)
    envelope = store.load(draft_id)
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError("refusing to delete without confirmation; add --yes.")
        answer = input(f"Delete draft '{envelope.name}' ({draft_id})? It goes to the trash folder. [y/N] ")
        if answer.strip().lower() not in {"y", "yes"}:
            print("Nothing deleted.")
            return EXIT_OK
    store.delete(draft_id)
    print(f"Deleted '{envelope.name}' ({draft_id}); a copy is kept in {store.root / '.trash'}")
    return EXIT_OK


def cmd_drafts_history(args: argparse.Namespace) -> int:
    """List the saved versions of a draft, newest first."""
    store = _store(args)
    entries = store.history(args.draft)
    if args.json:
        _print_json(
            [
                {"revision": e.revision, "saved": e.saved.isoformat(), "loads": e.loads_ok, "path": str(e.path)}
                for e in entries
            ]
        )
        return EXIT_OK
    if not entries:
        print("No earlier versions are kept for this draft yet.")
        return EXIT_OK
    print(f"{'REVISION':<9} {'SAVED':<17} STATE")
    for entry in entries:
        state = "ok" if entry.loads_ok else "damaged"
        print(f"{entry.revision:<9} {entry.saved.astimezone():%Y-%m-%d %H:%M} {state}")
    return EXIT_OK


def cmd_drafts_restore(args: argparse.Namespace) -> int:
    """Make an earlier saved version the current one (the replaced file is kept aside)."""
    store = _store(args)
    entries = [entry for entry in store.history(args.draft) if entry.loads_ok]
    if args.revision is not None:
        entries = [entry for entry in entries if entry.revision == args.revision]
    if not entries:
        wanted = f"revision {args.revision}" if args.revision is not None else "an earlier version"
        raise UsageError(f"no loadable {wanted} of '{args.draft}' is kept; see 'drafts history {args.draft}'.")
    restored = store.restore(args.draft, entries[0])
    print(f"Restored revision {entries[0].revision} of '{restored.name}'; it is now revision {restored.revision}.")
    return EXIT_OK


# ------------------------------------------------------------------ wizard


def cmd_open_wizard(args: argparse.Namespace) -> int:
    """Open the graphical wizard (imported lazily so headless commands never need Qt)."""
    try:
        from .ui.app import run_app
    except ImportError as error:
        raise UsageError(
            f"the graphical interface is not available ({error}). Install the program with its "
            "Qt dependencies, or use the headless subcommands (see --help)."
        ) from error
    return run_app(draft=getattr(args, "draft", None), drafts_dir=args.drafts_dir)


# ------------------------------------------------------------------ parser


class _ShowVersion(argparse.Action):
    """``--version``: like argparse's own action, but the version is looked up only when asked for.

    Reading the installed package's metadata costs more than building the whole parser.
    """

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, help: str | None = None) -> None:
        help_text = help or "show program's version number and exit"
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help_text)

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option: str | None = None
    ) -> None:
        from . import __version__

        print(f"{parser.prog} {__version__}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, exposed for tests and shell-completion tools."""
    parser = argparse.ArgumentParser(
        prog="bioimage-depositor",
        description="Prepare and deposit imaging data to the BioImage Archive and EMPIAR. "
        "With no command, opens the deposition wizard.",
    )
    parser.add_argument("--version", action=_ShowVersion)
    parser.add_argument(
        "--drafts-dir", metavar="DIR", help="use this folder as the draft store (default: your data folder)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    validate = commands.add_parser("validate", help="check a draft and list its problems")
    validate.add_argument("draft", help="a draft file (.json or .biodraft), a draft folder, or a draft's name")
    validate.add_argument("--json", action="store_true", help="print the result as JSON")
    validate.set_defaults(handler=cmd_validate)

    opening = commands.add_parser("open", help="open a draft in the wizard (a draft file, or a draft's name)")
    opening.add_argument(
        "draft", help="a .biodraft or draft .json file (a copy is added to your drafts) or a draft's name"
    )
    opening.set_defaults(handler=cmd_open_wizard)

    drafts = commands.add_parser("drafts", help="list, show, export, import, restore or delete drafts")
    drafts_cmds = drafts.add_subparsers(dest="drafts_command", metavar="ACTION", required=True)
    listing = drafts_cmds.add_parser("list", help="list drafts, newest first")
    listing.add_argument("--json", action="store_true", help="print as JSON")
    listing.set_defaults(handler=cmd_drafts_list)
    show = drafts_cmds.add_parser("show", help="show one draft")
    show.add_argument("draft", help="the draft's name or id")
    show.add_argument("--json", action="store_true", help="print the whole draft as JSON")
    show.set_defaults(handler=cmd_drafts_show)
    export = drafts_cmds.add_parser("export", help="write a draft as one portable .biodraft file")
    export.add_argument("draft", help="the draft's name or id")
    export.add_argument("out", help="the file to write, e.g. my-study.biodraft")
    export.set_defaults(handler=cmd_drafts_export)
    importing = drafts_cmds.add_parser("import", help="add a draft from a .biodraft or draft .json file")
    importing.add_argument("file")
    importing.set_defaults(handler=cmd_drafts_import)
    history = drafts_cmds.add_parser("history", help="list the earlier versions kept for a draft")
    history.add_argument("draft", help="the draft's name or id")
    history.add_argument("--json", action="store_true", help="print as JSON")
    history.set_defaults(handler=cmd_drafts_history)
    restore = drafts_cmds.add_parser("restore", help="go back to an earlier version of a draft")
    restore.add_argument("draft", help="the draft's name or id")
    restore.add_argument("--revision", type=int, help="the revision to restore (default: the newest that loads)")
    restore.set_defaults(handler=cmd_drafts_restore)
    delete = drafts_cmds.add_parser("delete", help="move a draft to the trash")
    delete.add_argument("draft", help="the draft's name or id")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    delete.set_defaults(handler=cmd_drafts_delete)
    register_all(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    args = build_parser().parse_args(argv)
    from .logs import setup_logging  # here, not at the top: --help and --version never need the log folder

    log_path = setup_logging()
    handler: Callable[[argparse.Namespace], int] = getattr(args, "handler", cmd_open_wizard)
    try:
        return handler(args)
    except DraftError as error:
        print(f"bioimage-depositor: {_draft_error_text(error, args)}", file=sys.stderr)
        return EXIT_UNUSABLE
    except UsageError as error:
        print(f"bioimage-depositor: {error}", file=sys.stderr)
        return EXIT_UNUSABLE
    except BrokenPipeError:  # output piped into `head` and the like: not an error
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        print("bioimage-depositor: interrupted.", file=sys.stderr)
        return 130
    except OSError as error:
        log.exception("I/O failure in %s", args.command)
        print(f"bioimage-depositor: {error.strerror or error} ({error.filename or ''})".rstrip(" ()"), file=sys.stderr)
        return EXIT_UNUSABLE
    except Exception:
        log.exception("unexpected failure in %s", args.command)
        print(
            f"bioimage-depositor: an unexpected error stopped the command; details are in {log_path}. "
            "Please include that file when you report the problem.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
