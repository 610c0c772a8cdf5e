from __future__ import annotations

import sqlite3
import threading

import pytest

from bioimage_depositor.domain.transfer.ledger import (
    FAILED,
    PENDING,
    SCHEMA_VERSION,
    VERIFIED,
    Ledger,
    LedgerError,
    PlannedFile,
    Problem,
    default_ledger_path,
    find_interrupted,
    transfers_dir,
)


def planned(n: int, size: int = 10) -> list[PlannedFile]:
    return [PlannedFile(f"/data/f{i}", f"d/f{i}", size + i, 1000 + i, 50 + i) for i in range(n)]


def test_rows_round_trip_and_duplicates_are_ignored(tmp_path):
    with Ledger(tmp_path / "t.sqlite3") as ledger:
        ids = ledger.add_files(planned(3))
        assert len(ids) == 3
        assert ledger.add_files(planned(4)) == [ids[-1] + 1]  # only the new remote path is added
        row = ledger.row(ids[1])
        identity = (row.local_path, row.remote_path, row.size, row.mtime_ns, row.inode)
        assert identity == ("/data/f1", "d/f1", 11, 1001, 51)
        assert (row.state, row.committed, row.reserved, row.sent_bytes, row.handle) == (PENDING, 0, 0, 0, None)
        ledger.update(ids[1], handle="h1", committed=5)
        ledger.add_sent(ids[1], 4, 9)
        ledger.add_sent(ids[1], 2, 7)  # a lower reservation never lowers it
        row = ledger.row(ids[1])
        assert (row.handle, row.committed, row.sent_bytes, row.reserved) == ("h1", 5, 6, 9)
        with pytest.raises(ValueError):
            ledger.update(ids[1], bogus=1)
        with pytest.raises(KeyError):
            ledger.row(999)


def test_unfinished_ids_put_interrupted_files_first_and_skip_verified(tmp_path):
    with Ledger(tmp_path / "t.sqlite3") as ledger:
        ids = ledger.add_files(planned(5))
        ledger.update(ids[0], state=VERIFIED)
        ledger.update(ids[3], committed=7)
        ledger.update(ids[4], state=FAILED, last_error="x")
        assert ledger.unfinished_ids() == [ids[3], ids[1], ids[2], ids[4]]
        assert ledger.retry_failed() == 1
        assert ledger.row(ids[4]).state == PENDING


def test_meta_is_durable_across_connections_and_threads(tmp_path):
    path = tmp_path / "t.sqlite3"
    with Ledger(path) as ledger:
        ledger.set_meta("globus.submission_id", "abc")
        seen = []
        thread = threading.Thread(target=lambda: seen.append(ledger.get_meta("globus.submission_id")))
        thread.start()
        thread.join()
        assert seen == ["abc"]
    with Ledger(path) as again:
        assert again.get_meta("globus.submission_id") == "abc"
        assert again.get_meta("missing") is None
        journal = again._connection().execute("PRAGMA journal_mode").fetchone()[0]
        assert journal == "wal"


def test_a_newer_ledger_is_refused_and_a_damaged_one_explained(tmp_path):
    newer = tmp_path / "newer.sqlite3"
    connection = sqlite3.connect(newer)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()
    with pytest.raises(LedgerError) as info:
        Ledger(newer)
    assert info.value.code == "ledger.newer"
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(b"this is not a database" * 100)
    with pytest.raises(LedgerError) as info:
        Ledger(damaged)
    assert info.value.code == "ledger.damaged"
    assert "remove it" in str(info.value)


def test_problems_are_replaced_by_each_plan(tmp_path):
    with Ledger(tmp_path / "t.sqlite3") as ledger:
        ledger.set_problems([Problem("/a", "local.link_loop", "loop"), Problem("/b", "local.special", "fifo")])
        ledger.set_problems([Problem("/c", "local.unreadable", "no")])
        assert ledger.problems() == [Problem("/c", "local.unreadable", "no")]


def test_default_path_depends_on_source_and_target_only(tmp_path):
    first = default_ledger_path(tmp_path / "data", "ftp://u@h/x")
    assert first == default_ledger_path(tmp_path / "data", "ftp://u@h/x")
    assert first != default_ledger_path(tmp_path / "data", "ftp://u@h/y")
    assert first.parent == transfers_dir()
    assert first.name.startswith("data-")


def test_find_interrupted_lists_unfinished_transfers_only(tmp_path):
    folder = tmp_path / "transfers"
    with Ledger(folder / "done.sqlite3") as done:
        ids = done.add_files(planned(1))
        done.update(ids[0], state=VERIFIED)
        done.set_status("completed")
    with Ledger(folder / "cancelled.sqlite3") as cancelled:
        cancelled.add_files(planned(1))
        cancelled.set_status("cancelled")
    with Ledger(folder / "crashed.sqlite3") as crashed:
        crashed.set_meta("source", "/data")
        crashed.set_meta("target", "ftp://u@h/x")
        ids = crashed.add_files(planned(2, size=100))
        crashed.update(ids[0], state=VERIFIED)
        crashed.update(ids[1], committed=40)
        crashed.set_status("running")  # the program died while running
    (folder / "junk.sqlite3").write_bytes(b"garbage" * 50)
    found = find_interrupted(folder)
    assert [summary.path.name for summary in found] == ["crashed.sqlite3"]
    summary = found[0]
    assert (summary.source, summary.target, summary.files_total, summary.files_verified) == (
        "/data", "ftp://u@h/x", 2, 1)
    assert summary.bytes_done == 100 + 40
    assert find_interrupted(tmp_path / "nowhere") == []
