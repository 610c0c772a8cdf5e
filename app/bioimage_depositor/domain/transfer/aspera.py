r"""Aspera hand-off: IBM's ``ascp`` run as a subprocess for archives that require it (EMPIAR, BIA ``nfs`` accounts).

``ascp`` is proprietary and installed by the user (IBM Aspera Connect or the Aspera
CLI); we find it on ``PATH``, in Aspera Connect's usual folders, or where the
``BIOIMAGE_DEPOSITOR_ASCP`` environment variable points, and explain how to get
it when it is missing.

How it is run (transfers.md §5, empiar.md §5.1):

* as an argument list, never a shell string (paths with spaces stay intact);
* ``--mode=send --user --host`` and a ``--file-pair-list`` file (each local
  path followed by its destination relative to the target folder), so every
  file lands at its own ``remote_path``;
* ``-k 2`` on **every** run, the first included (resume only works when the
  first transfer had it): an interrupted run is restarted and ``ascp`` resumes
  each partial file after comparing a sparse checksum;
* ``-d`` (create folders), ``-P`` (SSH port, 33001), ``--policy``, ``-l`` (target
  rate in kbit/s, from the bandwidth limit), ``-T`` when encryption is turned off,
  ``-i`` for a key file;
* the password goes in the child's ``ASPERA_SCP_PASS`` environment variable,
  never on the command line.

Output we parse (lines end with ``\r`` while a file is in progress, ``\n`` otherwise;
stderr is merged into stdout):

* progress: ``<file name> <percent>% <bytes so far, e.g. 450MB> <rate, e.g. 97.4Mb/s> <time>[ ETA]``;
* summary: ``Completed: <n>K bytes transferred in <s> seconds`` (then
  `` (<rate>K bits/sec), in <n> files.``), or ``Partial Completion: …``;
* errors: ``ascp: <message>, exiting.``, ``Session Stop  (Error: <message>)`` and
  ``Error: <message>``; the message decides whether the failure is permanent
  (authentication, no space, permission, a missing local file, licence) or
  transient (connection problems, anything unrecognised).

These are the formats of IBM's documentation and of captured ``ascp`` console
output; tests run against a stand-in script (tests/data/fake_ascp/ascp) that
prints them, because ``ascp`` itself cannot be installed in CI.

What the ledger keeps: the pair-list path (written before ``ascp`` starts, so an
``ascp`` left running by a crashed program can be recognised by its command
line), its process id, a digest of the file set and, after success, the
outcome, so running the job again neither starts a second ``ascp`` beside an
orphan nor sends a finished set again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import parse_qs, unquote, urlsplit

from .transport import HandoffState, HandoffStatus, RemoteFile, TransferError

#: Environment variable with the full path of ``ascp`` (overrides the search).
ASCP_ENV = "BIOIMAGE_DEPOSITOR_ASCP"
#: The Aspera SSH (TCP) port used by EBI and Aspera's default.
DEFAULT_PORT = 33001
#: Ledger keys this transport keeps.
PAIR_LIST_KEY = "aspera.pair_list"
PID_KEY = "aspera.pid"
DIGEST_KEY = "aspera.files"
OUTCOME_KEY = "aspera.outcome"
INSTALL_HINT = (
    "Install IBM Aspera Connect (free, https://www.ibm.com/aspera/connect/) or the IBM Aspera command-line "
    f"interface, then make sure 'ascp' is on your PATH or set {ASCP_ENV} to its full path."
)
# Seconds between two progress reports while ascp keeps printing.
_REPORT_INTERVAL_S = 0.5
_UNITS = {"": 1, "B": 1, "K": 1024, "KB": 1024, "M": 1024**2, "MB": 1024**2, "G": 1024**3, "GB": 1024**3,
          "T": 1024**4, "TB": 1024**4}  # fmt: skip
_RATE_UNITS = {"": 1.0, "K": 1e3, "M": 1e6, "G": 1e9}

_PROGRESS_RE = re.compile(
    r"^(?P<name>.*?)\s+(?P<percent>\d{1,3})%\s+(?P<amount>\d+(?:\.\d+)?)\s*(?P<unit>[KMGT]?B)\s+"
    r"(?P<rate>\d+(?:\.\d+)?)\s*(?P<rate_unit>[KMG]?)b(?:its)?/s(?:\s+(?P<time>\S+))?(?P<eta>\s+ETA)?\s*$"
)
_COMPLETED_RE = re.compile(
    r"^(?P<kind>Completed|Partial Completion):\s*(?P<amount>\d+)(?P<unit>[KMG]?)\s*bytes transferred in\s*(?P<s>\d+)",
    re.IGNORECASE,
)
_FILES_RE = re.compile(r"\bin\s+(?P<files>\d+)\s+files?\b", re.IGNORECASE)
_ERROR_RES = (
    re.compile(r"^ascp:\s*(?P<message>.+?)(?:,\s*exiting\.?)?\s*$"),
    re.compile(r"^Session Stop\s*\(Error:\s*(?P<message>.+)\)\s*$"),
    re.compile(r"^(?:Error|ERROR):\s*(?P<message>.+)$"),
)
# (pattern, code, permanent, what to tell the user), tried in order against the error text.
_FAILURES: tuple[tuple[re.Pattern[str], str, bool, str], ...] = (
    (re.compile(r"usage:\s*ascp", re.I), "aspera.usage", True,
     "This ascp does not understand the options this program uses; update Aspera Connect or the Aspera CLI"),
    (re.compile(r"authenticat|permission denied \(publickey|password|passphrase|invalid user", re.I), "auth.failed",
     True, "Aspera refused the user name, password or key"),
    (re.compile(r"no space|disk full|disk write failed|insufficient (disk )?space|quota", re.I), "remote.full", True,
     "The Aspera server has no space left for the upload"),
    (re.compile(r"licen[cs]e", re.I), "aspera.license", True, "ascp reports a licence problem"),
    (re.compile(r"(source|local).*(not found|no such file|cannot open|failed to open|not readable)", re.I),
     "local.unreadable", True, "ascp could not read a local file"),
    (re.compile(r"permission denied|access denied|not authori[sz]ed|forbidden", re.I), "permission.denied", True,
     "The Aspera server does not allow writing there"),
    (re.compile(r"no such file or directory|does not exist", re.I), "target.not_found", True,
     "The destination folder does not exist on the Aspera server"),
    (re.compile(r"tcp connection|connect|timed? ?out|network|unreachable|resolve|udp|lost|reset|refused", re.I),
     "connection.lost", False, "The connection to the Aspera server failed"),
)  # fmt: skip


@dataclass(frozen=True)
class Progress:
    """One ``ascp`` progress line."""

    name: str
    percent: int
    amount: int  # bytes of this file done, as printed (rounded by ascp)
    rate_bytes_per_s: float


@dataclass(frozen=True)
class Summary:
    """The ``Completed:``/``Partial Completion:`` line (and the file count, when on the same line)."""

    complete: bool
    bytes_transferred: int
    seconds: int
    files: int | None


@dataclass(frozen=True)
class ErrorLine:
    """An error ``ascp`` printed."""

    message: str


def parse_line(line: str) -> Progress | Summary | ErrorLine | None:
    r"""Recognise one line (or ``\r``-separated segment) of ``ascp`` output; ``None`` for anything else."""
    text = line.strip()
    if not text:
        return None
    match = _PROGRESS_RE.match(text)
    if match:
        return Progress(
            name=match["name"].strip(),
            percent=min(100, int(match["percent"])),
            amount=int(float(match["amount"]) * _UNITS[match["unit"].upper()]),
            rate_bytes_per_s=float(match["rate"]) * _RATE_UNITS[match["rate_unit"].upper()] / 8,
        )
    match = _COMPLETED_RE.match(text)
    if match:
        files = _FILES_RE.search(text)
        return Summary(
            complete=match["kind"].lower() == "completed",
            bytes_transferred=int(match["amount"]) * _UNITS[match["unit"].upper()],
            seconds=int(match["s"]),
            files=int(files["files"]) if files else None,
        )
    for pattern in _ERROR_RES:
        match = pattern.match(text)
        if match:
            return ErrorLine(match["message"].strip())
    return None


def classify_failure(text: str) -> tuple[str, bool, str]:
    """``(code, permanent, explanation)`` for the error text of a failed ``ascp`` run."""
    for pattern, code, permanent, explanation in _FAILURES:
        if pattern.search(text):
            return code, permanent, explanation
    return "aspera.failed", False, "ascp stopped with an error"


class AsperaTransport:
    """An ``ascp`` upload of a file set to ``user@host:target``.

    Parameters
    ----------
    host, user
        The Aspera server and transfer user.
    target
        The destination folder, relative to the user's docroot (``.`` for the docroot itself).
    port
        The SSH (TCP) port, ``-P``.
    password
        Sent to ``ascp`` in ``ASPERA_SCP_PASS``; ``None`` with a key file.
    key_file
        A private key for ``-i`` (BIA ``nfs`` accounts use Aspera Connect's ``asperaweb_id_dsa.openssh``).
    resume_level
        ``-k``: 1 compares size and time, 2 adds a sparse checksum, 3 a full checksum.
    policy
        ``--policy``: ``fair``, ``high``, ``low`` or ``fixed``.
    target_rate
        ``-l`` as ascp reads it (``"200M"``, or kbit/s as a number); also set from :attr:`limit_rate`.
    encrypt
        ``False`` adds ``-T`` (no encryption in transit, as EMPIAR's own client does).
    ascp
        Full path of ``ascp``; default: found as described in the module docstring.
    """

    name = "Aspera"

    def __init__(
        self,
        host: str,
        user: str,
        target: str = ".",
        *,
        port: int = DEFAULT_PORT,
        password: str | None = None,
        key_file: str | None = None,
        resume_level: int = 2,
        policy: str = "fair",
        target_rate: str | None = None,
        encrypt: bool = True,
        ascp: str | None = None,
    ) -> None:
        self.host = host
        self.user = user
        self.target = target.strip("/") or "."
        self.port = port
        self.password = password
        self.key_file = key_file
        self.resume_level = resume_level
        self.policy = policy
        self.target_rate = target_rate
        self.encrypt = encrypt
        self.ascp = ascp
        #: A bandwidth limit in bytes per second (the engine's ``--limit-rate``); becomes ``-l`` in kbit/s.
        self.limit_rate: float | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._files: list[tuple[str, RemoteFile]] = []
        self._cancelled = False

    # ------------------------------------------------------------------ building the command

    def find_ascp(self) -> str:
        """The ``ascp`` to run.

        Raises
        ------
        TransferError
            ``aspera.not_installed`` (permanent), saying how to get it.
        """
        override = self.ascp or os.environ.get(ASCP_ENV)
        if override:
            if os.path.isfile(override) and os.access(override, os.X_OK):
                return override
            raise TransferError(
                "aspera.not_installed", f"{override} (from {ASCP_ENV}) is not an executable ascp. {INSTALL_HINT}",
                permanent=True,
            )
        found = shutil.which("ascp")
        if found:
            return found
        for candidate in _usual_locations():
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
        raise TransferError("aspera.not_installed", f"Aspera's ascp program was not found. {INSTALL_HINT}",
                            permanent=True)

    def command(self, ascp: str, pair_list: str) -> list[str]:
        """The argument list for one run (no password: it travels in the environment)."""
        args = [ascp, "-k", str(self.resume_level), "-d", "-P", str(self.port), f"--policy={self.policy}"]
        rate = self._rate_argument()
        if rate:
            args += ["-l", rate]
        if not self.encrypt:
            args.append("-T")
        if self.key_file:
            args += ["-i", self.key_file]
        args += ["--mode=send", f"--user={self.user}", f"--host={self.host}", f"--file-pair-list={pair_list}"]
        args.append(self.target)
        return args

    def _rate_argument(self) -> str | None:
        if self.limit_rate:
            return str(max(1, int(self.limit_rate * 8 / 1000)))  # bytes/s → kbit/s, ascp's default unit
        return self.target_rate

    def environment(self) -> dict[str, str]:
        """The child's environment: ours plus ``ASPERA_SCP_PASS`` when there is a password."""
        env = dict(os.environ)
        env.pop("ASPERA_SCP_PASS", None)
        if self.password is not None:
            env["ASPERA_SCP_PASS"] = self.password
        return env

    # ------------------------------------------------------------------ HandoffTransport

    def start(self, files: Sequence[tuple[str, RemoteFile]], state: HandoffState) -> None:
        """Start ``ascp`` for ``files`` (resuming partial files), unless this set was already sent.

        Raises
        ------
        TransferError
            ``ascp`` missing, a file name ascp cannot carry, or ``ascp`` failing to start.
        """
        self._files = list(files)
        self._cancelled = False
        digest = self._digest(files)
        if state.get_meta(OUTCOME_KEY) == "succeeded" and state.get_meta(DIGEST_KEY) == digest:
            return  # this exact set already arrived: nothing to start
        ascp = self.find_ascp()
        _stop_orphan(state)
        pair_list = _write_pair_list(files)
        state.set_meta(DIGEST_KEY, digest)
        state.set_meta(OUTCOME_KEY, "")
        previous = state.get_meta(PAIR_LIST_KEY)
        state.set_meta(PAIR_LIST_KEY, pair_list)  # before ascp starts: an orphan is recognisable by it
        if previous and previous != pair_list:
            with contextlib.suppress(OSError):
                os.unlink(previous)
        try:
            self._process = subprocess.Popen(
                self.command(ascp, pair_list),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=self.environment(),
                start_new_session=True,  # a Ctrl+C in our terminal is ours to handle, not ascp's
            )
        except OSError as error:
            raise TransferError(
                "aspera.not_installed", f"ascp could not be started ({error.strerror or error}). {INSTALL_HINT}",
                permanent=True,
            ) from None
        state.set_meta(PID_KEY, str(self._process.pid))

    def poll(self, state: HandoffState) -> Iterator[HandoffStatus]:
        """Follow ``ascp``'s output until it exits; the last report is final.

        Raises
        ------
        TransferError
            When ``ascp`` fails: permanent for authentication, space, permission and local-file
            problems, transient (run again to resume) for connection problems and crashes.
        """
        total = sum(item.size for _path, item in self._files)
        process = self._process
        if process is None:
            if state.get_meta(OUTCOME_KEY) == "succeeded":
                yield HandoffStatus("succeeded", total, total, len(self._files), len(self._files),
                                    message="Aspera had already sent these files.")
                return
            raise TransferError("aspera.not_started", "ascp has not been started for this transfer.")
        tracker = _Tracker(self._files)
        assert process.stdout is not None
        last_report = 0.0
        for segment in _segments(process.stdout):
            parsed = parse_line(segment)
            if parsed is None:
                tracker.other(segment)
                continue
            tracker.add(parsed)
            now = time.monotonic()
            if isinstance(parsed, Progress) and now - last_report >= _REPORT_INTERVAL_S:
                last_report = now
                yield tracker.status("active")
        returncode = process.wait()
        self._process = None
        state.set_meta(PID_KEY, "")
        with contextlib.suppress(OSError):  # the next run writes a new one; the key still names this one
            os.unlink(state.get_meta(PAIR_LIST_KEY) or "")
        if self._cancelled:
            yield tracker.status("cancelled", "The Aspera transfer was cancelled; running it again resumes it.")
            return
        if returncode == 0:
            state.set_meta(OUTCOME_KEY, "succeeded")
            yield tracker.status("succeeded", tracker.summary_message(), finished=True)
            return
        raise tracker.failure(returncode, self)

    def cancel(self, state: HandoffState) -> None:
        """Stop ``ascp`` (partial files stay on the server for a later resume). Never raises."""
        self._cancelled = True
        process = self._process
        if process is not None and process.poll() is None:
            with contextlib.suppress(OSError):
                process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(OSError):
                    process.kill()
            return
        with contextlib.suppress(Exception):
            _stop_orphan(state)

    def _digest(self, files: Sequence[tuple[str, RemoteFile]]) -> str:
        digest = hashlib.sha256(f"{self.user}@{self.host}:{self.port}/{self.target}\n".encode())
        for local_path, item in files:
            digest.update(f"{local_path}\0{item.remote_path}\0{item.size}\n".encode())
        return digest.hexdigest()


class _Tracker:
    """Per-file progress assembled from ascp's lines, and the text needed to explain a failure."""

    def __init__(self, files: Sequence[tuple[str, RemoteFile]]) -> None:
        self.sizes = {item.remote_path: item.size for _path, item in files}
        self.total = sum(self.sizes.values())
        owners: dict[str, set[str]] = {}
        for local_path, item in files:
            names = (local_path, item.remote_path, os.path.basename(local_path), os.path.basename(item.remote_path))
            for name in names:
                owners.setdefault(name, set()).add(item.remote_path)
        # ascp names a file by its source path or name; a name shared by several files tells nothing
        self._by_name = {name: next(iter(remotes)) for name, remotes in owners.items() if len(remotes) == 1}
        self.done: dict[str, int] = {}
        self.finished: set[str] = set()
        self.resumed: dict[str, int] = {}
        self.rate: float | None = None
        self.summary: Summary | None = None
        self.errors: list[str] = []
        self.tail: list[str] = []

    def add(self, parsed: Progress | Summary | ErrorLine) -> None:
        if isinstance(parsed, Progress):
            self.rate = parsed.rate_bytes_per_s
            remote = self._by_name.get(parsed.name) or self._by_name.get(os.path.basename(parsed.name))
            if remote is None:
                return
            size = self.sizes[remote]
            done = size if parsed.percent >= 100 else min(size, max(parsed.amount, size * parsed.percent // 100))
            if remote not in self.done and done > 0 and parsed.percent < 100:
                self.resumed[remote] = done  # the first report already shows bytes: ascp resumed this file
            self.done[remote] = max(done, self.done.get(remote, 0))
            if parsed.percent >= 100:
                self.finished.add(remote)
        elif isinstance(parsed, Summary):
            self.summary = parsed
        else:
            self.errors.append(parsed.message)

    def other(self, segment: str) -> None:
        text = segment.strip()
        if text:
            self.tail = [*self.tail[-19:], text]

    def status(self, state: str, message: str = "", *, finished: bool = False) -> HandoffStatus:
        done = self.total if finished else sum(self.done.values())
        files_done = len(self.sizes) if finished else len(self.finished)
        if not message and self.resumed:
            names = ", ".join(sorted(self.resumed)[:3])
            message = f"Aspera resumed {len(self.resumed)} partly sent file(s): {names}"
        return HandoffStatus(
            state=state,
            bytes_done=done,
            bytes_total=self.total,
            files_done=files_done,
            files_total=len(self.sizes),
            rate_bytes_per_s=self.rate,
            message=message,
        )

    def summary_message(self) -> str:
        if self.summary is None:
            return "Aspera sent every file."
        files = f" in {self.summary.files} file(s)" if self.summary.files is not None else ""
        return f"Aspera sent {self.summary.bytes_transferred:,} bytes{files} in {self.summary.seconds} s."

    def failure(self, returncode: int, transport: AsperaTransport) -> TransferError:
        said = "; ".join(dict.fromkeys(self.errors)) or " ".join(self.tail[-3:])
        if returncode < 0:
            return TransferError(
                "aspera.interrupted",
                f"ascp stopped unexpectedly (signal {-returncode}); running the transfer again resumes it.",
            )
        code, permanent, explanation = classify_failure(said)
        if code == "auth.failed":
            explanation += f" for {transport.user}@{transport.host}"
        detail = f" (ascp said: {said})" if said else f" (ascp exit code {returncode})"
        advice = "" if permanent else "; running the transfer again resumes it"
        return TransferError(code, f"{explanation}{detail}{advice}.", permanent=permanent)


def from_url(url: str, password: str | None) -> AsperaTransport:
    """The transport for ``ascp://user@host[:port]/path[?key=/path/to/key&rate=200M&encrypt=no]``.

    Parameters
    ----------
    url
        The Aspera server, user, SSH port (default 33001) and destination folder (relative to the
        user's docroot). Optional query: ``key`` (private key file for ``-i``), ``rate`` (``-l``),
        ``encrypt=no`` (``-T``).
    password
        Passed to ``ascp`` in ``ASPERA_SCP_PASS``; ``None`` falls back to a password in the URL.

    Raises
    ------
    TransferError
        ``target.invalid`` (permanent) for an address without a host or user.
    """
    parts = urlsplit(url)
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError:
        port = -1
    if parts.scheme.lower() != "ascp" or not parts.hostname or not parts.username or port < 0:
        raise TransferError(
            "target.invalid",
            f"'{_without_password(url)}' is not an Aspera address; use ascp://user@host[:port]/folder.",
            permanent=True,
        )
    query = parse_qs(parts.query)
    secret = password if password is not None else (unquote(parts.password) if parts.password else None)
    return AsperaTransport(
        parts.hostname,
        unquote(parts.username),
        unquote(parts.path) or ".",
        port=port,
        password=secret,
        key_file=query.get("key", [None])[0],
        target_rate=query.get("rate", [None])[0],
        encrypt=query.get("encrypt", ["yes"])[0].lower() not in ("no", "false", "0"),
    )


# ---------------------------------------------------------------------- helpers


def _segments(stream: IO[bytes]) -> Iterator[str]:
    r"""Split a byte stream on ``\r`` and ``\n`` as it arrives (progress lines end with ``\r``)."""
    fd = stream.fileno()
    pending = b""
    while True:
        data = os.read(fd, 65536)
        if not data:
            break
        pending += data
        pieces = re.split(rb"[\r\n]", pending)
        pending = pieces.pop()
        for piece in pieces:
            if piece:
                yield piece.decode("utf-8", "replace")
    if pending:
        yield pending.decode("utf-8", "replace")


def _write_pair_list(files: Sequence[tuple[str, RemoteFile]]) -> str:
    """Write ascp's ``--file-pair-list`` (source line, destination line) to a private temporary file."""
    lines: list[str] = []
    for local_path, item in files:
        if any(c in value for value in (local_path, item.remote_path) for c in "\r\n"):
            raise TransferError(
                "local.unsupported_name",
                f"{local_path!r}: Aspera cannot send a file whose name contains a line break.",
                permanent=True,
            )
        lines += [os.path.abspath(local_path), item.remote_path.lstrip("/")]
    handle, path = tempfile.mkstemp(prefix="bioimage-depositor-ascp-", suffix=".pairs")
    with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
        out.write("\n".join(lines) + "\n")
    return path


def _stop_orphan(state: HandoffState) -> None:
    """Stop an ``ascp`` that a crashed run of this transfer left behind, so two never write the same files.

    Only a process whose command line names this transfer's pair list is stopped; where command
    lines cannot be read (not Linux) nothing is stopped (an orphan dies on its first write anyway,
    because its output pipe has no reader).
    """
    pair_list = state.get_meta(PAIR_LIST_KEY)
    pid_text = state.get_meta(PID_KEY) or ""
    if not pair_list or not pid_text.isdigit() or not sys.platform.startswith("linux"):
        return
    pid = int(pid_text)
    cmdline: list[bytes] = []
    for _attempt in range(20):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return  # no such process any more
        if cmdline != [b""]:
            break
        time.sleep(0.05)  # empty while the process is between programs (exec) or already dead
    if f"--file-pair-list={pair_list}".encode() not in cmdline:
        return  # the id now belongs to another program
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)  # reap it when it was our own child
        time.sleep(0.05)
    if Path(f"/proc/{pid}").exists():
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def _usual_locations() -> list[Path]:
    """Where Aspera Connect and the Aspera CLI put ``ascp`` when they are not on ``PATH``."""
    home = Path.home()
    places = [
        home / ".aspera" / "connect" / "bin" / "ascp",
        home / ".aspera" / "cli" / "bin" / "ascp",
        home / ".aspera" / "sdk" / "ascp",
        home / "Applications" / "Aspera Connect.app" / "Contents" / "Resources" / "ascp",
        Path("/Applications/Aspera Connect.app/Contents/Resources/ascp"),
        Path("/opt/aspera/bin/ascp"),
    ]
    local = os.environ.get("LOCALAPPDATA")
    if local:
        places.append(Path(local) / "Programs" / "Aspera" / "Aspera Connect" / "bin" / "ascp.exe")
    return places


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", "@", 1)


__all__ = [
    "ASCP_ENV",
    "AsperaTransport",
    "ErrorLine",
    "Progress",
    "Summary",
    "classify_failure",
    "from_url",
    "parse_line",
]
