"""Draft store: lifecycle, history, damage recovery, locking, conflicts, migrations."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from bioimage_depositor.domain import draft_file
from bioimage_depositor.domain.deposition import Deposition
from bioimage_depositor.domain.draft_errors import (
    DraftConflictError,
    DraftDamagedError,
    DraftError,
    DraftLockedError,
    DraftMigrationError,
    DraftNameError,
    DraftNotFoundError,
    DraftTooNewError,
    NotADraftError,
)
from bioimage_depositor.domain.draft_file import (
    DRAFT_FORMAT,
    DraftEnvelope,
    parse_draft,
    read_draft_file,
    serialise_draft,
)
from bioimage_depositor.domain.draft_lock import LockHolder
from bioimage_depositor.domain.drafts import DraftStore
from bioimage_depositor.domain.rembi import Study


@pytest.fixture
def store(tmp_path: Path) -> DraftStore:
    return DraftStore(tmp_path / "drafts", history_limit=5)


def titled(title: str) -> Deposition:
    return Deposition(study=Study(title=title))


def draft_json(store: DraftStore, draft_id: str) -> Path:
    return store.folder(draft_id) / "draft.json"


# ---------------------------------------------------------------- lifecycle


def test_create_load_save(store: DraftStore) -> None:
    env = store.create("  Mouse\u200b liver  CLEM ", titled("Liver"))
    assert env.name == "Mouse liver CLEM"
    assert env.revision == 1
    assert env.created.tzinfo is not None and env.created.utcoffset().total_seconds() == 0
    assert draft_json(store, env.draft_id).is_file()

    loaded = store.load(env.draft_id)
    assert loaded == env

    loaded.deposition.study.title = "Liver, revised"
    loaded.current_page = "study"
    before = loaded.modified
    saved = store.save(loaded)
    assert saved is loaded
    assert saved.revision == 2
    assert saved.modified >= before
    again = store.load(env.draft_id)
    assert again.deposition.study.title == "Liver, revised"
    assert again.current_page == "study"
    assert again.revision == 2


def test_create_empty_name_and_unique_ids(store: DraftStore) -> None:
    a = store.create("")
    b = store.create("")
    assert a.name == b.name == "Untitled draft"
    assert a.draft_id != b.draft_id
    assert len(a.draft_id) == 17 and a.draft_id[8] == "-"


def test_list_newest_first_with_summary(store: DraftStore) -> None:
    first = store.create("First", titled("Study one"))
    second = store.create("Second", titled("Study two"))
    store.save(first)  # now the most recently modified
    summaries = store.list()
    assert [s.draft_id for s in summaries] == [first.draft_id, second.draft_id]
    top = summaries[0]
    assert (top.name, top.study_title, top.revision, top.problem) == ("First", "Study one", 2, None)
    assert top.path == store.folder(first.draft_id)


def test_list_on_missing_root_is_empty(tmp_path: Path) -> None:
    assert DraftStore(tmp_path / "nowhere").list() == []


def test_history_keeps_previous_versions_and_prunes(store: DraftStore) -> None:
    env = store.create("Pruned")
    for n in range(1, 9):
        env.deposition.study.title = f"version {n}"
        store.save(env)
    assert env.revision == 9
    history = store.history(env.draft_id)
    assert [h.revision for h in history] == [8, 7, 6, 5, 4]  # newest 5 kept
    assert all(h.loads_ok for h in history)
    assert read_draft_file(history[0].path).deposition.study.title == "version 7"
    assert history[0].saved.tzinfo is not None


def test_restore_from_history_is_a_new_revision(store: DraftStore) -> None:
    env = store.create("Restore", titled("good"))
    env.deposition.study.title = "later"
    store.save(env)
    entry = store.history(env.draft_id)[0]
    restored = store.restore(env.draft_id, entry)
    assert restored.revision == 3
    assert restored.deposition.study.title == "good"
    assert store.load(env.draft_id).deposition.study.title == "good"
    # the version that was current before the restore is now in the history
    assert [h.revision for h in store.history(env.draft_id)][:2] == [2, 1]


def test_delete_moves_to_trash(store: DraftStore) -> None:
    env = store.create("Bin me", titled("keep my data"))
    trashed = store.delete("bin me")
    assert not store.folder(env.draft_id).exists()
    assert trashed.parent == store.root / ".trash"
    assert read_draft_file(trashed).deposition.study.title == "keep my data"
    assert store.list() == []


def test_delete_refuses_while_locked(store: DraftStore) -> None:
    env = store.create("Busy")
    with store.lock(env.draft_id), pytest.raises(DraftLockedError):
        store.delete(env.draft_id)
    store.delete(env.draft_id)  # released: fine now


# ---------------------------------------------------------------- export / import


def test_export_import_round_trip(store: DraftStore, tmp_path: Path) -> None:
    env = store.create("Zebrafish 🐟 שלום", titled("Fins"))
    out = store.export(env.draft_id, tmp_path)
    assert out.suffix == ".biodraft" and out.parent == tmp_path
    with zipfile.ZipFile(out) as archive:
        assert archive.namelist() == ["draft.json", "README.txt"]
        assert "BioImage Depositor" in archive.read("README.txt").decode()
    # deterministic bytes: the same draft exports identically
    assert store.export(env.draft_id, tmp_path / "again.biodraft").read_bytes() == out.read_bytes()

    other = DraftStore(tmp_path / "other")
    imported = other.import_file(out)
    assert imported.draft_id == env.draft_id  # free in the other store: kept
    assert imported.deposition == env.deposition and imported.name == env.name
    assert other.load(env.draft_id) == imported
    assert read_draft_file(out) == imported


def test_import_id_collision_gets_fresh_id(store: DraftStore, tmp_path: Path) -> None:
    env = store.create("Twin", titled("original"))
    out = store.export(env.draft_id, tmp_path / "twin.biodraft")
    copy = store.import_file(out)
    assert copy.draft_id != env.draft_id
    assert store.load(env.draft_id).deposition.study.title == "original"
    assert store.load(copy.draft_id).deposition == env.deposition
    assert len(store.list()) == 2


def test_import_bare_json_and_unsafe_id(store: DraftStore, tmp_path: Path) -> None:
    env = DraftEnvelope(draft_id="CON", name="Hand made", deposition=titled("x"))
    path = tmp_path / "bare.json"
    path.write_bytes(serialise_draft(env))
    imported = store.import_file(path)
    assert imported.draft_id != "CON"
    assert store.load(imported.draft_id).name == "Hand made"


# ---------------------------------------------------------------- resolve


def test_resolve_by_id_prefix_and_name(store: DraftStore) -> None:
    a = store.create("Mouse brain")
    b = store.create("Fly wing")
    assert store.resolve(a.draft_id) == a.draft_id
    assert store.resolve("  mouse BRAIN ") == a.draft_id
    # a prefix long enough to be unique
    prefix = next(
        b.draft_id[:n] for n in range(9, 18) if not a.draft_id.startswith(b.draft_id[:n])
    )
    assert store.resolve(prefix) == b.draft_id


def test_resolve_ambiguous_and_unknown(store: DraftStore) -> None:
    a = store.create("Same name")
    b = store.create("same NAME")
    with pytest.raises(DraftNameError) as info:
        store.resolve("Same name")
    assert info.value.code == "draft.ambiguous"
    assert {c[0] for c in info.value.candidates} == {a.draft_id, b.draft_id}
    assert a.draft_id in info.value.message and b.draft_id in info.value.message
    with pytest.raises(DraftNameError) as info:
        store.resolve("nothing like it")
    assert info.value.code == "draft.unknown" and info.value.candidates == []
    with pytest.raises(DraftNameError):
        store.resolve(a.draft_id[:8])  # the date prefix is shared
    with pytest.raises(DraftNameError):
        store.resolve("../etc")


# ---------------------------------------------------------------- damage


def _damage_cases(data: bytes) -> dict[str, bytes]:
    return {
        "truncated": data[: len(data) // 2],
        "garbage": os.urandom(300),
        "zeros": b"\x00" * len(data),  # what some file systems leave after a power cut
        "wrong shape": json.dumps(
            {"format": DRAFT_FORMAT, "schema_version": 1, "deposition": [1, 2, 3]}
        ).encode(),
        "empty": b"",
    }


@pytest.mark.parametrize("case", ["truncated", "garbage", "zeros", "wrong shape", "empty"])
def test_damaged_draft_offers_good_history_and_restores(store: DraftStore, case: str) -> None:
    env = store.create("Fragile", titled("v1"))
    env.deposition.study.title = "v2"
    store.save(env)
    current = draft_json(store, env.draft_id)
    broken = _damage_cases(current.read_bytes())[case]
    current.write_bytes(broken)

    with pytest.raises(DraftDamagedError) as info:
        store.load(env.draft_id)
    error = info.value
    assert error.code == "draft.damaged"
    assert str(current) in error.message
    assert "Traceback" not in error.message and "\n" not in error.message
    assert [g.revision for g in error.good_versions] == [1]
    assert "revision 1" in error.message

    # listing still works and reports the problem
    (summary,) = store.list()
    assert summary.problem is not None and summary.revision is None
    if case in {"truncated"}:
        assert summary.name == "Fragile"  # salvaged from the header

    restored = store.restore(env.draft_id, error.good_versions[0])
    assert restored.deposition.study.title == "v1"
    assert restored.revision == 2  # above every revision known in the history
    assert store.load(env.draft_id).deposition.study.title == "v1"
    aside = list(store.folder(env.draft_id).glob("draft.json.damaged-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == broken  # never deleted


def test_missing_draft_json_offers_history(store: DraftStore) -> None:
    env = store.create("Vanished")
    store.save(env)
    draft_json(store, env.draft_id).unlink()
    with pytest.raises(DraftDamagedError) as info:
        store.load(env.draft_id)
    assert [g.revision for g in info.value.good_versions] == [1]
    assert store.list()[0].problem


def test_save_over_damaged_file_sets_it_aside(store: DraftStore) -> None:
    env = store.create("Overwrite")
    draft_json(store, env.draft_id).write_bytes(b"{ broken")
    store.save(env)
    assert store.load(env.draft_id).revision == 2
    assert len(list(store.folder(env.draft_id).glob("draft.json.damaged-*"))) == 1


def test_validation_failure_is_summarised_in_one_line(tmp_path: Path) -> None:
    data = serialise_draft(DraftEnvelope(name="x"))
    obj = json.loads(data)
    obj["revision"] = "many"
    obj["deposition"]["study"]["title"] = ["not", "text"]
    obj["deposition"]["unknown_field"] = 1
    with pytest.raises(DraftDamagedError) as info:
        parse_draft(json.dumps(obj).encode(), "x.json")
    message = info.value.message
    assert "\n" not in message and "3 value(s)" in message
    assert "revision" in message and "deposition.study.title" in message


def test_schema_too_new(store: DraftStore) -> None:
    env = store.create("Future")
    file = draft_json(store, env.draft_id)
    obj = json.loads(file.read_bytes())
    obj["schema_version"] = 99
    obj["deposition"]["hologram"] = {"new": "stuff"}
    file.write_text(json.dumps(obj), encoding="utf-8")
    with pytest.raises(DraftTooNewError) as info:
        store.load(env.draft_id)
    assert "schema 99" in info.value.message and f"reads up to {draft_file.SCHEMA_VERSION}" in info.value.message
    assert "Update the program" in info.value.message
    # and a save from an older copy must not overwrite the newer draft
    with pytest.raises(DraftTooNewError):
        store.save(env)
    assert json.loads(file.read_bytes())["schema_version"] == 99
    assert store.list()[0].problem is not None


@pytest.mark.parametrize(
    ("content", "is_json"),
    [
        (b'{"name": "my settings", "version": 3}', True),
        (b"[1, 2, 3]", True),
        (b"\x89PNG\r\n\x1a\n....", False),
        (b"hello, world", False),
    ],
)
def test_not_a_draft(tmp_path: Path, content: bytes, is_json: bool) -> None:
    path = tmp_path / "thing.json"
    path.write_bytes(content)
    with pytest.raises(NotADraftError) as info:
        read_draft_file(path)
    assert info.value.params["is_json"] is is_json
    assert str(path) in info.value.message
    expected = "a JSON file of another kind" if is_json else "not a JSON file"
    assert expected in info.value.message


def test_not_found_and_zip_without_draft(tmp_path: Path) -> None:
    with pytest.raises(DraftNotFoundError):
        read_draft_file(tmp_path / "missing.biodraft")
    archive = tmp_path / "photos.biodraft"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("photo.txt", "hi")
    with pytest.raises(NotADraftError, match=r"zip archive without draft\.json"):
        read_draft_file(archive)
    archive.write_bytes(archive.read_bytes()[:40])
    with pytest.raises(DraftError) as info:
        read_draft_file(archive)
    assert isinstance(info.value, (DraftDamagedError, NotADraftError))


def test_non_finite_numbers_become_null_and_surrogates_survive() -> None:
    from bioimage_depositor.domain.deposition import FileEntry, StudyComponent
    from bioimage_depositor.domain.empiar_fields import EmpiarEntry, EmpiarImageSet

    source = "/data/caf\udce9/img.tif"  # an undecodable byte, as os.fsdecode gives it
    dep = Deposition(
        components=[
            StudyComponent(
                files=[FileEntry(source=source)],
                empiar=EmpiarEntry(image_sets=[EmpiarImageSet(pixel_width=float("nan"))]),
            )
        ]
    )
    data = serialise_draft(DraftEnvelope(deposition=dep))
    data.decode("utf-8")  # valid UTF-8
    json.loads(data, parse_constant=lambda c: pytest.fail(f"non-standard JSON {c}"))
    back = parse_draft(data, "x").deposition.components[0]
    assert back.files[0].source == source
    assert back.empiar is not None and back.empiar.image_sets[0].pixel_width is None


# ---------------------------------------------------------------- locks


def test_second_lock_raises_with_pid_and_host(store: DraftStore) -> None:
    env = store.create("Locked")
    lock = store.lock(env.draft_id)
    try:
        with pytest.raises(DraftLockedError) as info:
            store.lock(env.draft_id)
        error = info.value
        assert str(os.getpid()) in error.message
        assert error.params["host"] in error.message and error.params["host"]
        assert "Open anyway" in error.message
    finally:
        lock.release()
    assert not (store.folder(env.draft_id) / "lock").exists()
    with store.lock(env.draft_id) as again:
        assert again.held
    assert not again.held


def test_stale_lock_of_finished_process_is_taken_over(store: DraftStore) -> None:
    env = store.create("Stale")
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)
    dead_pid = int(finished.stdout)
    lock_path = store.folder(env.draft_id) / "lock"
    import socket

    lock_path.write_bytes(
        LockHolder(dead_pid, socket.gethostname(), "2024-01-01T00:00:00+00:00", "0.0").to_json()
    )
    lock = store.lock(env.draft_id)
    try:
        holder = LockHolder.from_json(lock_path.read_bytes())
        assert holder is not None and holder.pid == os.getpid()
        store.save(env)  # our own lock does not block saving
    finally:
        lock.release()


def test_lock_of_other_host_blocks_until_forced(store: DraftStore) -> None:
    env = store.create("Shared drive")
    lock_path = store.folder(env.draft_id) / "lock"
    lock_path.write_bytes(LockHolder(4242, "cluster-node-7", "2024-05-01T09:30:00+00:00",
                                     "0.1").to_json())
    with pytest.raises(DraftLockedError) as info:
        store.lock(env.draft_id)
    assert "cluster-node-7" in info.value.message and "4242" in info.value.message
    assert "2024-05-01 09:30" in info.value.message
    with pytest.raises(DraftLockedError):
        store.save(env)  # another window owns it: no silent overwrite
    lock = store.lock(env.draft_id, force=True)
    try:
        store.save(env)
    finally:
        lock.release()
    assert not lock_path.exists()


def test_release_keeps_a_lock_that_was_forced_away(store: DraftStore) -> None:
    env = store.create("Forced")
    mine = store.lock(env.draft_id)
    lock_path = store.folder(env.draft_id) / "lock"
    taken = LockHolder(4243, "elsewhere", "2024-05-01T09:30:00+00:00", "0.1").to_json()
    lock_path.write_bytes(taken)  # another machine opened it anyway
    mine.release()
    assert lock_path.read_bytes() == taken


# ---------------------------------------------------------------- conflicts


def test_conflicting_save_is_refused(store: DraftStore) -> None:
    env = store.create("Conflict")
    store.save(env)
    store.save(env)
    assert env.revision == 3
    first = store.load(env.draft_id)
    second = store.load(env.draft_id)
    first.deposition.study.title = "from window one"
    second.deposition.study.title = "from window two"
    store.save(first)
    with pytest.raises(DraftConflictError) as info:
        store.save(second)
    assert info.value.code == "draft.conflict"
    assert "revision 4" in info.value.message and "revision 3" in info.value.message
    assert store.load(env.draft_id).deposition.study.title == "from window one"
    # an explicit expected revision overrides the check deliberately
    store.save(second, expected_revision=4)
    assert store.load(env.draft_id).deposition.study.title == "from window two"


def test_a_save_by_another_program_is_noticed_although_this_store_remembers_its_own(tmp_path: Path) -> None:
    mine = DraftStore(tmp_path / "drafts")
    env = mine.create("Shared")
    mine.save(env)  # revision 2, remembered by ``mine`` without reading it back
    other = DraftStore(tmp_path / "drafts")  # another process: its own memory
    theirs = other.load(env.draft_id)
    theirs.deposition.study.title = "from the other program"
    other.save(theirs)
    with pytest.raises(DraftConflictError):
        mine.save(env)
    assert mine.load(env.draft_id).deposition.study.title == "from the other program"


def test_save_of_deleted_draft(store: DraftStore) -> None:
    env = store.create("Gone")
    store.delete(env.draft_id)
    with pytest.raises(DraftNotFoundError):
        store.save(env)


# ---------------------------------------------------------------- migrations


def test_migration_chain_runs_in_order(monkeypatch: pytest.MonkeyPatch, store: DraftStore) -> None:
    env = store.create("Old draft", titled("old"))
    calls: list[int] = []

    current = draft_file.SCHEMA_VERSION

    def first_step(data: dict) -> dict:
        calls.append(data["schema_version"])
        data["name"] += " +m1"
        return data

    def second_step(data: dict) -> dict:
        calls.append(data["schema_version"])
        data["name"] += " +m2"
        return data

    monkeypatch.setattr(draft_file, "SCHEMA_VERSION", current + 2)
    monkeypatch.setattr(draft_file, "MIGRATIONS", {current: first_step, current + 1: second_step})
    migrated = store.load(env.draft_id)
    assert calls == [current, current + 1]
    assert migrated.name == "Old draft +m1 +m2"
    assert migrated.schema_version == current + 2
    store.save(migrated)
    assert json.loads(draft_json(store, env.draft_id).read_bytes())["schema_version"] == current + 2
    # the original is kept in the history
    old = store.history(env.draft_id)[0].path
    assert json.loads(old.read_bytes())["schema_version"] == current


def test_missing_or_failing_migration(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    current = draft_file.SCHEMA_VERSION
    data = serialise_draft(DraftEnvelope(name="x"))
    monkeypatch.setattr(draft_file, "SCHEMA_VERSION", current + 1)
    monkeypatch.setattr(draft_file, "MIGRATIONS", {})
    with pytest.raises(DraftMigrationError, match=f"upgraded from schema {current}"):
        parse_draft(data, "x.json")

    def broken(data: dict) -> dict:
        raise KeyError("study")

    monkeypatch.setattr(draft_file, "MIGRATIONS", {current: broken})
    with pytest.raises(DraftMigrationError) as info:
        parse_draft(data, "x.json")
    assert info.value.code == "draft.migration_failed"
