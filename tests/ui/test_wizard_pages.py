"""Fill every page as a person would, go back and forth, close and reopen, and check the draft."""

from __future__ import annotations

from PySide6.QtCore import QDate, Qt

from bioimage_depositor.ui.draft_session import SaveState


def click(qtbot, button):
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def type_into(qtbot, editor, text):
    """Type into a form editor (line or multi-line) the way a person does."""
    target = getattr(editor, "edit", editor)
    target.setFocus()
    qtbot.keyClicks(target, text)


def next_page(qtbot, wizard, expected):
    qtbot.waitUntil(wizard.next_button.isEnabled, timeout=5_000)
    click(qtbot, wizard.next_button)
    assert wizard.current_key() == expected


def pick_term(qtbot, editor, text, *, choose_first=True):
    """Type into a term finder, then pick the first suggestion (or keep the free text)."""
    editor.input.setFocus()
    qtbot.keyClicks(editor.input, text)
    popup = editor.completer.popup()
    if popup.isVisible() and choose_first:
        qtbot.keyClick(popup, Qt.Key.Key_Down)
        qtbot.keyClick(popup, Qt.Key.Key_Return)
        return
    if popup.isVisible():
        qtbot.keyClick(popup, Qt.Key.Key_Escape)
    qtbot.keyClick(editor.input, Qt.Key.Key_Return)


