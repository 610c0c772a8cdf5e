"""The cycle collector pause used by workers that create 100,000 objects: nested, threaded, always undone."""

from __future__ import annotations

import gc
import threading

import pytest

from bioimage_depositor.ui.gc_pause import collector_paused, paused


def test_pauses_nest_and_the_last_one_restores_the_collector():
    assert gc.isenabled() and not paused()
    with collector_paused():
        assert not gc.isenabled() and paused()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds
    assert gc.isenabled() and not paused()


def test_an_exception_still_restores_the_collector():
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("worker failed")
    assert gc.isenabled()


def test_overlapping_workers_in_threads():
    inside = threading.Barrier(3)
    leave = threading.Event()

    def worker() -> None:
        with collector_paused():
            inside.wait()
            leave.wait(5)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    inside.wait()
    assert not gc.isenabled()
    leave.set()
    for thread in threads:
        thread.join()
    assert gc.isenabled() and not paused()


def test_a_collector_disabled_before_stays_disabled():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_freeze_and_thaw():
    from bioimage_depositor.ui.gc_pause import freeze_survivors, thaw

    thaw()
    kept = [object() for _ in range(10)]
    freeze_survivors()
    try:
        assert gc.get_freeze_count() > len(kept)
    finally:
        thaw()
    assert gc.get_freeze_count() == 0
