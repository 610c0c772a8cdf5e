"""The draft file format: a versioned envelope around a :class:`Deposition`, and its (de)serialisation.

A draft must still open after the program has been updated, moved to another
machine or half-overwritten by a crash. So the file says what it is
(``format``) and which layout it uses (``schema_version``); older layouts are
upgraded step by step by :data:`MIGRATIONS`; newer ones are refused with a
clear message instead of being misread; and every way a file can be wrong ends
in one of the :mod:`.draft_errors` classes, never in a raw parser exception.

The same JSON is the ``draft.json`` inside a store folder and inside a portable
``.biodraft`` file (a small zip archive, so it can carry a README and, later,
attachments).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import re
import secrets
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from .. import __version__
from .deposition import Deposition, FileEntry
from .draft_errors import (
    DraftDamagedError,
    DraftMigrationError,
    DraftNotFoundError,
    DraftTooNewError,
    DraftUnreadableError,
    NotADraftError,
)
from .text import Line

DRAFT_FORMAT: Final = "bioimage-depositor-draft"
SCHEMA_VERSION = 2
#: Name of the envelope file inside a draft folder and inside a ``.biodraft`` archive.
DRAFT_FILENAME = "draft.json"
BIODRAFT_SUFFIX = ".biodraft"

Migration = Callable[[dict[str, Any]], dict[str, Any]]

#: ``MIGRATIONS[n]`` turns a schema-``n`` envelope (as parsed JSON) into schema ``n + 1``.
#: Each step only has to change the layout; :func:`migrate` stamps the new version.
def _schema_1_to_2(data: dict[str, Any]) -> dict[str, Any]:
    """Schema 2 only added optional fields (prefilled marks, accessions, correlation provenance).

    The layout is unchanged, so nothing moves; the version step exists so that an older program
    meeting a schema-2 draft says it was made by a newer version instead of calling it damaged.
    """
    return data


MIGRATIONS: dict[int, Migration] = {1: _schema_1_to_2}

# Large enough for a deposition listing millions of files, small enough that a
# crafted archive cannot exhaust memory.
_MAX_DRAFT_BYTES = 1 << 30
# A damaged draft still starts with its envelope header; this tells a draft cut
# short from an unrelated file.
_HEADER_PROBE = 4096
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# Zip entries carry a timestamp; a fixed one makes exports byte-reproducible.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)

DraftId = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z][0-9A-Za-z_-]{0,63}$")]
UtcDatetime = Annotated[AwareDatetime, AfterValidator(lambda value: value.astimezone(dt.UTC))]


def utc_now() -> dt.datetime:
    """The current time as a timezone-aware UTC datetime."""
    return dt.datetime.now(dt.UTC)


def new_draft_id() -> str:
    """A short, file-name-safe, practically unique draft id such as ``20240517-3f9a1c2e``.

    The date prefix makes folders sort by creation day in a file browser.
    """
    return f"{utc_now():%Y%m%d}-{secrets.token_hex(4)}"


class DraftEnvelope(BaseModel):
    """One draft as stored: who and when around the deposition itself."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, validate_default=True)

    format: Literal["bioimage-depositor-draft"] = DRAFT_FORMAT
    # Read through a lambda so that tests can patch SCHEMA_VERSION.
    schema_version: int = Field(default_factory=lambda: SCHEMA_VERSION)
    draft_id: DraftId = Field(default_factory=new_draft_id)
    name: Line = ""
    created: UtcDatetime = Field(default_factory=utc_now)
    modified: UtcDatetime = Field(default_factory=utc_now)
    revision: int = Field(default=0, ge=0)  # incremented by every save; 1 after create
    app_version: str = __version__  # the program version that last wrote the file
    current_page: Line = ""  # the wizard page to reopen
    deposition: Deposition = Field(default_factory=Deposition)


# ---------------------------------------------------------------- writing


