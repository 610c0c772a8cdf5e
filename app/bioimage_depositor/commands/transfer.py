"""``bioimage-depositor transfer SRC TARGET``: copy a file or folder tree to a folder, FTP, tus or Globus, resumably.

Running the same command again continues where it stopped: progress lives in a
ledger in the state folder, keyed by SRC and TARGET (or in ``--state FILE``). On a
terminal one line shows bytes, rate and ETA; otherwise a plain line is printed
every few seconds; ``--json`` prints one JSON object per progress line and a final
report object. Ctrl-C pauses cleanly after the current chunk and says how to resume.

Passwords come from the keyring, the ``BIOIMAGE_DEPOSITOR_PASSWORD`` environment
variable, a prompt, or the URL (with a warning); never from a config file, and they
are never printed.

Exit codes: 0 every file sent and verified; 1 some files failed (the report says
which and why) or the transfer stopped on an error; 2 unusable input (missing
source, bad target, wrong password); 130 paused with Ctrl-C.
"""

from __future__ import annotations

import argparse
import getpass
import json
import shlex
import shutil
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, TextIO

from ..cli_errors import UsageError
from ..domain.humanize import human_bytes, human_duration
from ..domain.secrets import PASSWORD_ENV, SecretStore, resolve_password

if TYPE_CHECKING:  # the transfer engine and its transports are imported when the command runs
    from ..domain.transfer.ledger import Ledger
    from ..domain.transfer.progress import TransferReport, TransferSnapshot
    from ..domain.transfer.targets import Target

EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE, EXIT_PAUSED = 0, 1, 2, 130
#: Errors that mean the input (address, password) must be fixed, not the network.
_INPUT_CODES = frozenset({"auth.failed", "target.invalid", "target.unavailable", "protocol.tls"})
#: Seconds between plain progress lines when the output is not a terminal.
PLAIN_INTERVAL_S = 2.0
#: Seconds between ``--json`` progress lines.
JSON_INTERVAL_S = 0.5


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``transfer`` command."""
    parser = subparsers.add_parser(
        "transfer",
        help="copy a file or folder to a folder, FTP/FTPS, tus or Globus target; run again to resume",
        description="Copy a file or a folder tree to a target, resumably: running the same command again "
        "continues where it stopped. Targets: file:///folder, ftp://user@host/folder, ftps://user@host/folder, "
        "tus+https://host/files/, globus://collection/path. A folder's contents go into the target folder. "
        f"Passwords: the keyring, the {PASSWORD_ENV} environment variable, a prompt, or the URL.",
    )
    parser.add_argument("source", metavar="SRC", help="the file or folder to send")
    parser.add_argument("target", metavar="TARGET", help="where to send it (a URL, see above)")
    parser.add_argument("--state", metavar="FILE", help="keep the transfer's progress in FILE "
                        "(default: a file in your state folder chosen from SRC and TARGET)")
    parser.add_argument("--parallel", type=int, default=2, metavar="N", help="files sent at the same time (default 2)")
    parser.add_argument("--limit-rate", metavar="R", help="bandwidth limit, e.g. 10M (10 MiB/s) or 500k")
    parser.add_argument("--json", action="store_true", help="print one JSON object per progress line and a report")
    parser.add_argument("--save-password", action="store_true",
                        help="remember the password in the system keyring for next time")
    parser.set_defaults(handler=cmd_transfer)


# ------------------------------------------------------------------ formatting


def progress_line(snapshot: TransferSnapshot) -> str:
    """One line: bytes done of total, percentage, rate, ETA, files, and failures."""
    rate = f"{human_bytes(snapshot.rate)}/s" if snapshot.rate else "--/s"
    files = f"files {snapshot.files_done}/{snapshot.files_total}{'+' if snapshot.planning else ''}"
    failed = f", {snapshot.files_failed} failed" if snapshot.files_failed else ""
    state = "" if snapshot.status == "running" else f"[{snapshot.status}] "
    waiting = next((f.message for f in snapshot.active if f.phase == "waiting"), "")
    note = f"  (retrying: {waiting})" if waiting else ""
    return (
        f"{state}{human_bytes(snapshot.bytes_done)} / {human_bytes(snapshot.bytes_total)} "
        f"({snapshot.fraction * 100:.1f}%)  {rate}  ETA {human_duration(snapshot.eta)}  {files}{failed}{note}"
    )


class _Display:
    """Shows snapshots: one rewritten line on a terminal, plain lines otherwise, or JSON lines."""

    def __init__(self, as_json: bool, stream: TextIO) -> None:
        self.as_json = as_json
        self.stream = stream
        self.tty = not as_json and stream.isatty()
        self._last = 0.0
        self._width = 0
        self._state: tuple[int, int, int, str] | None = None

    def show(self, snapshot: TransferSnapshot) -> None:
        now = time.monotonic()
        interval = JSON_INTERVAL_S if self.as_json else (0.1 if self.tty else PLAIN_INTERVAL_S)
        if now - self._last < interval:
            return
        if not self.as_json and not self.tty:
            # a log file gets a line when something changed, and at least one a minute while waiting
            state = (snapshot.bytes_done, snapshot.files_done, snapshot.files_failed, snapshot.status)
            if state == self._state and now - self._last < 60:
                return
            self._state = state
        self._last = now
        if self.as_json:
            self.stream.write(json.dumps(snapshot.to_json()) + "\n")
        elif self.tty:
            columns = shutil.get_terminal_size((100, 20)).columns - 1
            line = progress_line(snapshot)[:columns]
            self.stream.write("\r" + line.ljust(self._width))
            self._width = len(line)
        else:
            self.stream.write(progress_line(snapshot) + "\n")
        self.stream.flush()

    def end(self) -> None:
        if self.tty and self._width:
            self.stream.write("\n")
            self.stream.flush()


def _print_report(report: TransferReport, resume_hint: str, stream: TextIO) -> None:
    from ..domain.transfer.progress import COMPLETED, PAUSED

    lines = [
        f"{report.files_total} file(s), {human_bytes(report.bytes_total)}: {report.sent} sent "
        f"({report.resumed} resumed), {report.skipped} already there, {report.verified} verified, "
        f"{len(report.failed)} failed; {human_bytes(report.bytes_sent)} sent in {human_duration(report.duration_s)}.",
    ]
    if report.verification:
        lines.append(f"Verification: {report.verification}.")
    for failed in report.failed:
        lines.append(f"FAILED  {failed.remote_path}: {failed.message}")
    for problem in report.problems:
        lines.append(f"SKIPPED {problem.message}")
    if report.message:
        lines.append(f"Stopped: {report.message}")
    if report.status == PAUSED:
        lines.append(f"Paused. To continue, run the same command again:\n  {resume_hint}")
    elif report.status != COMPLETED or report.failed or report.problems:
        lines.append(f"Fix the problems above and run the same command again to finish:\n  {resume_hint}")
    stream.write("\n".join(lines) + "\n")
    stream.flush()


# ------------------------------------------------------------------ the command


def _password(target: Target, save: bool) -> str | None:
    store = SecretStore()
    choice = resolve_password(target.password, target.account, store)
    if choice.warning:
        print(f"bioimage-depositor: warning: {choice.warning}", file=sys.stderr)
    password = choice.password
    needs_password = target.scheme in ("ftp", "ftps") and target.username not in ("", "anonymous", "ftp")
    if password is None and needs_password and sys.stdin.isatty():
        password = getpass.getpass(f"Password for {target.account}: ")
    if save and password:
        store.set(target.account, password)
        if not store.persistent:
            print(f"bioimage-depositor: {store.notice}", file=sys.stderr)
    return password


def _open_ledger(args: argparse.Namespace, source: Path, target: Target) -> Ledger:
    from ..domain.transfer.ledger import LedgerError, open_transfer_ledger

    try:
        return open_transfer_ledger(source, target.display, args.state)
    except LedgerError as error:
        raise UsageError(str(error)) from None
    except OSError as error:
        where = args.state or "the transfer state folder"
        raise UsageError(f"{where}: the transfer state cannot be written ({error.strerror or error}).") from None


def _install_globus_login() -> bool:
    """Hand the stored Globus sign-in to the Globus transport; False when nobody is signed in.

    Imported here, so transfers to other targets never load the Globus SDK.
    """
    from ..domain.transfer import globus_auth

    return globus_auth.install_stored_login() is not None


def cmd_transfer(args: argparse.Namespace) -> int:
    """Run the transfer; see the module docstring for output and exit codes."""
    from ..domain.filelist.checksum_cache import open_user_cache
    from ..domain.transfer.engine import TransferJob
    from ..domain.transfer.plan import SourceError, check_source
    from ..domain.transfer.progress import PAUSED
    from ..domain.transfer.rate import parse_rate
    from ..domain.transfer.targets import open_transport, parse_target
    from ..domain.transfer.transport import TransferError

    if args.parallel < 1 or args.parallel > 64:
        raise UsageError("--parallel must be between 1 and 64.")
    try:
        limit = parse_rate(args.limit_rate) if args.limit_rate else None
    except ValueError as error:
        raise UsageError(f"--limit-rate: {error}") from None
    try:
        source = check_source(args.source)
    except SourceError as error:
        raise UsageError(str(error)) from None
    try:
        target = parse_target(args.target)
        password = _password(target, args.save_password)
        if target.scheme == "globus" and not _install_globus_login():
            raise UsageError("not signed in to Globus; run 'bioimage-depositor globus login' first.")
        transport = open_transport(target.url, password)
    except TransferError as error:
        raise UsageError(str(error)) from None
    ledger = _open_ledger(args, source, target)
    display = _Display(args.json, sys.stdout if args.json else sys.stderr)
    checksums = open_user_cache()
    job = TransferJob(ledger, transport, source=source, parallel=args.parallel, limit_rate=limit,
                      progress=display.show, checksums=checksums)
    resume_hint = " ".join(
        shlex.quote(part) for part in ("bioimage-depositor", "transfer", args.source, target.display)
    ) + (f" --state {shlex.quote(args.state)}" if args.state else "")

    def on_interrupt(signum: int, frame: FrameType | None) -> None:
        print("\nbioimage-depositor: pausing after the current chunk…", file=sys.stderr, flush=True)
        job.stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl-C stops at once

    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, on_interrupt) if in_main_thread else None
    try:
        report = job.run()
    finally:
        if in_main_thread:
            signal.signal(signal.SIGINT, previous)
        display.end()
        ledger.close()
        if checksums is not None:
            checksums.close()
    if args.json:
        sys.stdout.write(json.dumps(report.to_json()) + "\n")
        sys.stdout.flush()
    _print_report(report, resume_hint, sys.stderr if args.json else sys.stdout)
    if report.status == PAUSED:
        return EXIT_PAUSED
    if report.error_code in _INPUT_CODES:
        return EXIT_UNUSABLE
    return EXIT_OK if report.ok else EXIT_FAILED
