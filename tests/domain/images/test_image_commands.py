"""The ``probe`` and ``preview`` commands: output fields, exit codes, one-line errors, no tracebacks."""

from __future__ import annotations

import json

import numpy as np
import pytest
from image_builders import Channel, Instrument, OmeImage, ome_xml, write_jpeg, write_mrc, write_ome_tiff
from PIL import Image

from bioimage_depositor.cli import main

pytestmark = pytest.mark.filterwarnings("ignore:Setting the dtype:DeprecationWarning")


@pytest.fixture
def files(tmp_path):
    xml = ome_xml([OmeImage(size_x=40, size_y=30, size_z=3, size_c=2, physical_x=0.2, physical_y=0.2,
                            physical_z=1.0, channels=[Channel("DAPI", excitation=405, emission=461, fluor="DAPI"),
                                                      Channel("GFP", excitation=488, emission=510)])],
                  Instrument())
    ome = write_ome_tiff(tmp_path / "cells.ome.tif", [np.zeros((2, 3, 30, 40), np.uint16)], xml)
    mrc = write_mrc(tmp_path / "tomo.mrc", np.zeros((4, 16, 24), np.float32), voxel_size=2.5)
    broken = tmp_path / "broken.tif"
    broken.write_bytes(ome.read_bytes()[:300])
    jpeg_tif = write_jpeg(tmp_path / "photo.tif", np.zeros((8, 8, 3), np.uint8))
    return {"ome": ome, "mrc": mrc, "broken": broken, "jpeg_tif": jpeg_tif}


def test_probe_json_fields(files, capsys):
    assert main(["probe", "--json", str(files["ome"]), str(files["mrc"])]) == 0
    records = json.loads(capsys.readouterr().out)
    ome, mrc = records
    assert ome["path"] == str(files["ome"]) and ome["format"] == "OME-TIFF"
    assert ome["series_count"] == 1 and len(ome["series"]) == 1
    assert ome["shape"] == {"C": 2, "Z": 3, "Y": 30, "X": 40} and ome["dtype"] == "uint16"
    assert (ome["pixel_size"]["x"], ome["pixel_size"]["y"], ome["pixel_size"]["z"]) == (0.2, 0.2, 1.0)
    assert (ome["channels"][0]["name"], ome["channels"][0]["excitation_nm"], ome["channels"][0]["emission_nm"],
            ome["channels"][0]["fluor"]) == ("DAPI", 405, 461, "DAPI")
    instrument = ome["instrument"]
    assert (instrument["microscope"], instrument["objective_model"], instrument["nominal_magnification"],
            instrument["lens_na"], instrument["immersion"]) == (
        "Zeiss LSM 880", "Plan-Apochromat 63x/1.40 Oil DIC M27", 63, 1.4, "Oil")
    assert ome["pyramid_levels"] == [{"C": 2, "Z": 3, "Y": 30, "X": 40}]
    assert ome["error"] is None
    assert mrc["format"] == "MRC" and mrc["mrc"]["voxel_size_angstrom"]["x"] == 2.5
    assert mrc["pixel_size"]["x"] == 0.00025 and mrc["channels"] == [] and mrc["instrument"] is None


def test_probe_human_output(files, capsys):
    assert main(["probe", str(files["ome"])]) == 0
    out = capsys.readouterr().out
    for fragment in ("OME-TIFF", "C=2 Z=3 Y=30 X=40", "uint16", "x 0.2 µm", "DAPI (ex 405 nm, em 461 nm, fluor DAPI)",
                     "Zeiss LSM 880", "63×", "NA 1.4", "pyramid levels  1: 40×30"):
        assert fragment in out, fragment


def test_probe_exit_1_when_a_file_is_unreadable(files, capsys):
    assert main(["probe", str(files["ome"]), str(files["broken"]), str(files["jpeg_tif"])]) == 1
    out = capsys.readouterr().out
    assert "error" in out and "[truncated]" in out
    assert "[mislabelled]" in out  # a note, not an error
    assert "Traceback" not in out


def test_probe_exit_2_when_a_path_does_not_exist_but_reports_the_others(files, tmp_path, capsys):
    missing = tmp_path / "nope.tif"
    assert main(["probe", "--json", str(missing), str(files["mrc"])]) == 2
    records = json.loads(capsys.readouterr().out)
    assert records[0]["error"]["code"] == "not_found"
    assert records[1]["error"] is None and records[1]["format"] == "MRC"


def test_preview_writes_png(files, tmp_path, capsys):
    out = tmp_path / "p.png"
    assert main(["preview", str(files["ome"]), "--out", str(out), "--size", "32", "--z", "2"]) == 0
    with Image.open(out) as image:
        assert image.format == "PNG" and max(image.size) == 32
    assert "z 2/3" in capsys.readouterr().out


def test_preview_json_description(files, tmp_path, capsys):
    out = tmp_path / "m.png"
    assert main(["preview", str(files["mrc"]), "--out", str(out), "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["format"] == "MRC" and record["z"] == 2 and record["out"] == str(out)


@pytest.mark.parametrize("kind", ["broken", "missing", "text"])
def test_preview_unreadable_file_is_one_line_exit_2(files, tmp_path, capsys, kind):
    if kind == "missing":
        source = tmp_path / "missing.tif"
    elif kind == "text":
        source = tmp_path / "notes.tif"
        source.write_text("not an image")
    else:
        source = files["broken"]
    assert main(["preview", str(source), "--out", str(tmp_path / "x.png")]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("bioimage-depositor: ")
    assert "Traceback" not in captured.err + captured.out
    assert not (tmp_path / "x.png").exists()


def test_preview_out_of_range_plane(files, tmp_path, capsys):
    assert main(["preview", str(files["ome"]), "--out", str(tmp_path / "x.png"), "--z", "9"]) == 2
    assert "out_of_range" in capsys.readouterr().err


def test_preview_bad_output_folder(files, tmp_path, capsys):
    assert main(["preview", str(files["ome"]), "--out", str(tmp_path / "no" / "x.png")]) == 2
    assert "no such folder" in capsys.readouterr().err