def _finite(value: Any) -> Any:
    """Replace NaN and infinities by ``None``: they are not JSON and mean "unknown" anyway."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value


def serialise_draft(envelope: DraftEnvelope) -> bytes:
    """Encode an envelope as the bytes of ``draft.json``.

    The output is deterministic (model field order, two-space indent, UTF-8
    with non-ASCII text written as itself rather than escaped, trailing newline), so
    the same envelope always gives the same bytes and versions diff cleanly.

    Parameters
    ----------
    envelope
        The draft to encode.

    Returns
    -------
    bytes
        Strict JSON (no ``NaN``): non-finite numbers are written as ``null``.
    """
    try:
        pieces = _encode_in_pieces(envelope)
    except ValueError:  # a non-finite number somewhere: the slow, careful way
        pieces = [_encode(_finite(envelope.model_dump(mode="json")))]
    pieces.append("\n")
    try:
        # piece by piece, then one copy: encoding or joining 25 MB in one call holds the lock for ~0.1 s
        return b"".join([piece.encode("utf-8") for piece in pieces])
    except UnicodeEncodeError:
        text = "".join(pieces)
        # Undecodable bytes in file names arrive as lone surrogates (PEP 383).
        # UTF-8 cannot hold them, but a JSON \u escape can, and json.loads gives
        # the same string back, so the original path is not lost.
        escaped = _LONE_SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
        return escaped.encode("utf-8")


def _readme(envelope: DraftEnvelope) -> str:
    return (
        "BioImage Depositor draft\n"
        "========================\n\n"
        f"This file holds one unfinished deposition, “{envelope.name}”\n"
        f"(draft {envelope.draft_id}, revision {envelope.revision}, "
        f"saved {envelope.modified:%Y-%m-%d %H:%M} UTC).\n\n"
        "To continue working on it, import this file in BioImage Depositor.\n\n"
        f"It is a zip archive. The metadata is in {DRAFT_FILENAME}, readable with\n"
        f"any text editor (format “{DRAFT_FORMAT}”, schema {envelope.schema_version}).\n"
    )


def _zip_entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # the default depends on the OS writing the archive
    info.external_attr = 0o644 << 16
    return info


def pack_biodraft(envelope: DraftEnvelope) -> bytes:
    """Encode an envelope as a portable ``.biodraft`` archive.

    Parameters
    ----------
    envelope
        The draft to export.

    Returns
    -------
    bytes
        A zip archive holding ``draft.json`` and ``README.txt``, with fixed
        entry order, timestamps and permissions so that the same draft always
        gives the same bytes.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(_zip_entry(DRAFT_FILENAME), serialise_draft(envelope))
        archive.writestr(_zip_entry("README.txt"), _readme(envelope).encode("utf-8"))
    return buffer.getvalue()


# ---------------------------------------------------------------- reading


def summarise_validation_error(error: ValidationError, *, limit: int = 3) -> str:
    """Describe a pydantic validation failure in one line: the count and the first locations.

    Parameters
    ----------
    error
        The failure raised while validating an envelope.
    limit
        How many locations to name.
    """
    problems = error.errors()
    parts = []
    for problem in problems[:limit]:
        location = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        parts.append(f"{location}: {problem['msg']}".replace("\n", " "))
    more = f"; and {len(problems) - limit} more" if len(problems) > limit else ""
    return f"{len(problems)} value(s) do not fit the draft format: {'; '.join(parts)}{more}"


def migrate(data: dict[str, Any], version: int, source: str) -> dict[str, Any]:
    """Upgrade a parsed envelope from schema ``version`` to :data:`SCHEMA_VERSION`.

    Parameters
    ----------
    data
        The parsed JSON object of the envelope; it may be changed in place.
    version
        Its schema version.
    source
        The file it came from, for error messages.

    Raises
    ------
    DraftMigrationError
        When a step is missing or fails.
    """
    for step in range(version, SCHEMA_VERSION):
        migration = MIGRATIONS.get(step)
        if migration is None:
            raise DraftMigrationError(source, from_version=step, reason="no upgrade step is known")
        try:
            data = migration(data)
        except Exception as exc:
            raise DraftMigrationError(
                source, from_version=step, reason=f"{type(exc).__name__}: {exc}"
            ) from exc
        data["schema_version"] = step + 1
    return data


def _looks_like_draft(data: bytes) -> bool:
    head = data[:_HEADER_PROBE]
    return b'"format"' in head and DRAFT_FORMAT.encode() in head


def _unpack_biodraft(data: bytes, source: str) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            try:
                info = archive.getinfo(DRAFT_FILENAME)
            except KeyError:
                raise NotADraftError(
                    source, is_json=False, what=f"a zip archive without {DRAFT_FILENAME}"
                ) from None
            if info.file_size > _MAX_DRAFT_BYTES:
                raise DraftDamagedError(source, reason=f"its {DRAFT_FILENAME} is implausibly large")
            return archive.read(info)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        raise DraftDamagedError(source, reason="the .biodraft archive is cut short or garbled") from exc


