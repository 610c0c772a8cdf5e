"""The Review page lists what only a package can get wrong before any export, checked off the UI thread."""

from __future__ import annotations

import hashlib
import logging
import shutil
import threading
from pathlib import Path

from bioimage_depositor.domain.correlation_model import ProvenanceFile
from bioimage_depositor.domain.problems import Problem
from bioimage_depositor.ui import review_page
from bioimage_depositor.ui.background import default_runner

from .test_review_page import items, open_review, row_at, where_of

LANDMARKS = Path(__file__).resolve().parents[1] / "data" / "landmarks"
CLEM = "clem-hela-mito-er.draft.json"
SOURCE_FILE = "correlations[0].transforms[0].source_file"


def with_imported_bigwarp(tmp_path: Path):
    """A copy of a BigWarp file, and a draft change recording it as transform 0's import (as the Correlation page)."""
    source = tmp_path / "lab" / "bigwarp_3d.csv"
    source.parent.mkdir()
    shutil.copyfile(LANDMARKS / "bigwarp_3d.csv", source)
    data = source.read_bytes()

    def record(deposition) -> None:
        transform = deposition.correlations[0].transforms[0]
        transform.method = "file"
        transform.source_file = ProvenanceFile(
            path=str(source),
            name=source.name,
            sha256=hashlib.sha256(data).hexdigest(),
            size_bytes=len(data),
            format="bigwarp-csv",
            moving_unit="micrometer",
            fixed_unit="micrometer",
        )

    return source, record


def checked(qtbot, review) -> None:
    """Wait until no check of the package files is running or scheduled."""
    qtbot.waitUntil(lambda: not review.package_check_pending and not review._package_timer.isActive(), timeout=10_000)


def rows_at(review, where: str):
    return [item for _, item in items(review.tree) if where_of(item) == where]


def reshow(qtbot, window, review) -> None:
    """Leave the Review page and come back to it, as the depositor does after fixing something elsewhere."""
    window.wizard.show_page("study")
    window.wizard.show_page("review")
    checked(qtbot, review)


def test_a_changed_transform_file_is_listed_at_its_transform_without_exporting(qtbot, window, store, tmp_path):
    source, record = with_imported_bigwarp(tmp_path)
    review = open_review(qtbot, window, store, CLEM, record)
    checked(qtbot, review)
    assert rows_at(review, SOURCE_FILE) == [] and review.export_button.isEnabled()
    assert not review.package_status.isVisible()  # nothing to say about a quick check that found nothing

    original = source.read_bytes()
    source.write_bytes(original.replace(b"10.5", b"10.6"))  # edited in another program since the import
    reshow(qtbot, window, review)
    row = row_at(review, SOURCE_FILE)
    assert row.text(0).startswith("✖") and "has changed since this transform was imported" in row.text(0)
    assert row.parent().text(0) == "Image correlation — 1 to fix, 0 to consider"
    assert not review.export_button.isEnabled() and "1 problem(s) must be fixed" in review.summary.text()
    assert review.last_export is None and review.export_status.text() == ""  # found without exporting
    marks = {window.wizard.page_list.item(i).text() for i in range(window.wizard.page_list.count())}
    assert "Image correlation  (1)" in marks  # the page list counts it on its page too
    review.tree.itemActivated.emit(row, 0)
    assert window.wizard.current_key() == "correlations"

    source.unlink()
    reshow(qtbot, window, review)
    [row] = rows_at(review, SOURCE_FILE)
    assert "bigwarp_3d.csv" in row.text(0) and "changed since" not in row.text(0)  # now: the file is gone

    source.write_bytes(original)
    window.session.touch()  # any edit while the page is on screen: it checks again once editing pauses
    qtbot.waitUntil(lambda: rows_at(review, SOURCE_FILE) == [], timeout=10_000)
    assert review.export_button.isEnabled() and "No blocking problems" in review.summary.text()


