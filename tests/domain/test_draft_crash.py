"""Kill a process mid-save, many times: the draft and its history must always load.

A child process saves an ever-changing draft in a tight loop; the test kills it
with SIGKILL 0–30 ms after it starts saving (a save takes a few ms, so kills
land in every phase of a save). After every kill the draft must load with the
content of the revision it claims, no revision may go backwards, and every
history file must load. Temporary files left behind are allowed (they show
kills landing mid-write) but must never be taken for a version.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bioimage_depositor.domain.deposition import Deposition, FileEntry, StudyComponent
from bioimage_depositor.domain.draft_file import DraftEnvelope, read_draft_file
from bioimage_depositor.domain.drafts import DraftStore

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="needs fork and SIGKILL"),
]

CHILD = Path(__file__).with_name("draft_crash_child.py")
KILLS = 150
TIME_BUDGET_S = 45.0


def assert_consistent(envelope: DraftEnvelope) -> None:
    # The saver writes "revision N" into the draft it saves as revision N
    # (revision 1 is the original created by the test).
    if envelope.revision > 1:
        n = envelope.revision
        assert envelope.deposition.study.title == f"revision {n}"
        assert envelope.deposition.study.description == (f"revision {n}\n" * (n % 97)).rstrip("\n")


def test_sigkill_during_saves_never_breaks_a_draft(tmp_path: Path) -> None:
    store = DraftStore(tmp_path / "drafts", history_limit=3)
    files = [
        FileEntry(
            path=f"plate1/well{i:04d}.ome.tif",
            source=f"/data/plate1/well{i:04d}.ome.tif",
            size_bytes=i * 1024,
            md5=f"{i:032x}",
        )
        for i in range(300)  # ~75 KB of JSON: a save takes a few ms
    ]
    env = store.create("Crash test", Deposition(components=[StudyComponent(files=files)]))
    folder = store.folder(env.draft_id)
    rng = random.Random(20240517)
    last_revision, kills, leftovers = 1, 0, 0
    # Kill within a few save-durations of the start, measured here so a loaded machine
    # (slower saves) still gets kills that land mid-save rather than before the first one.
    probe_store = DraftStore(tmp_path / "probe")
    probe = probe_store.create("Timing probe", Deposition(components=[StudyComponent(files=files)]))
    timings = []
    for _ in range(5):
        began = time.monotonic()
        probe_store.save(probe)
        timings.append(time.monotonic() - began)
    window = max(0.030, 4 * sorted(timings)[2])
    first_revision = last_revision

    server = subprocess.Popen(
        [sys.executable, str(CHILD), str(store.root), env.draft_id],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    assert server.stdin and server.stdout and server.stderr
    started = time.monotonic()
    try:
        assert server.stdout.readline() == "ready\n", server.stderr.read()
        while kills < KILLS:
            assert time.monotonic() - started < TIME_BUDGET_S, f"only {kills} kills in time"
            server.stdin.write("go\n")
            server.stdin.flush()
            line = server.stdout.readline()
            assert line.startswith("saving "), f"saver failed to start: {line!r}"
            saver = int(line.split()[1])
            time.sleep(rng.uniform(0.0, window))
            os.kill(saver, signal.SIGKILL)  # no cleanup code runs in the saver
            reaped = server.stdout.readline()
            assert reaped == f"reaped {int(signal.SIGKILL)}\n", f"saver died on its own: {reaped!r}"
            kills += 1

            current = store.load(env.draft_id)  # never DraftDamagedError
            assert_consistent(current)
            assert current.revision >= last_revision
            last_revision = current.revision

            # Every file in history/ that is not a temporary file must load (read
            # directly rather than through store.history() to validate each once).
            for path in (folder / "history").glob("*.json"):
                old = read_draft_file(path)
                assert path.name.endswith(f"-r{old.revision}.json")
                # Equal revisions: killed after archiving, before replacing; same version.
                assert old.revision <= current.revision
                if old.revision == current.revision:
                    assert old == current
                else:
                    assert_consistent(old)
                assert_consistent(old)
            leftovers = sum(1 for _ in folder.rglob(".*.tmp"))
    finally:
        server.stdin.close()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        server.stdout.close()
        server.stderr.close()

    # The savers made real progress, so the kills fell among many saves.
    assert last_revision - first_revision > KILLS // 4
    print(f"{kills} kills, {last_revision} revisions, {leftovers} temp files left mid-write")
