"""The Upload page: a real resumable copy to a folder, pause/resume, automatic pause offline, clear errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl

from bioimage_depositor.domain.transfer.ledger import find_interrupted
from bioimage_depositor.ui.transfer_controller import TransferController
from bioimage_depositor.ui.upload_panel import UploadPanel


def make_package(root: Path, sizes: dict[str, int]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, size in sizes.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(size))
    return root


@pytest.fixture
def panel(qtbot):
    widget = UploadPanel(TransferController(watch_network=False))
    qtbot.addWidget(widget)
    yield widget
    widget.controller.stop()
    assert widget.controller.wait(20), "the transfer thread must end with the test"


def test_upload_to_a_folder_copies_every_file_and_reports(qtbot, panel, tmp_path):
    source = make_package(tmp_path / "pkg", {"a.tif": 300_000, "sub/b.tif": 50_000, "MANIFEST.tsv": 100})
    target = tmp_path / "archive"
    panel.set_source(str(source))
    panel.set_target(QUrl.fromLocalFile(str(target)).toString())
    assert panel.start_button.isEnabled()
    with qtbot.waitSignal(panel.finished, timeout=30000) as finished:
        panel.start_button.click()
    report = finished.args[0]
    assert report.ok and report.verified == 3
    for name in ("a.tif", "sub/b.tif", "MANIFEST.tsv"):  # the folder's contents, as the archive wants them
        assert (target / name).read_bytes() == (source / name).read_bytes()
    assert "Upload complete" in panel.status_label.text()
    assert "3 of 3 files verified" in panel.status_label.text()
    assert panel.progress_bar.value() == 1000
    assert not panel.failed_box.isVisible()


def test_a_bad_target_is_explained_before_anything_starts(qtbot, panel, tmp_path):
    panel.set_source(str(tmp_path))
    panel.set_target("htp:/nowhere")
    assert not panel.target_problem.isHidden()
    assert "not a transfer target" in panel.target_problem.text()
    assert not panel.start_button.isEnabled()
    panel.set_target("ftp://user@127.0.0.1:1/x")
    assert panel.target_problem.isHidden()
    assert panel.password_edit.isVisibleTo(panel)


def test_a_missing_source_gets_a_sentence_not_a_traceback(qtbot, panel, tmp_path):
    panel.set_source(str(tmp_path / "gone"))
    panel.set_target(QUrl.fromLocalFile(str(tmp_path / "out")).toString())
    with qtbot.waitSignal(panel.controller.transfer_failed, timeout=10000):
        panel.start_button.click()
    qtbot.waitUntil(lambda: not panel.controller.running, timeout=5000)
    assert "gone" in panel.status_label.text()
    assert "Traceback" not in panel.status_label.text()


def test_network_loss_pauses_and_return_resumes_to_completion(qtbot, panel, tmp_path):
    source = make_package(tmp_path / "pkg", {"big.bin": 3_000_000})
    target = tmp_path / "archive"
    panel.set_source(str(source))
    panel.set_target(QUrl.fromLocalFile(str(target)).toString())
    panel.limit_spin.setValue(1)  # 1 MiB/s: the copy takes about three seconds
    panel.start_button.click()
    qtbot.waitUntil(lambda: panel.last_snapshot is not None and panel.last_snapshot.bytes_sent > 0, timeout=15000)
    panel.controller.set_network_available(False)
    assert "network is unavailable" in panel.status_label.text()
    qtbot.waitUntil(lambda: panel.last_snapshot.status == "paused", timeout=10000)
    sent = panel.last_snapshot.bytes_sent
    qtbot.wait(600)
    assert panel.last_snapshot.bytes_sent <= sent + 1024 * 1024, "nothing beyond the current chunk while offline"
    with qtbot.waitSignal(panel.finished, timeout=30000) as finished:
        panel.controller.set_network_available(True)
    assert finished.args[0].ok


def test_stop_then_continue_resumes_from_the_ledger(qtbot, panel, tmp_path):
    source = make_package(tmp_path / "pkg", {"big.bin": 3_000_000, "small.txt": 10})
    target = tmp_path / "archive"
    panel.set_source(str(source))
    panel.set_target(QUrl.fromLocalFile(str(target)).toString())
    panel.limit_spin.setValue(1)
    panel.start_button.click()
    qtbot.waitUntil(lambda: panel.last_snapshot is not None and panel.last_snapshot.bytes_sent > 0, timeout=15000)
    with qtbot.waitSignal(panel.finished, timeout=15000) as stopped:
        panel.stop_button.click()
    assert stopped.args[0].status == "paused"
    assert "Continue upload" in panel.start_button.text().replace("&", "")
    interrupted = find_interrupted()
    assert [summary.source for summary in interrupted] == [str(source)]
    panel.limit_spin.setValue(0)
    with qtbot.waitSignal(panel.finished, timeout=30000) as finished:
        panel.start_button.click()
    report = finished.args[0]
    assert report.ok
    assert report.bytes_sent < 3_000_000 + 10, "the second run continues, it does not start again"
    assert find_interrupted() == []


def test_start_page_offers_to_continue_an_interrupted_upload(qtbot, tmp_path):
    from bioimage_depositor.domain.drafts import DraftStore
    from bioimage_depositor.ui.interrupted_uploads import UploadDialog
    from bioimage_depositor.ui.main_window import MainWindow

    source = make_package(tmp_path / "pkg", {"big.bin": 2_000_000})
    target = tmp_path / "archive"
    first = UploadPanel(TransferController(watch_network=False))
    qtbot.addWidget(first)
    first.set_source(str(source))
    first.set_target(QUrl.fromLocalFile(str(target)).toString())
    first.limit_spin.setValue(1)
    first.start()
    qtbot.waitUntil(lambda: first.last_snapshot is not None and first.last_snapshot.bytes_sent > 0, timeout=15000)
    with qtbot.waitSignal(first.finished, timeout=15000):
        first.controller.stop()  # as if the program had been closed mid-upload

    window = MainWindow(DraftStore(tmp_path / "drafts"))
    qtbot.addWidget(window)
    banner = window.start_page.interrupted
    qtbot.waitUntil(lambda: banner.summaries != [], timeout=10000)
    assert not banner.isHidden()
    from PySide6.QtWidgets import QLabel

    assert any(str(source) in label.text() for label in banner.findChildren(QLabel))
    window.continue_upload(banner.summaries[0])
    dialog = window.findChild(UploadDialog)
    assert dialog is not None
    with qtbot.waitSignal(dialog.panel.finished, timeout=30000) as finished:
        pass
    assert finished.args[0].ok
    assert (target / "big.bin").read_bytes() == (source / "big.bin").read_bytes()
    dialog.close()
    qtbot.waitUntil(lambda: banner.isHidden(), timeout=10000)
