"""Previews: the right level, only the needed planes, colours and contrast, every format."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile
from image_builders import (
    Channel,
    OmeImage,
    ome_xml,
    read_bytes_counter,
    rgba,
    write_jpeg,
    write_mrc,
    write_ome_tiff,
    write_ome_zarr,
    write_png,
    write_pyramid,
)
from PIL import Image

from bioimage_depositor.domain.images import PreviewError, probe, render_preview, render_thumbnail, save_png
from bioimage_depositor.domain.images.tiff_planes import choose_level

pytestmark = pytest.mark.filterwarnings("ignore:Setting the dtype:DeprecationWarning")


class PageReads:
    """Record every page decode; fail any whole-series or whole-file read."""

    def __init__(self, monkeypatch):
        self.shapes: list[tuple[int, ...]] = []
        self.indices: list[int] = []
        original_page = tifffile.TiffPage.asarray
        original_frame = tifffile.TiffFrame.asarray
        depth = [0]

        def recorder(original):
            def asarray(page, *args, **kwargs):
                if depth[0] == 0:  # a TiffFrame decodes through its key page: count it once
                    self.shapes.append(tuple(page.keyframe.shape))
                    self.indices.append(page.index if isinstance(page.index, int) else page.index[-1])
                depth[0] += 1
                try:
                    return original(page, *args, **kwargs)
                finally:
                    depth[0] -= 1

            return asarray

        page_asarray, frame_asarray = recorder(original_page), recorder(original_frame)

        def forbidden(*args, **kwargs):
            raise AssertionError("whole-series read")

        monkeypatch.setattr(tifffile.TiffPage, "asarray", page_asarray)
        monkeypatch.setattr(tifffile.TiffFrame, "asarray", frame_asarray)
        monkeypatch.setattr(tifffile.TiffPageSeries, "asarray", forbidden)
        monkeypatch.setattr(tifffile.TiffFile, "asarray", forbidden)


@pytest.fixture
def zstack(tmp_path):
    """60 planes of 256 × 256 uint16; plane k holds the value k everywhere except a bright square."""
    data = np.empty((60, 256, 256), np.uint16)
    for k in range(60):
        data[k] = 100 * k
        data[k, 100:150, 100:150] = 100 * k + 1000
    xml = ome_xml([OmeImage(size_x=256, size_y=256, size_z=60, physical_x=0.1, physical_y=0.1)])
    return write_ome_tiff(tmp_path / "zstack.ome.tif", [data], xml)


@pytest.mark.parametrize(
    "size, level", [(2000, 0), (512, 0), (300, 0), (256, 1), (200, 1), (128, 2), (100, 2), (16, 3)]
)
def test_smallest_level_that_fills_the_view(tmp_path, monkeypatch, size, level):
    path = write_pyramid(tmp_path / "pyr.ome.tif", (1, 512, 384), levels=4)
    reads = PageReads(monkeypatch)
    preview = render_preview(path, size=size)
    assert preview.level == level
    expected = (512 >> level, 384 >> level)
    assert preview.level_shape == {"Y": expected[0], "X": expected[1]}
    assert reads.shapes == [expected]  # one page, of that level only
    assert max(preview.pixels.shape[:2]) == min(size, expected[0])


def test_choose_level_rule():
    class Level:
        def __init__(self, y, x):
            self.sizes = {"Y": y, "X": x}

    levels = [Level(4000, 3000), Level(2000, 1500), Level(1000, 750), Level(500, 375)]
    assert choose_level(levels, 512) == 2
    assert choose_level(levels, 500) == 3
    assert choose_level(levels, 5000) == 0


def test_z_stack_preview_reads_one_plane(zstack, monkeypatch):
    reads = PageReads(monkeypatch)
    counter = read_bytes_counter()
    before = counter() if counter else 0
    preview = render_preview(zstack, size=128)
    read = (counter() - before) if counter else None
    assert reads.indices == [30]  # the central plane, one page only
    assert preview.z == 30 and preview.z_count == 60
    plane_bytes = 256 * 256 * 2
    if read is not None:
        assert read < 3 * plane_bytes + 64 * 1024, f"{read} bytes read for a {plane_bytes}-byte plane"


def test_requested_plane_and_contrast(zstack, monkeypatch):
    reads = PageReads(monkeypatch)
    preview = render_preview(zstack, size=256, z=7)
    assert reads.indices == [7]
    lo, hi = preview.channels[0].contrast
    assert lo == pytest.approx(700) and hi == pytest.approx(1700)
    assert preview.pixels[125, 125].tolist() == [255, 255, 255]  # bright square at the top of the range
    assert preview.pixels[10, 10].tolist() == [0, 0, 0]


def test_out_of_range_plane_is_a_preview_error(zstack):
    with pytest.raises(PreviewError) as caught:
        render_preview(zstack, z=60)
    assert caught.value.code == "out_of_range"
    with pytest.raises(PreviewError):
        render_preview(zstack, series=3)
    with pytest.raises(PreviewError):
        render_preview(zstack, t=2)


def _two_channel(tmp_path, colours):
    data = np.zeros((2, 3, 32, 48), np.uint16)  # C Z Y X
    data[0, :, :, :24] = 1000  # channel 0 lights the left half
    data[1, :, :, 24:] = 1000  # channel 1 the right half
    data[:, :, 0, 0] = 0
    channels = [Channel("left", color=colours[0]), Channel("right", color=colours[1])]
    xml = ome_xml([OmeImage(size_x=48, size_y=32, size_z=3, size_c=2, channels=channels)])
    return write_ome_tiff(tmp_path / "two.ome.tif", [data], xml)


def test_composite_uses_ome_channel_colours(tmp_path, monkeypatch):
    path = _two_channel(tmp_path, (rgba(255, 0, 0), rgba(0, 0, 255)))
    reads = PageReads(monkeypatch)
    preview = render_preview(path, size=48)
    assert sorted(reads.indices) == [1, 4]  # z=1 of each channel (pages ordered Z fastest: c*3 + z)
    assert [c.colour for c in preview.channels] == [(255, 0, 0), (0, 0, 255)]
    assert [c.name for c in preview.channels] == ["left", "right"]
    assert preview.pixels[16, 5].tolist() == [255, 0, 0]
    assert preview.pixels[16, 40].tolist() == [0, 0, 255]


def test_default_palette_when_file_states_no_distinct_colours(tmp_path):
    path = _two_channel(tmp_path, (rgba(255, 255, 255), rgba(255, 255, 255)))
    preview = render_preview(path, size=48)
    assert [c.colour for c in preview.channels] == [(0, 255, 0), (255, 0, 255)]


def test_channel_selection(tmp_path, monkeypatch):
    path = _two_channel(tmp_path, (rgba(255, 0, 0), rgba(0, 0, 255)))
    reads = PageReads(monkeypatch)
    preview = render_preview(path, size=48, channels=[1])
    assert reads.indices == [4]
    assert [c.index for c in preview.channels] == [1]


def test_info_from_probe_avoids_reparsing(tmp_path, monkeypatch):
    path = _two_channel(tmp_path, (rgba(255, 0, 0), rgba(0, 0, 255)))
    info = probe(path)
    from bioimage_depositor.domain.images import tiff_planes

    def boom(*args, **kwargs):
        raise AssertionError("OME-XML parsed again")

    monkeypatch.setattr(tiff_planes, "read_ome_metadata", boom)
    preview = render_preview(str(path), size=48, info=info)
    assert [c.colour for c in preview.channels] == [(255, 0, 0), (0, 0, 255)]


def test_time_series_first_point_by_default(tmp_path):
    data = np.stack([np.full((16, 16), 10 * (t + 1), np.uint16) for t in range(4)])
    path = tmp_path / "t.ome.tif"
    tifffile.imwrite(path, data, ome=True, metadata={"axes": "TYX"}, photometric="minisblack")
    preview = render_preview(path)
    assert preview.t == 0 and preview.t_count == 4 and preview.z is None
    assert render_preview(path, t=3).channels[0].contrast == pytest.approx((39.5, 40.5))


def test_rgb_tiff_shown_as_stored(tmp_path):
    data = np.zeros((20, 30, 3), np.uint8)
    data[..., 0] = 200
    path = tmp_path / "rgb.tif"
    tifffile.imwrite(path, data, photometric="rgb")
    preview = render_preview(path)
    assert preview.channels == () and preview.pixels[5, 5].tolist() == [200, 0, 0]


def test_large_plane_is_read_strip_by_strip(tmp_path, monkeypatch):
    _yy, xx = np.mgrid[0:600, 0:800]
    data = ((xx // 100) * 1000).astype(np.uint16)
    path = tmp_path / "wide.tif"
    tifffile.imwrite(path, data, tile=(64, 64), compression="zlib")

    def forbidden(*args, **kwargs):
        raise AssertionError("whole plane decoded")

    monkeypatch.setattr(tifffile.TiffPage, "asarray", forbidden)
    preview = render_preview(path, size=100, max_plane_bytes=100_000)  # plane is 960,000 bytes
    assert preview.width == 100 and preview.height == 75
    row = preview.pixels[30, :, 0].astype(int)
    assert row[0] == 0 and row[-1] == 255 and all(np.diff(row) >= 0)  # the ramp survives subsampling


def test_plane_too_large_with_one_huge_strip(tmp_path):
    path = tmp_path / "onestrip.tif"
    tifffile.imwrite(path, np.zeros((600, 800), np.uint16), rowsperstrip=600, compression="zlib")
    with pytest.raises(PreviewError) as caught:
        render_preview(path, size=100, max_plane_bytes=100_000)
    assert caught.value.code == "too_large"


def test_mrc_central_section_flipped_to_display_orientation(tmp_path):
    data = np.zeros((5, 40, 60), np.float32)
    for k in range(5):
        data[k] = k
    data[2, :10, :] = 100  # bottom rows of the central section (MRC row 0 is the bottom)
    path = write_mrc(tmp_path / "vol.mrc", data, voxel_size=2.0)
    preview = render_preview(path)
    assert preview.z == 2 and preview.z_count == 5
    assert preview.pixels[-1, 0].tolist() == [255, 255, 255]
    assert preview.pixels[0, 0].tolist() == [0, 0, 0]


def test_mrc_movie_reads_one_frame(tmp_path, monkeypatch):
    data = np.random.default_rng(0).normal(size=(50, 64, 64)).astype(np.float32)
    path = write_mrc(tmp_path / "movie.mrcs", data, stack=True)
    counter = read_bytes_counter()
    before = counter() if counter else 0
    preview = render_preview(path, z=49)
    if counter:
        assert counter() - before < 3 * 64 * 64 * 4 + 8192
    assert preview.z == 49 and preview.format == "MRCS"


@pytest.mark.parametrize("mode_dtype", [np.int8, np.int16, np.uint16, np.float16, np.complex64])
def test_mrc_modes_preview(tmp_path, mode_dtype):
    data = (np.arange(16 * 24).reshape(16, 24) % 100).astype(mode_dtype)
    path = write_mrc(tmp_path / "m.mrc", data)
    preview = render_preview(path)
    assert preview.pixels.shape == (16, 24, 3)


def test_mrc_4_bit_mode(tmp_path):
    path = write_mrc(tmp_path / "four.mrc", np.zeros((4, 6), np.int8))
    raw = bytearray(path.read_bytes())
    raw[12:16] = (101).to_bytes(4, "little")
    raw[1024:] = bytes([0x21] * 12)  # rows of 6 pixels = 3 bytes; values 1, 2, 1, 2, …
    path.write_bytes(bytes(raw[: 1024 + 12]))
    assert probe(path).dtype == "uint4"
    preview = render_preview(path)
    assert preview.pixels[0, 0].tolist() != preview.pixels[0, 1].tolist()


def test_png_jpeg_previews(tmp_path):
    rgb = np.zeros((300, 600, 3), np.uint8)
    rgb[:, :300, 1] = 255
    png = write_png(tmp_path / "a.png", rgb)
    jpg = write_jpeg(tmp_path / "a.jpg", rgb, quality=95)
    for path in (png, jpg):
        preview = render_preview(path, size=100)
        assert (preview.width, preview.height) == (100, 50)
        assert preview.pixels[25, 10, 1] > 200 and preview.pixels[25, 90, 1] < 50


def test_jpeg_uses_reduced_decoding(tmp_path):
    path = write_jpeg(tmp_path / "big.jpg", np.zeros((2400, 3200, 3), np.uint8))
    preview = render_preview(path, size=256)
    assert max(preview.width, preview.height) == 256
    assert any("reduced resolution" in note for note in preview.notes)


def test_png_16_bit_is_contrast_stretched(tmp_path):
    data = np.full((20, 20), 1000, np.uint16)
    data[5:10, 5:10] = 3000
    preview = render_preview(write_png(tmp_path / "a16.png", data))
    assert preview.pixels[7, 7].tolist() == [255, 255, 255] and preview.pixels[0, 0].tolist() == [0, 0, 0]


def test_ome_zarr_preview_lowest_suitable_level(tmp_path):
    pytest.importorskip("zarr", minversion="3")
    data = np.zeros((2, 3, 128, 160), np.uint16)
    data[0, 1, :, :80] = 500
    data[1, 1, :, 80:] = 500
    path = write_ome_zarr(tmp_path / "img.zarr", data, levels=3, channels=[("a", "FF0000"), ("b", "0000FF")])
    preview = render_preview(path, size=64)
    assert preview.level == 1 and preview.level_shape == {"C": 2, "Z": 3, "Y": 64, "X": 80}
    assert preview.z == 1
    assert [c.colour for c in preview.channels] == [(255, 0, 0), (0, 0, 255)]
    assert preview.pixels[25, 5].tolist() == [255, 0, 0] and preview.pixels[25, 60].tolist() == [0, 0, 255]


def test_thumbnail_and_save_png(zstack, tmp_path):
    thumb = render_thumbnail(zstack)
    assert max(thumb.pixels.shape[:2]) == 128 and thumb.pixels.dtype == np.uint8
    out = save_png(thumb, tmp_path / "thumb.png")
    with Image.open(out) as image:
        assert image.format == "PNG" and image.size == (128, 128) and image.mode == "RGB"
        assert np.array_equal(np.asarray(image), thumb.pixels)


def test_cancel_stops_a_preview(zstack):
    with pytest.raises(PreviewError) as caught:
        render_preview(zstack, cancel=lambda: True)
    assert caught.value.code == "cancelled"


def test_unreadable_file_gives_a_reason(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(PreviewError) as caught:
        render_preview(path)
    assert caught.value.code == "unknown_format" and caught.value.message
    with pytest.raises(PreviewError) as caught:
        render_preview(tmp_path / "missing.tif")
    assert caught.value.code == "not_found"


def test_previews_from_threads_do_not_interfere(zstack, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    other = write_mrc(tmp_path / "vol.mrc", np.arange(4 * 20 * 30, dtype=np.float32).reshape(4, 20, 30))
    jobs = [(zstack, z) for z in range(0, 60, 6)] + [(other, z) for z in range(4)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda job: render_preview(job[0], size=64, z=job[1]), jobs))
    assert [r.z for r in results] == [z for _p, z in jobs]
    for (_path, z), result in zip(jobs[:10], results[:10], strict=True):
        assert result.channels[0].contrast[0] == pytest.approx(100 * z)


def test_single_ifd_imagej_hyperstack(tmp_path):
    """ImageJ files over 4 GB keep one IFD; planes follow contiguously (tifffile's truncated series)."""
    data = np.stack([np.full((32, 48), 100 * z, np.uint16) for z in range(20)])
    data[:, :8, :8] = 0
    path = tmp_path / "hyper.tif"
    tifffile.imwrite(path, data, imagej=True, truncate=True, metadata={"axes": "ZYX"})
    info = probe(path)
    assert info.ok and info.shape == {"Z": 20, "Y": 32, "X": 48}
    preview = render_preview(path, z=13)
    assert preview.z == 13 and preview.z_count == 20
    assert preview.pixels[10, 10].tolist() == [255, 255, 255] and preview.pixels[0, 0].tolist() == [0, 0, 0]
    cut = tmp_path / "hyper_cut.tif"
    cut.write_bytes(path.read_bytes()[:-500])
    assert probe(cut).error.code == "truncated"
    with pytest.raises(PreviewError):
        render_preview(cut)


def test_large_mrc_section_is_read_row_by_row(tmp_path):
    data = np.tile(np.arange(800, dtype=np.float32) // 100, (600, 1))  # a ramp across X
    path = write_mrc(tmp_path / "wide.mrc", data)
    preview = render_preview(path, size=100, max_plane_bytes=100_000)  # the section is 1.9 MB
    assert preview.width == 100 and preview.height == 75
    row = preview.pixels[30, :, 0].astype(int)
    assert row[0] == 0 and row[-1] == 255 and all(np.diff(row) >= 0)
