"""Background results for a widget closed meanwhile are dropped, not delivered to a deleted object."""

from __future__ import annotations

import logging
import threading

import shiboken6
from PySide6.QtWidgets import QLabel

from bioimage_depositor.ui.background import BackgroundRunner, _Relay, _Task


def test_a_result_for_a_deleted_widget_is_dropped(qtbot) -> None:
    runner = BackgroundRunner()
    release = threading.Event()
    label = QLabel()
    runner.submit(lambda: release.wait(10) and "late result", label.setText)
    shiboken6.delete(label)  # the dialog closed while the work was running
    release.set()
    qtbot.waitUntil(lambda: runner.pending() == 0, timeout=10000)  # no exception reached the event loop


def test_a_live_widget_still_gets_its_result(qtbot) -> None:
    runner = BackgroundRunner()
    label = QLabel()
    qtbot.addWidget(label)
    runner.submit(lambda: "done", label.setText)
    qtbot.waitUntil(lambda: label.text() == "done", timeout=10000)


def test_a_task_finishing_after_its_relay_was_deleted_does_not_raise(caplog) -> None:
    """Quitting while a task runs deletes its relay; the worker's late emit must not print a traceback."""
    for outcome in (lambda: "late result", lambda: 1 / 0):
        relay = _Relay(lambda *args: None)
        task = _Task(outcome, relay)
        task.setAutoDelete(False)
        shiboken6.delete(relay)
        with caplog.at_level(logging.DEBUG, logger="bioimage_depositor.ui.background"):
            task.run()  # would raise RuntimeError: Signal source has been deleted
        assert "dropped" in caplog.text
