"""The Correlation page: datasets across archives, coordinate systems, and transforms made three ways.

The CLEM example draft is opened with its components' files pointed at small OME-TIFFs
written here (the example's own images are not on disk), so previews, pixel sizes and
landmarks are all real.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PySide6.QtCore import QPoint, Qt

from bioimage_depositor.domain.deposition import FileEntry
from bioimage_depositor.domain.landmarks import (
    fit_landmarks,
    format_matrix,
    load_landmark_file,
    prepare_for_ngff,
    reverse_axes,
)
from bioimage_depositor.domain.landmarks.ngff_convert import ngff_affine_rows
from bioimage_depositor.ui.correlation.transform_editor import TAB_FILE, TAB_LANDMARKS, TAB_MATRIX
from bioimage_depositor.ui.correlation_page import CorrelationPage

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "clem-hela-mito-er.draft.json"
LANDMARKS = ROOT / "tests" / "data" / "landmarks"

LM_PIXEL_UM = 0.1
EM_PIXEL_UM = 0.02
#: The true map from LM physical (µm, x, y) to EM physical (µm, x, y) used to draw the EM image.
TRUE_ANGLE = np.deg2rad(8.0)
TRUE_LINEAR = 1.05 * np.array([[np.cos(TRUE_ANGLE), -np.sin(TRUE_ANGLE)], [np.sin(TRUE_ANGLE), np.cos(TRUE_ANGLE)]])
EM_SIZE = 512
#: chosen so that the centre of the LM image (12.8 µm) lands on the centre of the EM image (5.12 µm)
TRUE_SHIFT = np.full(2, EM_SIZE * EM_PIXEL_UM / 2) - TRUE_LINEAR @ np.full(2, 12.8)


def specimen(x_um, y_um, seed=3):
    """A synthetic specimen: bright blobs and a curved membrane, as a function of physical position (µm)."""
    rng = np.random.default_rng(seed)
    out = np.zeros_like(x_um)
    for cx, cy, radius in zip(rng.uniform(2, 24, 14), rng.uniform(2, 24, 14), rng.uniform(0.5, 1.6, 14), strict=True):
        out += np.exp(-((x_um - cx) ** 2 + (y_um - cy) ** 2) / (2 * radius**2))
    out += 0.6 * np.exp(-((np.hypot(x_um - 13, y_um - 13) - 8) ** 2) / 0.08)
    return out


def write_clem_images(folder: Path) -> dict[str, Path]:
    """An LM image (256², 0.1 µm pixels) and an EM image (512², 20 nm pixels) of its centre."""
    folder.mkdir(parents=True, exist_ok=True)
    yy, xx = np.mgrid[0:256, 0:256].astype(np.float64)
    lm = specimen(xx * LM_PIXEL_UM, yy * LM_PIXEL_UM)
    lm_path = folder / "cell1_airyscan.ome.tif"
    tifffile.imwrite(lm_path, (lm / lm.max() * 4000).astype(np.uint16), ome=True,
                     metadata={"axes": "YX", "PhysicalSizeX": LM_PIXEL_UM, "PhysicalSizeY": LM_PIXEL_UM})
    yy, xx = np.mgrid[0:EM_SIZE, 0:EM_SIZE].astype(np.float64)
    em_phys = np.stack([xx.ravel() * EM_PIXEL_UM, yy.ravel() * EM_PIXEL_UM])
    back = np.linalg.solve(TRUE_LINEAR, em_phys - TRUE_SHIFT[:, None])  # EM position -> LM position
    em = specimen(back[0], back[1]).reshape(EM_SIZE, EM_SIZE)
    em_path = folder / "fibsem_cell1.ome.tif"
    tifffile.imwrite(em_path, (255 - em / em.max() * 200).astype(np.uint8), ome=True,
                     metadata={"axes": "YX", "PhysicalSizeX": EM_PIXEL_UM, "PhysicalSizeY": EM_PIXEL_UM})
    return {"lm": lm_path, "em": em_path}


def lm_to_em_pixels(points):
    """Where LM pixel positions (x, y) land in EM pixels under the true map."""
    physical = np.asarray(points, dtype=float) * LM_PIXEL_UM
    return (physical @ TRUE_LINEAR.T + TRUE_SHIFT) / EM_PIXEL_UM


def import_clem(store, folder: Path, *, keep_transform=True):
    """The CLEM example with its components' files replaced by real images; returns the envelope."""
    images = write_clem_images(folder)
    envelope = store.import_file(EXAMPLE)
    deposition = envelope.deposition
    deposition.components[0].files = [FileEntry(path="lm/cell1_airyscan.ome.tif", source=str(images["lm"]))]
    deposition.components[1].files = [FileEntry(path="fibsem_cell1.ome.tif", source=str(images["em"]))]
    if not keep_transform:
        deposition.correlations[0].transforms = []
    store.save(envelope)
    return envelope


