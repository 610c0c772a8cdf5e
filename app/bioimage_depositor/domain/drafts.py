"""The draft store: every unfinished deposition on this computer, saved so that none is ever lost.

One folder per draft under the store root (``paths.drafts_dir()`` by default)::

    <root>/<draft_id>/draft.json                         the current version
    <root>/<draft_id>/history/<UTC stamp>-r<revision>.json  earlier versions, newest N kept
    <root>/<draft_id>/lock                               which window has it open
    <root>/<draft_id>/draft.json.damaged-<UTC stamp>     a broken file set aside by restore
    <root>/.trash/<draft_id>-<UTC stamp>/                deleted drafts (never destroyed)

Every write is atomic (:mod:`.atomic_io`), and the previous version is kept in
``history/`` *before* ``draft.json`` is replaced, so at every instant the
folder holds a complete ``draft.json`` and every saved revision but the newest
is also in the history. A save refuses to overwrite a revision it has not seen
(:class:`~.draft_errors.DraftConflictError`) or a draft another live window
holds (:class:`~.draft_errors.DraftLockedError`).
"""

from __future__ import annotations

import builtins
import contextlib
import datetime as dt
import json
import os
import re
import secrets
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .. import __version__, paths
from . import draft_file
from .atomic_io import TEMP_SUFFIX, atomic_write_bytes, fsync_dir
from .deposition import Deposition
from .draft_errors import (
    DraftConflictError,
    DraftDamagedError,
    DraftError,
    DraftNameError,
    DraftNotFoundError,
    NotADraftError,
)
from .draft_file import (
    BIODRAFT_SUFFIX,
    DRAFT_FILENAME,
    DraftEnvelope,
    DraftHeader,
    new_draft_id,
    pack_biodraft,
    peek_draft,
    read_draft_file,
    serialise_draft,
    utc_now,
)
from .draft_lock import LOCK_FILENAME, DraftLock, foreign_holder, holder_is_live, locked_error
from .draft_lock import read_holder as read_lock_holder
from .text import clean_text

HISTORY_DIRNAME = "history"
TRASH_DIRNAME = ".trash"
DEFAULT_HISTORY_LIMIT = 20
UNTITLED = "Untitled draft"

_STAMP_FORMAT = "%Y%m%dT%H%M%S.%fZ"
_HISTORY_NAME = re.compile(r"^(\d{8}T\d{6}\.\d{6}Z)-r(\d+)\.json$")
# Folder names the store treats as drafts; anything else under the root (the
# trash, half-created drafts, a user's stray folder) is ignored.
_DRAFT_FOLDER = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_-]{0,63}$")
# Ids this program generates; an imported draft keeps its id only if it has this shape.
_GENERATED_ID = re.compile(r"^\d{8}-[0-9a-f]{8}$")
_NAME_IN_HEADER = re.compile(rb'"name":\s*"((?:[^"\\]|\\.){0,500})"')
# Temporary files older than this are debris of a crash, not a write in progress.
_STALE_TEMP_S = 600.0


@dataclass(frozen=True)
class HistoryEntry:
    """One earlier version of a draft, kept in its ``history/`` folder."""

    path: Path
    revision: int
    saved: dt.datetime  # when this version was saved (UTC)
    loads_ok: bool


@dataclass(frozen=True)
class DraftSummary:
    """What the draft list shows about one draft, read without raising."""

    draft_id: str
    name: str
    study_title: str
    modified: dt.datetime | None  # None when the draft cannot be read
    revision: int | None
    path: Path  # the draft folder
    problem: str | None = None  # why the draft cannot be opened, if it cannot


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime(_STAMP_FORMAT)


def _parse_stamp(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, _STAMP_FORMAT).replace(tzinfo=dt.UTC)


def _label(name: str, draft_id: str) -> str:
    return f"“{name}” ({draft_id})" if name else draft_id


