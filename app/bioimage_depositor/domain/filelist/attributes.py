"""Per-file attributes: the extra columns of a BIA file list, named and edited in bulk.

A file list is ``Files`` followed by free columns (treatment, time point,
channel…), stored per file in ``FileEntry.attributes``. These helpers give the
columns of a list in a stable order, check a new column's name before it
exists (so the file list never gets an empty, duplicate or reserved header),
and change many files at once. Every change returns what it replaced, so the
caller can undo it exactly.

Values are cleaned as the model cleans one-line text (invisible characters
removed, spaces collapsed) but written into each file's dictionary directly:
validating 100,000 models one by one would take seconds for a single edit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..deposition import FileEntry
from ..text import clean_text

#: Longest column name accepted (the BIA has no limit; a header this long is a mistake).
MAX_NAME_LENGTH = 120

#: Marker for "this file had no such attribute" in a change record.
MISSING: None = None


def attribute_columns(entries: Iterable[FileEntry]) -> list[str]:
    """The attribute names used in a file list, in order of first use (the file list's column order)."""
    seen: dict[str, None] = {}
    for entry in entries:
        if entry.attributes:
            for key in entry.attributes:
                if key not in seen:
                    seen[key] = None
    return list(seen)


def clean_value(value: str) -> str:
    """An attribute value as the model stores it (one line, cleaned)."""
    return clean_text(value)


def column_name_problem(name: str, existing: Sequence[str], *, renaming: str | None = None) -> str:
    """Why ``name`` cannot be a new attribute column, or ``""`` when it can.

    Parameters
    ----------
    name : str
        The proposed column name, as typed.
    existing : sequence of str
        The columns the list already has.
    renaming : str, optional
        The column being renamed (it may keep its own name in another case).

    Returns
    -------
    str
        One sentence for the user, or an empty string.
    """
    from ..exports.rocrate import RESERVED_COLUMNS, is_source_image_key

    cleaned = clean_text(name)
    if not cleaned:
        return "Give the column a name."
    if len(cleaned) > MAX_NAME_LENGTH:
        return f"Keep the column name under {MAX_NAME_LENGTH} characters."
    folded = cleaned.casefold()
    if folded == "files":
        return "“Files” is the file list's first column, which holds the paths; choose another name."
    if folded in RESERVED_COLUMNS and not is_source_image_key(cleaned):
        return (f"“{cleaned}” is a column the BIA's file list uses itself; choose another name, "
                f"e.g. “{cleaned} (sample)”.")
    for other in existing:
        if other == renaming:
            continue
        if other.casefold() == folded:
            return f"There is already a column “{other}”; choose another name or edit that column."
    return ""


@dataclass(frozen=True)
class AttributeChange:
    """What one bulk edit replaced: per file, the column's value before (``None``: the file had none).

    ``entries`` and ``before`` are parallel; :func:`undo_change` restores them exactly.
    """

    entries: tuple[FileEntry, ...]
    column: str
    before: tuple[str | None, ...]


def set_attribute(entries: Sequence[FileEntry], column: str, value: str) -> AttributeChange:
    """Give every file in ``entries`` the value ``value`` in ``column`` (created where missing).

    Parameters
    ----------
    entries : sequence of FileEntry
        The files to change (edited in place).
    column : str
        A column name already checked with :func:`column_name_problem` (or an existing column).
    value : str
        The value; an empty value keeps the column with an empty cell.

    Returns
    -------
    AttributeChange
        What was there before, for undo.
    """
    column = clean_text(column)
    cleaned = clean_value(value)
    before = tuple(entry.attributes.get(column, MISSING) for entry in entries)
    for entry in entries:
        entry.attributes[column] = cleaned
    return AttributeChange(tuple(entries), column, before)


def remove_column(entries: Sequence[FileEntry], column: str) -> AttributeChange:
    """Remove ``column`` from every file that has it; return what was removed, for undo."""
    having = [entry for entry in entries if column in entry.attributes]
    before = tuple(entry.attributes[column] for entry in having)
    for entry in having:
        del entry.attributes[column]
    return AttributeChange(tuple(having), column, before)


def rename_column(entries: Sequence[FileEntry], old: str, new: str) -> tuple[FileEntry, ...]:
    """Rename a column, keeping each file's value and the column's place in the file list.

    ``new`` must have been checked with :func:`column_name_problem` (no file has it yet).

    Returns
    -------
    tuple of FileEntry
        The files changed; ``rename_column(changed, new, old)`` undoes the rename exactly.
    """
    new = clean_text(new)
    having = tuple(entry for entry in entries if old in entry.attributes)
    for entry in having:
        # Rebuilt in place (no per-file validation) so the column keeps its position.
        renamed = {(new if key == old else key): value for key, value in entry.attributes.items()}
        entry.attributes.clear()
        entry.attributes.update(renamed)
    return having


def undo_change(change: AttributeChange) -> AttributeChange:
    """Put back what ``change`` replaced; return the change that reverses this one (for redo)."""
    now = tuple(entry.attributes.get(change.column, MISSING) for entry in change.entries)
    for entry, value in zip(change.entries, change.before, strict=True):
        if value is MISSING:
            entry.attributes.pop(change.column, None)
        else:
            entry.attributes[change.column] = value
    return AttributeChange(change.entries, change.column, now)


__all__ = [
    "MAX_NAME_LENGTH",
    "AttributeChange",
    "attribute_columns",
    "clean_value",
    "column_name_problem",
    "remove_column",
    "rename_column",
    "set_attribute",
    "undo_change",
]
