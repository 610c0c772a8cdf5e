"""Prefill: suggestions equal the metadata written; conflicts are listed, never resolved."""

from __future__ import annotations

import numpy as np
import pytest
from image_builders import Channel, Instrument, OmeImage, ome_xml, write_jpeg, write_mrc, write_ome_tiff, write_png

from bioimage_depositor.domain import empiar_fields
from bioimage_depositor.domain.images import ImageInfo, prefill_acquisition, prefill_empiar_image_set, probe
from bioimage_depositor.domain.images.errors import ImageIssue
from bioimage_depositor.domain.images.prefill import voxel_type_for
from bioimage_depositor.domain.rembi import ImageAcquisition

pytestmark = pytest.mark.filterwarnings("ignore:Setting the dtype:DeprecationWarning")


def _confocal(path, *, objective: Instrument | None = None, pixel: float = 0.065, date="2023-05-01T10:11:12",
              size=(40, 30)):
    image = OmeImage(
        size_x=size[0], size_y=size[1], size_z=5, size_c=2, physical_x=pixel, physical_y=pixel, physical_z=0.5,
        date=date,
        channels=[Channel("DAPI", excitation=405, emission=461, fluor="DAPI"),
                  Channel("GFP", excitation=488, emission=510, fluor="EGFP")],
    )
    xml = ome_xml([image], objective or Instrument())
    return write_ome_tiff(path, [np.zeros((2, 5, size[1], size[0]), np.uint16)], xml)


def test_acquisition_suggestions_equal_the_metadata(tmp_path):
    files = [_confocal(tmp_path / "a.ome.tif"), _confocal(tmp_path / "b.ome.tif", date="2023-05-03T08:00:00")]
    result = prefill_acquisition([probe(f) for f in files])
    assert result.conflicts == () and result.skipped == ()
    instrument = result.get("imaging_instrument")
    assert instrument.value == (
        "Microscope: Zeiss LSM 880 (inverted)\n"
        "Objective: Plan-Apochromat 63x/1.40 Oil DIC M27 (Zeiss); 63× nominal magnification, NA 1.4, oil immersion"
    )
    assert set(instrument.sources) == {str(f) for f in files}
    parameters = result.value("image_acquisition_parameters")
    assert parameters.splitlines() == [
        "Pixel size: 0.065 × 0.065 µm (x × y), z step 0.5 µm",
        "Channels: DAPI (excitation 405 nm, emission 461 nm, fluorophore DAPI); "
        "GFP (excitation 488 nm, emission 510 nm, fluorophore EGFP)",
        "Image dimensions: 40 × 30 pixels (x × y), 5 z-planes, 2 channels, uint16",
        "Acquisition date: 2023-05-01 to 2023-05-03",
    ]
    # the suggestion fits the model field it is for, and the model is not touched
    acquisition = ImageAcquisition(imaging_instrument=instrument.value, image_acquisition_parameters=parameters)
    assert acquisition.image_acquisition_parameters == parameters


def test_two_objectives_and_two_pixel_sizes_are_conflicts(tmp_path):
    water = Instrument(objective_model="C-Apochromat 40x/1.2 W Korr", magnification=40, na=1.2, immersion="Water")
    a = _confocal(tmp_path / "a.ome.tif")
    b = _confocal(tmp_path / "b.ome.tif", objective=water, pixel=0.1)
    c = _confocal(tmp_path / "c.ome.tif")
    result = prefill_acquisition([probe(a), probe(b), probe(c)])
    aspects = {conflict.aspect: conflict for conflict in result.conflicts}
    assert set(aspects) == {"objective", "pixel size"}
    objective = aspects["objective"]
    assert objective.field == "imaging_instrument"
    by_value = {v.value: set(v.sources) for v in objective.values}
    oil = "Plan-Apochromat 63x/1.40 Oil DIC M27 (Zeiss); 63× nominal magnification, NA 1.4, oil immersion"
    water_text = "C-Apochromat 40x/1.2 W Korr (Zeiss); 40× nominal magnification, NA 1.2, water immersion"
    assert by_value == {oil: {str(a), str(c)}, water_text: {str(b)}}
    pixel = {v.value: set(v.sources) for v in aspects["pixel size"].values}
    assert set(pixel) == {"0.065 × 0.065 µm (x × y), z step 0.5 µm", "0.1 × 0.1 µm (x × y), z step 0.5 µm"}
    # the conflicting parts are left out of the suggestions, not chosen by majority
    instrument = result.value("imaging_instrument")
    assert "Objective" not in instrument and "Microscope: Zeiss LSM 880" in instrument
    assert "objective" in result.get("imaging_instrument").note
    assert "Pixel size" not in result.value("image_acquisition_parameters")


def test_unreadable_files_are_skipped_with_their_reason(tmp_path):
    good = _confocal(tmp_path / "good.ome.tif")
    bad = tmp_path / "bad.tif"
    bad.write_bytes(b"II*\x00" + b"\xff" * 20)
    result = prefill_acquisition([probe(good), probe(bad)])
    assert [path for path, _reason in result.skipped] == [str(bad)]
    assert result.get("imaging_instrument").sources == (str(good),)


def test_files_without_metadata_give_only_dimensions(tmp_path):
    png = write_png(tmp_path / "a.png", np.zeros((10, 12), np.uint8))
    result = prefill_acquisition([probe(png)])
    assert result.get("imaging_instrument") is None
    assert result.value("image_acquisition_parameters") == "Image dimensions: 12 × 10 pixels (x × y), uint8"


