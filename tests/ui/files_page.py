"""Opening a new one-component draft on the Image data page, as several UI tests start."""

from __future__ import annotations

from bioimage_depositor.domain.layouts import apply_layout


def open_files_page(qtbot, window, store, name: str):
    """Create a draft called ``name`` with one study component, open it and show the Image data page."""
    envelope = store.create(name)
    apply_layout(envelope.deposition, "single")
    store.save(envelope)
    window.open_draft(envelope.draft_id)
    qtbot.waitUntil(lambda: window.session is not None, timeout=10_000)
    window.wizard.show_page("files")
    return window.wizard.pages["files"], envelope
