"""The UI thread never waits for the disk: slow store calls run in workers while the loop keeps ticking."""

from __future__ import annotations

import time

from PySide6.QtCore import QElapsedTimer, Qt, QThread, QTimer

from bioimage_depositor.domain.drafts import DraftStore


class SlowStore(DraftStore):
    """A store whose disk work is slow and which records the thread it ran on."""

    delay = 1.0

    def __init__(self, root):
        super().__init__(root)
        self.threads: list[bool] = []  # True when a call ran on the UI thread

    def _slow(self):
        self.threads.append(QThread.currentThread().isMainThread())
        time.sleep(self.delay)

    def list(self):
        self._slow()
        return super().list()

    def load(self, name_or_id):
        self._slow()
        return super().load(name_or_id)

    def save(self, envelope, *, expected_revision=None):
        self._slow()
        return super().save(envelope, expected_revision=expected_revision)


class Heartbeat:
    """A 5 ms timer that records the longest gap between its ticks (an event-loop stall)."""

    def __init__(self):
        self.clock = QElapsedTimer()
        self.clock.start()
        self.last = 0
        self.longest = 0
        self.timer = QTimer(interval=5)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self):
        now = self.clock.elapsed()
        self.longest = max(self.longest, now - self.last)
        self.last = now


def test_slow_disk_never_stalls_the_event_loop(qtbot, tmp_path):
    from bioimage_depositor.ui.app import create_window
    from bioimage_depositor.ui.background import default_runner

    store = SlowStore(tmp_path / "drafts")
    existing = store.create("Existing draft")
    window = create_window(store)
    qtbot.addWidget(window)
    window.show()
    beat = Heartbeat()
    window.open_draft(existing.draft_id)
    qtbot.waitUntil(lambda: window.session is not None, timeout=10_000)
    page = window.wizard.pages["study"]
    qtbot.keyClicks(page.title_edit, "Typing while the disk is slow")
    qtbot.waitUntil(lambda: window.session.state.name == "SAVED", timeout=10_000)
    qtbot.keyClicks(page.keywords_edit.entry, "more, typing")
    qtbot.keyClick(page.keywords_edit.entry, Qt.Key.Key_Return)
    qtbot.mouseClick(page.contributors.add_button, Qt.MouseButton.LeftButton)
    qtbot.wait(50)
    beat.timer.stop()
    window.session.close()
    assert default_runner().wait_for_done(10_000)
    assert store.threads, "the store was never called"
    assert not any(store.threads[:-1]), "a slow store call ran on the UI thread"
    # the final flush on close is allowed to run on the UI thread; everything before it is not
    # a slow call on the UI thread would stall it for a whole second; noisy machines stay well below
    assert beat.longest < 700, f"the event loop stalled for {beat.longest} ms"
