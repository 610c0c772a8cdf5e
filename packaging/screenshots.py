"""Render offscreen screenshots of the program's pages from the example drafts.

Usage: ``QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/screenshots.py OUT_DIR``
Writes start.png, study.png, clem-<page>.png for every page of the CLEM example,
study-problems.png and review.png (1280x800). The
drafts go to a temporary store, so the user's own drafts are never touched.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parents[1]


def settle(app: QApplication, window, condition=lambda: True, rounds: int = 200) -> None:
    """Process events until ``condition`` holds and background work is done."""
    from bioimage_depositor.ui.background import default_runner

    for _ in range(rounds):
        app.processEvents()
        default_runner().wait_for_done(50)
        app.processEvents()
        if condition():
            break
    QCoreApplication.sendPostedEvents()


def main(out_dir: str) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    home = tempfile.mkdtemp(prefix="bd-shots-")
    os.environ["BIOIMAGE_DEPOSITOR_HOME"] = home
    from bioimage_depositor.domain.drafts import DraftStore
    from bioimage_depositor.ui.app import create_window
    from bioimage_depositor.ui.style import apply_style

    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_style(app)
    store = DraftStore()
    for example in sorted((ROOT / "examples").glob("*.draft.json")):
        store.import_file(example)
    broken = store.create("Draft with problems")
    broken.deposition.study.title = "Spindles"
    broken.deposition.study.keywords = ["mitosis"]
    store.save(broken)
    window = create_window(store)
    window.resize(1280, 800)
    window.show()
    settle(app, window, lambda: window.start_page.drafts.topLevelItemCount() == 3)
    window.grab().save(str(out / "start.png"))

    light = next(s for s in store.list() if "spindle" in s.name.lower())
    window.open_draft(light.draft_id)
    settle(app, window, lambda: window.session is not None)
    window.wizard.show_page("study")
    settle(app, window)
    window.grab().save(str(out / "study.png"))

    window.close_draft()
    settle(app, window)
    clem = next(s for s in store.list() if "clem" in s.name.lower())
    window.open_draft(clem.draft_id)
    settle(app, window, lambda: window.session is not None)
    for key in list(window.wizard._flow_keys):
        window.wizard.show_page(key)
        settle(app, window)
        window.grab().save(str(out / f"clem-{key}.png"))
    window.close_draft()
    settle(app, window)
    window.open_draft(broken.draft_id)
    settle(app, window, lambda: window.session is not None)
    page = window.wizard.pages["study"]
    page.contributors.table.insertRow(0)
    window.wizard.show_page("study")
    page.reveal_all_problems()
    settle(app, window)
    window.grab().save(str(out / "study-problems.png"))
    window.wizard.show_page("review")
    settle(app, window)
    window.grab().save(str(out / "review.png"))
    window.close_draft()
    settle(app, window)
    print(f"screenshots written to {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "screenshots")
