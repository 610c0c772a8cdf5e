"""The preview panel: Z, T and series sliders read new planes; channel controls only composite again."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile
from PySide6.QtCore import Qt

from bioimage_depositor.domain.images import probe
from bioimage_depositor.ui.background import default_runner
from bioimage_depositor.ui.preview_panel import PreviewPanel


@pytest.fixture
def hyperstack(tmp_path):
    """Series 0: T2 C3 Z5 of 40 × 50, each plane holding 1000·t + 100·c + 10·z; series 1: one 30 × 20 plane."""
    path = tmp_path / "hyper.ome.tif"
    data = np.zeros((2, 3, 5, 40, 50), dtype=np.uint16)
    ramp = np.tile(np.arange(50, dtype=np.uint16), (40, 1))
    for t in range(2):
        for c in range(3):
            for z in range(5):
                data[t, c, z] = 1000 * t + 100 * c + 10 * z + ramp
    with tifffile.TiffWriter(path, ome=True) as tif:
        tif.write(data, photometric="minisblack",
                  metadata={"axes": "TCZYX", "Channel": {"Name": ["DAPI", "GFP", "mCherry"]}})
        tif.write(np.full((30, 20), 7, dtype=np.uint16), photometric="minisblack", metadata={"axes": "YX"})
    return path


def _wait(qtbot, panel):
    qtbot.waitUntil(lambda: panel.image is not None and not panel.busy(), timeout=20_000)


def test_sliders_and_channel_controls(qtbot, hyperstack):
    panel = PreviewPanel(size=64)
    qtbot.addWidget(panel)
    panel.show()
    panel.show_file(str(hyperstack), probe(hyperstack))
    _wait(qtbot, panel)
    assert panel.reads == 1
    assert panel.image.z == 2 and panel.image.t == 0 and panel.image.series == 0
    assert panel.z_slider.isVisible() and panel.z_slider.readout.text() == "3 / 5"
    assert panel.t_slider.isVisible() and panel.t_slider.readout.text() == "1 / 2"
    assert panel.series_slider.isVisible() and panel.series_slider.readout.text() == "1 / 2"
    assert [row.visible_box.text() for row in panel.channel_rows] == ["DAPI", "GFP", "mCherry"]
    assert all(row.auto_box.isChecked() for row in panel.channel_rows)
    first = panel.image.pixels.copy()

    # display changes composite again without reading the file
    panel.channel_rows[0].visible_box.setChecked(False)
    qtbot.waitUntil(lambda: [c.name for c in panel.image.channels] == ["GFP", "mCherry"], timeout=10_000)
    assert panel.reads == 1 and not np.array_equal(panel.image.pixels, first)
    panel.channel_rows[1].set_colour((255, 255, 0))
    qtbot.waitUntil(lambda: panel.image.channels[0].colour == (255, 255, 0), timeout=10_000)
    low, high = panel.planes.value_range[2]
    panel.channel_rows[2].set_contrast(low, (low + high) / 2)
    assert not panel.channel_rows[2].auto_box.isChecked()
    qtbot.waitUntil(lambda: panel.image.channels[-1].contrast == pytest.approx((low, (low + high) / 2)),
                    timeout=10_000)
    assert panel.reads == 1

    # Z and T read new planes and keep the channel settings
    panel.z_slider.slider.setValue(4)
    qtbot.waitUntil(lambda: panel.image.z == 4 and not panel.busy(), timeout=20_000)
    panel.t_slider.slider.setValue(1)
    qtbot.waitUntil(lambda: panel.image.t == 1 and not panel.busy(), timeout=20_000)
    assert panel.reads == 3
    assert [c.name for c in panel.image.channels] == ["GFP", "mCherry"]
    assert panel.image.channels[0].colour == (255, 255, 0)
    gfp = panel.planes.view.planes[1]
    assert float(gfp.min()) == pytest.approx(1000 + 100 + 40, abs=1)  # t=1, c=1, z=4, ramp from 0

    # reset: every channel back, own colours, automatic contrast
    panel.reset_display()
    qtbot.waitUntil(lambda: len(panel.image.channels) == 3 and not panel.busy(), timeout=10_000)
    assert all(row.auto_box.isChecked() and row.visible_box.isChecked() for row in panel.channel_rows)
    assert panel.image.channels[1].colour == panel.planes.colours[1]

    # another series: new sliders and no channel controls for a single plane
    panel.series_slider.slider.setValue(1)
    qtbot.waitUntil(lambda: panel.image.series == 1 and not panel.busy(), timeout=20_000)
    assert not panel.z_slider.isVisible() and not panel.t_slider.isVisible()
    assert panel.channel_rows == [] and not panel.reset_button.isVisible()
    assert "Y 30" in panel.info.text() and "X 20" in panel.info.text()
    assert default_runner().wait_for_done(10_000)


def test_an_unreadable_file_says_why(qtbot, tmp_path):
    bad = tmp_path / "bad.tif"
    bad.write_bytes(b"II*\x00garbage")
    panel = PreviewPanel(size=64)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.failed, timeout=20_000) as failed:
        panel.show_file(str(bad))
    assert panel.picture.text().startswith("No preview:") and failed.args[0]
    assert panel.picture.pixmap().isNull() and panel.channel_rows == []
    assert panel.picture.alignment() & Qt.AlignmentFlag.AlignCenter
    assert default_runner().wait_for_done(10_000)
