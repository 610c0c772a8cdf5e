"""Previews in two steps: read the planes once, composite them again with other channel settings."""

from __future__ import annotations

import numpy as np
import pytest
from image_builders import Channel, OmeImage, ome_xml, read_bytes_counter, rgba, write_ome_tiff, write_png

from bioimage_depositor.domain.images import (
    ChannelSetting,
    compose_preview,
    read_preview_planes,
    render_preview,
)
from bioimage_depositor.domain.images.render import auto_contrast, value_range

pytestmark = pytest.mark.filterwarnings("ignore:Setting the dtype:DeprecationWarning")


@pytest.fixture
def three_channels(tmp_path):
    """A 3-channel, 4-plane OME-TIFF; channel c of plane z has a ramp scaled by (c + 1) and offset by z."""
    ramp = np.tile(np.arange(64, dtype=np.uint16), (48, 1))
    data = np.stack([np.stack([ramp * (c + 1) + 100 * z for z in range(4)]) for c in range(3)])  # C, Z, Y, X
    xml = ome_xml([OmeImage(size_x=64, size_y=48, size_z=4, size_c=3, dimension_order="XYZCT", channels=[
        Channel("DAPI", color=rgba(0, 0, 255)), Channel("GFP", color=rgba(0, 255, 0)),
        Channel("mCherry", color=rgba(255, 0, 0))])])
    return write_ome_tiff(tmp_path / "three.ome.tif", [data], xml)


def test_two_steps_give_the_same_picture_as_render_preview(three_channels):
    planes = read_preview_planes(three_channels, size=64, z=2)
    once = render_preview(three_channels, size=64, z=2)
    again = compose_preview(planes)
    assert np.array_equal(again.pixels, once.pixels)
    assert [c.name for c in again.channels] == ["DAPI", "GFP", "mCherry"]
    assert planes.colours == ((0, 0, 255), (0, 255, 0), (255, 0, 0))
    assert planes.view.z == 2 and planes.view.z_count == 4
    for plane, auto, bounds in zip(planes.view.planes, planes.auto_contrast, planes.value_range, strict=True):
        assert auto == auto_contrast(plane)
        assert bounds == (float(plane.min()), float(plane.max()))


def test_hidden_channels_are_left_out_and_compositing_reads_nothing(three_channels):
    planes = read_preview_planes(three_channels, size=64)
    counter = read_bytes_counter()
    before = counter() if counter else 0
    only_gfp = compose_preview(planes, [ChannelSetting(visible=False), None, ChannelSetting(visible=False)])
    if counter is not None:  # Linux: only the /proc read itself (a few hundred bytes), never the image
        assert counter() - before < 4096
    assert [c.name for c in only_gfp.channels] == ["GFP"]
    pixels = only_gfp.pixels
    assert pixels[..., 0].max() == 0 and pixels[..., 2].max() == 0  # red and blue channels are hidden
    assert pixels[..., 1].max() == 255
    nothing = compose_preview(planes, [ChannelSetting(visible=False)] * 3)
    assert nothing.pixels.shape == pixels.shape and nothing.pixels.max() == 0 and nothing.channels == ()


def test_colour_and_manual_contrast_override_the_defaults(three_channels):
    planes = read_preview_planes(three_channels, size=64)
    lo, hi = planes.value_range[0]
    yellow = compose_preview(planes, [ChannelSetting(colour=(255, 255, 0), contrast=(lo, hi)),
                                      ChannelSetting(visible=False), ChannelSetting(visible=False)])
    assert yellow.channels[0].colour == (255, 255, 0)
    assert yellow.channels[0].contrast == (lo, hi)
    red, green, blue = (yellow.pixels[..., i] for i in range(3))
    assert np.array_equal(red, green) and blue.max() == 0
    # a window over the whole range maps the ramp linearly: darkest column black, brightest full colour
    assert red[:, 0].max() == 0 and red[:, -1].min() == 255
    narrow = compose_preview(planes, [ChannelSetting(contrast=(lo, (lo + hi) / 2)), ChannelSetting(visible=False),
                                      ChannelSetting(visible=False)])
    assert (narrow.pixels[..., 2] == 255).sum() > (compose_preview(planes, [
        ChannelSetting(contrast=(lo, hi)), ChannelSetting(visible=False), ChannelSetting(visible=False)
    ]).pixels[..., 2] == 255).sum()


def test_rgb_pictures_ignore_channel_settings(tmp_path):
    rgb = np.zeros((20, 30, 3), dtype=np.uint8)
    rgb[..., 0] = 200
    path = write_png(tmp_path / "photo.png", rgb)
    planes = read_preview_planes(path, size=64)
    assert planes.channel_count == 0 and planes.colours == ()
    shown = compose_preview(planes, [ChannelSetting(visible=False)])
    assert np.array_equal(shown.pixels, rgb)


def test_value_range_of_flat_and_nan_planes():
    assert value_range(np.full((4, 4), 7.0, dtype=np.float32)) == (6.5, 7.5)
    plane = np.array([[np.nan, 1.0], [3.0, np.inf]], dtype=np.float32)
    assert value_range(plane) == (1.0, 3.0)
    assert value_range(np.full((2, 2), np.nan, dtype=np.float32)) == (0.0, 1.0)