def test_fill_every_page_then_back_and_reopen(qtbot, window, store):
    start = window.start_page
    qtbot.waitUntil(lambda: "draft" in start.status.text().lower(), timeout=5_000)
    qtbot.keyClicks(start.name_edit, "Zebrafish heart")
    qtbot.keyClick(start.name_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.session is not None, timeout=5_000)
    wizard = window.wizard

    # Study
    study = wizard.pages["study"]
    qtbot.keyClicks(study.title_edit, "Light-sheet imaging of the beating zebrafish heart at 3 dpf")
    study.description_edit.setFocus()
    qtbot.keyClicks(study.description_edit, "Selective plane illumination time-lapse of cardiomyocytes.")
    qtbot.keyClicks(study.keywords_edit.entry, "zebrafish, heart, light-sheet")
    qtbot.keyClick(study.keywords_edit.entry, Qt.Key.Key_Return)
    assert study.keywords_edit.list.count() == 3
    study.licence_combo.setFocus()
    study.licence_combo.setCurrentIndex(study.licence_combo.findData("CC0"))
    study.release_edit.setDate(QDate(2027, 1, 15))
    click(qtbot, study.contributors.add_button)
    table = study.contributors.table
    for column, value in zip(
        (0, 1, 2, 4), ("Ada Lovelace", "0000-0002-1825-0097", "ada@example.org", "EMBL"), strict=True
    ):
        table.item(0, column).setText(value)
    click(qtbot, study.tables["publications"].add_button)
    publications = study.tables["publications"].table
    publications.item(0, 0).setText("Hearts in motion")
    publications.item(0, 2).setText("https://doi.org/10.5555/heart.2027")
    publications.item(0, 4).setText("twenty")  # a wrong year is kept visible with a message
    qtbot.waitUntil(lambda: "not a number" in study.blocks["publications"].problem_label.text(), timeout=5_000)
    publications.item(0, 4).setText("2027")
    assert publications.item(0, 2).text() == "10.5555/heart.2027"
    next_page(qtbot, wizard, "components")

    # Study components: start from a layout, then rename
    components = wizard.pages["components"]
    components.layout_combo.setCurrentIndex(components.layout_combo.findData("single"))
    click(qtbot, components.layout_button)
    name = components.editor.form_view.editors["name"]
    name.edit.selectAll()
    type_into(qtbot, name, "Beating hearts")
    type_into(qtbot, components.editor.form_view.editors["description"], "Time-lapse of 12 hearts.")
    assert components.tree.topLevelItem(0).text(0) == "Beating hearts"
    next_page(qtbot, wizard, "files")
    next_page(qtbot, wizard, "biosamples")

    # Biosamples: an organism picked by its common name, and one typed as free text first
    biosamples = wizard.pages["biosamples"]
    form = biosamples.editor.form_view
    form.editors["title"].edit.selectAll()
    type_into(qtbot, form.editors["title"], "Tg(myl7:GFP) larvae")
    pick_term(qtbot, form.editors["organisms"], "a fish I think", choose_first=False)
    qtbot.waitUntil(
        lambda: (
            "free text" in form.blocks["organisms"].problem_label.text()
            or "free text" in form.editors["organisms"].note.text()
        ),
        timeout=5_000,
    )
    form.editors["organisms"].list.setCurrentRow(0)
    click(qtbot, form.editors["organisms"].remove_button)
    pick_term(qtbot, form.editors["organisms"], "zebrafish")
    type_into(qtbot, form.editors["biological_entity"], "Whole larvae at 3 days post fertilisation")
    next_page(qtbot, wizard, "specimens")

    specimens = wizard.pages["specimens"]
    type_into(qtbot, specimens.editor.form_view.editors["sample_preparation_protocol"], "Embedded in 1% agarose.")
    next_page(qtbot, wizard, "acquisitions")

    acquisitions = wizard.pages["acquisitions"]
    aform = acquisitions.editor.form_view
    pick_term(qtbot, aform.editors["imaging_methods"], "light sheet fluorescence microscopy")
    type_into(qtbot, aform.editors["imaging_instrument"], "Zeiss Lightsheet 7, 20x/1.0 water")
    type_into(qtbot, aform.editors["image_acquisition_parameters"], "0.3 µm pixels, 100 fps")
    next_page(qtbot, wizard, "analyses")
    next_page(qtbot, wizard, "annotations")
    next_page(qtbot, wizard, "review")
    assert wizard.next_button.isVisible()  # on to Upload
    review = wizard.pages["review"]
    # everything the pages ask for is filled in; what remains is the component's files (Image Data)
    qtbot.waitUntil(
        lambda: all(p.location[2:3] == ("files",) for p in window.session.problems if p.blocking), timeout=5_000
    )
    assert "Beating hearts" in review.summary.text()

    # Back to the start: nothing is lost on the way
    for expected in (
        "annotations",
        "analyses",
        "acquisitions",
        "specimens",
        "biosamples",
        "files",
        "components",
        "study",
    ):
        click(qtbot, wizard.back_button)
        assert wizard.current_key() == expected
    assert study.title_edit.text().startswith("Light-sheet imaging")

    session = window.session
    qtbot.waitUntil(lambda: session.state is SaveState.SAVED, timeout=5_000)
    draft_id = session.envelope.draft_id
    window.close_draft()

    saved = store.load(draft_id).deposition
    assert saved.study.licence == "CC0"
    assert saved.study.publications[0].doi == "10.5555/heart.2027" and saved.study.publications[0].year == 2027
    assert saved.study.contributors[0].affiliation_ids == [saved.study.affiliations[0].id]
    assert [c.name for c in saved.components] == ["Beating hearts"]
    assert [(t.id, t.label) for t in saved.biosamples[0].organisms] == [("NCBITaxon:7955", "Danio rerio")]
    assert saved.acquisitions[0].imaging_methods[0].id.startswith("FBbi:")
    assert saved.biosamples[0].id in saved.components[0].biosample_ids

    window.open_draft(draft_id)
    qtbot.waitUntil(lambda: window.session is not None, timeout=5_000)
    assert wizard.current_key() == "study"
    click(qtbot, wizard.page_list.item(2) and wizard.next_button)  # study -> components
    assert wizard.pages["components"].tree.topLevelItem(0).text(0) == "Beating hearts"


