"""Opening landmark files by content, refusing what cannot be read, and the fit's summary and fiducial table."""

from __future__ import annotations

import csv
import io
import os

import numpy as np
import pytest
from _landmark_cases import DATA, samples

from bioimage_depositor.domain.landmarks import (
    LandmarkImportError,
    detect_format,
    fiducial_table_csv,
    fit_landmarks,
    fit_summary,
    load_landmark_file,
    read_landmark_file,
)
from bioimage_depositor.domain.landmarks import files as landmark_files
from bioimage_depositor.domain.landmarks.errors import (
    IMPORT_EMPTY,
    IMPORT_TOO_LARGE,
    IMPORT_UNKNOWN_FORMAT,
    IMPORT_UNREADABLE,
)

TRUTH = samples()


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("bigwarp_3d.csv", "bigwarp-csv"),
        ("bigwarp_2d.csv", "bigwarp-csv"),
        ("bigwarp_3d.json", "bigwarp-json"),
        ("ecclem_affine_3d.xml", "ecclem-xml"),
        ("ecclem_matrix_2d.xml", "ecclem-xml"),
        ("easyclem_legacy_2d_transfo.xml", "ecclem-xml"),
    ],
)
def test_every_sample_is_recognised_by_content_whatever_its_name(tmp_path, name, kind):
    raw = (DATA / name).read_bytes()
    assert detect_format(raw) == kind
    renamed = tmp_path / "landmarks.txt"
    prefix = {"bigwarp-json": b"\xef\xbb\xbf\n  ", "ecclem-xml": b"\xef\xbb\xbf"}.get(kind, b"")  # BOMs, blank lines
    renamed.write_bytes(prefix + raw)
    imported = load_landmark_file(renamed)
    assert imported.format == kind
    assert imported.source == "landmarks.txt"
    assert imported.raw == renamed.read_bytes()


def test_the_format_can_be_forced_and_must_be_known():
    raw = (DATA / "bigwarp_3d.csv").read_bytes()
    assert read_landmark_file(raw, "x", file_format="bigwarp-csv").n_pairs == 8
    with pytest.raises(LandmarkImportError) as raised:
        read_landmark_file(raw, "x", file_format="trakem2")
    assert raised.value.code == IMPORT_UNKNOWN_FORMAT


def test_files_that_cannot_be_opened_get_a_sentence_not_a_traceback(tmp_path):
    with pytest.raises(LandmarkImportError) as raised:
        load_landmark_file(tmp_path / "gone.csv")
    assert raised.value.code == IMPORT_UNREADABLE and "There is no file" in raised.value.message
    with pytest.raises(LandmarkImportError) as raised:
        load_landmark_file(tmp_path)
    assert raised.value.code == IMPORT_UNREADABLE and "is a folder" in raised.value.message
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(LandmarkImportError) as raised:
        load_landmark_file(empty)
    assert raised.value.code == IMPORT_EMPTY


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="file permissions do not bind root")
def test_an_unreadable_file_is_reported(tmp_path):
    locked = tmp_path / "locked.csv"
    locked.write_bytes((DATA / "bigwarp_2d.csv").read_bytes())
    locked.chmod(0)
    try:
        with pytest.raises(LandmarkImportError) as raised:
            load_landmark_file(locked)
        assert raised.value.code == IMPORT_UNREADABLE and "permission denied" in raised.value.message
    finally:
        locked.chmod(0o600)


def test_a_file_far_larger_than_any_landmark_file_is_refused_unread(tmp_path, monkeypatch):
    monkeypatch.setattr(landmark_files, "MAX_FILE_BYTES", 1000)
    big = tmp_path / "stack.tif"
    big.write_bytes(b"II*\0" + b"\0" * 5000)
    with pytest.raises(LandmarkImportError) as raised:
        load_landmark_file(big)
    assert raised.value.code == IMPORT_TOO_LARGE


def test_summary_names_tool_model_pairs_and_residuals_in_the_unit():
    imported = load_landmark_file(DATA / "bigwarp_2d.csv")
    fit = fit_landmarks(imported.moving, imported.fixed, "rigid")
    text = fit_summary(fit, unit="micrometer", tool="BigWarp landmarks")
    assert text.startswith("BigWarp landmarks; rigid least-squares fit of 5 landmark pairs (2-D)")
    assert f"RMS residual {fit.rms:.3g} µm" in text and f"largest {fit.max_residual:.3g} µm" in text
    assert fit_summary(fit).startswith("Rigid least-squares fit of 5 landmark pairs")


def test_fiducial_table_lists_each_pair_in_zyx_order_with_its_residual():
    imported = load_landmark_file(DATA / "ecclem_affine_3d.xml")
    fit = fit_landmarks(imported.moving, imported.fixed, "rigid")
    table = fiducial_table_csv(
        fit, names=imported.names, axis_order=imported.axis_order, moving_unit="µm", fixed_unit="micrometer"
    )
    rows = list(csv.reader(io.StringIO(table)))
    assert rows[0] == [
        "id",
        "moving_z_micrometer",
        "moving_y_micrometer",
        "moving_x_micrometer",
        "fixed_z_micrometer",
        "fixed_y_micrometer",
        "fixed_x_micrometer",
        "residual_micrometer",
    ]
    assert len(rows) == 1 + imported.n_pairs
    body = np.array([[float(v) for v in row[1:]] for row in rows[1:]])
    assert np.array_equal(body[:, 0:3], imported.moving[:, ::-1])
    assert np.array_equal(body[:, 3:6], imported.fixed[:, ::-1])
    assert np.array_equal(body[:, 6], fit.residuals)
    assert [row[0] for row in rows[1:]] == list(imported.names)
    assert table == fiducial_table_csv(
        fit, names=imported.names, axis_order="xyz", moving_unit="micrometer", fixed_unit="micrometer"
    )
    plain = list(
        csv.reader(
            io.StringIO(fiducial_table_csv(fit_landmarks(imported.moving[:, :2], imported.fixed[:, :2], "affine")))
        )
    )
    assert plain[0] == ["id", "moving_y", "moving_x", "fixed_y", "fixed_x", "residual"]
    assert plain[1][0] == "1"
