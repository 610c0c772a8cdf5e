"""Autosave and validation of a draft listing 100,000 files: one snapshot per edit, no long stall, nothing lost."""

from __future__ import annotations

import gc

from bioimage_depositor.domain.deposition import FileEntry
from bioimage_depositor.ui import draft_snapshots as snapshots_module
from bioimage_depositor.ui.draft_session import DraftSession
from tests.ui.large_draft import large_deposition
from tests.ui.test_large_draft_responsiveness import Heartbeat

FILES = 100_000


def big_session(store) -> DraftSession:
    deposition = large_deposition(components=2, contributors=10)
    deposition.components[0].files = [
        FileEntry(path=f"run/img_{i:06d}.tif", source=f"/data/run/img_{i:06d}.tif", size_bytes=i, md5="0" * 32,
                  attributes={"Channel": "DAPI"} if i % 2 else {})
        for i in range(FILES)
    ]
    created = store.create("Big", deposition)
    return DraftSession(store, store.load(created.draft_id), None)


def test_an_edit_is_snapshotted_once_for_validation_and_save_and_saved_whole(qtbot, store, monkeypatch):
    session = big_session(store)
    taken = []
    real = snapshots_module.snapshot_skeleton
    monkeypatch.setattr(snapshots_module, "snapshot_skeleton", lambda envelope: taken.append(1) or real(envelope))
    published = []
    session.problems_changed.connect(published.append)
    files = session.deposition.components[0].files
    files[7].attributes["Channel"] = "GFP"  # edited in place, as the Image data page does
    session.deposition.study.title = "Edited"
    session.touch()
    qtbot.waitUntil(lambda: session.state.name == "SAVED" and bool(published), timeout=60_000)
    assert len(taken) == 1
    saved = store.load(session.envelope.draft_id)
    assert saved.deposition.study.title == "Edited"
    assert len(saved.deposition.components[0].files) == FILES
    assert saved.deposition.components[0].files[7].attributes == {"Channel": "GFP"}
    assert saved.revision == session.envelope.revision
    session.close()
    gc.unfreeze()


def test_autosaving_a_100000_file_draft_keeps_the_event_loop_responsive(qtbot, store):
    session = big_session(store)
    beat = Heartbeat()
    try:
        for round_number in range(2):
            session.deposition.study.title = f"Edit {round_number}"
            session.touch()
            qtbot.waitUntil(lambda: session.state.name == "SAVED", timeout=60_000)
            qtbot.wait(300)
    finally:
        beat.timer.stop()
        gc.unfreeze()  # the session froze its snapshots' objects (see gc_pause); leave the collector as found
    print(f"longest event-loop stall while autosaving a {FILES:,}-file draft twice: {beat.longest} ms")
    assert store.load(session.envelope.draft_id).deposition.study.title == "Edit 1"
    # measured 100-125 ms on a 2-core machine (was 640-1,140 ms): the UI-thread copy of the file list;
    # generous for loaded CI machines
    assert beat.longest < 450, f"the event loop stalled for {beat.longest} ms"
    session.close()


def session_with_files(store, count: int) -> DraftSession:
    deposition = large_deposition(components=2, contributors=3)
    deposition.components[0].files = [FileEntry(path=f"f_{i:06d}.tif", size_bytes=i) for i in range(count)]
    created = store.create("Sliced", deposition)
    return DraftSession(store, store.load(created.draft_id), None)


def test_an_edit_while_the_snapshot_is_being_copied_starts_it_again(qtbot, store):
    session = session_with_files(store, 4 * snapshots_module.SLICE)
    session.deposition.study.title = "First edit"
    session.touch()
    session.save_soon()  # the copy starts: one slice now, the rest on later event-loop turns
    qtbot.wait(1)
    files = session.deposition.components[0].files
    files[0].attributes["stage"] = "after"  # already copied by the abandoned copy
    files[-1].attributes["stage"] = "after"  # not yet copied
    session.touch()
    session.save_soon()
    qtbot.waitUntil(lambda: session.state.name == "SAVED", timeout=60_000)
    saved = store.load(session.envelope.draft_id).deposition
    assert saved.study.title == "First edit"
    assert saved.components[0].files[0].attributes == {"stage": "after"}
    assert saved.components[0].files[-1].attributes == {"stage": "after"}
    session.close()
    gc.unfreeze()


def test_closing_while_a_snapshot_is_being_copied_saves_the_draft_as_it_is(qtbot, store):
    session = session_with_files(store, 4 * snapshots_module.SLICE)
    session.deposition.study.title = "Closed mid-copy"
    session.touch()
    session.save_soon()
    assert session.close()
    saved = store.load(session.envelope.draft_id)
    assert saved.deposition.study.title == "Closed mid-copy"
    assert len(saved.deposition.components[0].files) == 4 * snapshots_module.SLICE
    gc.unfreeze()
