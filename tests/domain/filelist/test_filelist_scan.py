"""Scanning dropped files and folders into file-list rows."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

from bioimage_depositor.domain.deposition import FileEntry
from bioimage_depositor.domain.filelist import scan as scan_module
from bioimage_depositor.domain.filelist.progress import Progress
from bioimage_depositor.domain.filelist.scan import is_system_clutter, scan_paths

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="symlinks and byte names need POSIX")


def write(path: Path, size: int = 3) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    return path


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "drop" / "run 1"
    write(root / "café.tif", 10)
    write(root / "日本語" / "データ.tif", 20)
    write(root / "with space" / "cell 01.tif", 30)
    write(root / "nested" / "deeper" / "z.tif", 40)
    write(root / "image.ome.zarr" / ".zattrs", 5)  # a dot-file that is data
    write(root / ".DS_Store")
    write(root / "Thumbs.db")
    write(root / "nested" / "desktop.ini")
    write(root / "._café.tif")
    write(root / "__MACOSX" / "junk.tif")
    return root


def paths_of(result) -> list[str]:
    return [entry.path for entry in result.entries]


def test_tree_paths_sources_sizes_and_clutter(tree: Path):
    result = scan_paths([tree])
    assert paths_of(result) == [
        "run 1/café.tif",
        "run 1/image.ome.zarr/.zattrs",
        "run 1/nested/deeper/z.tif",
        "run 1/with space/cell 01.tif",
        "run 1/日本語/データ.tif",
    ]
    by_path = {entry.path: entry for entry in result.entries}
    assert by_path["run 1/nested/deeper/z.tif"].size_bytes == 40
    assert by_path["run 1/nested/deeper/z.tif"].source == str(tree / "nested" / "deeper" / "z.tif")
    assert all(os.path.isabs(entry.source) and "\\" not in entry.path for entry in result.entries)
    assert result.clutter_skipped == 5
    assert result.problems == []
    assert not result.cancelled
    assert result.total_bytes == 10 + 5 + 40 + 30 + 20


def test_rows_equal_validated_models(tree: Path):
    for entry in scan_paths([tree]).entries:
        assert FileEntry.model_validate(entry.model_dump()) == entry


def test_dropped_file_is_listed_by_name_and_repeats_once(tree: Path):
    single = tree / "café.tif"
    result = scan_paths([single, tree, single])
    assert paths_of(result)[0] == "café.tif"
    assert len(result.entries) == 5  # the file is not listed again inside its folder


def test_relative_roots_are_made_absolute(tree: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tree.parent)
    result = scan_paths(["run 1"])
    assert result.entries[0].source == str(tree / "café.tif")
    assert result.entries[0].path == "run 1/café.tif"


def test_clutter_can_be_included(tree: Path):
    result = scan_paths([tree], include_clutter=True)
    assert result.clutter_skipped == 0
    assert "run 1/.DS_Store" in paths_of(result)
    assert "run 1/__MACOSX/junk.tif" in paths_of(result)


@pytest.mark.parametrize(
    "name, is_dir, expected",
    [
        (".DS_Store", False, True),
        ("thumbs.db", False, True),
        ("Desktop.ini", False, True),
        ("._anything.tif", False, True),
        (".zattrs", False, False),
        ("$RECYCLE.BIN", True, True),
        ("data", True, False),
    ],
)
def test_clutter_names(name: str, is_dir: bool, expected: bool):
    assert is_system_clutter(name, is_dir=is_dir) is expected


def test_missing_root_is_reported(tmp_path: Path):
    result = scan_paths([tmp_path / "gone"])
    assert [p.code for p in result.problems] == ["scan.missing"]
    assert result.entries == []


def test_unreadable_folder_is_reported_and_the_rest_scanned(tree: Path, monkeypatch: pytest.MonkeyPatch):
    # Running as root, permissions cannot make a folder unreadable; simulate what scandir raises.
    real_scandir = os.scandir
    blocked = str(tree / "nested")

    def scandir(path):
        if os.fspath(path) == blocked:
            raise PermissionError(13, "Permission denied", blocked)
        return real_scandir(path)

    monkeypatch.setattr(scan_module.os, "scandir", scandir)
    result = scan_paths([tree])
    assert [(p.code, p.source) for p in result.problems] == [("scan.unreadable", blocked)]
    assert "Permission denied" in result.problems[0].message
    assert "run 1/nested/deeper/z.tif" not in paths_of(result)
    assert "run 1/café.tif" in paths_of(result)


def test_file_vanishing_during_scan_is_reported(tree: Path, monkeypatch: pytest.MonkeyPatch):
    real_scandir = os.scandir

    class Vanishing:
        def __init__(self, entry):
            self._entry = entry
            self.name, self.path = entry.name, entry.path

        def __getattr__(self, attr):
            return getattr(self._entry, attr)

        def stat(self, follow_symlinks=True):
            raise FileNotFoundError(2, "No such file", self.path)

    class Listing:
        def __init__(self, path):
            self._it = real_scandir(path)

        def __enter__(self):
            return [Vanishing(e) if e.name == "z.tif" else e for e in self._it]

        def __exit__(self, *exc):
            self._it.close()

    monkeypatch.setattr(scan_module.os, "scandir", Listing)
    result = scan_paths([tree])
    assert [p.code for p in result.problems] == ["scan.missing"]
    assert "run 1/nested/deeper/z.tif" not in paths_of(result)


@posix_only
def test_symlink_loop_is_reported_not_followed(tree: Path):
    os.symlink(tree, tree / "nested" / "back_to_top")
    os.symlink("self_link", tree / "self_link")
    result = scan_paths([tree])
    codes = sorted(p.code for p in result.problems)
    assert codes == ["scan.symlink.loop", "scan.symlink.loop"]
    assert len(result.entries) == 5


@posix_only
def test_symlink_loop_with_follow_all_terminates(tree: Path):
    os.symlink(tree / "nested", tree / "nested" / "deeper" / "up")
    result = scan_paths([tree], symlinks="follow")
    assert [p.code for p in result.problems] == ["scan.symlink.loop"]


@posix_only
def test_links_inside_followed_outside_skipped_unless_asked(tree: Path, tmp_path: Path):
    outside = write(tmp_path / "elsewhere" / "secret.tif", 7)
    os.symlink(outside, tree / "to_outside.tif")
    os.symlink(outside.parent, tree / "outside_dir")
    os.symlink(tree / "café.tif", tree / "alias.tif")
    os.symlink(tree / "missing.tif", tree / "broken.tif")
    result = scan_paths([tree])
    assert "run 1/alias.tif" in paths_of(result)
    assert "run 1/to_outside.tif" not in paths_of(result)
    assert sorted(p.code for p in result.problems) == [
        "scan.symlink.broken",
        "scan.symlink.outside",
        "scan.symlink.outside",
    ]
    followed = scan_paths([tree], symlinks="follow")
    assert {"run 1/to_outside.tif", "run 1/outside_dir/secret.tif"} <= set(paths_of(followed))
    skipped = scan_paths([tree], symlinks="skip")
    assert "run 1/alias.tif" not in paths_of(skipped)
    assert sum(p.code == "scan.symlink.skipped" for p in skipped.problems) == 4


@posix_only
def test_same_folder_through_two_links_is_listed_once(tree: Path):
    os.symlink(tree / "nested", tree / "again")
    result = scan_paths([tree])
    assert [p.code for p in result.problems] == ["scan.symlink.repeat"]
    assert sum(path.endswith("/z.tif") for path in paths_of(result)) == 1


@posix_only
def test_special_files_and_undecodable_names_are_reported(tree: Path):
    os.mkfifo(tree / "pipe")
    bad = os.path.join(os.fsencode(tree), b"bad\xff.tif")
    with open(bad, "wb") as stream:
        stream.write(b"x")
    result = scan_paths([tree])
    assert sorted(p.code for p in result.problems) == ["scan.name.undecodable", "scan.special"]
    assert len(result.entries) == 5
    assert all("\udcff" not in p.message for p in result.problems)  # messages are printable


def test_double_spaces_are_cleaned_in_path_but_kept_in_source(tmp_path: Path):
    write(tmp_path / "d" / "a  b.tif")
    [entry] = scan_paths([tmp_path / "d"]).entries
    assert entry.path == "d/a b.tif"
    assert entry.source.endswith("a  b.tif")


def test_same_path_from_two_drops_is_flagged(tmp_path: Path):
    write(tmp_path / "one" / "data" / "x.tif")
    write(tmp_path / "two" / "data" / "x.tif")
    result = scan_paths([tmp_path / "one" / "data", tmp_path / "two" / "data"])
    assert paths_of(result) == ["data/x.tif", "data/x.tif"]
    assert [p.code for p in result.problems] == ["scan.path.clash"]


@pytest.fixture
def many(tmp_path: Path) -> Path:
    root = tmp_path / "many"
    for folder in range(20):
        for index in range(100):
            write(root / f"f{folder:02d}" / f"{index:03d}.tif", 1)
    return root


def test_progress_reports_and_final_report(many: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("bioimage_depositor.domain.filelist.progress.REPORT_INTERVAL_S", 0.0)
    reports: list[Progress] = []
    result = scan_paths([many], progress=reports.append)
    assert len(reports) > 10
    assert [r.done for r in reports] == sorted(r.done for r in reports)
    assert reports[-1].done == len(result.entries) == 2000
    assert reports[-1].bytes_done == 2000
    assert reports[-1].total is None


def test_cancel_event_stops_the_scan(many: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("bioimage_depositor.domain.filelist.progress.REPORT_INTERVAL_S", 0.0)
    cancel = threading.Event()

    def on_progress(progress: Progress) -> None:
        if progress.done >= 500:
            cancel.set()

    result = scan_paths([many], progress=on_progress, cancel=cancel)
    assert result.cancelled
    assert 500 <= len(result.entries) < 2000


def test_progress_returning_false_cancels(many: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("bioimage_depositor.domain.filelist.progress.REPORT_INTERVAL_S", 0.0)
    result = scan_paths([many], progress=lambda p: p.done < 300)
    assert result.cancelled
    assert len(result.entries) < 2000


def test_already_cancelled_does_nothing(many: Path):
    cancel = threading.Event()
    cancel.set()
    result = scan_paths([many], cancel=cancel)
    assert result.cancelled and result.entries == []