def open_page(qtbot, window, store, folder, *, keep_transform=True) -> CorrelationPage:
    envelope = import_clem(store, folder, keep_transform=keep_transform)
    window.resize(1280, 900)
    window.open_draft(envelope.draft_id)
    qtbot.waitUntil(lambda: window.session is not None, timeout=5_000)
    window.wizard.show_page("correlations")
    page = window.wizard.pages["correlations"]
    assert isinstance(page, CorrelationPage)
    return page


def wait_for_previews(qtbot, page):
    tab = page.transforms.landmark_tab
    qtbot.waitUntil(lambda: tab.moving.image is not None and tab.fixed.image is not None, timeout=15_000)
    return tab


def click_at(qtbot, view, x, y, button=Qt.MouseButton.LeftButton):
    point = view.to_screen(x, y).toPoint()
    qtbot.mouseClick(view, button, pos=point)
    return point


# ---------------------------------------------------------------- the page


def test_correlations_use_the_correlation_page_with_the_shared_form(qtbot, window, store, tmp_path):
    page = open_page(qtbot, window, store, tmp_path / "images")
    correlation = window.session.deposition.correlations[0]
    assert page.editor.form_view.obj is correlation  # same list/form machinery as the other pages
    title = page.editor.form_view.editors["title"]
    title.edit.setFocus()
    title.edit.selectAll()
    qtbot.keyClicks(title.edit, "LM to FIB-SEM")
    assert correlation.title == "LM to FIB-SEM"
    assert page.editor.list.item(0).text().endswith("LM to FIB-SEM")
    # the example's transform was typed elsewhere: the page opens on the matrix, formatted deterministically
    assert page.transforms.tabs.currentIndex() == TAB_MATRIX
    assert page.transforms.matrix_tab.text.toPlainText() == format_matrix(correlation.transforms[0].matrix)
    assert "lm_airyscan" in page.transforms.summary.text()


