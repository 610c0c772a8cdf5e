"""Probing PNG and JPEG with Pillow (headers, completeness) and OME-Zarr folders from their JSON."""

from __future__ import annotations

import numpy as np
import pytest
from image_builders import write_jpeg, write_ome_zarr, write_png
from PIL import Image

from bioimage_depositor.domain.images import detect_format, probe


def test_png_16_bit(tmp_path):
    path = write_png(tmp_path / "a.png", np.zeros((10, 12), np.uint16))
    info = probe(path)
    assert info.format == "PNG" and info.shape == {"Y": 10, "X": 12} and info.dtype == "uint16"


def test_png_rgb_with_physical_resolution(tmp_path):
    path = write_png(tmp_path / "rgb.png", np.zeros((10, 12, 3), np.uint8), dpi=(254000, 254000))  # 0.1 µm
    info = probe(path)
    assert info.shape == {"Y": 10, "X": 12, "S": 3}
    assert info.pixel_size.x == pytest.approx(0.1, rel=1e-3)


def test_jpeg_with_exif_date_and_camera(tmp_path):
    image = Image.fromarray(np.zeros((20, 30, 3), np.uint8))
    exif = Image.Exif()
    exif[271], exif[272], exif[306] = "Hamamatsu", "ORCA-Flash4.0", "2022:07:08 09:10:11"
    path = tmp_path / "cam.jpg"
    image.save(path, format="JPEG", exif=exif)
    info = probe(path)
    assert info.format == "JPEG" and info.shape == {"Y": 20, "X": 30, "S": 3}
    assert info.acquisition_date == "2022-07-08T09:10:11"
    assert info.instrument.detector == "Hamamatsu ORCA-Flash4.0"


def test_jpeg_named_tif_is_mislabelled_not_an_error(tmp_path):
    path = write_jpeg(tmp_path / "really_a_jpeg.tif", np.zeros((8, 8, 3), np.uint8))
    info = probe(path)
    assert info.ok and info.format == "JPEG"
    assert [n.code for n in info.notes] == ["mislabelled"]
    assert detect_format(path).note.code == "mislabelled"


def test_truncated_png_and_jpeg(tmp_path):
    rng = np.random.default_rng(1)
    png = write_png(tmp_path / "t.png", rng.integers(0, 255, (64, 64), dtype=np.uint8))
    jpg = write_jpeg(tmp_path / "t.jpg", rng.integers(0, 255, (64, 64, 3), dtype=np.uint8))
    for path in (png, jpg):
        raw = path.read_bytes()
        path.write_bytes(raw[: len(raw) // 2])
        info = probe(path)
        assert info.error is not None and info.error.code == "truncated", path


def test_ome_zarr_v2_probe(tmp_path):
    pytest.importorskip("zarr", minversion="3")
    path = write_ome_zarr(tmp_path / "img.zarr", np.zeros((2, 3, 64, 80), np.uint16),
                          channels=[("DAPI", "0000FF"), ("GFP", "00FF00")])
    info = probe(path)
    assert info.ok, info.error
    assert info.format == "OME-Zarr" and "Zarr v2" in info.format_detail
    assert info.shape == {"C": 2, "Z": 3, "Y": 64, "X": 80} and info.dtype == "uint16"
    assert [(lv["Y"], lv["X"]) for lv in info.first.levels] == [(64, 80), (32, 40)]
    assert (info.pixel_size.x, info.pixel_size.y, info.pixel_size.z) == (0.25, 0.25, 0.5)
    assert [(c.name, c.colour) for c in info.channels] == [("DAPI", (0, 0, 255)), ("GFP", (0, 255, 0))]


def test_ome_zarr_v3_probe(tmp_path):
    pytest.importorskip("zarr", minversion="3")
    path = write_ome_zarr(tmp_path / "img3.zarr", np.zeros((1, 2, 32, 32), np.float32), zarr_format=3,
                          unit="nanometer", scale=(1.0, 200.0, 100.0, 100.0))
    info = probe(path)
    assert info.ok, info.error
    assert "Zarr v3" in info.format_detail
    assert info.pixel_size.x == pytest.approx(0.1) and info.pixel_size.z == pytest.approx(0.2)


def test_folder_that_is_not_zarr(tmp_path):
    info = probe(tmp_path)
    assert info.error.code == "unknown_format"


def test_ome_zarr_without_zarr_package_still_probes_and_says_why_no_preview(tmp_path, monkeypatch):
    pytest.importorskip("zarr", minversion="3")
    import sys

    from bioimage_depositor.domain.images import PreviewError, render_preview

    path = write_ome_zarr(tmp_path / "img.zarr", np.zeros((1, 1, 16, 16), np.uint8), levels=1)
    monkeypatch.setitem(sys.modules, "zarr", None)  # import zarr now raises ImportError
    info = probe(path)
    assert info.ok and "zarr_missing" in [n.code for n in info.notes]
    with pytest.raises(PreviewError) as caught:
        render_preview(path)
    assert caught.value.code == "zarr_missing"
    assert "zarr" in caught.value.message and "extra" in caught.value.message


def test_bioformats2raw_layout_lists_each_image_as_a_series(tmp_path):
    pytest.importorskip("zarr", minversion="3")
    import json

    root = tmp_path / "converted.zarr"
    root.mkdir()
    (root / ".zattrs").write_text(json.dumps({"bioformats2raw.layout": 3}))
    (root / ".zgroup").write_text(json.dumps({"zarr_format": 2}))
    write_ome_zarr(root / "0", np.zeros((1, 1, 32, 32), np.uint8), levels=1)
    write_ome_zarr(root / "1", np.zeros((2, 1, 16, 24), np.uint16), levels=1)
    info = probe(root)
    assert info.ok, info.error
    assert [s.shape for s in info.series] == [{"C": 1, "Z": 1, "Y": 32, "X": 32}, {"C": 2, "Z": 1, "Y": 16, "X": 24}]
    from bioimage_depositor.domain.images import render_preview

    assert render_preview(root, series=1).series == 1


def test_hcs_plate_is_reported_unsupported(tmp_path):
    import json

    root = tmp_path / "plate.zarr"
    root.mkdir()
    (root / ".zattrs").write_text(json.dumps({"plate": {"wells": []}}))
    info = probe(root)
    assert info.format is not None and info.error.code == "unsupported"
