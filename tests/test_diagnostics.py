"""The diagnostic report: useful for support, and never carrying a credential."""

from __future__ import annotations

import logging

from bioimage_depositor import __version__
from bioimage_depositor.diagnostics import diagnostic_report, redact
from bioimage_depositor.logs import log_file, setup_logging


def test_redact_masks_passwords_tokens_and_url_credentials() -> None:
    assert redact("login password=hunter2 ok") == "login password=*** ok"
    assert redact("Token: abc.def-123") == "Token: ***"
    assert redact("ftp://bsftp:s3cr3t@ftp.example.org/dir") == "ftp://bsftp:***@ftp.example.org/dir"
    assert redact("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.x") == "Authorization: ***"
    assert redact("header bearer abcdefgh12345678") == "header bearer ***"
    assert redact("uploaded 12 files to ftp://host/dir") == "uploaded 12 files to ftp://host/dir"


def test_report_has_versions_folders_and_a_masked_log_tail() -> None:
    setup_logging()
    logging.getLogger("test").warning("connecting with password=correct-horse to ftp://u:battery@h/x")
    for handler in logging.getLogger().handlers:
        handler.flush()
    report = diagnostic_report()
    assert f"BioImage Depositor {__version__}" in report
    assert "pydantic:" in report and "Keyring backend:" in report
    assert str(log_file()) in report
    assert "connecting with password=***" in report
    assert "correct-horse" not in report and "battery" not in report


def test_report_without_a_log_file_still_works(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("BIOIMAGE_DEPOSITOR_HOME", str(tmp_path / "fresh"))
    assert "log not readable" in diagnostic_report()