def test_components_and_public_data_take_part_with_coordinate_systems(qtbot, window, store, tmp_path):
    page = open_page(qtbot, window, store, tmp_path / "images")
    deposition = window.session.deposition
    correlation = deposition.correlations[0]
    lm, em = deposition.components
    datasets = page.datasets
    assert {c.id: box.isChecked() for c, box in zip(deposition.components, datasets.checkboxes.values(),
                                                    strict=True)} == {lm.id: True, em.id: True}
    assert "BIA" in datasets.checkboxes[lm.id].text() and "EMPIAR" in datasets.checkboxes[em.id].text()

    # a component whose system a transform uses cannot be taken out
    datasets.checkboxes[em.id].click()
    assert datasets.checkboxes[em.id].isChecked()
    assert correlation.id in em.correlation_ids
    assert "transform" in datasets.message.text()

    # without the transform it can, and ticking it again brings a system whose unit follows the pixel size
    correlation.transforms = []
    page._bind_details()
    datasets.checkboxes[em.id].click()
    assert correlation.id not in em.correlation_ids
    assert [s.component_id for s in correlation.coordinate_systems] == [lm.id]
    datasets.checkboxes[em.id].click()
    system = next(s for s in correlation.coordinate_systems if s.component_id == em.id)
    assert [a.name for a in system.axes] == ["z", "y", "x"]
    qtbot.waitUntil(lambda: "0.02 µm" in page.systems.table.item(1, 4).text(), timeout=10_000)
    assert {a.unit for a in system.axes} == {"nanometer"}  # 20 nm pixels: nanometres
    assert correlation.id in em.correlation_ids

    # public data by accession, in any usual spelling; a typo is refused with the reason
    assert not datasets.add_accession("EMPIAR-12")
    assert "accession" in datasets.message.text().lower()
    qtbot.keyClicks(datasets.accession_edit, "https://www.ebi.ac.uk/empiar/EMPIAR-10310/")
    qtbot.keyClick(datasets.accession_edit, Qt.Key.Key_Return)
    public = next(s for s in correlation.coordinate_systems if s.accession)
    assert public.accession == "EMPIAR-10310" and public.component_id == ""
    assert {a.unit for a in public.axes} == {"nanometer"}
    assert datasets.accession_edit.text() == ""
    assert "EMPIAR-10310" in [r.accession for r in deposition.study.related_accessions]
    assert datasets.add_accession("s-bsst567")
    assert any(s.accession == "S-BSST567" for s in correlation.coordinate_systems)
    assert not datasets.add_accession("EMPIAR-10310")  # already there
    assert page.systems.table.rowCount() == len(correlation.coordinate_systems) == 4
    assert datasets.remove_accession("S-BSST567")
    assert not any(s.accession == "S-BSST567" for s in correlation.coordinate_systems)
    qtbot.waitUntil(lambda: not any(p.location[:1] == ("correlations",) and p.blocking
                                    and "accession" in p.code for p in window.session.problems), timeout=5_000)


def test_systems_rename_and_unit_change_keep_transforms_consistent(qtbot, window, store, tmp_path):
    page = open_page(qtbot, window, store, tmp_path / "images")
    correlation = window.session.deposition.correlations[0]
    before = np.array(correlation.transforms[0].matrix, dtype=float)
    assert page.systems.rename(0, "lm")
    assert correlation.transforms[0].input == "lm"
    assert not page.systems.rename(0, "em_fibsem")  # taken
    assert correlation.coordinate_systems[0].name == "lm"
    assert "own" in page.systems.note.text()
    # µm -> nm on the moving side: the same mapping, so the linear part is divided by 1000
    assert page.systems.set_unit("lm", "nanometer")
    after = np.array(correlation.transforms[0].matrix, dtype=float)
    assert np.allclose(after[:, :3] * 1000, before[:, :3]) and np.allclose(after[:, 3], before[:, 3])
    assert "re-expressed" in page.systems.note.text()
    # the axes of a system in use stay
    combo = page.systems.table.cellWidget(0, 2)
    combo.setCurrentIndex(combo.findData(2))
    assert len(correlation.coordinate_systems[0].axes) == 3


# ---------------------------------------------------------------- typed matrix


