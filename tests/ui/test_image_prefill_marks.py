"""Prefill from the Image data page: EMPIAR image sets from MRC headers, conflicts shown, "from files" marks kept."""

from __future__ import annotations

import mrcfile
import numpy as np
import pytest
import tifffile
from PySide6.QtCore import Qt

from bioimage_depositor.domain.layouts import apply_layout

pytestmark = pytest.mark.filterwarnings("ignore:Setting the dtype:DeprecationWarning")


def _mrc(path, shape, voxel):
    with mrcfile.new(path, overwrite=True) as mrc:
        mrc.set_data(np.zeros(shape, dtype=np.float32))
        mrc.voxel_size = voxel
    return path


def _open(qtbot, window, store, layout):
    envelope = store.create("Prefill")
    apply_layout(envelope.deposition, layout)
    store.save(envelope)
    window.open_draft(envelope.draft_id)
    qtbot.waitUntil(lambda: window.session is not None, timeout=5_000)
    return envelope.draft_id


def _reopen(qtbot, window, draft_id):
    window.close_draft()
    window.open_draft(draft_id)
    qtbot.waitUntil(lambda: window.session is not None, timeout=5_000)


@pytest.fixture
def tomograms(tmp_path):
    folder = tmp_path / "tomograms"
    folder.mkdir()
    for index in range(3):
        _mrc(folder / f"tomo_{index}.mrc", (6, 40, 56), 13.2)
    return folder


def test_empiar_image_set_is_filled_from_mrc_headers_and_marked(qtbot, window, store, tomograms):
    draft_id = _open(qtbot, window, store, "correlative")
    deposition = window.session.deposition
    em_index = next(i for i, c in enumerate(deposition.components) if c.archive == "EMPIAR")
    window.wizard.show_page("files")
    page = window.wizard.pages["files"]
    page.component_combo.select_component(em_index)
    page.add_paths([str(tomograms)])
    qtbot.waitUntil(lambda: not page.busy() and len(page.model.infos) == 3, timeout=20_000)
    page.model.infos.clear()  # as after reopening a draft: prefill reads the headers it needs first
    page.prefill_from_images()
    qtbot.waitUntil(lambda: not page.busy() and bool(page.last_applied), timeout=20_000)

    component = window.session.deposition.components[em_index]
    image_set = component.empiar.image_sets[0]
    with mrcfile.open(tomograms / "tomo_0.mrc", header_only=True) as mrc:
        header = mrc.header
        voxel = float(mrc.voxel_size.x)
    assert (image_set.image_width, image_set.image_height) == (int(header.nx), int(header.ny))
    assert image_set.pixel_width == pytest.approx(voxel, rel=1e-4)
    assert (image_set.voxel_type, image_set.header_format, image_set.data_format) == ("T7", "T1", "T1")
    assert image_set.num_images_or_tilt_series == 3
    assert image_set.directory == "data/tomograms"
    assert "Filled in" in page.prefill_report.text() and page.prefill_report.isVisible()

    window.wizard.show_page("empiar")
    empiar = window.wizard.pages["empiar"]
    empiar.component_combo.select_component(em_index)
    form = empiar.image_sets.form_view
    assert {"image_width", "image_height", "pixel_width", "voxel_type", "header_format", "directory"} <= \
        form.prefilled_keys()
    assert form.prefilled_tags["image_width"].label.toolTip().startswith("Filled in from 3 files")
    qtbot.mouseClick(form.prefilled_tags["voxel_type"].confirm_button, Qt.MouseButton.LeftButton)
    assert "voxel_type" not in form.prefilled_keys()
    editor = form.editors["image_height"]
    editor.edit.clear()
    qtbot.keyClicks(editor.edit, "41")
    assert image_set.image_height == 41 and "image_height" not in form.prefilled_keys()

    _reopen(qtbot, window, draft_id)
    window.wizard.show_page("empiar")
    empiar = window.wizard.pages["empiar"]
    empiar.component_combo.select_component(em_index)
    kept = empiar.image_sets.form_view.prefilled_keys()
    assert {"image_width", "pixel_width", "header_format"} <= kept
    assert not {"voxel_type", "image_height"} & kept


def test_files_that_disagree_are_shown_and_left_empty(qtbot, window, store, tmp_path):
    folder = tmp_path / "micrographs"
    folder.mkdir()
    _mrc(folder / "a.mrc", (48, 64), 1.0)
    _mrc(folder / "b.mrc", (48, 64), 1.0)
    _mrc(folder / "c.mrc", (32, 64), 1.0)
    _open(qtbot, window, store, "correlative")
    em_index = next(i for i, c in enumerate(window.session.deposition.components) if c.archive == "EMPIAR")
    window.wizard.show_page("files")
    page = window.wizard.pages["files"]
    page.component_combo.select_component(em_index)
    page.add_paths([str(folder)])
    qtbot.waitUntil(lambda: not page.busy() and len(page.model.infos) == 3, timeout=20_000)
    page.prefill_from_images()
    image_set = window.session.deposition.components[em_index].empiar.image_sets[0]
    assert image_set.image_height is None and image_set.image_width == 64
    report = page.prefill_report.text()
    assert "Files disagree" in report and "image height" in report
    assert "“48” in 2 files" in report and "“32” in 1 file" in report


def test_acquisition_fields_are_marked_until_confirmed_or_edited(qtbot, window, store, tmp_path):
    folder = tmp_path / "confocal"
    folder.mkdir()
    for index in range(2):
        tifffile.imwrite(folder / f"cell_{index}.ome.tif", np.zeros((2, 32, 32), np.uint16), ome=True,
                         metadata={"axes": "CYX", "PhysicalSizeX": 0.1, "PhysicalSizeY": 0.1,
                                   "Channel": {"Name": ["DAPI", "GFP"]}})
    draft_id = _open(qtbot, window, store, "single")
    window.wizard.show_page("files")
    page = window.wizard.pages["files"]
    page.add_paths([str(folder)])
    qtbot.waitUntil(lambda: not page.busy() and len(page.model.infos) == 2, timeout=20_000)
    page.prefill_from_images()
    acquisition = window.session.deposition.acquisitions[0]
    assert "0.1 × 0.1 µm" in acquisition.image_acquisition_parameters
    window.wizard.show_page("acquisitions")
    form = window.wizard.pages["acquisitions"].editor.form_view
    assert form.prefilled_keys() == {"image_acquisition_parameters"}
    assert form.prefilled_tags["image_acquisition_parameters"].isVisibleTo(form)

    _reopen(qtbot, window, draft_id)
    window.wizard.show_page("acquisitions")
    form = window.wizard.pages["acquisitions"].editor.form_view
    assert form.prefilled_keys() == {"image_acquisition_parameters"}
    form.editors["image_acquisition_parameters"].edit.appendPlainText("Exposure 100 ms")
    assert form.prefilled_keys() == set()
    assert window.session.deposition.prefilled == []
