"""Image files: format detection, probes, previews and metadata prefill (no Qt).

Public entry points, all pure and safe to call from worker threads:

- :func:`probe` — what a file is and what its metadata says (never reads pixels);
- :func:`render_preview` / :func:`render_thumbnail` — an RGB picture, reading only what it needs;
- :func:`read_preview_planes` + :func:`compose_preview` — the same in two steps, for viewers that
  change channel colours, contrast and visibility without reading the file again;
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
from .preview import (
    THUMBNAIL_SIZE,
    compose_preview,
    read_preview_planes,
    render_preview,
    render_thumbnail,
    save_png,
)
from .preview_types import ChannelDisplay, ChannelSetting, PreviewImage, PreviewPlanes
from .probe import probe, probe_many

__all__ = [
    "THUMBNAIL_SIZE",
    "ChannelDisplay",
    "ChannelInfo",
    "ChannelSetting",
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
    "PreviewPlanes",
    "SeriesInfo",
    "Suggestion",
    "compose_preview",
    "detect_format",
    "prefill_acquisition",
    "prefill_empiar_image_set",
    "probe",
    "probe_many",
    "read_preview_planes",
    "render_preview",
    "render_thumbnail",
    "save_png",
]