def test_typed_matrix_is_read_live_and_stored_in_ngff_order(qtbot, window, store, tmp_path):
    page = open_page(qtbot, window, store, tmp_path / "images", keep_transform=False)
    correlation = window.session.deposition.correlations[0]
    editor = page.transforms
    editor.tabs.setCurrentIndex(TAB_MATRIX)
    tab = editor.matrix_tab
    tab.text.setFocus()
    tab.text.clear()
    qtbot.keyClicks(tab.text, "1 0 0 5")
    qtbot.keyClick(tab.text, Qt.Key.Key_Return)
    qtbot.keyClicks(tab.text, "0 1 0 x")
    assert "not a number" in tab.status.text() and not tab.use_button.isEnabled()
    tab.text.clear()
    qtbot.keyClicks(tab.text, "[[2, 0, 0, 5], [0, 2, 0, 6], [0, 0, 1, 7]]")
    assert tab.status.text().startswith("✓") and tab.use_button.isEnabled()
    tab.order_combo.setCurrentIndex(tab.order_combo.findData("xyz"))
    qtbot.mouseClick(tab.use_button, Qt.MouseButton.LeftButton)
    transform = correlation.transforms[0]
    assert (transform.input, transform.output, transform.method) == ("lm_airyscan", "em_fibsem", "matrix")
    typed = np.array([[2, 0, 0, 5], [0, 2, 0, 6], [0, 0, 1, 7], [0, 0, 0, 1]], dtype=float)
    assert transform.matrix == ngff_affine_rows(reverse_axes(typed))
    assert tab.text.toPlainText() == format_matrix(transform.matrix)  # deterministic text after confirming
    assert tab.order_combo.currentData() == "zyx"
    # a 2-D matrix for 3-D systems is applied with z unchanged
    tab.text.setPlainText("0 -1 10\n1 0 20")
    assert tab.use_matrix()
    assert correlation.transforms[0].matrix == [[1, 0, 0, 0], [0, 0, -1, 10], [0, 1, 0, 20]]
    assert "z unchanged" in tab.status.text()
    # empty free-text fields were filled; the user's own text is not touched
    qtbot.waitUntil(lambda: window.session is not None and correlation.transformation_matrix != "", timeout=1_000)
    assert correlation.spatial_temporal_alignment.startswith("Grid-square corners")


# ---------------------------------------------------------------- landmark files


def test_bigwarp_file_asks_for_units_and_keeps_the_file_as_provenance(qtbot, window, store, tmp_path):
    page = open_page(qtbot, window, store, tmp_path / "images")
    correlation = window.session.deposition.correlations[0]
    editor = page.transforms
    editor.tabs.setCurrentIndex(TAB_FILE)
    tab = editor.file_tab
    path = LANDMARKS / "bigwarp_3d.csv"
    tab.import_file(str(path))
    qtbot.waitUntil(lambda: tab.read is not None, timeout=10_000)
    assert "BigWarp" in tab.file_label.text() and "8 landmark pairs" in tab.file_label.text()
    assert "units" in tab.status.text() and not tab.use_button.isEnabled()  # BigWarp files do not say
    tab.moving_unit.setCurrentIndex(tab.moving_unit.findData("micrometer"))
    tab.fixed_unit.setCurrentIndex(tab.fixed_unit.findData("micrometer"))
    assert tab.use_button.isEnabled()
    imported = load_landmark_file(path)
    assert tab.table.rowCount() == imported.n_pairs
    assert "RMS residual" in tab.rms_label.text()
    qtbot.mouseClick(tab.use_button, Qt.MouseButton.LeftButton)

    transform = correlation.transforms[0]
    fit = fit_landmarks(imported.moving, imported.fixed, "affine")
    expected = prepare_for_ngff(fit.matrix, moving_unit="micrometer", fixed_unit="micrometer",
                                input_unit="micrometer", output_unit="nanometer", axis_order="xyz")
    assert np.allclose(np.array(transform.matrix, dtype=float), expected[:3])
    source = transform.source_file
    assert source is not None and transform.method == "file" and transform.fit_model == "affine"
    assert source.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (source.name, source.path, source.size_bytes) == (path.name, str(path), path.stat().st_size)
    assert (source.format, source.moving_unit, source.fixed_unit) == ("bigwarp-csv", "micrometer", "micrometer")
    assert "provenance" in editor.summary.text()
    # the depositor's texts stay until asked; then they describe the import
    assert correlation.spatial_temporal_alignment.startswith("Grid-square corners")
    qtbot.mouseClick(editor.describe_button, Qt.MouseButton.LeftButton)
    assert "bigwarp_3d.csv" in correlation.spatial_temporal_alignment
    assert "RMS residual" in correlation.spatial_temporal_alignment
    assert "8 landmark pairs" in correlation.fiducials_used
    assert page.editor.form_view.editors["fiducials_used"].value() == correlation.fiducials_used
    qtbot.waitUntil(lambda: not any(p.location[:3] == ("correlations", 0, "transforms") and p.blocking
                                    for p in window.session.problems), timeout=5_000)


