"""File attributes (the extra columns of a BIA file list): names checked, bulk edits undone exactly."""

from __future__ import annotations

import pytest

from bioimage_depositor.domain.deposition import FileEntry
from bioimage_depositor.domain.filelist.attributes import (
    MAX_NAME_LENGTH,
    attribute_columns,
    column_name_problem,
    remove_column,
    rename_column,
    set_attribute,
    undo_change,
)


def _files(n: int = 4) -> list[FileEntry]:
    return [FileEntry(path=f"run/img_{i}.tif", source=f"/d/img_{i}.tif") for i in range(n)]


def test_columns_are_listed_in_order_of_first_use():
    files = _files(3)
    files[1].attributes.update({"treatment": "a", "time": "1"})
    files[2].attributes.update({"replicate": "2", "treatment": "b"})
    assert attribute_columns(files) == ["treatment", "time", "replicate"]
    assert attribute_columns([]) == []


@pytest.mark.parametrize(
    "name, fragment",
    [
        ("", "Give the column a name"),
        ("   \u200b ", "Give the column a name"),
        ("Files", "first column"),
        ("files", "first column"),
        ("file_path", "uses itself"),
        ("Treatment", "already a column"),
        ("x" * (MAX_NAME_LENGTH + 1), "under"),
    ],
)
def test_bad_column_names_are_refused_with_a_reason(name, fragment):
    assert fragment in column_name_problem(name, ["treatment", "time point"])


def test_good_names_pass_and_a_column_may_keep_its_name_when_renamed():
    assert column_name_problem("replicate", ["treatment"]) == ""
    assert column_name_problem("Source Image", ["treatment"]) == ""  # the annotation column the BIA asks for
    assert column_name_problem("Treatment", ["treatment", "time"], renaming="treatment") == ""
    assert "already" in column_name_problem("time", ["treatment", "time"], renaming="treatment")


def test_set_attribute_cleans_the_value_and_undo_restores_exactly():
    files = _files(3)
    files[0].attributes["treatment"] = "old"
    change = set_attribute(files[:2], "treatment", "  10 µM\u200b  nocodazole ")
    assert [f.attributes.get("treatment") for f in files] == ["10 µM nocodazole", "10 µM nocodazole", None]
    redo = undo_change(change)
    assert [f.attributes.get("treatment") for f in files] == ["old", None, None]
    assert "treatment" not in files[1].attributes
    undo_change(redo)
    assert [f.attributes.get("treatment") for f in files] == ["10 µM nocodazole", "10 µM nocodazole", None]


def test_an_empty_value_keeps_the_column_in_the_file_list():
    files = _files(2)
    set_attribute(files, "replicate", "")
    assert attribute_columns(files) == ["replicate"]
    assert [f.attributes for f in files] == [{"replicate": ""}, {"replicate": ""}]


def test_remove_and_rename_keep_values_and_positions():
    files = _files(2)
    for entry in files:
        entry.attributes.update({"a": "1", "b": "2", "c": "3"})
    changed = rename_column(files, "b", "batch")
    assert [list(f.attributes) for f in files] == [["a", "batch", "c"]] * 2
    assert [f.attributes["batch"] for f in files] == ["2", "2"]
    rename_column(changed, "batch", "b")
    assert [list(f.attributes) for f in files] == [["a", "b", "c"]] * 2
    removed = remove_column(files, "a")
    assert attribute_columns(files) == ["b", "c"]
    undo_change(removed)
    assert all(f.attributes["a"] == "1" for f in files)


def test_bulk_edits_of_100000_files_are_quick():
    import time

    files = [FileEntry(path=f"run/img_{i}.tif") for i in range(100_000)]
    started = time.perf_counter()
    change = set_attribute(files, "treatment", "untreated")
    undo_change(change)
    remove_column(files, "treatment")
    elapsed = time.perf_counter() - started
    assert attribute_columns(files) == []
    assert elapsed < 2.0, elapsed  # a generous guard: validating each model instead took seconds
