"""Errors of the draft store, each with a stable code and one sentence a scientist can act on.

The UI and the command line show ``error.message`` as it is and branch on
``error.code``; ``error.params`` carries the values the message was built from
so a translated message can be produced later. No draft error ever shows a
traceback, a ``JSONDecodeError`` or a pydantic ``ValidationError`` to the user:
:mod:`.draft_file` turns those into the classes below.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the store imports this module; importing it back here would be circular
    from .drafts import HistoryEntry


class DraftError(Exception):
    """Base class of every error the draft store raises on purpose.

    Parameters
    ----------
    code
        Stable machine-readable code such as ``"draft.not_found"``.
    message
        One clear sentence for the depositor, naming the file or draft.
    **params
        The values the message mentions, for the UI and for translation.
    """

    def __init__(self, code: str, message: str, **params: object) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.params = params


class DraftNotFoundError(DraftError):
    """A draft file or folder that does not exist (any more)."""

    def __init__(self, source: str) -> None:
        super().__init__(
            "draft.not_found",
            f"There is no draft at {source}; it may have been moved or deleted.",
            source=source,
        )


class NotADraftError(DraftError):
    """A file that is not a BioImage Depositor draft: not JSON at all, or someone else's JSON."""

    def __init__(self, source: str, *, is_json: bool, what: str | None = None) -> None:
        if what is None:
            what = "a JSON file of another kind" if is_json else "not a JSON file"
        super().__init__(
            "draft.not_a_draft" if is_json else "draft.not_json",
            f"{source} is not a BioImage Depositor draft: it is {what}.",
            source=source,
            is_json=is_json,
        )


class DraftTooNewError(DraftError):
    """A draft written by a newer program with a schema this version cannot read."""

    def __init__(self, source: str, *, found: int, supported: int) -> None:
        super().__init__(
            "draft.too_new",
            f"{source} was made by a newer version of BioImage Depositor (schema {found}); "
            f"this version reads up to {supported}. Update the program.",
            source=source,
            found=found,
            supported=supported,
        )


class DraftUnreadableError(DraftError):
    """A draft file that exists but cannot be read (permissions, disk or network errors)."""

    def __init__(self, source: str, *, reason: str) -> None:
        super().__init__(
            "draft.unreadable",
            f"{source} could not be read ({reason}).",
            source=source,
            reason=reason,
        )


class DraftMigrationError(DraftError):
    """An older draft that could not be upgraded to the current schema (a bug of ours)."""

    def __init__(self, source: str, *, from_version: int, reason: str) -> None:
        super().__init__(
            "draft.migration_failed",
            f"{source} could not be upgraded from schema {from_version} ({reason}); "
            "the file was left unchanged. Please report this with the file attached.",
            source=source,
            from_version=from_version,
            reason=reason,
        )


class DraftDamagedError(DraftError):
    """A draft file that is cut short, garbled or does not fit the draft model.

    ``good_versions`` lists earlier saved versions (history entries) that still
    load, newest first, so the UI can offer to restore one.
    """

    def __init__(
        self,
        source: str,
        *,
        reason: str,
        good_versions: Sequence[HistoryEntry] = (),
    ) -> None:
        self.good_versions: list[HistoryEntry] = list(good_versions)
        if self.good_versions:
            newest = self.good_versions[0]
            advice = (
                f" {len(self.good_versions)} earlier version(s) still load; the newest is "
                f"revision {newest.revision} from {newest.saved:%Y-%m-%d %H:%M} UTC."
            )
        else:
            advice = ""
        super().__init__(
            "draft.damaged",
            f"{source} is damaged ({reason}).{advice}",
            source=source,
            reason=reason,
        )


class DraftLockedError(DraftError):
    """A draft that another live BioImage Depositor process has open."""

    def __init__(self, draft: str, *, pid: int, host: str, since: str) -> None:
        super().__init__(
            "draft.locked",
            f"The draft {draft} is open in another BioImage Depositor window on {host} "
            f"(process {pid}) since {since}. Close it there first, or choose “Open anyway” "
            "if that window is no longer running.",
            draft=draft,
            pid=pid,
            host=host,
            since=since,
        )


class DraftConflictError(DraftError):
    """A save that would overwrite a newer revision written since the draft was loaded."""

    def __init__(self, draft: str, *, expected: int, found: int) -> None:
        super().__init__(
            "draft.conflict",
            f"The draft {draft} was saved elsewhere (revision {found}) after you opened "
            f"revision {expected}; your changes were not written. Save them as a copy, "
            "or reload the draft.",
            draft=draft,
            expected=expected,
            found=found,
        )


class DraftNameError(DraftError):
    """A draft name or id that matches no draft, or more than one."""

    def __init__(self, query: str, candidates: Sequence[tuple[str, str]]) -> None:
        self.candidates = list(candidates)  # (draft_id, name) pairs
        if not self.candidates:
            code, message = "draft.unknown", f"No draft has the name or id “{query}”."
        else:
            listed = "; ".join(f"{draft_id} ({name})" for draft_id, name in self.candidates)
            code = "draft.ambiguous"
            message = (
                f"“{query}” matches {len(self.candidates)} drafts: {listed}. "
                "Use the draft id instead."
            )
        super().__init__(code, message, query=query, candidates=self.candidates)