def test_ecclem_matrix_file_uses_the_tools_matrix_with_its_units(qtbot, window, store, tmp_path):
    page = open_page(qtbot, window, store, tmp_path / "images")
    correlation = window.session.deposition.correlations[0]
    tab = page.transforms.file_tab
    path = LANDMARKS / "ecclem_matrix_2d.xml"
    tab.import_file(str(path))
    qtbot.waitUntil(lambda: tab.read is not None, timeout=10_000)
    assert tab.choice_combo.currentData() == "tool"  # the file has no landmarks, only ec-CLEM's matrix
    assert tab.moving_unit.currentData() == "micrometer" and tab.use_button.isEnabled()  # stated by the file
    assert tab.use_transform()
    imported = load_landmark_file(path)
    lifted = np.eye(4)  # x, y, z with z unchanged
    lifted[:2, :2] = imported.matrix[:2, :2]
    lifted[:2, 3] = imported.matrix[:2, 2]
    expected = prepare_for_ngff(lifted, moving_unit="micrometer", fixed_unit="micrometer",
                                input_unit="micrometer", output_unit="nanometer", axis_order="xyz")
    assert np.allclose(np.array(correlation.transforms[0].matrix, dtype=float), expected[:3])
    assert correlation.transforms[0].fit_model == ""


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"<root><transformation type='AFFINE'>", "xml"),
        (b'"Pt-0","true","1.0","abc","2.0","3.0"\n', "value"),
        (b"", "empty"),
    ],
)
def test_bad_landmark_files_get_a_sentence_not_a_traceback(qtbot, window, store, tmp_path, content, fragment):
    page = open_page(qtbot, window, store, tmp_path / "images")
    page.transforms.tabs.setCurrentIndex(TAB_FILE)
    tab = page.transforms.file_tab
    bad = tmp_path / "landmarks.csv"
    bad.write_bytes(content)
    before = window.session.deposition.correlations[0].transforms[0].model_dump()
    tab.import_file(str(bad))
    qtbot.waitUntil(lambda: not tab.busy(), timeout=10_000)
    assert tab.status.isVisibleTo(page) and "✖" in tab.status.text()
    assert fragment in tab.status.text().lower() or "landmarks.csv" in tab.status.text()
    assert "Traceback" not in tab.status.text()
    assert tab.read is None and not tab.use_button.isEnabled()
    assert window.session.deposition.correlations[0].transforms[0].model_dump() == before
    tab.import_file(str(tmp_path / "missing.csv"))
    qtbot.waitUntil(lambda: not tab.busy(), timeout=10_000)
    assert "no file" in tab.status.text().lower()


# ---------------------------------------------------------------- clicked landmarks


