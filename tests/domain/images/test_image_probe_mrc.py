"""Probing MRC/MRCS: header values, voxel sizes in Å, modes, stacks; hostile headers."""

from __future__ import annotations

import struct
import time

import mrcfile
import numpy as np
import pytest
from image_builders import patch_int32, write_mrc

from bioimage_depositor.domain.images import probe
from bioimage_depositor.domain.images.mrc import IMOD_STAMP

# mrcfile itself sets dtypes on record arrays, which numpy 2.5 deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:Setting the dtype:DeprecationWarning")


def test_volume_voxel_size_and_shape(tmp_path):
    path = write_mrc(tmp_path / "tomo.mrc", np.zeros((7, 64, 96), np.float32), voxel_size=(1.5, 2.5, 3.5))
    info = probe(path)
    assert info.ok, info.error
    assert info.format == "MRC"
    assert info.shape == {"Z": 7, "Y": 64, "X": 96}
    assert info.dtype == "float32"
    mrc = info.mrc
    assert (mrc.nx, mrc.ny, mrc.nz, mrc.mode, mrc.kind) == (96, 64, 7, 2, "volume")
    assert mrc.voxel_size_angstrom == pytest.approx((1.5, 2.5, 3.5))
    assert info.pixel_size.x == pytest.approx(1.5e-4) and info.pixel_size.z == pytest.approx(3.5e-4)
    assert not mrc.is_stack


def test_mrcs_is_a_stack_without_z_spacing(tmp_path):
    path = write_mrc(tmp_path / "particles.mrcs", np.zeros((10, 32, 32), np.int16), voxel_size=1.06, stack=True)
    info = probe(path)
    assert info.format == "MRCS"
    assert info.shape == {"I": 10, "Y": 32, "X": 32}
    assert info.mrc.is_stack and info.mrc.kind == "stack"
    assert info.mrc.voxel_size_angstrom[2] is None
    assert info.pixel_size.z is None


def test_movie_named_mrc_with_stack_spacegroup(tmp_path):
    path = write_mrc(tmp_path / "movie.mrc", np.zeros((40, 16, 16), np.uint16), voxel_size=0.83, stack=True)
    info = probe(path)
    assert info.format == "MRC" and info.mrc.is_stack and info.shape["I"] == 40


@pytest.mark.parametrize(
    "dtype, mode, name",
    [(np.int8, 0, "int8"), (np.int16, 1, "int16"), (np.float32, 2, "float32"), (np.uint16, 6, "uint16"),
     (np.float16, 12, "float16"), (np.complex64, 4, "complex64")],
)
def test_modes_map_to_dtypes(tmp_path, dtype, mode, name):
    path = write_mrc(tmp_path / f"m{mode}.mrc", np.zeros((4, 6), dtype))
    info = probe(path)
    assert info.mrc.mode == mode and info.dtype == name
    assert info.shape == {"Y": 4, "X": 6} and info.mrc.kind == "image"


def test_imod_unsigned_bytes(tmp_path):
    path = write_mrc(tmp_path / "imod.mrc", np.zeros((4, 6), np.int8))
    patch_int32(path, 152, IMOD_STAMP)
    patch_int32(path, 156, 0)  # bit 0 clear: bytes are unsigned
    assert probe(path).dtype == "uint8"
    patch_int32(path, 156, 1)
    assert probe(path).dtype == "int8"


def test_big_endian_header(tmp_path):
    path = tmp_path / "be.mrc"
    with mrcfile.new(path) as mrc:
        mrc.set_data(np.zeros((3, 5, 7), np.dtype(">f4")))
        mrc.voxel_size = 2.0
    info = probe(path)
    assert info.ok and info.mrc.byte_order == ">" and info.shape == {"Z": 3, "Y": 5, "X": 7}


def test_extended_header_and_labels(tmp_path):
    path = tmp_path / "ext.mrc"
    with mrcfile.new(path) as mrc:
        mrc.set_data(np.zeros((2, 4, 4), np.float32))
        mrc.set_extended_header(np.zeros(256, dtype=np.uint8))
        mrc.header.exttyp = b"FEI1"
        mrc.add_label("written by a test")
    info = probe(path)
    assert info.ok
    assert info.mrc.extended_header_bytes == 256 and info.mrc.exttyp == "FEI1"
    assert "written by a test" in info.mrc.labels


def test_trailing_bytes_are_a_note(tmp_path):
    path = write_mrc(tmp_path / "tail.mrc", np.zeros((4, 4), np.float32))
    with path.open("ab") as handle:
        handle.write(b"\0" * 100)
    info = probe(path)
    assert info.ok and [n.code for n in info.notes] == ["trailing_data"]


@pytest.mark.parametrize("n", [2**30, 2**31 - 1])
def test_header_claiming_huge_dimensions_is_an_error_quickly(tmp_path, n):
    path = write_mrc(tmp_path / "huge.mrc", np.zeros((2, 4, 4), np.float32))
    for offset in (0, 4, 8):
        patch_int32(path, offset, n)
    start = time.perf_counter()
    info = probe(path)
    assert time.perf_counter() - start < 1
    assert info.error.code == "truncated"
    assert "header" in info.error.message


@pytest.mark.parametrize("offset, value, code", [(0, -5, "corrupt"), (8, 0, "corrupt"), (12, 77, "corrupt"),
                                                 (92, -1, "corrupt"), (92, 10**9, "truncated")])
def test_invalid_header_values(tmp_path, offset, value, code):
    path = write_mrc(tmp_path / "bad.mrc", np.zeros((2, 4, 4), np.float32))
    patch_int32(path, offset, value)
    info = probe(path)
    assert info.error is not None and info.error.code == code


def test_truncated_data(tmp_path):
    path = write_mrc(tmp_path / "cut.mrc", np.zeros((8, 16, 16), np.float32))
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) - 100])
    assert probe(path).error.code == "truncated"
    path.write_bytes(raw[:500])
    assert probe(path).error.code == "truncated"


def test_old_style_header_without_map_is_recognised_by_extension(tmp_path):
    path = write_mrc(tmp_path / "old.mrc", np.zeros((2, 4, 4), np.float32))
    with path.open("r+b") as handle:
        handle.seek(208)
        handle.write(b"\0\0\0\0")
    info = probe(path)
    assert info.ok and "old-style" in info.format_detail
    renamed = path.rename(tmp_path / "old.bin")
    assert probe(renamed).error.code == "unknown_format"


def test_header_bytes_are_read_with_mrcfile_layout(tmp_path):
    path = write_mrc(tmp_path / "layout.mrc", np.zeros((3, 4, 5), np.float32), voxel_size=4.0)
    with mrcfile.open(path, header_only=True) as mrc:
        expected = (int(mrc.header.nx), int(mrc.header.ny), int(mrc.header.nz), int(mrc.header.ispg))
    info = probe(path)
    assert (info.mrc.nx, info.mrc.ny, info.mrc.nz, info.mrc.ispg) == expected
    assert struct.unpack("<i", path.read_bytes()[12:16])[0] == info.mrc.mode
