"""Named option tables for choice fields in the form files (``widget = "choice:<name>"``).

The values come from the domain's own tables, so the wizard offers exactly what
the rules and exporters accept.
"""

from __future__ import annotations

from ..domain.empiar_fields import (
    DATA_FORMATS,
    EXPERIMENT_TYPES,
    HEADER_FORMATS,
    IMAGESET_CATEGORIES,
    RELEASE_POLICIES,
    SCALES,
    VOXEL_TYPES,
)
from ..domain.rembi import ANNOTATION_TYPES

#: name -> list of (stored value, label shown)
CHOICES: dict[str, list[tuple[object, str]]] = {
    "archives": [
        ("BIA", "BioImage Archive (light microscopy and most modalities)"),
        ("EMPIAR", "EMPIAR (electron and X-ray imaging)"),
    ],
    "experiment_types": list(EXPERIMENT_TYPES.items()),
    "scales": list(SCALES.items()),
    "release_policies": list(RELEASE_POLICIES.items()),
    "imageset_categories": list(IMAGESET_CATEGORIES.items()),
    "header_formats": list(HEADER_FORMATS.items()),
    "data_formats": list(DATA_FORMATS.items()),
    "voxel_types": list(VOXEL_TYPES.items()),
    "annotation_types": [(value, value.replace("_", " ")) for value in ANNOTATION_TYPES],
}
