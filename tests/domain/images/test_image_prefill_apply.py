"""Prefill written into the deposition: empty fields only, marked as such, conflicts passed on, marks saved."""

from __future__ import annotations

import numpy as np
import pytest
from image_builders import Channel, Instrument, OmeImage, ome_xml, write_mrc, write_ome_tiff

from bioimage_depositor.domain.deposition import Deposition, FileEntry, StudyComponent
from bioimage_depositor.domain.draft_file import DraftEnvelope, parse_draft, serialise_draft
from bioimage_depositor.domain.empiar_fields import EmpiarEntry, EmpiarImageSet
from bioimage_depositor.domain.images import probe
from bioimage_depositor.domain.images.prefill_apply import (
    acquisition_location,
    forget_mark,
    image_set_location,
    plan_empiar_prefill,
    prefill_acquisition_into,
    prefill_empiar_into,
    prefilled_marks,
    prune_marks,
)
from bioimage_depositor.domain.rembi import ImageAcquisition

pytestmark = pytest.mark.filterwarnings("ignore:Setting the dtype:DeprecationWarning")


def _confocal(path, pixel=0.065):
    image = OmeImage(size_x=40, size_y=30, size_c=2, physical_x=pixel, physical_y=pixel,
                     channels=[Channel("DAPI", excitation=405, emission=461), Channel("GFP", excitation=488)])
    return write_ome_tiff(path, [np.zeros((2, 30, 40), np.uint16)], ome_xml([image], Instrument()))


def _deposition_with_acquisition(**fields):
    deposition = Deposition()
    acquisition = ImageAcquisition(title="Confocal", **fields)
    deposition.acquisitions.append(acquisition)
    return deposition, acquisition


def test_empty_acquisition_fields_are_filled_and_marked(tmp_path):
    files = [_confocal(tmp_path / "a.ome.tif"), _confocal(tmp_path / "b.ome.tif")]
    deposition, acquisition = _deposition_with_acquisition()
    applied = prefill_acquisition_into(deposition, acquisition, [probe(f) for f in files])
    assert applied.filled == ["imaging_instrument", "image_acquisition_parameters"]
    assert "Zeiss LSM 880" in acquisition.imaging_instrument
    assert acquisition.image_acquisition_parameters.startswith("Pixel size: 0.065 × 0.065 µm")
    marks = prefilled_marks(deposition, acquisition_location(acquisition))
    assert set(marks) == {"imaging_instrument", "image_acquisition_parameters"}
    assert marks["imaging_instrument"].value == acquisition.imaging_instrument
    assert "2 files" in marks["imaging_instrument"].note


def test_fields_with_text_are_kept_and_reported(tmp_path):
    deposition, acquisition = _deposition_with_acquisition(imaging_instrument="Our own words")
    applied = prefill_acquisition_into(deposition, acquisition, [probe(_confocal(tmp_path / "a.ome.tif"))])
    assert acquisition.imaging_instrument == "Our own words"
    assert applied.filled == ["image_acquisition_parameters"]
    assert applied.kept[0][0] == "imaging_instrument" and "LSM 880" in applied.kept[0][2]
    assert set(prefilled_marks(deposition, acquisition_location(acquisition))) == {"image_acquisition_parameters"}


def test_conflicts_are_passed_on_and_the_disputed_part_left_out(tmp_path):
    deposition, acquisition = _deposition_with_acquisition()
    files = [_confocal(tmp_path / "a.ome.tif", 0.065), _confocal(tmp_path / "b.ome.tif", 0.1)]
    applied = prefill_acquisition_into(deposition, acquisition, [probe(f) for f in files])
    assert [c.aspect for c in applied.conflicts] == ["pixel size"]
    assert "Pixel size" not in acquisition.image_acquisition_parameters
    values = {v.value for v in applied.conflicts[0].values}
    assert any("0.065" in v for v in values) and any("0.1" in v for v in values)


def test_a_mark_goes_when_the_field_is_edited_or_confirmed(tmp_path):
    deposition, acquisition = _deposition_with_acquisition()
    prefill_acquisition_into(deposition, acquisition, [probe(_confocal(tmp_path / "a.ome.tif"))])
    prefix = acquisition_location(acquisition)
    acquisition.imaging_instrument += " and a light sheet"
    assert set(prefilled_marks(deposition, prefix)) == {"image_acquisition_parameters"}
    assert prune_marks(deposition) == 1 and len(deposition.prefilled) == 1
    assert forget_mark(deposition, (*prefix, "image_acquisition_parameters"))
    assert not forget_mark(deposition, (*prefix, "image_acquisition_parameters"))
    assert prefilled_marks(deposition, prefix) == {} and deposition.prefilled == []


def test_marks_survive_saving_and_old_drafts_still_load(tmp_path):
    deposition, acquisition = _deposition_with_acquisition()
    prefill_acquisition_into(deposition, acquisition, [probe(_confocal(tmp_path / "a.ome.tif"))])
    envelope = DraftEnvelope(deposition=deposition)
    back = parse_draft(serialise_draft(envelope), "draft.json").deposition
    assert back.prefilled == deposition.prefilled
    assert set(prefilled_marks(back, acquisition_location(back.acquisitions[0]))) == {
        "imaging_instrument", "image_acquisition_parameters"}
    data = envelope.model_dump(mode="json")
    del data["deposition"]["prefilled"]  # a draft written before marks existed
    assert DraftEnvelope.model_validate(data).deposition.prefilled == []


def _component(paths, sets=None):
    component = StudyComponent(name="EM", archive="EMPIAR")
    component.files = [FileEntry(path=rel, source=str(source)) for rel, source in paths]
    if sets is not None:
        component.empiar = EmpiarEntry(image_sets=sets)
    return component


