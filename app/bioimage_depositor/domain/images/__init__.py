"""Image files: format detection, probes, previews and metadata prefill (no Qt).

Public entry points, all pure and safe to call from worker threads:

- :func:`probe` — what a file is and what its metadata says (never reads pixels);
- :func:`render_preview` / :func:`render_thumbnail` — an RGB picture, reading only what it needs;
- :func:`save_png` — write a preview;
- :func:`prefill_acquisition`, :func:`prefill_empiar_image_set` — form suggestions with sources and conflicts;
- :func:`detect_format` — the format by content.

Bad files never raise from :func:`probe` (see ``ImageInfo.error``);
:func:`render_preview` raises only :class:`PreviewError`.
"""

from __future__ import annotations

from .detect import Detection, detect_format
from .errors import ImageIssue, ImageReadError, PreviewError
from .model import ChannelInfo, ImageInfo, InstrumentInfo, MrcInfo, PixelSize, SeriesInfo
from .prefill import Conflict, ConflictValue, PrefillResult, Suggestion, prefill_acquisition, prefill_empiar_image_set
from .preview import THUMBNAIL_SIZE, render_preview, render_thumbnail, save_png
from .preview_types import ChannelDisplay, PreviewImage
from .probe import probe, probe_many

__all__ = [
    "THUMBNAIL_SIZE",
    "ChannelDisplay",
    "ChannelInfo",
    "Conflict",
    "ConflictValue",
    "Detection",
    "ImageInfo",
    "ImageIssue",
    "ImageReadError",
    "InstrumentInfo",
    "MrcInfo",
    "PixelSize",
    "PrefillResult",
    "PreviewError",
    "PreviewImage",
    "SeriesInfo",
    "Suggestion",
    "detect_format",
    "prefill_acquisition",
    "prefill_empiar_image_set",
    "probe",
    "probe_many",
    "render_preview",
    "render_thumbnail",
    "save_png",
]
