"""The Review page: the archives' validator messages at the fields they concern, run off the UI thread."""

from __future__ import annotations

import json
import time
from pathlib import Path

from bioimage_depositor.domain.exports import validators
from bioimage_depositor.domain.exports.package import context_for_draft, export_package
from bioimage_depositor.domain.problems import format_location
from bioimage_depositor.ui.validator_messages import GROUP_TITLE, LOCATION_ROLE, WHOLE_PACKAGE

from .test_responsiveness import Heartbeat

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def open_review(qtbot, window, store, example: str, change=None):
    envelope = store.import_file(EXAMPLES / example)
    if change is not None:
        change(envelope.deposition)
        store.save(envelope)
    window.open_draft(envelope.draft_id)
    qtbot.waitUntil(lambda: window.session is not None, timeout=5_000)
    window.wizard.show_page("review")
    review = window.wizard.pages["review"]
    qtbot.waitUntil(lambda: review.tree.topLevelItemCount() > 0, timeout=5_000)
    return review


def items(tree):
    """Every row of the tree with its depth-first path of texts."""
    out = []

    def walk(item, parents):
        out.append((parents, item))
        for index in range(item.childCount()):
            walk(item.child(index), (*parents, item.text(0)))

    for index in range(tree.topLevelItemCount()):
        walk(tree.topLevelItem(index), ())
    return out


def where_of(item) -> str:
    """A row's model path (its Where column shows it in words), or the column's text for the whole package."""
    location = item.data(0, LOCATION_ROLE)
    return format_location(tuple(location)) if location else item.text(1)


def row_at(review, where: str):
    found = [item for _, item in items(review.tree) if where_of(item) == where]
    assert found, [(item.text(0), where_of(item)) for _, item in items(review.tree)]
    return found[0]


def broken_package(window, tmp_path):
    """Export the open draft, then break one value in each archive file as a stale or hand-edited package would."""
    session = window.session
    ctx = context_for_draft(session.envelope.modified)
    package = export_package(session.deposition, tmp_path / "package", ctx).path

    def edit(path: Path, change) -> None:
        doc = json.loads(path.read_text())
        change(doc)
        path.write_text(json.dumps(doc))

    def crate(doc):
        for entity in doc["@graph"]:
            if "bia:BioSample" in entity["@type"]:
                del entity["description"]

    def empiar(doc):
        doc["imagesets"][0]["directory"] = "fib"

    def scene(doc):
        doc["zarr_format"] = 2

    edit(package / "bia" / "ro-crate" / "ro-crate-metadata.json", crate)
    [entry] = (package / "empiar").glob("*/deposition.json")
    edit(entry, empiar)
    [zarr] = (package / "correlation").glob("*.zarr/zarr.json")
    edit(zarr, scene)
    return package, ctx


def test_validator_messages_sit_at_their_fields_and_open_them(qtbot, window, store, tmp_path):
    review = open_review(qtbot, window, store, "clem-hela-mito-er.draft.json")
    package, ctx = broken_package(window, tmp_path)
    heartbeat = Heartbeat()
    start = time.perf_counter()
    review.check_package_at(package, window.session.deposition.model_copy(deep=True), ctx)
    assert time.perf_counter() - start < 1.0  # the validators run in a worker
    assert "Checking" in review.check_status.text()
    qtbot.waitUntil(lambda: review.validator_results is not None, timeout=180_000)
    heartbeat.timer.stop()
    assert heartbeat.longest < 1_000, heartbeat.longest  # generous: the machine is shared and loaded

    directory = row_at(review, "components[1].empiar.image_sets[0].directory")
    assert "EMPIAR schema check" in directory.text(0) and directory.text(0).startswith("✖")
    assert directory.parent().text(0).startswith("EMPIAR entry")  # with the draft's own EMPIAR problems
    validator_group = next(item for _, item in items(review.tree) if item.text(0).startswith(GROUP_TITLE))
    verdicts = [validator_group.child(i).text(0) for i in range(validator_group.childCount())]
    assert any("OME-NGFF scene" in v and v.startswith("✖") for v in verdicts), verdicts
    package_wide = row_at(review, WHOLE_PACKAGE)
    assert "about the package as a whole" in package_wide.text(0) and "zarr_format" in package_wide.text(0)

    if validators.validator_version() is not None:
        biosample = row_at(review, "biosamples[0].biological_entity")
        assert "Missing required field: description" in biosample.text(0)
        assert any("BIA RO-Crate" in v and "shown at their fields" in v for v in verdicts), verdicts
        review.tree.itemActivated.emit(biosample, 0)
        assert window.wizard.current_key() == "biosamples"
        window.wizard.show_page("review")

    review.tree.itemActivated.emit(row_at(review, "components[1].empiar.image_sets[0].directory"), 0)
    assert window.wizard.current_key() == "empiar"
    window.wizard.show_page("review")
    review.tree.itemActivated.emit(row_at(review, WHOLE_PACKAGE), 0)  # nothing to open: stays here
    assert window.wizard.current_key() == "review"


def test_a_missing_validator_is_said_plainly(qtbot, window, store, tmp_path, monkeypatch):
    review = open_review(qtbot, window, store, "light-microscopy-hela-spindle.draft.json")
    session = window.session
    ctx = context_for_draft(session.envelope.modified)
    package = export_package(session.deposition, tmp_path / "package", ctx).path
    monkeypatch.setattr(validators, "validator_version", lambda: None)  # as on an installation without the extra
    review.check_package_at(package, session.deposition.model_copy(deep=True), ctx)
    qtbot.waitUntil(lambda: review.validator_results is not None, timeout=60_000)
    text = [item.text(0) for _, item in items(review.tree)]
    assert any(t.startswith("• BIA RO-Crate") and t.endswith("not run") for t in text), text
    assert any("is not installed" in t for t in text), text
    assert "not installed" in review.check_status.text()


def test_what_only_the_package_can_get_wrong_is_listed_and_blocks_export(qtbot, window, store):
    def empty_second_component(deposition):
        deposition.components[1].files = []

    review = open_review(qtbot, window, store, "light-microscopy-hela-spindle.draft.json", empty_second_component)
    row_at(review, "components[1].files")
    rows = [item.text(0) for _, item in items(review.tree) if where_of(item) == "components[1].files"]
    assert row_at(review, "components[1].files").text(1) == "Study component 2 › Files"  # in words on screen
    assert any("empty file list" in text and text.startswith("✖") for text in rows), rows
    assert not review.export_button.isEnabled()


def test_another_draft_starts_without_the_previous_package_checks(qtbot, window, store, tmp_path, monkeypatch):
    review = open_review(qtbot, window, store, "light-microscopy-hela-spindle.draft.json")
    session = window.session
    ctx = context_for_draft(session.envelope.modified)
    package = export_package(session.deposition, tmp_path / "package", ctx).path
    monkeypatch.setattr(validators, "validator_version", lambda: None)  # keeps this test quick
    review.check_package_at(package, session.deposition.model_copy(deep=True), ctx)
    qtbot.waitUntil(lambda: review.validator_results is not None, timeout=60_000)
    window.close_draft()
    other = store.create("Another study")
    window.open_draft(other.draft_id)
    qtbot.waitUntil(lambda: window.session is not None, timeout=5_000)
    window.wizard.show_page("review")
    assert review.validator_results is None and review.last_checks is None
    assert not any(item.text(0).startswith(GROUP_TITLE) for _, item in items(review.tree))
    assert review.check_status.text() == "" and review.export_status.text() == ""
