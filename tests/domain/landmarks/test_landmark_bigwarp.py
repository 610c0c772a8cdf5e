"""BigWarp landmark files (CSV and JSON): real-format samples, and every way a file can be wrong."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from _landmark_cases import DATA, apply, samples

from bioimage_depositor.domain.landmarks import (
    LandmarkImportError,
    fit_landmarks,
    read_bigwarp_csv,
    read_bigwarp_json,
)
from bioimage_depositor.domain.landmarks.errors import (
    IMPORT_CSV_ACTIVE,
    IMPORT_CSV_COLUMNS,
    IMPORT_CSV_VALUE,
    IMPORT_EMPTY,
    IMPORT_JSON_STRUCTURE,
    IMPORT_JSON_SYNTAX,
    IMPORT_NO_LANDMARKS,
    IMPORT_NOT_FINITE,
)

TRUTH = samples()


def test_3d_csv_gives_the_active_pairs_and_the_fit_recovers_the_generating_affine():
    raw = (DATA / "bigwarp_3d.csv").read_bytes()
    imported = read_bigwarp_csv(raw, "bigwarp_3d.csv")
    assert imported.format == "bigwarp-csv" and imported.raw == raw and imported.source == "bigwarp_3d.csv"
    assert imported.ndim == 3 and imported.axis_order == "xyz"
    assert imported.names == tuple(f"Pt-{i}" for i in range(8))
    assert imported.skipped == 2  # the switched-off pair and the unplaced one
    assert np.array_equal(imported.moving, np.array(TRUTH.MOVING_3D))
    assert (imported.moving_unit, imported.fixed_unit, imported.model, imported.matrix) == ("", "", None, None)
    assert any("do not state units" in note for note in imported.notes)
    fit = fit_landmarks(imported.moving, imported.fixed, "affine", names=imported.names)
    assert np.allclose(fit.matrix, TRUTH.AFFINE_3D, atol=1e-9)
    assert fit.rms < 1e-9
    assert imported.pairs[0].name == "Pt-0" and imported.pairs[0].moving == tuple(TRUTH.MOVING_3D[0])


def test_2d_csv_with_windows_line_ends_recovers_the_similarity():
    imported = read_bigwarp_csv((DATA / "bigwarp_2d.csv").read_bytes(), "bigwarp_2d.csv")
    assert imported.ndim == 2 and imported.axis_order == "xy" and imported.n_pairs == 5 and imported.skipped == 1
    fit = fit_landmarks(imported.moving, imported.fixed, "similarity")
    assert np.allclose(fit.matrix, TRUTH.SIMILARITY_2D, atol=1e-9)
    assert fit.scale == pytest.approx(0.5)


def test_unquoted_rows_a_header_and_an_id_column_are_read_too():
    rows = [
        "Name,Active,mvg-x,mvg-y,fix-x,fix-y",
        "a,TRUE,0,0,1,1",
        "b,true,10,0,11,1",
        "",
        "c,false,5,5,Infinity,Infinity",
        "d,true,0,10,1,11",
    ]
    imported = read_bigwarp_csv("\n".join(rows).encode(), "hand.csv")
    assert imported.names == ("a", "b", "d") and imported.skipped == 1
    assert any("header" in note for note in imported.notes)
    with_id = (
        '"Pt-0","true","0","1.0","2.0","3.0","4.0","5.0","6.0"\n"Pt-1","true","1","7.0","8.0","9.0","1.0E1","11","12"\n'
    )
    imported = read_bigwarp_csv(with_id.encode(), "dev.csv")
    assert imported.ndim == 3
    assert imported.moving.tolist() == [[1.0, 2.0, 3.0], [7.0, 8.0, 9.0]]
    assert imported.fixed.tolist() == [[4.0, 5.0, 6.0], [10.0, 11.0, 12.0]]


def test_a_name_in_windows_1252_is_decoded():
    raw = '"Ecke-Müller","true","1","2","3","4"\n'.encode("cp1252")
    assert read_bigwarp_csv(raw, "win.csv").names == ("Ecke-Müller",)


@pytest.mark.parametrize(
    ("text", "code", "words"),
    [
        ("", IMPORT_EMPTY, "is empty"),
        ("\n\n", IMPORT_EMPTY, "is empty"),
        ('"Pt-0","true","1","2","3"\n', IMPORT_CSV_COLUMNS, "line 1 has 5 values"),
        ('"Pt-0","true","1","2","3","4"\n"Pt-1","true","1","2","3","4","5","6"\n', IMPORT_CSV_COLUMNS, "line 2 has 8"),
        ('"Pt-0","yes","1","2","3","4"\n', IMPORT_CSV_ACTIVE, "line 1, column 2 (active) is “yes”"),
        (
            '"Pt-0","true","1","2","3","4"\n"Pt-1","true","1","2,5","3","4"\n',
            IMPORT_CSV_VALUE,
            "line 2, column 4 (moving y)",
        ),
        ('"Pt-0","true","1","2","3","1_0"\n', IMPORT_CSV_VALUE, "column 6 (reference y)"),
        ('"Pt-0","true","1","2","Infinity","4"\n', IMPORT_NOT_FINITE, "line 1 (Pt-0) is marked active"),
        ('"Pt-0","true","NaN","2","3","4"\n', IMPORT_NOT_FINITE, "moving point is not placed"),
        ('"Pt-0","false","1","2","3","4"\n', IMPORT_NO_LANDMARKS, "None of the 1 landmarks"),
        ('"Pt-0","true","1","2","3","4"\n"unterminated,true\n', IMPORT_CSV_COLUMNS, "line"),
        ('"Pt-0","true","1","2","3","4"\n"' + "a" * 200_000 + '","true"\n', IMPORT_CSV_VALUE, "line 2 cannot be read"),
    ],
)
def test_malformed_csv_gets_a_message_naming_the_line(text, code, words):
    with pytest.raises(LandmarkImportError) as raised:
        read_bigwarp_csv(text.encode(), "landmarks.csv")
    assert raised.value.code == code
    assert words in raised.value.message
    assert raised.value.message.startswith("landmarks.csv") or "landmarks" in raised.value.message


def test_json_transform_file_gives_the_active_pairs_and_bigwarps_model():
    raw = (DATA / "bigwarp_3d.json").read_bytes()
    imported = read_bigwarp_json(raw, "bigwarp_3d.json")
    assert imported.format == "bigwarp-json" and imported.raw == raw
    assert (imported.transform_type, imported.model) == ("Affine", "affine")
    assert imported.names == ("Pt-0", "Pt-1", "Pt-2", "Pt-3", "Pt-4") and imported.skipped == 1
    assert np.allclose(imported.fixed, apply(TRUTH.AFFINE_3D, np.array(TRUTH.MOVING_3D[:5])), atol=1e-12)
    fit = fit_landmarks(imported.moving, imported.fixed, imported.model)
    assert np.allclose(fit.matrix, TRUTH.AFFINE_3D, atol=1e-9)


def _sample_json() -> dict:
    return json.loads((DATA / "bigwarp_3d.json").read_text())


def test_the_landmarks_of_a_settings_file_and_a_bare_landmark_object_are_read():
    doc = _sample_json()
    settings = {"Sources": {}, "Transform": doc}
    assert read_bigwarp_json(json.dumps(settings).encode(), "bigwarp.settings.json").n_pairs == 5
    bare = read_bigwarp_json(json.dumps(doc["landmarks"]).encode(), "table.json")
    assert bare.n_pairs == 5 and bare.model is None and bare.transform_type == ""


@pytest.mark.parametrize(
    ("kind", "model", "note"),
    [
        ("Thin Plate Spline", None, "thin-plate spline"),
        ("Similarity", "similarity", None),
        ("Rotation", "rigid", None),
        ("Translation", "translation", None),
        ("Elastic", None, "not one this program knows"),
    ],
)
def test_bigwarp_types_map_to_our_models_with_notes_where_they_differ(kind, model, note):
    doc = _sample_json()
    doc["type"] = kind
    doc["mask"] = {"interpolationType": "LINEAR"}
    imported = read_bigwarp_json(json.dumps(doc).encode(), "t.json")
    assert imported.model == model and imported.transform_type == kind
    assert any("mask" in n for n in imported.notes)
    if note:
        assert any(note in n for n in imported.notes)


def test_missing_names_are_numbered_with_a_note():
    doc = _sample_json()
    del doc["landmarks"]["names"]
    imported = read_bigwarp_json(json.dumps(doc).encode(), "t.json")
    assert imported.names == ("Pt-0", "Pt-1", "Pt-2", "Pt-3", "Pt-4")
    assert any("no landmark names" in n for n in imported.notes)


def _broken(change) -> bytes:
    doc = _sample_json()
    change(doc)
    return json.dumps(doc).encode()


@pytest.mark.parametrize(
    ("raw", "code", "words"),
    [
        (
            b'{"type": "Affine", "landmarks": {"numDimensions": 3,\n "movingPoints": [[1, 2, 3]]',
            IMPORT_JSON_SYNTAX,
            "line 2",
        ),
        (b"[1, 2, 3]", IMPORT_JSON_STRUCTURE, "not an object"),
        (b'{"Sources": {}}', IMPORT_JSON_STRUCTURE, "no 'landmarks' object"),
        (b'{"landmarks": [1]}', IMPORT_JSON_STRUCTURE, "landmarks must be an object"),
        (
            _broken(lambda d: d["landmarks"].update(numDimensions=4)),
            IMPORT_JSON_STRUCTURE,
            "numDimensions must be 2 or 3",
        ),
        (
            _broken(lambda d: d["landmarks"].pop("fixedPoints")),
            IMPORT_JSON_STRUCTURE,
            "landmarks.fixedPoints is missing",
        ),
        (_broken(lambda d: d["landmarks"]["active"].pop()), IMPORT_JSON_STRUCTURE, "landmarks.active has 5 entries"),
        (
            _broken(lambda d: d["landmarks"]["movingPoints"][2].pop()),
            IMPORT_JSON_STRUCTURE,
            "landmarks.movingPoints[2] must be a list of 3 numbers",
        ),
        (
            _broken(lambda d: d["landmarks"]["fixedPoints"][1].__setitem__(0, "12.5")),
            IMPORT_JSON_STRUCTURE,
            "landmarks.fixedPoints[1][0] must be a number",
        ),
        (
            _broken(lambda d: d["landmarks"]["active"].__setitem__(0, "true")),
            IMPORT_JSON_STRUCTURE,
            "landmarks.active[0] must be true or false",
        ),
        (
            _broken(lambda d: d["landmarks"]["fixedPoints"][3].__setitem__(1, math.nan)),
            IMPORT_NOT_FINITE,
            "landmark Pt-3 (landmarks.fixedPoints[3])",
        ),
        (_broken(lambda d: d["landmarks"].update(active=[False] * 6)), IMPORT_NO_LANDMARKS, "none is active"),
        (b"", IMPORT_EMPTY, "is empty"),
        (b"[" * 100_000, IMPORT_JSON_SYNTAX, "t.json"),
    ],
)
def test_malformed_json_gets_a_message_naming_the_place(raw, code, words):
    with pytest.raises(LandmarkImportError) as raised:
        read_bigwarp_json(raw, "t.json")
    assert raised.value.code == code
    assert words in raised.value.message