def _decode(data: bytes, source: str) -> dict[str, Any]:
    """Bytes to the migrated JSON object of an envelope: every check but the model's."""
    if data[:4] == b"PK\x03\x04":
        data = _unpack_biodraft(data, source)
    try:
        obj = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        if _looks_like_draft(data):
            raise DraftDamagedError(source, reason="the file is cut short or garbled") from None
        raise NotADraftError(source, is_json=False) from None
    if not isinstance(obj, dict) or obj.get("format") != DRAFT_FORMAT:
        raise NotADraftError(source, is_json=True)
    version = obj.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise DraftDamagedError(source, reason="its schema version is missing or not valid")
    if version > SCHEMA_VERSION:
        raise DraftTooNewError(source, found=version, supported=SCHEMA_VERSION)
    return migrate(obj, version, source)


def parse_draft(data: bytes, source: str) -> DraftEnvelope:
    """Read an envelope from the bytes of a ``draft.json`` or a ``.biodraft`` archive.

    Older schemas are migrated to the current one on the way.

    Parameters
    ----------
    data
        The file content.
    source
        What to call the file in messages (usually its path).

    Raises
    ------
    NotADraftError
        When the bytes are not JSON, or JSON that is not a draft.
    DraftTooNewError
        When the draft was written with a newer schema than this program reads.
    DraftDamagedError
        When the file is a draft but cut short, garbled or does not fit the model.
    DraftMigrationError
        When an older draft cannot be upgraded.
    """
    obj = _decode(data, source)
    try:
        return DraftEnvelope.model_validate(obj)
    except ValidationError as exc:
        raise DraftDamagedError(source, reason=summarise_validation_error(exc)) from None


class DraftHeader(BaseModel):
    """The envelope fields of a draft, read without validating the whole deposition."""

    model_config = ConfigDict(extra="ignore")

    draft_id: str
    name: str = ""
    created: UtcDatetime
    modified: UtcDatetime
    revision: int = Field(ge=0)


def peek_draft(data: bytes, source: str) -> DraftHeader:
    """Read only the envelope fields of a draft: what a save needs to check, quickly.

    Validating the deposition of a draft that lists a hundred thousand files
    takes seconds; the JSON and the header take a fraction of that.

    Parameters
    ----------
    data
        The file content.
    source
        What to call the file in messages.

    Raises
    ------
    NotADraftError, DraftTooNewError, DraftDamagedError, DraftMigrationError
        As :func:`parse_draft`, except that a deposition not fitting the model
        goes unnoticed.
    """
    obj = _decode(data, source)
    try:
        return DraftHeader.model_validate(obj)
    except ValidationError as exc:
        raise DraftDamagedError(source, reason=summarise_validation_error(exc)) from None


def read_draft_file(path: str | Path) -> DraftEnvelope:
    """Read a draft from a ``draft.json`` file, a draft folder or a ``.biodraft`` archive.

    Parameters
    ----------
    path
        The file or folder.

    Raises
    ------
    DraftNotFoundError
        When nothing is at ``path``.
    DraftUnreadableError
        When the file exists but cannot be read.
    NotADraftError, DraftTooNewError, DraftDamagedError, DraftMigrationError
        As :func:`parse_draft`.
    """
    file = Path(path)
    if file.is_dir():
        file = file / DRAFT_FILENAME
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise DraftNotFoundError(str(file)) from None
    except OSError as exc:
        raise DraftUnreadableError(str(file), reason=exc.strerror or type(exc).__name__) from None
    return parse_draft(data, str(file))


#: The parts of a deposition that carry file lists (up to 100,000 entries each).
FILE_LIST_SECTIONS = ("components", "annotations")
_WITHOUT_FILE_LISTS = {"deposition": {section: {"__all__": {"files"}} for section in FILE_LIST_SECTIONS}}


def take_snapshot(envelope: DraftEnvelope) -> dict[str, Any]:
    """A consistent copy of ``envelope`` for :func:`envelope_from_snapshot`, cheap enough for the UI thread.

    Everything but the file lists is dumped by pydantic; file entries are copied as
    their field dictionaries (:func:`copy_file_entries`). Dumping 100,000 entries
    took one 0.2–0.3 s pydantic call that holds the interpreter lock; copying them
    takes a third of that and leaves the conversion to the worker. The wizard
    copies the lists in slices between events (:func:`snapshot_skeleton`).
    """
    payload, file_lists = snapshot_skeleton(envelope)
    for part_payload, files in file_lists:
        part_payload["files"] = copy_file_entries(files)
    return payload


FileLists = list[tuple[dict[str, Any], list[FileEntry]]]


