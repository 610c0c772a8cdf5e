"""Snapshots taken on the UI thread and rebuilt in a worker equal the draft, file lists included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bioimage_depositor.domain.deposition import AnnotationSet, FileEntry
from bioimage_depositor.domain.draft_file import (
    envelope_from_snapshot,
    parse_draft,
    read_draft_file,
    serialise_draft,
    take_snapshot,
)

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.draft.json"))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_a_snapshot_rebuilds_the_same_envelope_as_a_save_and_load(example: Path) -> None:
    envelope = read_draft_file(example)
    envelope.deposition.components[0].files = [
        FileEntry(path=f"run/frame_{i:04d}.tif", source=f"/data/run/frame_{i:04d}.tif", size_bytes=i,
                  attributes={"treatment": "none"})
        for i in range(2000)
    ]
    envelope.deposition.annotations.append(AnnotationSet(files=[FileEntry(path="labels/a.png", size_bytes=3)]))
    rebuilt = envelope_from_snapshot(take_snapshot(envelope))
    assert rebuilt == envelope
    assert envelope_from_snapshot(envelope.model_dump(mode="json")) == envelope
    assert rebuilt == parse_draft(serialise_draft(envelope), "round trip")
    assert serialise_draft(rebuilt) == serialise_draft(envelope)
    # file lists are dumped entry by entry, yet the bytes are those of one plain model_dump
    plain = json.dumps(envelope.model_dump(mode="json"), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    assert serialise_draft(envelope) == plain.encode("utf-8")


def test_the_snapshot_is_independent_of_later_edits() -> None:
    envelope = read_draft_file(EXAMPLES[0])
    files = envelope.deposition.components[0].files
    files.append(FileEntry(path="early.tif", attributes={"stain": "DAPI"}))
    snapshot = take_snapshot(envelope)
    envelope.deposition.study.title = "changed after the snapshot"
    files.append(FileEntry(path="late.tif"))
    files[-2].attributes["stain"] = "changed in place"  # how the Image data page edits attributes
    files[-2].md5 = "0" * 32
    rebuilt = envelope_from_snapshot(snapshot)
    assert rebuilt.deposition.study.title != "changed after the snapshot"
    assert all(entry.path != "late.tif" for entry in rebuilt.deposition.components[0].files)
    early = rebuilt.deposition.components[0].files[-1]
    assert (early.path, early.attributes, early.md5) == ("early.tif", {"stain": "DAPI"}, "")


def test_file_entries_have_no_mutable_field_the_snapshot_would_share() -> None:
    """take_snapshot copies FileEntry.attributes only: a new list or dict field must be copied there too."""
    mutable = {name for name, value in FileEntry(path="x").__dict__.items() if isinstance(value, (dict, list, set))}
    assert mutable == {"attributes"}


def test_schema_1_drafts_still_load_and_save_as_the_current_schema() -> None:
    from bioimage_depositor.domain import draft_file

    raw = EXAMPLES[0].read_bytes()
    assert b'"schema_version": 1' in raw
    envelope = parse_draft(raw, EXAMPLES[0].name)
    assert envelope.schema_version == draft_file.SCHEMA_VERSION == 2
    assert envelope.deposition.prefilled == [] and envelope.deposition.accessions.bia == ""
