"""Table thumbnails: made in the background for the rows on screen only, with a mark for unreadable files."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile
from PySide6.QtCore import Qt, QThread
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QTableView

from bioimage_depositor.domain.deposition import FileEntry
from bioimage_depositor.domain.images.thumbnails import ThumbnailDiskCache
from bioimage_depositor.ui import thumbnails as thumbnails_module
from bioimage_depositor.ui.background import default_runner
from bioimage_depositor.ui.file_table import COL_PATH, COL_THUMBNAIL, FileTableModel
from bioimage_depositor.ui.thumbnails import ThumbnailLoader
from tests.ui.files_page import open_files_page


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "stack"
    root.mkdir()
    for index in range(3):
        ramp = np.tile(np.arange(48, dtype=np.uint16) * (index + 1), (32, 1))
        tifffile.imwrite(root / f"cell_{index}.tif", ramp)
    (root / "empty.tif").write_bytes(b"")
    return root


def test_thumbnails_appear_off_the_ui_thread_and_unreadable_files_are_marked(qtbot, window, store, folder,
                                                                             monkeypatch):
    threads: list[bool] = []
    original = thumbnails_module.make_thumbnail

    def recording(*args, **kwargs):
        threads.append(QThread.currentThread().isMainThread())
        return original(*args, **kwargs)

    monkeypatch.setattr(thumbnails_module, "make_thumbnail", recording)
    page, _ = open_files_page(qtbot, window, store, "Thumbnails")
    page.add_paths([str(folder)])
    qtbot.waitUntil(lambda: not page.busy() and page.model.rowCount() == 4, timeout=20_000)
    sources = {e.path.rsplit("/", 1)[-1]: e.source for e in window.session.deposition.components[0].files}
    qtbot.waitUntil(lambda: all(page.thumbnails.state(s) in ("ready", "failed") for s in sources.values()),
                    timeout=20_000)
    assert threads and not any(threads), "a thumbnail was rendered on the UI thread"
    assert page.thumbnails.state(sources["cell_0.tif"]) == "ready"
    assert page.thumbnails.state(sources["empty.tif"]) == "failed"
    for row in range(page.model.rowCount()):
        index = page.model.index(row, COL_THUMBNAIL)
        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        assert isinstance(pixmap, QPixmap) and not pixmap.isNull()
        tooltip = index.data(Qt.ItemDataRole.ToolTipRole)
        name = page.model.index(row, COL_PATH).data().rsplit("/", 1)[-1]
        if name == "empty.tif":
            assert tooltip.startswith("No thumbnail:") and "empty" in tooltip.lower()
            assert pixmap.cacheKey() == page.thumbnails.failed_pixmap().cacheKey()
        else:
            assert pixmap.cacheKey() != page.thumbnails.placeholder_pixmap().cacheKey()
    page.thumbnails_box.setChecked(False)
    assert page.table.isColumnHidden(COL_THUMBNAIL) and page.model.thumbnails is None
    page.thumbnails_box.setChecked(True)
    assert not page.table.isColumnHidden(COL_THUMBNAIL)


def test_only_rows_on_screen_are_requested_in_a_100000_row_list(qtbot, tmp_path):
    files = [FileEntry(path=f"run/img_{i:06d}.tif", source=str(tmp_path / f"img_{i:06d}.tif"), size_bytes=0)
             for i in range(100_000)]  # none exists: each thumbnail is a quick "no picture"
    loader = ThumbnailLoader(disk_cache=ThumbnailDiskCache(tmp_path / "cache"))
    model = FileTableModel()
    model.thumbnails = loader
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.verticalHeader().setDefaultSectionSize(44)
    view.resize(600, 500)
    model.set_files(files)
    view.show()
    qtbot.waitUntil(lambda: loader.rendered >= 5 and loader.pending() == 0, timeout=20_000)
    first_screen = loader.requests
    assert 5 <= first_screen <= 20, first_screen  # about one screenful of 44-pixel rows in 500 pixels
    view.scrollTo(model.index(50_000, COL_PATH))
    qtbot.waitUntil(lambda: loader.state(files[50_000].source) == "failed", timeout=20_000)
    assert loader.requests <= 2 * first_screen + 4
    assert loader.state(files[30_000].source) == "unknown"  # never on screen, never asked for
    view.scrollToBottom()
    qtbot.waitUntil(lambda: loader.state(files[-1].source) == "failed", timeout=20_000)
    assert loader.requests <= 3 * first_screen + 6
    assert default_runner().wait_for_done(10_000)


def test_the_queue_is_bounded_and_keeps_only_what_is_visible(qtbot, tmp_path):
    loader = ThumbnailLoader(disk_cache=None, max_pending=10)
    loader.set_paused(True)  # requests queue up; nothing renders
    for index in range(100):
        loader.request(str(tmp_path / f"{index}.tif"))
    assert loader.pending() == 10
    assert loader.state(str(tmp_path / "99.tif")) == "pending"  # newest kept
    assert loader.state(str(tmp_path / "0.tif")) == "unknown"  # oldest fell off
    loader.keep_only([str(tmp_path / "95.tif"), str(tmp_path / "96.tif")])
    assert loader.pending() == 2
    loader.set_paused(False)
    qtbot.waitUntil(lambda: loader.state(str(tmp_path / "96.tif")) == "failed", timeout=10_000)
    assert loader.state(str(tmp_path / "95.tif")) == "failed" and loader.rendered == 2
    assert loader.pending() == 0 and default_runner().wait_for_done(10_000)