def test_prefill_result_is_plain_data(tmp_path):
    result = prefill_acquisition([probe(_confocal(tmp_path / "a.ome.tif"))])
    record = result.to_json()
    assert record["suggestions"][0]["field"] == "imaging_instrument"
    assert record["conflicts"] == []


# ---------------------------------------------------------------- EMPIAR


@pytest.mark.parametrize(
    "dtype, code, other",
    [(np.int8, "T2", ""), (np.int16, "T4", ""), (np.float32, "T7", ""), (np.uint16, "T3", ""),
     (np.float16, "OT", "16 BIT FLOAT")],
)
def test_empiar_from_mrc_headers(tmp_path, dtype, code, other):
    files = [write_mrc(tmp_path / f"mic_{i}.mrc", np.zeros((48, 64), dtype), voxel_size=1.06) for i in range(3)]
    result = prefill_empiar_image_set([probe(f) for f in files])
    assert result.conflicts == ()
    assert result.value("image_width") == 64 and result.value("image_height") == 48
    assert result.value("pixel_width") == pytest.approx(1.06) and result.value("pixel_height") == pytest.approx(1.06)
    assert result.value("voxel_type") == code
    assert (result.value("voxel_type_other") or "") == other
    assert result.value("header_format") == "T1" and result.value("data_format") == "T1"
    assert result.value("num_images_or_tilt_series") == 3
    assert result.value("frames_per_image") == 1
    assert set(result.get("image_width").sources) == {str(f) for f in files}
    for field in ("voxel_type", "header_format", "data_format"):
        value = result.value(field)
        assert value in (empiar_fields.VOXEL_TYPES if field == "voxel_type" else empiar_fields.HEADER_FORMATS)


def test_empiar_movie_stacks(tmp_path):
    files = [write_mrc(tmp_path / f"movie_{i}.mrcs", np.zeros((40, 32, 32), np.uint16), voxel_size=0.83, stack=True)
             for i in range(2)]
    result = prefill_empiar_image_set([probe(f) for f in files])
    assert result.value("header_format") == "T2" and result.value("data_format") == "T2"
    assert result.value("frames_per_image") == 40
    assert "movie" in result.get("frames_per_image").note
    assert result.value("voxel_type") == "T3"
    assert result.value("num_images_or_tilt_series") == 2


def test_empiar_mixed_files_are_conflicts(tmp_path):
    a = write_mrc(tmp_path / "a.mrc", np.zeros((48, 64), np.float32), voxel_size=1.0)
    b = write_mrc(tmp_path / "b.mrc", np.zeros((48, 64), np.int16), voxel_size=2.0)
    result = prefill_empiar_image_set([probe(a), probe(b)])
    fields = {conflict.field for conflict in result.conflicts}
    assert fields == {"voxel_type", "pixel_width", "pixel_height"}
    assert result.get("voxel_type") is None and result.get("pixel_width") is None
    assert result.value("image_width") == 64


def test_empiar_from_tiff_png_jpeg(tmp_path):
    xml = ome_xml([OmeImage(size_x=50, size_y=40, pixel_type="uint8", physical_x=0.002, physical_y=0.002)])
    tif = write_ome_tiff(tmp_path / "sem.ome.tif", [np.zeros((40, 50), np.uint8)], xml)
    tiff_result = prefill_empiar_image_set([probe(tif)])
    assert tiff_result.value("header_format") == "T3" and tiff_result.value("voxel_type") == "T1"
    assert tiff_result.value("pixel_width") == pytest.approx(20.0)  # 0.002 µm = 20 Å
    png = prefill_empiar_image_set([probe(write_png(tmp_path / "a.png", np.zeros((8, 9), np.uint16)))])
    assert (png.value("header_format"), png.value("voxel_type"), png.value("image_width")) == ("T10", "T3", 9)
    jpg = prefill_empiar_image_set([probe(write_jpeg(tmp_path / "a.jpg", np.zeros((8, 9, 3), np.uint8)))])
    assert jpg.value("header_format") == "T11" and jpg.value("voxel_type") == "T1"


def test_voxel_type_table_and_t10_when_the_table_has_it(monkeypatch):
    assert voxel_type_for("int8") == ("T2", "")
    assert voxel_type_for("uint8") == ("T1", "")
    assert voxel_type_for("uint4") == ("T9", "")
    assert voxel_type_for("complex64") == ("OT", "COMPLEX 32 BIT FLOAT")
    monkeypatch.setitem(empiar_fields.VOXEL_TYPES, "T10", "16 BIT FLOAT")
    assert voxel_type_for("float16") == ("T10", "")


def test_imod_unsigned_mode_0_is_unsigned_byte(tmp_path):
    from image_builders import patch_int32

    from bioimage_depositor.domain.images.mrc import IMOD_STAMP

    path = write_mrc(tmp_path / "u.mrc", np.zeros((4, 4), np.int8))
    patch_int32(path, 152, IMOD_STAMP)
    patch_int32(path, 156, 0)
    assert prefill_empiar_image_set([probe(path)]).value("voxel_type") == "T1"


def test_no_readable_files_means_no_suggestions():
    broken = ImageInfo(path="x.mrc", error=ImageIssue("truncated", "cut"))
    result = prefill_empiar_image_set([broken])
    assert result.suggestions == () and result.skipped == (("x.mrc", "cut"),)