def test_an_older_slow_check_never_replaces_a_newer_one(qtbot, window, store, monkeypatch):
    review = open_review(qtbot, window, store, "light-microscopy-hela-spindle.draft.json")
    checked(qtbot, review)
    stale = Problem("correlation.transform.source_file.changed", ("correlations", 0, "transforms", 0, "source_file"),
                    "stale result of the older check")
    release = threading.Event()
    on_ui_thread: list[bool] = []

    def slow_then_quick(deposition):
        on_ui_thread.append(threading.current_thread() is threading.main_thread())
        if len(on_ui_thread) == 1:
            release.wait(20)
            return [stale]
        return []

    monkeypatch.setattr(review_page, "export_problems", slow_then_quick)
    pool = default_runner().pool
    threads = pool.maxThreadCount()
    pool.setMaxThreadCount(max(threads, 2))  # the newer check must not queue behind the blocked one
    try:
        review.check_package_files()
        qtbot.waitUntil(lambda: "Checking" in review.package_status.text(), timeout=5_000)  # a slow check says so
        review.check_package_files()
        qtbot.waitUntil(lambda: not review.package_check_pending, timeout=10_000)
        assert review.package_status.text() == ""
    finally:
        release.set()
        assert pool.waitForDone(20_000)
        pool.setMaxThreadCount(threads)
    qtbot.waitUntil(lambda: default_runner().pending() == 0, timeout=5_000)
    assert on_ui_thread == [False, False]
    assert review.package_problems == []
    assert not any("stale result" in item.text(0) for _, item in items(review.tree))


def test_a_check_that_fails_says_so_in_one_line(qtbot, window, store, monkeypatch, caplog):
    def broken(deposition):
        raise RuntimeError("the landmark folder is on a disconnected share")

    monkeypatch.setattr(review_page, "export_problems", broken)
    with caplog.at_level(logging.ERROR, logger=review_page.__name__):
        review = open_review(qtbot, window, store, "light-microscopy-hela-spindle.draft.json")
        qtbot.waitUntil(lambda: "Could not check" in review.package_status.text(), timeout=10_000)
    text = review.package_status.text()
    assert text.startswith("Could not check the package files: the landmark folder is on a disconnected share.")
    assert "\n" not in text and "Traceback" not in text and review.package_status.isVisible()
    assert any(record.exc_info and "checking the package files failed" in record.message for record in caplog.records)
    assert review.export_button.isEnabled()  # the rules find nothing; Export checks the files itself


def test_another_draft_drops_the_previous_drafts_package_problems(qtbot, window, store, tmp_path):
    source, record = with_imported_bigwarp(tmp_path)
    review = open_review(qtbot, window, store, CLEM, record)
    source.unlink()
    reshow(qtbot, window, review)
    assert rows_at(review, SOURCE_FILE)
    window.close_draft()
    other = store.create("Another study")
    window.open_draft(other.draft_id)
    qtbot.waitUntil(lambda: window.session is not None, timeout=5_000)
    window.wizard.show_page("review")
    checked(qtbot, review)
    assert review.package_problems == [] and rows_at(review, SOURCE_FILE) == []


def test_a_check_during_an_export_leaves_export_disabled_until_it_ends(qtbot, window, store, tmp_path, monkeypatch):
    source, record = with_imported_bigwarp(tmp_path)
    review = open_review(qtbot, window, store, CLEM, record)
    checked(qtbot, review)
    release = threading.Event()
    real_export = review_page.export_package

    def held_export(*args, **kwargs):
        release.wait(20)
        return real_export(*args, **kwargs)

    monkeypatch.setattr(review_page, "export_package", held_export)
    try:
        review.export_to(tmp_path / "package")
        assert not review.export_button.isEnabled()
        review.check_package_files()  # finds nothing wrong, while the export still runs
        checked(qtbot, review)
        assert not review.export_button.isEnabled()
        source.write_bytes(source.read_bytes().replace(b"10.5", b"10.6"))
        review.check_package_files()
        checked(qtbot, review)
        assert rows_at(review, SOURCE_FILE)
    finally:
        release.set()
    qtbot.waitUntil(lambda: "Export" in review.export_status.text() and "Exporting" not in review.export_status.text(),
                    timeout=20_000)
    assert "Export failed" in review.export_status.text()  # the export read the changed file too
    assert not review.export_button.isEnabled()  # and the check's problem still blocks it
