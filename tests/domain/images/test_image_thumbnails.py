"""Table thumbnails: rendered small, cached on disk by path, size and modification time, failures too."""

from __future__ import annotations

import os

import numpy as np
import pytest
import tifffile

from bioimage_depositor.domain.images import PreviewError, render_preview
from bioimage_depositor.domain.images.thumbnails import (
    ThumbnailDiskCache,
    make_thumbnail,
    thumbnail_key,
)


@pytest.fixture
def image(tmp_path):
    path = tmp_path / "cells.tif"
    tifffile.imwrite(path, (np.arange(200 * 300, dtype=np.uint16).reshape(200, 300) % 1000))
    return path


def test_a_thumbnail_is_the_small_preview_and_comes_back_from_disk(tmp_path, image):
    cache = ThumbnailDiskCache(tmp_path / "thumbs")
    first = make_thumbnail(str(image), 64, cache=cache)
    assert first.ok and not first.from_disk and first.error == ""
    assert first.pixels is not None and first.pixels.shape == (43, 64, 3)
    assert np.array_equal(first.pixels, render_preview(image, 64).pixels)
    again = make_thumbnail(str(image), 64, cache=cache)
    assert again.from_disk and again.pixels is not None and np.array_equal(again.pixels, first.pixels)
    assert len(list((tmp_path / "thumbs").rglob("*.png"))) == 1


def test_a_changed_file_gets_a_new_thumbnail(tmp_path, image):
    cache = ThumbnailDiskCache(tmp_path / "thumbs")
    before = make_thumbnail(str(image), 64, cache=cache)
    tifffile.imwrite(image, np.full((100, 100), 500, dtype=np.uint16))
    stat = image.stat()
    os.utime(image, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000))
    after = make_thumbnail(str(image), 64, cache=cache)
    assert not after.from_disk and after.pixels is not None and after.pixels.shape == (64, 64, 3)
    assert before.key != after.key and after.key == thumbnail_key(str(image), 64)


def test_unreadable_files_are_remembered_with_their_reason(tmp_path):
    cache = ThumbnailDiskCache(tmp_path / "thumbs")
    broken = tmp_path / "broken.tif"
    broken.write_bytes(b"II*\x00" + b"\x00" * 40)
    first = make_thumbnail(str(broken), 64, cache=cache)
    assert not first.ok and first.error and not first.from_disk
    again = make_thumbnail(str(broken), 64, cache=cache)
    assert again.from_disk and again.error == first.error and again.pixels is None


def test_a_missing_file_is_reported_and_not_cached(tmp_path):
    cache = ThumbnailDiskCache(tmp_path / "thumbs")
    gone = make_thumbnail(str(tmp_path / "gone.tif"), 64, cache=cache)
    assert gone.key is None and "no longer exists" in gone.error
    assert not (tmp_path / "thumbs").exists()


def test_a_cancelled_render_raises_and_leaves_no_entry(tmp_path, image):
    cache = ThumbnailDiskCache(tmp_path / "thumbs")
    with pytest.raises(PreviewError) as caught:
        make_thumbnail(str(image), 64, cache=cache, cancel=lambda: True)
    assert caught.value.code == "cancelled"
    assert cache.get(thumbnail_key(str(image), 64)) is None


def test_damaged_cache_entries_read_as_missing(tmp_path, image):
    cache = ThumbnailDiskCache(tmp_path / "thumbs")
    made = make_thumbnail(str(image), 64, cache=cache)
    assert made.key is not None
    (entry,) = (tmp_path / "thumbs").rglob("*.png")
    entry.write_bytes(b"not a png")
    assert cache.get(made.key) is None
    redone = make_thumbnail(str(image), 64, cache=cache)
    assert redone.ok and not redone.from_disk


def test_prune_drops_the_least_recently_used_entries(tmp_path):
    cache = ThumbnailDiskCache(tmp_path / "thumbs", max_bytes=1)
    paths = []
    for index in range(4):
        path = tmp_path / f"img{index}.tif"
        tifffile.imwrite(path, np.full((32, 32), index * 100, dtype=np.uint16))
        paths.append(path)
        make_thumbnail(str(path), 32, cache=cache)
    entries = sorted((tmp_path / "thumbs").rglob("*.png"), key=lambda p: p.stat().st_mtime_ns)
    sizes = [entry.stat().st_size for entry in entries]
    newest = entries[-1]
    cache.max_bytes = sizes[-1]  # room for exactly one entry
    for age, entry in enumerate(entries):
        os.utime(entry, (1_000_000 + age, 1_000_000 + age))
    assert cache.prune() == 3
    assert list((tmp_path / "thumbs").rglob("*.png")) == [newest]


def test_an_unwritable_cache_is_skipped(tmp_path, image):
    blocker = tmp_path / "thumbs"
    blocker.write_text("a file where the cache folder should be")
    made = make_thumbnail(str(image), 64, cache=ThumbnailDiskCache(blocker))
    assert made.ok and made.pixels is not None
