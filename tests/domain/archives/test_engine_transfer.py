"""The submission's transfer step through the real resumable engine (folder target, then resumed)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bioimage_depositor.domain.archives.engine_transfer import _url_with_user, engine_transfer, ledger_for
from bioimage_depositor.domain.archives.uploads import TransferTarget, UploadItem
from bioimage_depositor.domain.transfer.retry import RetryPolicy
from bioimage_depositor.domain.transfer.transport import TransferError


def items_in(folder: Path, sizes: dict[str, int]) -> list[UploadItem]:
    items = []
    for name, size in sizes.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(size))
        items.append(UploadItem(path, f"S-BIAD0/{name}", size))
    return items


def test_engine_transfer_sends_every_item_and_a_rerun_sends_nothing(tmp_path: Path) -> None:
    items = items_in(tmp_path / "pkg", {"a.tif": 200_000, "sub/b.tsv": 1_000})
    target = TransferTarget("BIA", (tmp_path / "remote").as_uri() + "/", key="bia:user-space", label="BIA user space")
    first = engine_transfer(items, target)
    assert first.complete and first.files_done == 2 and first.bytes_sent == 201_000
    for item in items:
        assert (tmp_path / "remote" / item.remote_path).read_bytes() == item.local_path.read_bytes()
    second = engine_transfer(items, target)
    assert second.complete and second.bytes_sent == 0, "a resumed submission does not upload twice"
    assert ledger_for(target).path.exists()


def test_engine_transfer_reports_a_stopped_transfer_as_an_error(tmp_path: Path) -> None:
    items = items_in(tmp_path / "pkg", {"a.tif": 10})
    target = TransferTarget("BIA", "ftp://127.0.0.1:1/secret/", key="bia:x", label="BIA FTP", username="u",
                            password="p")
    with pytest.raises(TransferError) as raised:
        engine_transfer(items, target, retry=RetryPolicy(base_delay=0.01, max_delay=0.02, max_attempts=2))
    assert "127.0.0.1:1" in str(raised.value)
    assert "p@" not in str(raised.value)


def test_the_username_goes_into_the_url_and_the_password_never_does() -> None:
    assert _url_with_user("ftp://h:2121/a/b/", "bs ftp") == "ftp://bs%20ftp@h:2121/a/b/"
    assert _url_with_user("file:///x/", "") == "file:///x/"
