"""Typing quickly into a page of a large draft never stalls the event loop (5 ms heartbeat)."""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, QTimer

from tests.ui.large_draft import large_deposition


class Heartbeat:
    def __init__(self):
        self.clock = QElapsedTimer()
        self.clock.start()
        self.last = 0
        self.gaps: list[int] = []
        self.timer = QTimer(interval=5)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self):
        now = self.clock.elapsed()
        self.gaps.append(now - self.last)
        self.last = now

    @property
    def longest(self) -> int:
        return max(self.gaps[1:], default=0)


def test_typing_into_a_large_draft_keeps_the_loop_responsive(qtbot, window, store):
    envelope = store.create("Large", large_deposition())
    window.open_draft(envelope.draft_id)
    qtbot.waitUntil(lambda: window.session is not None, timeout=20_000)
    page = window.wizard.pages["study"]
    window.wizard.show_page("study")
    qtbot.wait(300)
    beat = Heartbeat()
    for word in ("Live ", "imaging ", "of ", "spindles ", "in ", "two ", "hundred ", "components"):
        qtbot.keyClicks(page.title_edit, word, delay=15)
        qtbot.wait(30)
    qtbot.waitUntil(lambda: window.session.state.name == "SAVED", timeout=20_000)
    qtbot.wait(400)  # let a validation run finish while the heartbeat watches
    beat.timer.stop()
    print(f"longest event-loop stall while typing in a 200-component draft: {beat.longest} ms")
    assert window.session.deposition.study.title.endswith("components")
    assert store.load(envelope.draft_id).deposition.study.title.endswith("components")
    # the target is 50 ms; this guard is generous because CI machines are noisy
    assert beat.longest < 150, f"the event loop stalled for {beat.longest} ms"
