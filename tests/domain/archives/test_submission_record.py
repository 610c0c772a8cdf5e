"""The submission record: atomic saves, damaged files, and the one-process-at-a-time lock."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bioimage_depositor import __version__, paths
from bioimage_depositor.domain.archives.errors import ArchiveError
from bioimage_depositor.domain.archives.state import SubmissionRecord, SubmissionStore, submissions_dir
from bioimage_depositor.domain.draft_lock import LockHolder


def test_new_record_then_roundtrip(tmp_path: Path) -> None:
    store = SubmissionStore("draft-1", tmp_path)
    record = store.load()
    assert record == SubmissionRecord(draft_id="draft-1", created=record.created, updated=record.updated)
    record.bia.acc_no, record.bia.version = "S-BIAD1000", 1
    record.empiar_entry("component-em").entry_id = 42
    store.save(record)
    again = SubmissionStore("draft-1", tmp_path).load()
    assert again.bia.acc_no == "S-BIAD1000" and again.empiar["component-em"].entry_id == 42
    assert not list(tmp_path.glob("*.tmp"))  # atomic write leaves no temporary file


def test_default_folder_is_in_the_state_dir() -> None:
    assert submissions_dir() == paths.state_dir() / "submissions"
    assert SubmissionStore("d").path == paths.state_dir() / "submissions" / "d.json"


def test_damaged_or_foreign_records_are_refused_and_kept(tmp_path: Path) -> None:
    store = SubmissionStore("draft-1", tmp_path)
    store.path.write_text("{not json")
    with pytest.raises(ArchiveError) as raised:
        store.load()
    assert raised.value.code == "state.damaged" and str(store.path) in str(raised.value)
    assert store.path.read_text() == "{not json"
    SubmissionStore("draft-2", tmp_path).save(SubmissionRecord(draft_id="draft-2"))
    (tmp_path / "draft-2.json").rename(store.path)
    with pytest.raises(ArchiveError) as raised:
        store.load()
    assert "another draft" in str(raised.value)


def test_unknown_keys_from_a_newer_version_are_ignored(tmp_path: Path) -> None:
    store = SubmissionStore("draft-1", tmp_path)
    store.path.write_text('{"draft_id": "draft-1", "bia": {"accession": "S-BIAD7", "future": 1}, "extra": true}')
    assert store.load().bia.accession == "S-BIAD7"


def test_the_record_holds_no_secret(tmp_path: Path) -> None:
    fields = set(SubmissionRecord.model_fields) | set(SubmissionRecord.model_fields["bia"].annotation.model_fields)
    assert not {name for name in fields if any(word in name for word in ("token", "password", "secret", "sessid"))}


def test_a_live_process_holds_the_lock(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        started = dt.datetime.now(dt.UTC).isoformat()
        (tmp_path / "draft-1.lock").write_bytes(
            LockHolder(holder.pid, socket.gethostname(), started, __version__).to_json()
        )
        store = SubmissionStore("draft-1", tmp_path)
        with pytest.raises(ArchiveError) as raised:
            store.acquire()
        assert raised.value.code == "state.busy" and str(holder.pid) in str(raised.value)
    finally:
        holder.kill()
        holder.wait()
    store.acquire()  # the holder died: its lock is stale and taken over
    store.release()
    assert not (tmp_path / "draft-1.lock").exists()
