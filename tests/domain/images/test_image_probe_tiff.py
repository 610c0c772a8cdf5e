"""Probing TIFF and OME-TIFF: every value equals the metadata written."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tifffile
from image_builders import Channel, Instrument, OmeImage, ome_xml, rgba, write_ome_tiff, write_pyramid

from bioimage_depositor.domain.images import detect_format, probe
from bioimage_depositor.domain.images import ome_xml as ome_xml_module


@pytest.fixture
def confocal(tmp_path):
    """A 2-channel, 5-plane confocal OME-TIFF with instrument, objective, wavelengths and mixed units."""
    image = OmeImage(
        size_x=40, size_y=30, size_z=5, size_c=2, name="cells",
        physical_x=65.0, physical_x_unit="nm", physical_y=0.065, physical_y_unit="µm",
        physical_z=0.0005, physical_z_unit="mm", date="2023-05-01T10:11:12",
        channels=[
            Channel("DAPI", excitation=405, emission=461, fluor="DAPI", color=rgba(0, 0, 255)),
            Channel("GFP", excitation=0.488, excitation_unit="µm", emission=5100, emission_unit="Å", fluor="EGFP",
                    color=rgba(0, 255, 0)),
        ],
    )
    data = np.arange(2 * 5 * 30 * 40, dtype=np.uint16).reshape(2, 5, 30, 40)
    xml = ome_xml([image], Instrument())
    return write_ome_tiff(tmp_path / "confocal.ome.tif", [data], xml)


def test_ome_tiff_values_equal_the_metadata(confocal):
    info = probe(confocal)
    assert info.ok, info.error
    assert info.format == "OME-TIFF"
    assert len(info.series) == 1
    assert info.shape == {"C": 2, "Z": 5, "Y": 30, "X": 40}
    assert list(info.shape) == ["C", "Z", "Y", "X"]  # storage order
    assert info.dtype == "uint16"
    assert info.pixel_size.x == pytest.approx(0.065)
    assert info.pixel_size.y == pytest.approx(0.065)
    assert info.pixel_size.z == pytest.approx(0.5)
    assert info.pixel_size.source == "OME-XML"
    dapi, gfp = info.channels
    assert (dapi.name, dapi.excitation_nm, dapi.emission_nm, dapi.fluor, dapi.colour) == (
        "DAPI", 405, 461, "DAPI", (0, 0, 255))
    assert gfp.name == "GFP" and gfp.fluor == "EGFP"
    assert gfp.excitation_nm == pytest.approx(488) and gfp.emission_nm == pytest.approx(510)
    instrument = info.instrument
    assert instrument.microscope == "Zeiss LSM 880"
    assert instrument.microscope_type == "Inverted"
    assert instrument.objective_model == "Plan-Apochromat 63x/1.40 Oil DIC M27"
    assert instrument.nominal_magnification == 63
    assert instrument.lens_na == pytest.approx(1.4)
    assert instrument.immersion == "Oil"
    assert info.acquisition_date == "2023-05-01T10:11:12"
    assert info.first.levels == ({"C": 2, "Z": 5, "Y": 30, "X": 40},)


def test_to_json_is_serialisable_and_has_the_cli_fields(confocal):
    record = json.loads(json.dumps(probe(confocal).to_json()))
    for key in ("path", "format", "series", "shape", "dtype", "pixel_size", "channels", "instrument",
                "pyramid_levels", "error"):
        assert key in record
    assert record["pixel_size"]["x"] == pytest.approx(0.065)
    assert record["channels"][1]["excitation_nm"] == pytest.approx(488)
    assert record["instrument"]["lens_na"] == pytest.approx(1.4)
    assert record["error"] is None


def test_tifffile_written_ome_metadata(tmp_path):
    data = np.zeros((3, 4, 32, 48), np.uint8)
    path = tmp_path / "tf.ome.tif"
    tifffile.imwrite(path, data, ome=True, photometric="minisblack", metadata={
        "axes": "TCYX", "PhysicalSizeX": 0.3, "PhysicalSizeY": 0.4, "PhysicalSizeXUnit": "µm",
        "Channel": {"Name": ["a", "b", "c", "d"]}})
    info = probe(path)
    assert info.format == "OME-TIFF"
    assert info.shape == {"T": 3, "C": 4, "Y": 32, "X": 48}
    assert (info.pixel_size.x, info.pixel_size.y, info.pixel_size.z) == (pytest.approx(0.3), pytest.approx(0.4),
                                                                         None)
    assert [c.name for c in info.channels] == ["a", "b", "c", "d"]
    assert info.instrument is None


def test_pyramid_levels_reported(tmp_path):
    path = write_pyramid(tmp_path / "pyr.ome.tif", (2, 512, 384), levels=4)
    info = probe(path)
    assert info.ok
    assert info.format == "OME-TIFF"
    assert "pyramidal" in info.format_detail and "BigTIFF" in info.format_detail
    assert [(lv["Y"], lv["X"]) for lv in info.first.levels] == [(512, 384), (256, 192), (128, 96), (64, 48)]
    assert info.first.pyramid_levels == 4
    assert info.to_json()["pyramid_levels"][3] == {"C": 2, "Y": 64, "X": 48}


def test_multi_series_ome_tiff_keeps_per_image_metadata(tmp_path):
    images = [
        OmeImage(size_x=32, size_y=16, name="first", physical_x=0.1, physical_y=0.1,
                 channels=[Channel("A", excitation=561, emission=600)]),
        OmeImage(size_x=20, size_y=10, size_c=2, pixel_type="uint8", name="second", physical_x=0.5, physical_y=0.5),
    ]
    xml = ome_xml(images)
    path = write_ome_tiff(tmp_path / "multi.ome.tif", [np.zeros((16, 32), np.uint16), np.zeros((2, 10, 20), np.uint8)],
                          xml)
    info = probe(path)
    assert info.ok, info.error
    assert len(info.series) == 2
    first, second = info.series
    assert first.name == "first" and first.pixel_size.x == pytest.approx(0.1)
    assert first.channels[0].excitation_nm == 561
    assert second.name == "second" and second.shape == {"C": 2, "Y": 10, "X": 20} and second.dtype == "uint8"
    assert second.pixel_size.x == pytest.approx(0.5)


def test_imagej_tiff_pixel_size_and_z_step(tmp_path):
    path = tmp_path / "ij.tif"
    tifffile.imwrite(path, np.zeros((6, 20, 30), np.uint16), imagej=True, resolution=(1 / 0.25, 1 / 0.25),
                     metadata={"spacing": 1.5, "unit": "um", "axes": "ZYX"})
    info = probe(path)
    assert info.format == "TIFF" and "ImageJ" in info.format_detail
    assert info.shape == {"Z": 6, "Y": 20, "X": 30}
    assert (info.pixel_size.x, info.pixel_size.y, info.pixel_size.z) == (0.25, 0.25, 1.5)


def test_plain_tiff_resolution_in_centimetres_and_date(tmp_path):
    path = tmp_path / "cm.tif"
    tifffile.imwrite(path, np.zeros((20, 30), np.uint8), resolution=(1e4 / 0.5, 1e4 / 0.5),
                     resolutionunit="CENTIMETER", datetime="2021:02:03 04:05:06")
    info = probe(path)
    assert info.format == "TIFF"
    assert info.pixel_size.x == pytest.approx(0.5) and info.pixel_size.source == "TIFF resolution"
    assert info.acquisition_date == "2021-02-03T04:05:06"


def test_screen_dpi_is_not_a_pixel_size(tmp_path):
    path = tmp_path / "dpi.tif"
    tifffile.imwrite(path, np.zeros((20, 30), np.uint8), resolution=(72, 72), resolutionunit="INCH")
    info = probe(path)
    assert info.ok and info.pixel_size is None
    assert [n.code for n in info.notes] == ["metadata_ignored"]


def test_rgb_tiff(tmp_path):
    path = tmp_path / "rgb.tif"
    tifffile.imwrite(path, np.zeros((20, 30, 3), np.uint8), photometric="rgb")
    info = probe(path)
    assert info.shape == {"Y": 20, "X": 30, "S": 3}


def test_bigtiff_detected(tmp_path):
    path = tmp_path / "big.tif"
    tifffile.imwrite(path, np.zeros((8, 8), np.uint16), bigtiff=True)
    assert detect_format(path).detail == "BigTIFF"
    assert probe(path).format_detail == "BigTIFF"


def test_invalid_ome_xml_still_reads_the_tiff(tmp_path):
    xml = ome_xml([OmeImage(size_x=16, size_y=8)]).replace('SizeX="16"', 'SizeX="sixteen"')
    path = write_ome_tiff(tmp_path / "bad.ome.tif", [np.zeros((8, 16), np.uint16)], xml)
    info = probe(path)
    assert info.ok
    assert info.shape["X"] == 16  # from the TIFF tags
    assert "metadata_ignored" in [n.code for n in info.notes]


def test_oversized_ome_xml_is_not_parsed(tmp_path, monkeypatch):
    from bioimage_depositor.domain.images import tiff as tiff_module

    monkeypatch.setattr(tiff_module, "MAX_OME_XML_BYTES", 200)
    monkeypatch.setattr(ome_xml_module, "MAX_OME_XML_BYTES", 200)
    xml = ome_xml([OmeImage(size_x=16, size_y=8, physical_x=0.1, physical_y=0.1)])
    path = write_ome_tiff(tmp_path / "huge.ome.tif", [np.zeros((8, 16), np.uint16)], xml)
    info = probe(path)
    assert info.ok and info.format == "TIFF"
    assert info.pixel_size is None
    assert "metadata_ignored" in [n.code for n in info.notes]


def test_no_pixel_data_is_read(confocal, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("probe must not decode pixels")

    monkeypatch.setattr(tifffile.TiffPage, "asarray", forbidden)
    monkeypatch.setattr(tifffile.TiffFrame, "asarray", forbidden)
    monkeypatch.setattr(tifffile.TiffFile, "asarray", forbidden)
    assert probe(confocal).ok