def snapshot_skeleton(envelope: DraftEnvelope) -> tuple[dict[str, Any], FileLists]:
    """:func:`take_snapshot` without the file lists: the payload, and each part's payload with its live list.

    Store ``copy_file_entries(files)`` under ``"files"`` in each part payload (all of it
    before the draft changes again) to complete the snapshot.
    """
    payload = envelope.model_dump(mode="json", exclude=_WITHOUT_FILE_LISTS)
    deposition = envelope.deposition
    file_lists: FileLists = []
    for section in FILE_LIST_SECTIONS:
        for part_payload, part in zip(payload["deposition"][section], getattr(deposition, section), strict=True):
            file_lists.append((part_payload, part.files))
    return payload, file_lists


def copy_file_entries(entries: Iterable[FileEntry]) -> list[dict[str, Any]]:
    """File entries as independent field dictionaries (the only mutable field, ``attributes``, copied too)."""
    return [{**entry.__dict__, "attributes": dict(entry.attributes)} for entry in entries]


def _encode(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)


def _encode_in_pieces(envelope: DraftEnvelope) -> list[str]:
    """``_encode(envelope.model_dump(mode="json"))``, the same text in pieces, made in many short calls.

    Pydantic's dump and (since Python 3.13) the JSON encoder each hold the
    interpreter lock for a whole call: for a draft of 100,000 files that stalled
    the window for 0.15–0.25 s and 0.35 s while a worker saved. So the draft is
    dumped and encoded without its file lists, each stands there as a unique
    placeholder, and every file entry is dumped and encoded on its own, indented
    to its depth and spliced in.
    """
    payload = envelope.model_dump(mode="json", exclude=_WITHOUT_FILE_LISTS)
    deposition = envelope.deposition
    held: dict[str, list[Any]] = {}
    marker = uuid.uuid4().hex
    for section in FILE_LIST_SECTIONS:
        parts = payload["deposition"][section]
        for index, part in enumerate(getattr(deposition, section)):
            token = f"@files-{marker}-{len(held)}@"
            held[token] = part.files
            dumped = parts[index]
            # "files" goes back where the model declares it, so the key order is a plain model_dump's
            parts[index] = {name: token if name == "files" else dumped[name] for name in _dump_order(part, dumped)}
    text = _encode(payload)
    pieces: list[str] = []
    done = 0
    for at, token in sorted((text.index(f'"{token}"'), token) for token in held):
        line_start = text.rfind("\n", 0, at) + 1
        indent = " " * (len(text[line_start:at]) - len(text[line_start:at].lstrip(" ")))
        pieces.append(text[done:at])
        pieces.extend(_encode_entries(held[token], indent))
        done = at + len(token) + 2
    pieces.append(text[done:])
    return pieces


def _encode_entries(entries: list[Any], indent: str) -> list[str]:
    """A list of file entries as ``_encode`` writes it at a depth of ``indent``, one piece per entry."""
    if not entries:
        return ["[]"]
    inner = indent + "  "
    newline = "\n" + inner  # JSON strings hold no raw newlines, so every newline is layout
    pieces = ["[\n" + inner]
    for entry in entries:
        pieces.append(_encode(entry.model_dump(mode="json")).replace("\n", newline))
        pieces.append(",\n" + inner)
    pieces[-1] = "\n" + indent + "]"
    return pieces


def _dump_order(part: Any, dumped: dict[str, Any]) -> list[str]:
    """The keys of ``part.model_dump()`` in order: declared fields (``files`` among them), then the rest."""
    declared = [name for name in type(part).model_fields if name == "files" or name in dumped]
    return declared + [name for name in dumped if name not in declared]


def envelope_from_snapshot(payload: dict[str, Any]) -> DraftEnvelope:
    """Rebuild an envelope from :func:`take_snapshot` (or ``model_dump(mode="json")``) in a worker thread.

    Equal to parsing the encoded snapshot, but the file lists (100,000 entries in a large
    deposition) are validated one entry per call instead of in one long call: pydantic holds
    the interpreter lock for the whole of a call, so one call over every file stalled the
    window for over a second, while many short calls let the UI thread run between them.
    The snapshot comes from a valid model of this program's schema, so no migration applies.
    """
    data = dict(payload)
    deposition = dict(data.get("deposition") or {})
    held: dict[str, list[list[Any]]] = {}
    for section in FILE_LIST_SECTIONS:
        parts = [dict(part) for part in deposition.get(section) or []]
        held[section] = [part.pop("files", None) or [] for part in parts]
        deposition[section] = parts
    data["deposition"] = deposition
    envelope = DraftEnvelope.model_validate(data)
    validate = FileEntry.model_validate
    for section, file_lists in held.items():
        for part, files in zip(getattr(envelope.deposition, section), file_lists, strict=True):
            # the entries are validated one by one above; assigning through pydantic would check the list again
            part.__dict__["files"] = [validate(item) for item in files]
    return envelope