def test_review_problem_opens_its_page_and_focuses_the_field(qtbot, window, store):
    from pathlib import Path

    example = sorted((Path(__file__).resolve().parents[2] / "examples").glob("clem*.draft.json"))[0]
    envelope = store.import_file(example)
    envelope.deposition.biosamples[0].biological_entity = ""
    store.save(envelope)
    window.open_draft(envelope.draft_id)
    qtbot.waitUntil(lambda: window.session is not None, timeout=5_000)
    wizard = window.wizard
    wizard.show_page("review")
    review = wizard.pages["review"]
    qtbot.waitUntil(lambda: review.tree.topLevelItemCount() > 0, timeout=5_000)
    target = None
    for i in range(review.tree.topLevelItemCount()):
        group = review.tree.topLevelItem(i)
        for j in range(group.childCount()):
            if group.child(j).text(1) == "Biosample 1 › Biological entity":
                target = group.child(j)
    assert target is not None
    review.tree.itemActivated.emit(target, 0)
    assert wizard.current_key() == "biosamples"
    editor = wizard.pages["biosamples"].editor.form_view.editors["biological_entity"]
    assert editor.edit.hasFocus() or window.focusWidget() is editor.edit
    assert (
        "biological entity"
        in wizard.pages["biosamples"].editor.form_view.blocks["biological_entity"].problem_label.text().lower()
    )


def test_switching_a_component_to_empiar_adds_the_empiar_page(qtbot, window, store):
    envelope = store.create("Switch")
    window.open_draft(envelope.draft_id)
    qtbot.waitUntil(lambda: window.session is not None, timeout=5_000)
    wizard = window.wizard
    wizard.show_page("components")
    components = wizard.pages["components"]
    click(qtbot, components.editor.add_button)
    archive = components.editor.form_view.editors["archive"]
    archive.combo.setCurrentIndex(archive.combo.findData("EMPIAR"))
    qtbot.waitUntil(lambda: "empiar" in wizard._flow_keys, timeout=5_000)
    wizard.show_page("empiar")
    empiar = wizard.pages["empiar"]
    assert window.session.deposition.components[0].empiar is not None
    click(qtbot, empiar.image_sets.add_button)
    assert len(window.session.deposition.components[0].empiar.image_sets) == 1


def test_export_from_review_then_start_a_new_draft_from_the_package(qtbot, window, store, tmp_path):
    from pathlib import Path

    example = sorted((Path(__file__).resolve().parents[2] / "examples").glob("light*.draft.json"))[0]
    envelope = store.import_file(example)
    window.open_draft(envelope.draft_id)
    qtbot.waitUntil(lambda: window.session is not None, timeout=5_000)
    wizard = window.wizard
    wizard.show_page("review")
    review = wizard.pages["review"]
    qtbot.waitUntil(review.export_button.isEnabled, timeout=5_000)
    target = tmp_path / "out" / "spindle-package"
    review.export_to(target)
    qtbot.waitUntil(lambda: review.last_export is not None or "failed" in review.export_status.text(), timeout=60_000)
    assert review.last_export is not None, review.export_status.text()
    assert (target / "SUMMARY.md").is_file() and (target / "MANIFEST.tsv").is_file()
    assert "Exported" in review.export_status.text()
    assert wizard.pages["upload"].panel.source_edit.text() == str(review.last_export.path), "Next sends this package"
    qtbot.waitUntil(lambda: review.last_checks is not None, timeout=120_000)
    assert any(check.name.startswith("BIA RO-Crate") for check in review.last_checks)
    assert all(check.ok or not check.available for check in review.last_checks), review.check_status.text()
    assert "BIA RO-Crate" in review.check_status.text()
    window.close_draft()

    window.import_submission(str(target))
    qtbot.waitUntil(lambda: window.session is not None, timeout=30_000)
    imported = window.session.deposition
    assert imported.study.title == envelope.deposition.study.title
    assert [c.name for c in imported.components] == [c.name for c in envelope.deposition.components]
    assert window.last_import_report is not None
    assert len(store.list()) == 2
