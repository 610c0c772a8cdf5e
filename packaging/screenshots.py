"""Render offscreen screenshots of the program's pages from the example drafts.

Usage: ``.venv/bin/python packaging/screenshots.py OUT_DIR [--dark] [--size 1280x720] [--scale 2]``
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


def dark_palette():
    """A dark palette like a desktop's dark theme, to check that every page stays readable."""
    from PySide6.QtGui import QColor, QPalette

    palette = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, "#2b2b2b"),
        (QPalette.ColorRole.WindowText, "#e6e6e6"),
        (QPalette.ColorRole.Base, "#1e1e1e"),
        (QPalette.ColorRole.AlternateBase, "#262626"),
        (QPalette.ColorRole.Text, "#e6e6e6"),
        (QPalette.ColorRole.Button, "#353535"),
        (QPalette.ColorRole.ButtonText, "#e6e6e6"),
        (QPalette.ColorRole.Highlight, "#3d7ac7"),
        (QPalette.ColorRole.HighlightedText, "#ffffff"),
        (QPalette.ColorRole.PlaceholderText, "#9a9a9a"),
        (QPalette.ColorRole.Link, "#7fb2ff"),
        (QPalette.ColorRole.Mid, "#555555"),
    ):
        palette.setColor(role, QColor(colour))
    return palette


def main(out_dir: str, *, dark: bool = False, size: tuple[int, int] = (1280, 800)) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    home = tempfile.mkdtemp(prefix="bd-shots-")
    os.environ["BIOIMAGE_DEPOSITOR_HOME"] = home
    from bioimage_depositor.domain.drafts import DraftStore
    from bioimage_depositor.ui.app import create_window
    from bioimage_depositor.ui.style import apply_style

    app = QApplication.instance() or QApplication(sys.argv[:1])
    if dark:
        app.setStyle("Fusion")
        app.setPalette(dark_palette())
    apply_style(app)
    store = DraftStore()
    for example in sorted((ROOT / "examples").glob("*.draft.json")):
        store.import_file(example)
    broken = store.create("Draft with problems")
    broken.deposition.study.title = "Spindles"
    broken.deposition.study.keywords = ["mitosis"]
    store.save(broken)
    window = create_window(store)
    window.resize(*size)
    window.show()
    settle(app, window, lambda: window.start_page.drafts.topLevelItemCount() == 3)
    window.grab().save(str(out / "start.png"))

    light = next(s for s in store.list() if "spindle" in s.name.lower())
    window.open_draft(light.draft_id)
    settle(app, window, lambda: window.session is not None)
    window.wizard.show_page("study")
    settle(app, window)
    window.grab().save(str(out / "study.png"))
    window.wizard.show_page("review")
    review = window.wizard.pages["review"]
    review.export_to(Path(home) / "exports" / "spindle-package")
    settle(app, window, lambda: review.last_checks is not None, rounds=2000)
    window.grab().save(str(out / "review-exported.png"))

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
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", nargs="?", default="screenshots")
    parser.add_argument("--dark", action="store_true", help="use a dark palette")
    parser.add_argument("--size", default="1280x800", help="window size, e.g. 1280x720")
    parser.add_argument("--scale", default="", help="Qt scale factor, e.g. 2 for a high-DPI screen")
    options = parser.parse_args()
    if options.scale:
        os.environ["QT_SCALE_FACTOR"] = options.scale
    width, height = (int(v) for v in options.size.lower().split("x"))
    main(options.out, dark=options.dark, size=(width, height))
