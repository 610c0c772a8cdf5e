"""Dragging a landmark with 100 pairs present refits and repaints the overlay without stalling the UI.

A 5 ms heartbeat timer records the longest gap between its ticks (an event-loop stall) while
200 mouse moves drag one reference landmark across the view, each followed by the event
processing a real drag gets (repaints of the view, the table and the overlay). The issue's
target is 50 ms; the guard here is generous because the test machine is shared and loaded.
"""

from __future__ import annotations

import gc
import time

import numpy as np
from PySide6.QtCore import QPoint, Qt

from tests.ui.test_correlation_page import lm_to_em_pixels, open_page, wait_for_previews
from tests.ui.test_responsiveness import Heartbeat

STALL_GUARD_MS = 150
TARGET_MS = 50


def test_dragging_a_landmark_among_100_pairs_keeps_the_event_loop_ticking(qtbot, window, store, tmp_path):
    page = open_page(qtbot, window, store, tmp_path / "images", keep_transform=False)
    window.resize(1280, 1500)  # the dragged view and the overlay both on screen
    tab = wait_for_previews(qtbot, page)
    rng = np.random.default_rng(7)
    lm_points = rng.uniform(96, 160, size=(100, 2))
    em_points = lm_to_em_pixels(lm_points) + rng.normal(0, 0.8, size=(100, 2))
    for moving, fixed in zip(lm_points, em_points, strict=True):
        tab.place("moving", *moving)
        tab.place("fixed", *fixed)
    assert len(tab.pairs) == 100 and tab.pairs.fit is not None
    page.scroll_area.ensureWidgetVisible(tab.overlay)
    qtbot.wait(50)
    view = tab.fixed.view
    assert not view.visibleRegion().isEmpty() and not tab.overlay.visibleRegion().isEmpty()
    start_matrix = tab.overlay.matrix.copy()
    overlay_paints, view_paints = tab.overlay.paint_count, view.paint_count

    gc.collect()  # garbage of earlier tests (whole windows) is not part of the drag
    beat = Heartbeat()
    qtbot.wait(30)
    beat.longest = 0
    handling = []
    start = view.to_screen(*tab.pairs.fixed[0]).toPoint()  # after layout and scrolling have settled
    before = np.array(tab.pairs.fixed, dtype=float).copy()
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=start)
    for step in range(1, 201):
        offset = QPoint(round(40 * np.sin(step / 200 * np.pi)), step // 5)  # stays inside the image
        began = time.perf_counter()
        qtbot.mouseMove(view, start + offset)
        handling.append(time.perf_counter() - began)
        qtbot.wait(1)  # let the loop run between moves, as it does between real mouse events
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=start + QPoint(0, 40))
    qtbot.wait(30)
    beat.timer.stop()

    # 100 landmarks crowd a small area, so the press may pick a neighbour of pair 0: follow the one that moved
    changed = np.flatnonzero(np.any(~np.isclose(np.array(tab.pairs.fixed, dtype=float), before), axis=1))
    assert len(changed) == 1, changed
    dragged = int(changed[0])
    moved = tab.pairs.fixed[dragged]
    assert np.allclose(moved, view.to_image((start + QPoint(0, 40)).toPointF()))
    assert tab.overlay.paint_count - overlay_paints >= 20, "the overlay did not follow the drag"
    assert view.paint_count - view_paints >= 20
    assert not np.allclose(tab.overlay.matrix, start_matrix)
    assert window.session.deposition.correlations[0].transforms[0].landmarks[dragged].fixed == list(moved)
    print(
        f"\nlandmark drag, 100 pairs, 200 moves: longest event-loop stall {beat.longest} ms "
        f"(target {TARGET_MS} ms); move handling median {np.median(handling) * 1000:.2f} ms, "
        f"max {max(handling) * 1000:.2f} ms; overlay repainted {tab.overlay.paint_count - overlay_paints} times"
    )
    assert beat.longest < STALL_GUARD_MS
