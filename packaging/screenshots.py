"""Render offscreen screenshots of the program's pages from the example drafts.

Usage: ``.venv/bin/python packaging/screenshots.py OUT_DIR [--dark] [--size 1280x720] [--scale 2] [--guide]``
(``--guide`` also refreshes the user guide's pictures in docs/images).
Writes start.png, study.png, clem-<page>.png for every page of the CLEM example,
study-problems.png, review.png, and files.png / files-prefilled-acquisition.png (the Image data
page over generated OME-TIFFs, and the acquisition it filled in) at 1280x800. The
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


def _cells(seed: int, shape: tuple[int, int, int, int]):
    """Synthetic 2-channel Z stacks (C, Z, Y, X): round nuclei and a spindle-like streak, uint16."""
    import numpy as np

    rng = np.random.default_rng(seed)
    _channels, depth, height, width = shape
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    out = np.zeros(shape, dtype=np.float32)
    for _ in range(6):
        cy, cx = rng.uniform(30, height - 30), rng.uniform(30, width - 30)
        radius = rng.uniform(14, 26)
        blob = np.exp(-(((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * radius**2)))
        angle = rng.uniform(0, np.pi)
        along = (xx - cx) * np.cos(angle) + (yy - cy) * np.sin(angle)
        across = -(xx - cx) * np.sin(angle) + (yy - cy) * np.cos(angle)
        streak = np.exp(-(along**2) / (2 * (radius * 0.9) ** 2) - (across**2) / (2 * 3.0**2))
        for z in range(depth):
            weight = np.exp(-((z - depth / 2) ** 2) / (2 * (depth / 3) ** 2))
            out[0, z] += 3000 * blob * weight
            out[1, z] += 2500 * streak * weight
    out += rng.normal(200, 40, size=shape).astype(np.float32)
    return np.clip(out, 0, 65535).astype(np.uint16)


def image_data_shots(app: QApplication, window, store, home: str, out: Path) -> None:
    """The Image data page with real files: thumbnails, attribute columns, a multi-channel preview."""
    import tifffile

    from bioimage_depositor.ui.file_table import COL_PATH

    data = Path(home) / "data" / "spindle_run1"
    data.mkdir(parents=True)
    for index in range(14):
        tifffile.imwrite(
            data / f"hela_spindle_{index + 1:02d}.ome.tif",
            _cells(index, (2, 9, 192, 256)),
            ome=True,
            metadata={"axes": "CZYX", "PhysicalSizeX": 0.183, "PhysicalSizeY": 0.183, "PhysicalSizeZ": 0.5,
                      "Channel": {"Name": ["DAPI", "alpha-tubulin"]}},
        )
    (data / "hela_spindle_15.ome.tif").write_bytes(b"II*\x00" + b"\x00" * 60)  # a damaged file
    light = next(s for s in store.list() if "spindle" in s.name.lower())
    deposition = store.load(light.draft_id).deposition
    deposition.components[0].files = []
    for acquisition in deposition.acquisitions:
        acquisition.imaging_instrument = ""  # empty, so "Fill in from the images" has something to fill
        acquisition.image_acquisition_parameters = ""
    demo = store.create("Image data demo", deposition)
    window.open_draft(demo.draft_id)
    settle(app, window, lambda: window.session is not None)
    window.wizard.show_page("files")
    page = window.wizard.pages["files"]
    settle(app, window)
    page.add_paths([str(data)])
    settle(app, window, lambda: not page.busy() and len(page.model.infos) == 15, rounds=2000)
    files = window.session.deposition.components[0].files
    page.set_attribute([i for i, e in enumerate(files) if int(e.path[-10:-8] or 0) % 2], "treatment", "nocodazole")
    page.set_attribute([i for i, e in enumerate(files) if not int(e.path[-10:-8] or 0) % 2], "treatment", "untreated")
    page.set_attribute(list(range(len(files))), "replicate", "1")
    row = next(r for r in range(page.model.rowCount()) if page.model.index(r, COL_PATH).data().endswith("_03.ome.tif"))
    page.table.setCurrentIndex(page.model.index(row, COL_PATH))
    settle(app, window, lambda: page.preview.image is not None and not page.preview.busy()
           and page.thumbnails.pending() == 0, rounds=2000)
    page.preview.select(z=5)
    settle(app, window, lambda: page.preview.image is not None and page.preview.image.z == 5
           and not page.preview.busy(), rounds=2000)
    page.prefill_from_images()
    settle(app, window, lambda: not page.busy(), rounds=2000)
    settle(app, window, lambda: page.thumbnails.pending() == 0, rounds=500)
    window.grab().save(str(out / "files.png"))
    window.session.revalidate()
    window.wizard.show_page("acquisitions")
    settle(app, window)
    window.grab().save(str(out / "files-prefilled-acquisition.png"))
    window.close_draft()
    settle(app, window)


def correlation_shots(app: QApplication, window, store, home: str, out: Path) -> None:
    """The CLEM Correlation page over generated LM and EM images: datasets, a typed matrix, a BigWarp file,
    and landmarks with the overlay (clem-correlation-*.png)."""
    import numpy as np
    import tifffile

    from bioimage_depositor.domain.deposition import FileEntry

    def specimen(x, y):  # blobs and a membrane, in micrometres, shared by both modalities
        rng = np.random.default_rng(3)
        value = np.zeros_like(x)
        centres = zip(rng.uniform(2, 24, 14), rng.uniform(2, 24, 14), rng.uniform(0.5, 1.6, 14), strict=True)
        for cx, cy, r in centres:
            value += np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r**2))
        return value + 0.6 * np.exp(-((np.hypot(x - 13, y - 13) - 8) ** 2) / 0.08)

    folder = Path(home) / "data" / "clem"
    folder.mkdir(parents=True)
    yy, xx = np.mgrid[0:256, 0:256] * 0.1
    lm = specimen(xx, yy)
    tifffile.imwrite(folder / "cell1_airyscan.ome.tif", (lm / lm.max() * 4000).astype(np.uint16), ome=True,
                     metadata={"axes": "YX", "PhysicalSizeX": 0.1, "PhysicalSizeY": 0.1})
    angle = np.deg2rad(8.0)
    linear = 1.05 * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    shift = np.full(2, 5.12) - linear @ np.full(2, 12.8)
    yy, xx = np.mgrid[0:512, 0:512] * 0.02
    back = np.linalg.solve(linear, np.stack([xx.ravel(), yy.ravel()]) - shift[:, None])
    em = specimen(back[0], back[1]).reshape(512, 512)
    tifffile.imwrite(folder / "fibsem_cell1.ome.tif", (255 - em / em.max() * 200).astype(np.uint8), ome=True,
                     metadata={"axes": "YX", "PhysicalSizeX": 0.02, "PhysicalSizeY": 0.02})
    clem = next(s for s in store.list() if "clem" in s.name.lower())
    deposition = store.load(clem.draft_id).deposition
    deposition.components[0].files = [FileEntry(path="lm/cell1_airyscan.ome.tif",
                                                source=str(folder / "cell1_airyscan.ome.tif"))]
    deposition.components[1].files = [FileEntry(path="fibsem_cell1/fibsem_cell1.ome.tif",
                                                source=str(folder / "fibsem_cell1.ome.tif"))]
    demo = store.create("CLEM correlation demo", deposition)
    window.open_draft(demo.draft_id)
    settle(app, window, lambda: window.session is not None)
    window.wizard.show_page("correlations")
    page = window.wizard.pages["correlations"]
    settle(app, window, lambda: not page.pixel_sizes._asked, rounds=500)
    def scroll_to(widget, margin=8):
        page.scroll_area.verticalScrollBar().setValue(widget.mapTo(page.body, widget.rect().topLeft()).y() - margin)

    page.datasets.add_accession("EMD-12345")
    scroll_to(page.datasets)
    settle(app, window)
    window.grab().save(str(out / "clem-correlation-datasets.png"))
    page.datasets.remove_accession("EMD-12345")
    editor = page.transforms
    editor.tabs.setCurrentIndex(0)
    scroll_to(page.transforms)
    settle(app, window)
    window.grab().save(str(out / "clem-correlation-matrix.png"))
    editor.tabs.setCurrentIndex(1)
    editor.file_tab.import_file(str(ROOT / "tests" / "data" / "landmarks" / "bigwarp_3d.csv"))
    settle(app, window, lambda: editor.file_tab.read is not None, rounds=500)
    editor.file_tab.moving_unit.setCurrentIndex(editor.file_tab.moving_unit.findData("micrometer"))
    settle(app, window)
    window.grab().save(str(out / "clem-correlation-file-units.png"))
    editor.file_tab.fixed_unit.setCurrentIndex(editor.file_tab.fixed_unit.findData("micrometer"))
    settle(app, window)
    window.grab().save(str(out / "clem-correlation-file.png"))
    editor.tabs.setCurrentIndex(2)
    tab = editor.landmark_tab
    settle(app, window, lambda: tab.moving.image is not None and tab.fixed.image is not None, rounds=1000)
    rng = np.random.default_rng(5)
    for x, y in [(98, 96), (160, 100), (130, 162), (100, 150), (150, 140), (120, 118), (165, 128), (108, 122)]:
        moving = np.array([x, y], dtype=float)
        fixed = (linear @ (moving * 0.1) + shift) / 0.02 + rng.normal(0, 1.5, 2)
        tab.place("moving", *moving)
        tab.place("fixed", *fixed)
    tab.use_fit()
    tab.select(2)
    scroll_to(editor.tabs)
    settle(app, window)
    window.grab().save(str(out / "clem-correlation-landmarks.png"))
    page.scroll_area.ensureWidgetVisible(tab.overlay)
    settle(app, window)
    window.grab().save(str(out / "clem-correlation-overlay.png"))
    page.body.grab().save(str(out / "clem-correlation-full.png"))
    window.close_draft()
    settle(app, window)


def upload_shots(app: QApplication, window, home: Path, out: Path) -> None:
    """The Upload page sending the package just exported (to a folder, slowed down so it is mid-way)."""
    import time

    from PySide6.QtCore import QUrl

    window.wizard.show_page("upload")
    panel = window.wizard.pages["upload"].panel
    bulk = Path(panel.source_edit.text()) / "raw"
    bulk.mkdir(exist_ok=True)
    for index in range(4):  # something worth a progress bar next to the package's metadata
        (bulk / f"hela_spindle_{index + 1:02d}.ome.tif").write_bytes(os.urandom(1_500_000))
    panel.set_target(QUrl.fromLocalFile(str(home / "archive-upload-area")).toString())
    panel.limit_spin.setValue(2)
    panel.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (panel.last_snapshot and panel.last_snapshot.fraction > 0.3):
        app.processEvents()
        time.sleep(0.02)
    window.grab().save(str(out / "upload.png"))
    panel.controller.stop()
    panel.controller.wait(20)
    settle(app, window)


#: Screenshots the user guide shows (docs/images/<name>) and the shot each is taken from.
GUIDE_IMAGES = {
    "start.png": "start.png",
    "study.png": "study.png",
    "files.png": "files.png",
    "review.png": "review-exported.png",
    "upload.png": "upload.png",
    "clem-correlations.png": "clem-correlation-overlay.png",
}


def copy_guide_images(out: Path) -> None:
    """Refresh docs/images from a run, so the guide always shows the program as it is."""
    import shutil

    target = ROOT / "docs" / "images"
    target.mkdir(parents=True, exist_ok=True)
    for name, shot in GUIDE_IMAGES.items():
        shutil.copyfile(out / shot, target / name)


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
    upload_shots(app, window, Path(home), out)

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
    correlation_shots(app, window, store, home, out)
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
    image_data_shots(app, window, store, home, out)
    print(f"screenshots written to {out}")


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", nargs="?", default="screenshots")
    parser.add_argument("--dark", action="store_true", help="use a dark palette")
    parser.add_argument("--size", default="1280x800", help="window size, e.g. 1280x720")
    parser.add_argument("--scale", default="", help="Qt scale factor, e.g. 2 for a high-DPI screen")
    parser.add_argument("--guide", action="store_true", help="also refresh the user guide's pictures in docs/images")
    options = parser.parse_args()
    if options.scale:
        os.environ["QT_SCALE_FACTOR"] = options.scale
    width, height = (int(v) for v in options.size.lower().split("x"))
    main(options.out, dark=options.dark, size=(width, height))
    if options.guide:
        copy_guide_images(Path(options.out))
