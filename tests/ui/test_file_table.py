"""The file table model: batches inserted in order without a reset, selection kept, attribute cells announced."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QTableView

from bioimage_depositor.domain.deposition import FileEntry
from bioimage_depositor.domain.images.errors import ImageIssue
from bioimage_depositor.domain.images.model import ImageInfo, SeriesInfo
from bioimage_depositor.ui.file_table import (
    COL_DIMENSIONS,
    COL_FORMAT,
    COL_PATH,
    COL_SIZE,
    FIXED_COLUMNS,
    FileTableModel,
)


def _entries(names, start=0):
    return [FileEntry(path=f"run/{name}", source=f"/d/{name}", size_bytes=start + i) for i, name in enumerate(names)]


def _paths(model):
    return [model.index(row, COL_PATH).data() for row in range(model.rowCount())]


def test_appended_batches_are_merged_in_order_and_the_selection_stays(qtbot):
    files = _entries(["b.tif", "d.tif", "f.tif"])
    model = FileTableModel()
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    model.set_files(files)
    reset_count = []
    model.modelReset.connect(lambda: reset_count.append(1))
    selection = view.selectionModel()
    selection.setCurrentIndex(model.index(1, COL_PATH), QItemSelectionModel.SelectionFlag.ClearAndSelect
                              | QItemSelectionModel.SelectionFlag.Rows)
    selected = QPersistentModelIndex(model.index(1, COL_PATH))
    assert selected.data() == "run/d.tif"

    start = len(files)
    files.extend(_entries(["a.tif", "e.tif", "c.tif"], start=10))
    model.files_appended(start)
    assert _paths(model) == [f"run/{n}" for n in ("a.tif", "b.tif", "c.tif", "d.tif", "e.tif", "f.tif")]
    assert reset_count == []  # inserted, not reset
    assert selected.isValid() and selected.data() == "run/d.tif"
    assert view.currentIndex().data() == "run/d.tif"

    # a worker-computed order is used as given when the table is sorted by path
    start = len(files)
    files.extend(_entries(["h.tif", "g.tif"], start=20))
    model.files_appended(start, path_order=[start + 1, start])
    assert _paths(model)[-2:] == ["run/g.tif", "run/h.tif"]


def test_appending_respects_the_sort_column_and_the_filter(qtbot):
    files = _entries(["x1.tif", "y1.tif"])
    model = FileTableModel()
    model.set_files(files)
    model.sort(COL_SIZE, Qt.SortOrder.DescendingOrder)
    model.set_filter("1")
    start = len(files)
    files.extend(_entries(["x2.tif", "z1.tif", "w1.tif"], start=5))
    model.files_appended(start, path_order=[start, start + 1, start + 2])  # ignored: not sorted by path
    assert _paths(model) == ["run/w1.tif", "run/z1.tif", "run/y1.tif", "run/x1.tif"]


def test_probe_results_repaint_or_resort_as_needed(qtbot):
    files = _entries(["a.tif", "b.tif"])
    model = FileTableModel()
    model.set_files(files)
    model.sort(COL_FORMAT, Qt.SortOrder.AscendingOrder)
    model.infos = {
        "/d/a.tif": ImageInfo(path="/d/a.tif", format="TIFF",
                              series=(SeriesInfo(index=0, shape={"Y": 4, "X": 5}, dtype="uint8"),)),
        "/d/b.tif": ImageInfo(path="/d/b.tif", format="MRC",
                              series=(SeriesInfo(index=0, shape={"Y": 2, "X": 3}, dtype="int8"),)),
    }
    model.infos_updated()
    assert _paths(model) == ["run/b.tif", "run/a.tif"]
    assert model.index(0, COL_DIMENSIONS).data() == "Y2 × X3"
    model.infos["/d/a.tif"] = ImageInfo(path="/d/a.tif", error=ImageIssue("empty", "The file is empty."))
    model.infos_updated()
    row = _paths(model).index("run/a.tif")
    assert model.index(row, COL_FORMAT).data() == "unreadable"
    assert model.index(row, COL_FORMAT).data(Qt.ItemDataRole.ToolTipRole) == "The file is empty."


def test_attribute_cells_are_editable_and_edits_are_announced_not_applied(qtbot):
    files = _entries(["a.tif", "b.tif"])
    files[0].attributes["dose"] = "1 µM"
    model = FileTableModel()
    model.set_files(files)
    column = len(FIXED_COLUMNS)
    assert model.headerData(column, Qt.Orientation.Horizontal) == "dose"
    assert not model.flags(model.index(0, COL_PATH)) & Qt.ItemFlag.ItemIsEditable
    edits = []
    model.attribute_edited.connect(lambda *args: edits.append(args))
    assert not model.setData(model.index(0, column), "1 µM")  # unchanged: nothing to do
    assert model.setData(model.index(1, column), "2 µM")
    assert edits == [(1, "dose", "2 µM")]
    assert "dose" not in files[1].attributes  # the page applies it (undoably)
    assert not model.setData(model.index(0, COL_PATH), "renamed.tif")
