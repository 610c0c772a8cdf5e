"""The program's look: the bundled style sheet on top of the desktop's own palette."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QApplication

from ..paths import resource_path

log = logging.getLogger(__name__)


def apply_style(app: QApplication) -> None:
    """Apply ``resources/style/app.qss``; a missing file only costs looks, so it is logged."""
    try:
        app.setStyleSheet(resource_path("style", "app.qss").read_text(encoding="utf-8"))
    except OSError as error:
        log.warning("style sheet not loaded: %s", error)
