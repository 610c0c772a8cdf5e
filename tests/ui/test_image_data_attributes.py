"""File attributes on the Image data page: bulk set, edit in place, rename, remove, undo, saved in the draft."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile
from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from bioimage_depositor.ui.attribute_edit import AttributeDialog, ColumnNameDialog
from bioimage_depositor.ui.file_table import COL_PATH, FIXED_COLUMNS
from tests.ui.files_page import open_files_page


@pytest.fixture
def six_images(tmp_path):
    folder = tmp_path / "plate"
    folder.mkdir()
    for index in range(6):
        tifffile.imwrite(folder / f"well_{index}.tif", np.full((16, 16), index * 10, dtype=np.uint16))
    return folder


@pytest.fixture
def page(qtbot, window, store, six_images):
    page, envelope = open_files_page(qtbot, window, store, "Attributes")
    page.add_paths([str(six_images)])
    qtbot.waitUntil(lambda: not page.busy() and len(page.model.infos) == 6, timeout=20_000)
    page.envelope_id = envelope.draft_id
    return page


def _select_rows(page, rows):
    selection = page.table.selectionModel()
    selection.clearSelection()
    for row in rows:
        selection.select(page.model.index(row, COL_PATH),
                         QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)


def _row_of(page, name):
    return next(r for r in range(page.model.rowCount()) if page.model.index(r, COL_PATH).data().endswith(name))


def test_bulk_set_edit_in_place_undo_redo_and_save(qtbot, window, store, page):
    files = window.session.deposition.components[0].files
    _select_rows(page, [_row_of(page, "well_0.tif"), _row_of(page, "well_1.tif")])
    assert len(page.selected_file_indexes()) == 2
    page.set_attribute(page.selected_file_indexes(), "treatment", "nocodazole")
    column = page.model.attribute_column("treatment")
    assert column == len(FIXED_COLUMNS)
    assert page.model.headerData(column, Qt.Orientation.Horizontal) == "treatment"
    values = {e.path.rsplit("/", 1)[-1]: e.attributes.get("treatment") for e in files}
    assert values["well_0.tif"] == values["well_1.tif"] == "nocodazole" and values["well_2.tif"] is None

    # edit in place: the cell is editable and the edit goes through the same (undoable) path
    cell = page.model.index(_row_of(page, "well_2.tif"), column)
    assert page.model.flags(cell) & Qt.ItemFlag.ItemIsEditable
    assert page.model.setData(cell, "untreated")
    assert cell.data() == "untreated"
    assert page.undo_stack.count() == 2

    page.undo_stack.undo()
    assert cell.data() == ""
    page.undo_stack.undo()
    assert page.model.attribute_names == [] and all(not e.attributes for e in files)
    page.undo_stack.redo()
    page.undo_stack.redo()
    assert sorted(e.attributes.get("treatment", "-") for e in files) == [
        "-", "-", "-", "nocodazole", "nocodazole", "untreated"]

    window.close_draft()
    saved = store.load(page.envelope_id).deposition.components[0].files
    assert sorted(e.attributes.get("treatment", "-") for e in saved) == [
        "-", "-", "-", "nocodazole", "nocodazole", "untreated"]


def test_rename_and_remove_a_column_keep_its_place_and_undo(window, page):
    files = window.session.deposition.components[0].files
    everyone = list(range(len(files)))
    page.set_attribute(everyone, "replicate", "1")
    page.set_attribute(everyone, "time point", "0 h")
    page.set_attribute(everyone, "channel", "GFP")
    page.rename_attribute_column("time point", "time")
    assert page.model.attribute_names == ["replicate", "time", "channel"]
    page.remove_attribute_column("replicate")
    assert page.model.attribute_names == ["time", "channel"]
    assert page.model.columnCount() == len(FIXED_COLUMNS) + 2
    page.undo_stack.undo()
    assert page.model.attribute_names == ["replicate", "time", "channel"]
    page.undo_stack.undo()
    assert page.model.attribute_names == ["replicate", "time point", "channel"]
    assert all(list(e.attributes) == ["replicate", "time point", "channel"] for e in files)


def test_the_attribute_dialog_refuses_bad_column_names(qtbot):
    dialog = AttributeDialog(["treatment"], 3)
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    for bad in ("", "Files", "TREATMENT", "file_path"):
        dialog.column_box.setCurrentText(bad)
        if bad.upper() == "TREATMENT":
            assert "already a column" in dialog.problem_text()
        assert not ok.isEnabled() and dialog.problem.isVisibleTo(dialog) and dialog.problem_text()
    dialog.column_box.setCurrentText("treatment")
    assert ok.isEnabled() and ok.text() == "Set"
    dialog.column_box.setCurrentText("dose")
    assert ok.isEnabled() and ok.text() == "Add column"
    rename = ColumnNameDialog(["treatment", "dose"], "dose")
    qtbot.addWidget(rename)
    rename_ok = rename.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not rename_ok.isEnabled()  # unchanged
    rename.edit.setText("Treatment")
    assert not rename_ok.isEnabled() and "already" in rename.problem_text()
    rename.edit.setText("dose (µM)")
    assert rename_ok.isEnabled()


def test_set_attribute_button_uses_the_dialog_for_the_selection(qtbot, window, page):
    files = window.session.deposition.components[0].files
    _select_rows(page, [_row_of(page, "well_3.tif"), _row_of(page, "well_4.tif"), _row_of(page, "well_5.tif")])

    def fill_dialog():
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, AttributeDialog)
        dialog.column_box.setCurrentText("dose")
        dialog.value_edit.setText("10 µM")
        dialog.accept()

    QTimer.singleShot(0, fill_dialog)
    qtbot.mouseClick(page.attribute_button, Qt.MouseButton.LeftButton)
    chosen = {e.path.rsplit("/", 1)[-1] for e in files if e.attributes.get("dose") == "10 µM"}
    assert chosen == {"well_3.tif", "well_4.tif", "well_5.tif"}
    assert "Ctrl+Z" in page.status.text()
