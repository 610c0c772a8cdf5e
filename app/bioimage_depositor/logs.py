"""Logging to the per-user log folder, so a failure can be reported without a traceback on screen."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from .paths import log_dir

LOG_FILE_NAME = "bioimage-depositor.log"


def log_file() -> Path:
    """Where this run's log goes."""
    return log_dir() / LOG_FILE_NAME


def setup_logging(level: int = logging.INFO) -> Path:
    """Send log records to a rotating file in the log folder; return its path.

    Falls back to no file logging (and says so on stderr) when the folder cannot
    be created, because a read-only home must not stop the program.
    """
    path = log_file()
    root = logging.getLogger()
    for existing in [h for h in root.handlers if getattr(h, "_bioimage_depositor", False)]:
        if getattr(existing, "baseFilename", None) == str(path):
            return path
        root.removeHandler(existing)  # the log folder moved (tests, portable use)
        existing.close()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler._bioimage_depositor = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # libraries (xsdata, Pillow) warn about damaged files through `warnings`; keep that in the log
    logging.captureWarnings(True)
    return path
