"""Bad input: zero-byte, truncated, mislabelled, corrupted and hostile files give error entries, quickly."""

from __future__ import annotations

import struct
import time
from pathlib import Path

import numpy as np
import pytest
import tifffile
from image_builders import (
    Channel,
    OmeImage,
    ome_xml,
    patch_int32,
    patch_tiff_tag,
    write_jpeg,
    write_mrc,
    write_ome_tiff,
    write_png,
)

from bioimage_depositor.domain.images import ImageInfo, PreviewError, probe, render_preview
from bioimage_depositor.domain.images.errors import ImageReadError
from bioimage_depositor.domain.images.ome_xml import read_ome_metadata

pytestmark = [
    pytest.mark.filterwarnings("ignore:Setting the dtype:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),  # ome-types/xsdata complain about mangled values
    pytest.mark.filterwarnings("ignore:Failed to convert value"),
]

#: Each bad file must be judged within this many seconds.
QUICK = 2.0


def judge(path: Path) -> tuple[ImageInfo, PreviewError | None]:
    """Probe and preview a file; only the documented outcomes are allowed, and fast."""
    start = time.perf_counter()
    info = probe(path)
    assert isinstance(info, ImageInfo)
    error = None
    try:
        render_preview(path, size=64)
    except PreviewError as caught:
        error = caught
        assert caught.code and caught.message
    elapsed = time.perf_counter() - start
    assert elapsed < QUICK, f"{path.name} took {elapsed:.2f} s"
    return info, error


def _seeds(folder: Path) -> dict[str, Path]:
    rng = np.random.default_rng(7)
    xml = ome_xml([OmeImage(size_x=40, size_y=30, size_z=3, size_c=2, physical_x=0.2, physical_y=0.2,
                            channels=[Channel("a", excitation=488), Channel("b", emission=600)])])
    data = rng.integers(0, 4000, (2, 3, 30, 40), dtype=np.uint16)
    return {
        "ome": write_ome_tiff(folder / "seed.ome.tif", [data], xml),
        "tiled": write_ome_tiff(folder / "seed_tiled.ome.tif", [data], xml, tile=(16, 16), compression="zlib"),
        "mrc": write_mrc(folder / "seed.mrc", rng.normal(size=(4, 20, 24)).astype(np.float32), voxel_size=1.2),
        "png": write_png(folder / "seed.png", rng.integers(0, 255, (30, 40), dtype=np.uint8)),
        "jpeg": write_jpeg(folder / "seed.jpg", rng.integers(0, 255, (30, 40, 3), dtype=np.uint8)),
    }


@pytest.mark.parametrize("name", ["empty.tif", "empty.ome.tif", "empty.mrc", "empty.png", "empty.jpg", "empty"])
def test_zero_byte_files(tmp_path, name):
    path = tmp_path / name
    path.touch()
    info, error = judge(path)
    assert info.error.code == "empty"
    assert error.code == "empty"


@pytest.mark.parametrize("kind", ["ome", "tiled", "mrc", "png", "jpeg"])
def test_truncated_at_several_offsets(tmp_path, kind):
    seed = _seeds(tmp_path)[kind]
    raw = seed.read_bytes()
    # tifffile may write the last IFD after the pixel data; a cut there can leave every pixel intact.
    complete = _pixel_data_end(seed) if kind in ("ome", "tiled") else len(raw)
    for cut in sorted({1, 3, 4, 7, 8, 15, 16, 100, 207, 211, 500, 1023, 1024, len(raw) // 2, len(raw) - 1}):
        if cut >= len(raw):
            continue
        path = tmp_path / f"cut_{cut}{''.join(seed.suffixes)}"
        path.write_bytes(raw[:cut])
        info, error = judge(path)
        if cut < complete:
            assert info.error is not None, f"{kind} cut at {cut} was probed as readable"
            assert error is not None, f"{kind} cut at {cut} was previewed"


def _pixel_data_end(path: Path) -> int:
    with tifffile.TiffFile(path) as tif:
        return max(int(o + c) for page in tif.pages for o, c in zip(page.dataoffsets, page.databytecounts,
                                                                        strict=True))


def test_jpeg_named_tif(tmp_path):
    path = write_jpeg(tmp_path / "photo.tif", np.zeros((16, 16, 3), np.uint8))
    info, error = judge(path)
    assert info.ok and info.format == "JPEG" and info.notes[0].code == "mislabelled"
    assert error is None


@pytest.mark.parametrize("tag, value", [(256, 0xFFFFFFFF), (257, 0xFFFFFFFF), (256, 2**31), (257, 0)])
def test_absurd_image_width_and_length(tmp_path, tag, value):
    path = tmp_path / "absurd.tif"
    tifffile.imwrite(path, np.zeros((64, 64), np.uint16), rowsperstrip=16)
    patch_tiff_tag(path, tag, value)
    info, error = judge(path)
    assert info.error is not None and info.error.code in ("corrupt", "truncated")
    assert error is not None


def test_absurd_size_in_tiled_compressed_tiff(tmp_path):
    path = tmp_path / "tiled.tif"
    tifffile.imwrite(path, np.zeros((64, 64), np.uint16), tile=(16, 16), compression="zlib")
    patch_tiff_tag(path, 256, 2**31)
    patch_tiff_tag(path, 257, 2**31)
    info, error = judge(path)
    assert info.error is not None and error is not None


def test_tiff_claiming_a_10_gb_plane(tmp_path):
    path = tmp_path / "claim.tif"
    tifffile.imwrite(path, np.zeros((16, 16), np.uint8), rowsperstrip=16)
    patch_tiff_tag(path, 256, 100_000)
    patch_tiff_tag(path, 257, 100_000)
    patch_tiff_tag(path, 278, 100_000)  # RowsPerStrip: one strip of 10 GB
    patch_tiff_tag(path, 279, 0xFFFFFFFF)  # StripByteCounts
    info, error = judge(path)
    assert info.error is not None and error is not None


def test_deflate_bomb_plane_is_refused_by_ratio(tmp_path):
    path = tmp_path / "bomb.tif"
    tifffile.imwrite(path, np.zeros((64, 64), np.uint8), compression="zlib")
    patch_tiff_tag(path, 256, 100_000)
    patch_tiff_tag(path, 257, 100_000)
    patch_tiff_tag(path, 278, 100_000)
    info, error = judge(path)
    assert info.error is not None and info.error.code == "corrupt"
    assert error is not None


def test_mrc_header_claiming_2_to_the_30(tmp_path):
    path = write_mrc(tmp_path / "claim.mrc", np.zeros((2, 8, 8), np.float32))
    for offset in (0, 4, 8):
        patch_int32(path, offset, 2**30)
    info, error = judge(path)
    assert info.error.code == "truncated" and error.code == "truncated"


def test_mrc_claiming_a_10_gb_section(tmp_path):
    path = write_mrc(tmp_path / "plane.mrc", np.zeros((8, 8), np.int8))
    patch_int32(path, 0, 100_000)
    patch_int32(path, 4, 100_000)
    info, error = judge(path)
    assert info.error.code == "truncated" and error is not None


def _deep_xml(depth: int) -> str:
    return ('<?xml version="1.0"?><OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06">'
            + "<Image>" * depth + "</Image>" * depth + "</OME>")


def test_deeply_nested_ome_xml_is_refused_quickly():
    start = time.perf_counter()
    with pytest.raises(ImageReadError) as caught:
        read_ome_metadata(_deep_xml(100_000))
    assert caught.value.code == "ome_xml_invalid"
    assert time.perf_counter() - start < QUICK


def test_tiff_with_deeply_nested_ome_xml(tmp_path):
    path = tmp_path / "deep.ome.tif"
    tifffile.imwrite(path, np.zeros((8, 8), np.uint8), description=_deep_xml(100_000).encode(), metadata=None)
    info, _error = judge(path)
    assert info.ok or info.error is not None  # either read as plain TIFF or refused, but judged quickly
    if info.ok:
        assert any(n.code == "metadata_ignored" for n in info.notes)


def test_entity_expansion_is_refused(tmp_path):
    lol = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
           + "".join(f'<!ENTITY lol{i} "{"&lol" + (str(i - 1) if i > 1 else "") + ";" * 1}' * 10 + '">'
                     for i in range(1, 9))
           + ']><OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06">&lol8;</OME>')
    with pytest.raises(ImageReadError):
        read_ome_metadata(lol)
    path = tmp_path / "lol.ome.tif"
    tifffile.imwrite(path, np.zeros((8, 8), np.uint8), description=lol.encode(), metadata=None)
    judge(path)


def test_huge_ome_xml_in_description_is_not_parsed(tmp_path):
    xml = ome_xml([OmeImage(size_x=8, size_y=8)])
    padded = xml.replace("</OME>", "<!--" + "x" * (17 * 1024 * 1024) + "--></OME>")
    path = write_ome_tiff(tmp_path / "fat.ome.tif", [np.zeros((8, 8), np.uint16)], padded)
    info, _ = judge(path)
    assert info.ok and info.notes[0].code == "metadata_ignored"


@pytest.mark.parametrize("kind", ["ome", "tiled", "mrc", "png", "jpeg"])
def test_random_byte_flips(tmp_path, kind):
    seed = _seeds(tmp_path)[kind]
    raw = seed.read_bytes()
    rng = np.random.default_rng(1234)
    for trial in range(40):
        data = bytearray(raw)
        for _ in range(int(rng.integers(1, 12))):
            # bias towards headers, where a flipped byte does most harm
            limit = len(data) if rng.random() < 0.3 else min(len(data), 2048)
            data[int(rng.integers(0, limit))] = int(rng.integers(0, 256))
        path = tmp_path / f"flip_{trial}{''.join(seed.suffixes)}"
        path.write_bytes(bytes(data))
        judge(path)


def test_ifd_loop_does_not_hang(tmp_path):
    path = tmp_path / "loop.tif"
    tifffile.imwrite(path, np.zeros((2, 8, 8), np.uint8), photometric="minisblack")
    raw = bytearray(path.read_bytes())
    first_ifd = struct.unpack("<I", raw[4:8])[0]
    count = struct.unpack("<H", raw[first_ifd : first_ifd + 2])[0]
    next_ptr = first_ifd + 2 + 12 * count
    raw[next_ptr : next_ptr + 4] = struct.pack("<I", first_ifd)  # IFD 0 points back to itself
    path.write_bytes(bytes(raw))
    judge(path)


def test_ome_xml_claiming_a_billion_planes(tmp_path):
    import resource

    xml = ome_xml([OmeImage(size_x=16, size_y=8)]).replace('SizeZ="1"', 'SizeZ="1000000000"')
    path = write_ome_tiff(tmp_path / "claims.ome.tif", [np.zeros((8, 16), np.uint16)], xml)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    info, error = judge(path)
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mib < 100, f"peak RSS grew by {grown_mib:.0f} MiB"
    assert info.ok and info.shape == {"Y": 8, "X": 16}
    assert "claims 1000000000 planes" in info.notes[0].message
    assert error is None


def test_compression_without_codec_is_a_clear_reason(tmp_path):
    try:
        import imagecodecs  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("imagecodecs is installed: LZW decodes")
    path = tmp_path / "lzw.tif"
    tifffile.imwrite(path, np.zeros((16, 16), np.uint8))
    patch_tiff_tag(path, 259, 5)  # Compression = LZW, which tifffile decodes only through imagecodecs
    info, error = judge(path)
    assert info.ok and info.first.compression == "lzw"
    assert error.code == "codec_missing" and "imagecodecs" in error.message