def test_plan_one_image_set_per_added_folder_when_there_are_none(tmp_path):
    component = _component([("movies/a.mrcs", tmp_path / "a"), ("movies/b.mrcs", tmp_path / "b"),
                            ("maps/m.mrc", tmp_path / "m")])
    plan = plan_empiar_prefill(component)
    assert [(p.index, p.name, p.directory, len(p.files)) for p in plan.image_sets] == [
        (None, "movies", "data/movies", 2), (None, "maps", "data/maps", 1)]
    assert plan.unplaced == 0


def test_plan_matches_files_to_image_sets_by_folder(tmp_path):
    sets = [EmpiarImageSet(name="Maps", directory="data/maps"), EmpiarImageSet(name="Movies", directory="data/movies")]
    component = _component([("movies/a.mrcs", tmp_path / "a"), ("maps/m.mrc", tmp_path / "m"),
                            ("other/x.mrc", tmp_path / "x")], sets)
    plan = plan_empiar_prefill(component)
    assert [(p.index, len(p.files)) for p in plan.image_sets] == [(0, 1), (1, 1)]
    assert plan.unplaced == 1
    single = _component([("run/a.mrc", tmp_path / "a"), ("run/b.mrc", tmp_path / "b")],
                        [EmpiarImageSet(name="Only")])
    assert [(p.index, len(p.files)) for p in plan_empiar_prefill(single).image_sets] == [(0, 2)]
    unmatched = _component([("run/a.mrc", tmp_path / "a")], [EmpiarImageSet(name="A", directory="data/x"),
                                                             EmpiarImageSet(name="B", directory="data/y")])
    plan = plan_empiar_prefill(unmatched)
    assert plan.image_sets == [] and "folder" in plan.message and plan.unplaced == 1


def test_empiar_image_set_is_created_and_filled_from_mrc_headers(tmp_path):
    folder = tmp_path / "tomograms"
    folder.mkdir()
    files = [write_mrc(folder / f"tomo_{i}.mrc", np.zeros((8, 48, 64), np.float32), voxel_size=(13.5, 13.5, 13.5))
             for i in range(2)]
    component = _component([(f"tomograms/{f.name}", f) for f in files])
    deposition = Deposition(components=[component])
    infos = {str(f): probe(f) for f in files}
    (applied,) = prefill_empiar_into(deposition, component, plan_empiar_prefill(component), infos)
    image_set = component.empiar.image_sets[0]
    assert (image_set.name, image_set.directory) == ("tomograms", "data/tomograms")
    assert (image_set.image_width, image_set.image_height) == (64, 48)
    assert image_set.pixel_width == pytest.approx(13.5) and image_set.pixel_height == pytest.approx(13.5)
    assert (image_set.voxel_type, image_set.header_format, image_set.data_format) == ("T7", "T1", "T1")
    assert image_set.num_images_or_tilt_series == 2 and image_set.frames_per_image == 1
    marks = prefilled_marks(deposition, image_set_location(component, 0))
    assert {"image_width", "pixel_width", "voxel_type", "header_format", "directory"} <= set(marks)
    assert marks["image_width"].value == "64"
    assert applied.conflicts == ()


def test_empiar_conflicts_are_shown_not_resolved(tmp_path):
    a = write_mrc(tmp_path / "a.mrc", np.zeros((48, 64), np.float32), voxel_size=1.0)
    b = write_mrc(tmp_path / "b.mrc", np.zeros((32, 64), np.float32), voxel_size=1.0)
    component = _component([("run/a.mrc", a), ("run/b.mrc", b)], [EmpiarImageSet(name="Mics", directory="data/run",
                                                                                 voxel_type="T2")])
    deposition = Deposition(components=[component])
    (applied,) = prefill_empiar_into(deposition, component, plan_empiar_prefill(component),
                                     {str(a): probe(a), str(b): probe(b)})
    image_set = component.empiar.image_sets[0]
    assert image_set.image_height is None  # the files disagree: left for the user
    assert image_set.image_width == 64
    assert [c.field for c in applied.conflicts] == ["image_height"]
    assert image_set.voxel_type == "T2"  # the user's choice is kept…
    assert ("voxel_type", "T2", "T7") in applied.kept  # …and the difference reported


def test_the_layout_placeholder_folder_is_replaced_by_the_folder_added(tmp_path):
    folder = tmp_path / "fibsem"
    folder.mkdir()
    files = [write_mrc(folder / f"slab_{i}.mrc", np.zeros((4, 32, 32), np.uint8), voxel_size=5.0) for i in range(2)]
    component = _component([(f"fibsem/{f.name}", f) for f in files], [EmpiarImageSet(directory="data/")])
    deposition = Deposition(components=[component])
    plan = plan_empiar_prefill(component)
    assert [(p.index, p.directory, len(p.files)) for p in plan.image_sets] == [(0, "data/fibsem", 2)]
    (applied,) = prefill_empiar_into(deposition, component, plan, {str(f): probe(f) for f in files})
    image_set = component.empiar.image_sets[0]
    assert (image_set.directory, image_set.name) == ("data/fibsem", "fibsem")
    assert applied.target == "image set “fibsem”"
    assert {"directory", "name"} <= set(prefilled_marks(deposition, image_set_location(component, 0)))


def test_file_names_in_notes_work_with_either_separator():
    from bioimage_depositor.domain.images.prefill_apply import file_name

    assert file_name("C:\\data\\run 1\\a.tif") == "a.tif"
    assert file_name("/data/run 1/b.ome.tif [series 2]") == "b.ome.tif [series 2]"
    assert file_name("plain.tif") == "plain.tif"