def test_click_drag_and_delete_landmarks_then_the_fit_is_stored(qtbot, window, store, tmp_path):
    page = open_page(qtbot, window, store, tmp_path / "images", keep_transform=False)
    correlation = window.session.deposition.correlations[0]
    correlation.fiducials_used = ""
    editor = page.transforms
    assert editor.tabs.currentIndex() == TAB_LANDMARKS  # both systems have images and nothing is stored yet
    tab = wait_for_previews(qtbot, page)
    assert tab.moving.size_box.value() == pytest.approx(LM_PIXEL_UM)  # from the OME metadata, in µm
    assert tab.fixed.unit_combo.currentData() == "nanometer"
    assert tab.fixed.size_box.value() == pytest.approx(EM_PIXEL_UM * 1000)
    moving_view, fixed_view = tab.moving.view, tab.fixed.view
    lm_points = np.array([[100.0, 102.0], [160.0, 105.0], [130.0, 160.0], [104.0, 150.0]])
    em_points = lm_to_em_pixels(lm_points)
    for (mx, my), (fx, fy) in zip(lm_points, em_points, strict=True):
        click_at(qtbot, moving_view, mx, my)
        assert tab.pairs.pending() is not None and "reference" in tab.hint.text()
        click_at(qtbot, fixed_view, fx, fy)
    assert len(tab.pairs) == 4 and tab.pairs.pending() is None
    assert tab.table_model.rowCount() == 4
    assert tab.pairs.fit is not None and "RMS residual" in tab.rms_label.text()
    # clicks land within a screen pixel of the wanted spot, so the fit is close to the truth
    per_pixel = 1 / (fixed_view.to_screen(1, 0).x() - fixed_view.to_screen(0, 0).x())
    assert tab.pairs.fit.rms < 3 * per_pixel * EM_PIXEL_UM * 1000
    transform = correlation.transforms[0]  # a new transform follows the landmarks at once
    assert (transform.method, transform.fit_model, len(transform.landmarks)) == ("landmarks", "affine", 4)
    assert transform.moving_image.path == "lm/cell1_airyscan.ome.tif"
    assert transform.reference_image.unit == "nanometer"
    # the depositor's own texts stay; only the empty fiducials field is filled from the fit
    assert correlation.spatial_temporal_alignment.startswith("Grid-square")
    assert correlation.transformation_matrix == "BigWarp landmarks: correlation/landmarks.csv"
    assert correlation.fiducials_used == "4 landmark pairs on features visible in both cell1_airyscan.ome.tif and " \
        "fibsem_cell1.ome.tif."
    assert page.editor.form_view.editors["fiducials_used"].value() == correlation.fiducials_used

    # drag landmark 2 on the reference image: the table and overlay follow, the draft on release
    page.scroll_area.ensureWidgetVisible(tab.overlay)
    qtbot.wait(20)
    start = fixed_view.to_screen(*tab.pairs.fixed[1]).toPoint()
    residual_before = tab.table_model.data(tab.table_model.index(1, 5))
    paints = tab.overlay.paint_count
    qtbot.mousePress(fixed_view, Qt.MouseButton.LeftButton, pos=start)
    for step in range(1, 11):
        qtbot.mouseMove(fixed_view, start + QPoint(3 * step, 2 * step))
    assert tab.overlay.fast
    qtbot.mouseRelease(fixed_view, Qt.MouseButton.LeftButton, pos=start + QPoint(30, 20))
    qtbot.waitUntil(lambda: tab.overlay.paint_count > paints, timeout=2_000)
    assert not tab.overlay.fast
    moved_to = fixed_view.to_image((start + QPoint(30, 20)).toPointF())
    assert tab.pairs.fixed[1] == pytest.approx(moved_to)
    assert tab.table_model.data(tab.table_model.index(1, 5)) != residual_before
    assert correlation.transforms[0].landmarks[1].fixed == pytest.approx(list(moved_to))

    # Delete removes the selected pair everywhere
    fixed_view.setFocus()
    qtbot.keyClick(fixed_view, Qt.Key.Key_Delete)
    assert len(tab.pairs) == 3 and len(correlation.transforms[0].landmarks) == 3
    # rigid fits need fewer pairs; the model is stored
    tab.model_combo.setCurrentIndex(tab.model_combo.findData("rigid"))
    assert correlation.transforms[0].fit_model == "rigid"
    assert "Rigid fit of 3 pairs" in tab.rms_label.text()