def _file_stem(name: str) -> str:
    # Portable across Windows, macOS and Linux file systems and archives.
    stem = re.sub(r"[^\w\- ]+", "_", clean_text(name)).strip(" ._")
    return re.sub(r"\s+", " ", stem)[:60].strip() or "draft"


def _salvage_name(data: bytes) -> str:
    """The name from the header of a draft file too damaged to load, or ``""``."""
    match = _NAME_IN_HEADER.search(data[:4096])
    if not match:
        return ""
    try:
        return clean_text(str(json.loads(b'"' + match.group(1) + b'"')))
    except ValueError:
        return ""


class DraftStore:
    """All drafts under one root folder.

    Parameters
    ----------
    root
        The store folder; defaults to :func:`bioimage_depositor.paths.drafts_dir`.
    history_limit
        How many earlier versions to keep per draft.

    Notes
    -----
    Methods that take ``name_or_id`` accept a draft id, a unique prefix of one,
    or a unique name (case-insensitive); see :meth:`resolve`.
    """

    def __init__(self, root: Path | None = None, *, history_limit: int = DEFAULT_HISTORY_LIMIT):
        self.root = Path(root) if root is not None else paths.drafts_dir()
        self.history_limit = max(0, history_limit)
        # Saves may run on worker threads; two at once in one process would both
        # pass the revision check.
        self._guard = threading.RLock()
        # draft.json -> (inode, size, mtime_ns) and header of the version this store last read or wrote
        self._headers: dict[Path, tuple[tuple[int, int, int], DraftHeader]] = {}

    # ------------------------------------------------------------ finding drafts

    def folder(self, draft_id: str) -> Path:
        """The folder of the draft with this exact id (which may not exist)."""
        return self.root / draft_id

    def _draft_folders(self) -> builtins.list[Path]:
        try:
            entries = builtins.list(os.scandir(self.root))
        except FileNotFoundError:
            return []
        return [
            Path(entry.path)
            for entry in entries
            if _DRAFT_FOLDER.match(entry.name) and entry.is_dir(follow_symlinks=False)
        ]

    def _summarise(self, folder: Path) -> DraftSummary:
        file = folder / DRAFT_FILENAME
        try:
            envelope = read_draft_file(file)
        except DraftError as exc:
            try:
                name = _salvage_name(file.read_bytes())
            except OSError:
                name = ""
            if isinstance(exc, DraftNotFoundError):
                problem = f"{file} is missing."
            else:
                problem = exc.message
            return DraftSummary(folder.name, name, "", None, None, folder, problem)
        return DraftSummary(
            draft_id=folder.name,
            name=envelope.name,
            study_title=envelope.deposition.study.title,
            modified=envelope.modified,
            revision=envelope.revision,
            path=folder,
        )

    def _label_of(self, folder: Path) -> str:
        """The draft's name and id for messages, read cheaply and never raising."""
        try:
            data = (folder / DRAFT_FILENAME).read_bytes()
        except OSError:
            return folder.name
        try:
            name = peek_draft(data, folder.name).name
        except DraftError:
            name = _salvage_name(data)
        return _label(name, folder.name)

    def list(self) -> builtins.list[DraftSummary]:
        """Summaries of all drafts, newest first; a damaged draft is listed with its problem.

        Returns
        -------
        list of DraftSummary
            Never raises because one draft is broken.
        """
        summaries = [self._summarise(folder) for folder in self._draft_folders()]

        def newest_first(summary: DraftSummary) -> float:
            if summary.modified is not None:
                return summary.modified.timestamp()
            try:
                return summary.path.stat().st_mtime
            except OSError:
                return 0.0

        return sorted(summaries, key=newest_first, reverse=True)

    def resolve(self, name_or_id: str) -> str:
        """The id of the one draft that ``name_or_id`` designates.

        Parameters
        ----------
        name_or_id
            An exact draft id, a prefix of exactly one id, or the name of
            exactly one draft (case-insensitive, spacing cleaned).

        Raises
        ------
        DraftNameError
            When nothing matches, or more than one draft does (the error lists them).
        """
        query = name_or_id.strip()
        if _DRAFT_FOLDER.match(query) and self.folder(query).is_dir():
            return query
        key = clean_text(query).casefold()
        matches: dict[str, DraftSummary] = {}
        if query:
            for summary in self.list():
                by_prefix = _DRAFT_FOLDER.match(query) and summary.draft_id.startswith(query)
                if by_prefix or (summary.name and summary.name.casefold() == key):
                    matches[summary.draft_id] = summary
        if len(matches) == 1:
            return next(iter(matches))
        raise DraftNameError(name_or_id, [(s.draft_id, s.name) for s in matches.values()])

    # ------------------------------------------------------------ reading

    def _history_files(self, folder: Path) -> builtins.list[tuple[Path, int, dt.datetime]]:
        history = folder / HISTORY_DIRNAME
        try:
            names = os.listdir(history)
        except FileNotFoundError:
            return []
        found = []
        for name in names:
            match = _HISTORY_NAME.match(name)
            if match:
                found.append((history / name, int(match.group(2)), _parse_stamp(match.group(1))))
        found.sort(key=lambda item: (item[1], item[2]), reverse=True)
        return found

    def _history_entries(self, folder: Path) -> builtins.list[HistoryEntry]:
        entries = []
        for path, revision, saved in self._history_files(folder):
            try:
                read_draft_file(path)
                loads_ok = True
            except DraftError:
                loads_ok = False
            entries.append(HistoryEntry(path, revision, saved, loads_ok))
        return entries

    def _load_folder(self, folder: Path) -> DraftEnvelope:
        file = folder / DRAFT_FILENAME
        before = _identity(file)
        try:
            envelope = read_draft_file(file)
        except DraftNotFoundError:
            if not folder.is_dir():
                raise
            reason = f"{DRAFT_FILENAME} is missing"
        except DraftDamagedError as exc:
            reason = str(exc.params["reason"])
        except NotADraftError:
            # Inside the store it was a draft once: say what became of it.
            empty = file.stat().st_size == 0 if file.exists() else False
            reason = "it is empty" if empty else "its content is garbled or was overwritten"
        else:
            # The folder name is authoritative: a folder copied by hand is a separate draft.
            if envelope.draft_id != folder.name:
                envelope.draft_id = folder.name
            if before is not None and before == _identity(file):  # unchanged while it was read
                self._remember(file, before, envelope)
            return envelope
        good = [entry for entry in self._history_entries(folder) if entry.loads_ok]
        raise DraftDamagedError(str(file), reason=reason, good_versions=good)

    def load(self, name_or_id: str) -> DraftEnvelope:
        """Open a draft.

        Parameters
        ----------
        name_or_id
            See :meth:`resolve`.

        Raises
        ------
        DraftNameError
            When ``name_or_id`` designates no single draft.
        DraftDamagedError
            When ``draft.json`` is missing or broken; ``good_versions`` lists the
            earlier versions that still load, for :meth:`restore`.
        DraftTooNewError
            When a newer program version wrote the draft.
        """
        return self._load_folder(self.folder(self.resolve(name_or_id)))

    def history(self, name_or_id: str) -> builtins.list[HistoryEntry]:
        """The earlier versions of a draft, newest first, each checked for whether it loads.

        Parameters
        ----------
        name_or_id
            See :meth:`resolve`.
        """
        return self._history_entries(self.folder(self.resolve(name_or_id)))

    # ------------------------------------------------------------ writing

    def _install(self, envelope: DraftEnvelope) -> None:
        """Write a new draft folder; it appears complete or not at all."""
        self.root.mkdir(parents=True, exist_ok=True)
        staging = self.root / f".new-{secrets.token_hex(6)}"
        staging.mkdir()
        try:
            for _attempt in range(20):
                atomic_write_bytes(staging / DRAFT_FILENAME, serialise_draft(envelope))
                target = self.folder(envelope.draft_id)
                if not target.exists():
                    try:
                        os.rename(staging, target)
                    except OSError:
                        if not target.exists():
                            raise
                    else:
                        fsync_dir(self.root)
                        return
                envelope.draft_id = new_draft_id()
            raise DraftError("draft.no_id", f"No free draft id could be found in {self.root}.")
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)

    def create(self, name: str, deposition: Deposition | None = None) -> DraftEnvelope:
        """Start a new draft and save it as revision 1.

        Parameters
        ----------
        name
            What the depositor calls the draft; names need not be unique.
        deposition
            The content; an empty deposition when omitted. It is stored by
            reference, not copied.

        Returns
        -------
        DraftEnvelope
            The saved draft, with its new id.
        """
        now = utc_now()
        envelope = DraftEnvelope(
            name=clean_text(name) or UNTITLED,
            created=now,
            modified=now,
            revision=1,
            deposition=deposition if deposition is not None else Deposition(),
        )
        with self._guard:
            self._install(envelope)
        return envelope

    def _read_current(self, folder: Path) -> tuple[bytes | None, DraftHeader | None]:
        """The bytes and header of ``draft.json``; the header is ``None`` if it is broken.

        A draft written by a newer program raises: overwriting it would lose its data.
        The header of the version this store wrote last is remembered with the file's
        inode, size and modification time, so an autosave does not parse the whole
        draft again (one ``json.loads`` of a 100,000-file draft holds the interpreter
        lock for a quarter of a second); every save replaces the file, so a version
        written by anyone else has another identity and is read in full.
        """
        file = folder / DRAFT_FILENAME
        try:
            with open(file, "rb") as stream:
                identity = _file_identity(os.fstat(stream.fileno()))
                data = stream.read()
        except FileNotFoundError:
            return None, None
        known = self._headers.get(file)
        if known is not None and known[0] == identity:
            return data, known[1]
        try:
            header = peek_draft(data, str(file))
        except (DraftDamagedError, NotADraftError):
            return data, None
        self._headers[file] = (identity, header)
        return data, header

    def _archive(self, folder: Path, data: bytes, header: DraftHeader) -> None:
        """Keep the current ``draft.json`` as a history entry before it is replaced."""
        history = folder / HISTORY_DIRNAME
        history.mkdir(exist_ok=True)
        target = history / f"{_stamp(header.modified)}-r{header.revision}.json"
        if target.exists():
            return  # archived by an earlier save that was interrupted before replacing
        try:
            # A hard link costs no copy; draft.json is only ever replaced, never
            # rewritten in place, so the linked content cannot change.
            os.link(folder / DRAFT_FILENAME, target)
        except OSError:
            atomic_write_bytes(target, data)
        else:
            fsync_dir(history)

    def _set_aside_damaged(self, folder: Path, data: bytes) -> Path:
        """Keep a broken ``draft.json`` next to the draft; it is never deleted."""
        target = folder / f"{DRAFT_FILENAME}.damaged-{_stamp(utc_now())}"
        try:
            os.link(folder / DRAFT_FILENAME, target)
        except OSError:
            atomic_write_bytes(target, data)
        return target

    def _prune(self, folder: Path) -> None:
        for path, _revision, _saved in self._history_files(folder)[self.history_limit :]:
            with contextlib.suppress(OSError):
                path.unlink()
        now = time.time()
        for place in (folder, folder / HISTORY_DIRNAME):
            with contextlib.suppress(OSError):
                for entry in os.scandir(place):
                    if entry.name.startswith(".") and entry.name.endswith(TEMP_SUFFIX):
                        if now - entry.stat().st_mtime > _STALE_TEMP_S:
                            os.unlink(entry.path)

    def _check_lock(self, folder: Path, label: str) -> None:
        holder = foreign_holder(folder / LOCK_FILENAME)
        if holder is not None:
            raise locked_error(label, holder)

    def _replace_current(
        self,
        folder: Path,
        envelope: DraftEnvelope,
        current: tuple[bytes | None, DraftHeader | None],
    ) -> None:
        data, on_disk = current
        new_bytes = serialise_draft(envelope)
        if on_disk is not None and data is not None:
            self._archive(folder, data, on_disk)
        elif data is not None:
            self._set_aside_damaged(folder, data)
        file = folder / DRAFT_FILENAME
        atomic_write_bytes(file, new_bytes)
        identity = _identity(file)
        if identity is not None:
            self._remember(file, identity, envelope)
        self._prune(folder)

    def _remember(self, file: Path, identity: tuple[int, int, int], envelope: DraftEnvelope) -> None:
        """Note the header of the version of ``file`` with this identity (see :meth:`_read_current`)."""
        self._headers[file] = (identity, DraftHeader(
            draft_id=envelope.draft_id, name=envelope.name, created=envelope.created, modified=envelope.modified,
            revision=envelope.revision,
        ))

    def _latest_revision(self, folder: Path, on_disk: DraftHeader | None) -> int:
        history = self._history_files(folder)
        return max([on_disk.revision if on_disk else 0] + [item[1] for item in history])

    def save(self, envelope: DraftEnvelope, *, expected_revision: int | None = None) -> DraftEnvelope:
        """Save a new revision of an existing draft.

        Parameters
        ----------
        envelope
            The draft as edited. On success its ``revision``, ``modified``,
            ``schema_version`` and ``app_version`` are updated in place.
        expected_revision
            The revision the edits started from; by default ``envelope.revision``.

        Returns
        -------
        DraftEnvelope
            ``envelope`` itself, now carrying the saved revision.

        Raises
        ------
        DraftConflictError
            When the draft on disk is at another revision (saved elsewhere meanwhile).
        DraftLockedError
            When another live window holds the draft's lock.
        DraftNotFoundError
            When the draft's folder no longer exists (deleted meanwhile).
        DraftTooNewError
            When a newer program version has written the draft meanwhile.
        """
        expected = envelope.revision if expected_revision is None else expected_revision
        label = _label(envelope.name, envelope.draft_id)
        with self._guard:
            folder = self.folder(envelope.draft_id)
            if not _DRAFT_FOLDER.match(envelope.draft_id) or not folder.is_dir():
                raise DraftNotFoundError(str(folder))
            self._check_lock(folder, label)
            current = self._read_current(folder)
            on_disk = current[1]
            if on_disk is not None and on_disk.revision != expected:
                raise DraftConflictError(label, expected=expected, found=on_disk.revision)
            # A missing or broken draft.json has nothing newer to protect; it is set aside.
            revision = max(expected, self._latest_revision(folder, on_disk)) + 1
            saved = envelope.model_copy(
                update={
                    "revision": revision,
                    "modified": utc_now(),
                    "schema_version": draft_file.SCHEMA_VERSION,
                    "app_version": __version__,
                }
            )
            self._replace_current(folder, saved, current)
        envelope.revision = saved.revision
        envelope.modified = saved.modified
        envelope.schema_version = saved.schema_version
        envelope.app_version = saved.app_version
        return envelope

    def restore(self, name_or_id: str, entry: HistoryEntry | Path | str) -> DraftEnvelope:
        """Make an earlier version the current one, as a new revision.

        The version being replaced is kept: in the history if it loads, as
        ``draft.json.damaged-<stamp>`` if it does not.

        Parameters
        ----------
        name_or_id
            See :meth:`resolve`.
        entry
            A history entry, or the path of any draft file to restore from.

        Returns
        -------
        DraftEnvelope
            The restored draft at its new revision.
        """
        source = entry.path if isinstance(entry, HistoryEntry) else Path(entry)
        with self._guard:
            draft_id = self.resolve(name_or_id)
            folder = self.folder(draft_id)
            restored = read_draft_file(source)
            self._check_lock(folder, _label(restored.name, draft_id))
            current = self._read_current(folder)
            restored.draft_id = draft_id
            restored.revision = self._latest_revision(folder, current[1]) + 1
            restored.modified = utc_now()
            restored.app_version = __version__
            self._replace_current(folder, restored, current)
        return restored

    def delete(self, name_or_id: str) -> Path:
        """Move a draft to the store's trash folder; nothing is destroyed.

        Parameters
        ----------
        name_or_id
            See :meth:`resolve`.

        Returns
        -------
        Path
            Where the draft folder now is, for an "undo".

        Raises
        ------
        DraftLockedError
            When the draft is open in a live window (this one included).
        """
        with self._guard:
            draft_id = self.resolve(name_or_id)
            folder = self.folder(draft_id)
            lock_path = folder / LOCK_FILENAME
            holder = read_lock_holder(lock_path)
            if holder is not None and holder_is_live(holder, lock_path):
                raise locked_error(self._label_of(folder), holder)
            trash = self.root / TRASH_DIRNAME
            trash.mkdir(exist_ok=True)
            target = trash / f"{draft_id}-{_stamp(utc_now())}"
            os.rename(folder, target)
            fsync_dir(self.root)
            return target

    # ------------------------------------------------------------ moving between machines

    def export(self, name_or_id: str, out_path: str | Path) -> Path:
        """Write a draft as one portable ``.biodraft`` file.

        Parameters
        ----------
        name_or_id
            See :meth:`resolve`.
        out_path
            The file to write, or a folder to write ``<name>-<id>.biodraft`` into.

        Returns
        -------
        Path
            The file written.
        """
        envelope = self.load(name_or_id)
        target = Path(out_path)
        if target.is_dir():
            target = target / f"{_file_stem(envelope.name)}-{envelope.draft_id}{BIODRAFT_SUFFIX}"
        atomic_write_bytes(target, pack_biodraft(envelope))
        return target

    def import_file(self, path: str | Path) -> DraftEnvelope:
        """Add a draft from a ``.biodraft`` file, a ``draft.json`` or a draft folder.

        The draft keeps its id unless this store already has a draft with that
        id (or the id is not one this program makes); then it gets a fresh one,
        so an import never overwrites anything.

        Parameters
        ----------
        path
            The file to import.

        Returns
        -------
        DraftEnvelope
            The imported draft, migrated to the current schema.
        """
        envelope = read_draft_file(path)
        if not _GENERATED_ID.match(envelope.draft_id) or self.folder(envelope.draft_id).exists():
            envelope.draft_id = new_draft_id()
        envelope.schema_version = draft_file.SCHEMA_VERSION
        with self._guard:
            self._install(envelope)
        return envelope

    # ------------------------------------------------------------ locking

    def lock(self, name_or_id: str, *, force: bool = False) -> DraftLock:
        """Take the lock of a draft for this window; release it when the draft is closed.

        Parameters
        ----------
        name_or_id
            See :meth:`resolve`.
        force
            Take it even from another live window ("Open anyway").

        Raises
        ------
        DraftLockedError
            When another live window holds it and ``force`` is false.
        """
        folder = self.folder(self.resolve(name_or_id))
        return DraftLock(folder / LOCK_FILENAME, label=self._label_of(folder)).acquire(force=force)


def _file_identity(info: os.stat_result) -> tuple[int, int, int]:
    """Inode, size and modification time: a replaced or rewritten file has another."""
    return info.st_ino, info.st_size, info.st_mtime_ns


def _identity(file: Path) -> tuple[int, int, int] | None:
    try:
        return _file_identity(file.stat())
    except OSError:
        return None
