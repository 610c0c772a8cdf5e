"""EMPIAR entry fields for a study component that goes to EMPIAR.

EMPIAR's deposition JSON encodes choices as Python-tuple strings such as
``"('T3', '')"``; here they are plain codes (``"T3"``) plus an "other" text, and
the exporter builds the tuple strings from these fixed tables only (the schema's
unanchored patterns would accept junk otherwise).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import Model
from .text import Block, Line

EXPERIMENT_TYPES: dict[int, str] = {
    1: "soft X-ray tomography (SXT)",
    2: "simulated data",
    3: "raw data for EMDB structures",
    4: "SBF-SEM",
    5: "FIB-SEM",
    6: "integrative hybrid modelling (IHM)",
    7: "correlative light-electron microscopy (CLEM)",
    8: "correlative light X-ray microscopy (CLXM)",
    9: "MicroED",
    11: "ATUM-SEM",
    12: "hard X-ray / X-ray microCT",
    13: "serial-section electron tomography (ssET)",
}

SCALES: dict[str, str] = {
    "1": "molecule",
    "2": "virus",
    "3": "cell",
    "4": "tissue",
    "5": "organism",
}

RELEASE_POLICIES: dict[str, str] = {
    "RE": "release directly after processing",
    "EP": "release with the related EMDB entry",
    "HP": "hold until the primary citation is published",
    "HO": "hold for one year",
}

IMAGESET_CATEGORIES: dict[str, str] = {
    "T1": "micrographs - single frame",
    "T2": "micrographs - multiframe",
    "T3": "micrographs - focal pairs - unprocessed",
    "T4": "micrographs - focal pairs - contrast inverted",
    "T5": "picked particles - single frame - unprocessed",
    "T6": "picked particles - multiframe - unprocessed",
    "T7": "picked particles - single frame - processed",
    "T8": "picked particles - multiframe - processed",
    "T9": "tilt series",
    "T10": "class averages",
    "T11": "stitched maps",
    "T12": "diffraction images",
    "T13": "reconstructed volumes",
    "T14": "subtomograms",
    "OT": "other",
}

HEADER_FORMATS: dict[str, str] = {
    "T1": "MRC",
    "T2": "MRCS",
    "T3": "TIFF",
    "T4": "IMAGIC",
    "T5": "DM3",
    "T6": "DM4",
    "T7": "SPIDER",
    "T8": "XML",
    "T9": "EER",
    "T10": "PNG",
    "T11": "JPEG",
    "T12": "SMV",
    "T13": "EM",
    "T14": "TPX3",
    "OT": "other",
}

#: Data formats share the header codes except T8, which is BigDataViewer HDF5.
DATA_FORMATS: dict[str, str] = {**HEADER_FORMATS, "T8": "BIG DATA VIEWER HDF5"}

VOXEL_TYPES: dict[str, str] = {
    "T1": "UNSIGNED BYTE",
    "T2": "SIGNED BYTE",
    "T3": "UNSIGNED 16 BIT INTEGER",
    "T4": "SIGNED 16 BIT INTEGER",
    "T5": "UNSIGNED 32 BIT INTEGER",
    "T6": "SIGNED 32 BIT INTEGER",
    "T7": "32 BIT FLOAT",
    "T8": "BIT",
    "T9": "4 BIT INTEGER",
    "OT": "other",
}


class EmpiarImageSet(Model):
    """One EMPIAR image set: a folder of images of one kind."""

    name: Line = ""
    directory: Line = ""  # inside the upload, under the reserved top-level "data/"
    category: Line = ""  # a code of IMAGESET_CATEGORIES
    category_other: Line = ""
    header_format: Line = ""
    header_format_other: Line = ""
    data_format: Line = ""
    data_format_other: Line = ""
    voxel_type: Line = ""
    voxel_type_other: Line = ""
    num_images_or_tilt_series: int | None = None
    frames_per_image: int | None = None
    image_width: int | None = None  # pixels
    image_height: int | None = None
    pixel_width: float | None = None  # ångström
    pixel_height: float | None = None
    details: Block = ""


class EmpiarEntry(Model):
    """The EMPIAR-specific part of a component's deposition."""

    experiment_type: int | None = None
    scale: Line = ""  # "1".."5"; EMPIAR wants a string
    release_policy: Literal["RE", "EP", "HP", "HO"] = "RE"
    image_sets: list[EmpiarImageSet] = Field(default_factory=list)