def test_landmarks_are_exact_in_physical_units_and_reload_with_the_draft(qtbot, window, store, tmp_path):
    page = open_page(qtbot, window, store, tmp_path / "images")
    correlation = window.session.deposition.correlations[0]
    editor = page.transforms
    editor.tabs.setCurrentIndex(TAB_LANDMARKS)
    tab = wait_for_previews(qtbot, page)
    lm_points = np.array([[100.0, 100.0], [155.0, 101.0], [128.0, 158.0], [102.0, 140.0], [150.0, 150.0]])
    for moving, fixed in zip(lm_points, lm_to_em_pixels(lm_points), strict=True):
        tab.place("moving", *moving)
        tab.place("fixed", *fixed)
    # the example's transform was typed elsewhere: the fit replaces it only when asked
    assert correlation.transforms[0].method == "" and tab.use_button.isVisible()
    assert tab.use_fit()
    transform = correlation.transforms[0]
    assert transform.method == "landmarks" and not tab.use_button.isVisible()
    assert tab.pairs.fit.rms == pytest.approx(0.0, abs=1e-6)
    # LM in µm (x, y) -> EM in nm, written z, y, x with z unchanged (µm -> nm: x 1000)
    expected = np.eye(4)
    expected[1:3, 1:3] = TRUE_LINEAR[::-1, ::-1] * 1000
    expected[1:3, 3] = TRUE_SHIFT[::-1] * 1000
    expected[0, 0] = 1000
    assert np.allclose(np.array(transform.matrix, dtype=float), expected[:3], atol=1e-6)
    assert "z unchanged" in editor.current_descriptions().alignment

    window.close_draft()
    qtbot.waitUntil(lambda: window.session is None, timeout=5_000)
    envelope = store.list()[0]
    window.open_draft(envelope.draft_id)
    qtbot.waitUntil(lambda: window.session is not None, timeout=5_000)
    window.wizard.show_page("correlations")
    page = window.wizard.pages["correlations"]
    assert page.transforms.tabs.currentIndex() == TAB_LANDMARKS
    tab = wait_for_previews(qtbot, page)
    assert len(tab.pairs) == 5 and tab.model() == "affine"
    assert np.allclose(tab.pairs.moving, lm_points)
    assert tab.pairs.fit is not None and tab.overlay.matrix is not None


def test_public_data_has_no_previews_and_says_what_to_do(qtbot, window, store, tmp_path):
    page = open_page(qtbot, window, store, tmp_path / "images", keep_transform=False)
    assert page.datasets.add_accession("EMD-12345")
    editor = page.transforms
    editor.reference_combo.setCurrentIndex(editor.reference_combo.findData("emd_12345"))
    tab = editor.landmark_tab
    assert not tab.fixed.file_combo.isEnabled()
    assert "import a landmark file or type the matrix" in tab.fixed.view.message


def test_problems_of_systems_and_transforms_show_next_to_them_and_review_can_point_there(
    qtbot, window, store, tmp_path
):
    page = open_page(qtbot, window, store, tmp_path / "images")
    correlation = window.session.deposition.correlations[0]
    correlation.coordinate_systems[1].axes[0].unit = ""
    correlation.transforms[0].matrix = [[1, 0, 0], [0, 1, 0]]
    window.session.revalidate()
    assert "unit such as micrometer" in page.systems.problems.text() and page.systems.problems.isVisibleTo(page)
    assert "needs 3 rows of 4 numbers" in page.transforms.problems.text()
    assert not page.is_complete()
    page.focus_location(("correlations", 0, "transforms", 0, "matrix"))
    assert page.transforms.slot.index == 0
    assert page.scroll_area.verticalScrollBar().value() > 0  # scrolled down to the transform


def test_files_are_read_off_the_ui_thread(qtbot, window, store, tmp_path, monkeypatch):
    from PySide6.QtCore import QThread

    from bioimage_depositor.ui.correlation import file_tab, images

    threads = []

    def recorded(function):
        def run(*args, **kwargs):
            threads.append((function.__name__, QThread.currentThread().isMainThread()))
            return function(*args, **kwargs)

        return run

    monkeypatch.setattr(images, "decode_image", recorded(images.decode_image))
    monkeypatch.setattr(file_tab, "read_file", recorded(file_tab.read_file))
    page = open_page(qtbot, window, store, tmp_path / "images", keep_transform=False)
    wait_for_previews(qtbot, page)
    page.transforms.file_tab.import_file(str(LANDMARKS / "bigwarp_2d.csv"))
    qtbot.waitUntil(lambda: page.transforms.file_tab.read is not None, timeout=10_000)
    assert sorted(name for name, _ in threads) == ["decode_image", "decode_image", "read_file"]
    assert not any(on_ui_thread for _, on_ui_thread in threads)
