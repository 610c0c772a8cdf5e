"""An unexpected exception in a slot is logged and shown in a dialog, never a silent exit."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QMessageBox


def test_uncaught_exception_shows_details_and_log_path(qtbot, monkeypatch, tmp_path):
    from bioimage_depositor.logs import setup_logging
    from bioimage_depositor.ui.crash_dialog import install_excepthook

    shown = {}

    def fake_exec(box):
        shown["text"] = box.text()
        shown["details"] = box.detailedText()
        shown["info"] = box.informativeText()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    log_path = setup_logging()
    previous = sys.excepthook
    install_excepthook()
    try:
        try:
            raise ValueError("a value nobody expected")
        except ValueError:
            sys.excepthook(*sys.exc_info())
    finally:
        sys.excepthook = previous
    assert "a value nobody expected" in shown["text"]
    assert "no work is lost" in shown["text"]
    assert "Traceback" in shown["details"]
    assert str(log_path) in shown["info"]
    for handler in __import__("logging").getLogger().handlers:
        handler.flush()
    assert "a value nobody expected" in log_path.read_text(encoding="utf-8")
