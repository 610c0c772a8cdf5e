"""The deposition aggregate: one object holding everything a draft describes.

A :class:`Deposition` is the single source of truth that the wizard pages edit,
the draft store saves and the exporters read. Reusable REMBI objects live in
flat lists and study components refer to them by id, so editing a shared
biosample changes every component that uses it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import Id, Model, new_id
from .empiar_fields import EmpiarEntry
from .rembi import (
    AnnotationType,
    Biosample,
    ImageAcquisition,
    ImageAnalysis,
    ImageCorrelation,
    Specimen,
    Study,
)
from .text import Block, Line

Archive = Literal["BIA", "EMPIAR"]


class FileEntry(Model):
    """One data file of a component's file list.

    ``path`` is where the file sits relative to the folder the user added; when
    its name breaks an archive's rules the fixed name goes into ``deposit_path``
    and is used in file lists, manifests and uploads, while the user's original
    file is never renamed.
    """

    path: Line = ""  # relative, "/"-separated, case-sensitive, as on the user's disk
    deposit_path: Line = ""  # the name to deposit under when it differs from ``path``
    source: str = ""  # absolute local path of the original; never changed by the program
    size_bytes: int | None = None
    md5: Line = ""
    attributes: dict[Line, Line] = Field(default_factory=dict)

    @property
    def deposited_path(self) -> str:
        """The path the archive will see."""
        return self.deposit_path or self.path


class StudyComponent(Model):
    """A group of images made the same way, associated with the objects that describe them."""

    id: Id = Field(default_factory=lambda: new_id("component"))
    name: Line = ""
    description: Block = ""
    archive: Archive = "BIA"
    biosample_ids: list[Id] = Field(default_factory=list)
    specimen_ids: list[Id] = Field(default_factory=list)
    acquisition_ids: list[Id] = Field(default_factory=list)
    correlation_ids: list[Id] = Field(default_factory=list)
    analysis_ids: list[Id] = Field(default_factory=list)
    files: list[FileEntry] = Field(default_factory=list)
    empiar: EmpiarEntry | None = None


class AnnotationSet(Model):
    """A MIFA annotation dataset (segmentations, labels, tracks…) with its own file list."""

    id: Id = Field(default_factory=lambda: new_id("annotations"))
    title: Line = ""
    overview: Block = ""
    annotation_types: list[AnnotationType] = Field(default_factory=list)
    method: Block = ""
    criteria: Block = ""
    coverage: Block = ""
    confidence_level: Block = ""
    source_component_ids: list[Id] = Field(default_factory=list)
    files: list[FileEntry] = Field(default_factory=list)


class PrefilledValue(Model):
    """A form value filled in from the image files' metadata, marked as such until the user confirms or edits it.

    ``location`` names the field: ``["acquisitions", <acquisition id>, <field>]``
    or ``["components", <component id>, "empiar", "image_sets", <index>, <field>]``.
    ``value`` is the text that was filled in, so a mark whose field now holds
    something else is ignored; ``note`` says which files it came from.
    """

    location: list[str | int] = Field(default_factory=list)
    value: str = ""
    note: Line = ""


class ArchiveAccessions(Model):
    """What the archives assigned when the deposition was submitted (written by the submission, shown everywhere).

    ``empiar`` maps an EMPIAR study component's id to its entry's accession;
    ``receipt`` is the plain-text account of what the archives confirmed.
    """

    bia: Line = ""
    empiar: dict[Id, Line] = Field(default_factory=dict)
    receipt: Block = ""


class Deposition(Model):
    """Everything one deposition describes, across the BIA and EMPIAR."""

    correlative: bool = False
    study: Study = Field(default_factory=Study)
    biosamples: list[Biosample] = Field(default_factory=list)
    specimens: list[Specimen] = Field(default_factory=list)
    acquisitions: list[ImageAcquisition] = Field(default_factory=list)
    correlations: list[ImageCorrelation] = Field(default_factory=list)
    analyses: list[ImageAnalysis] = Field(default_factory=list)
    annotations: list[AnnotationSet] = Field(default_factory=list)
    components: list[StudyComponent] = Field(default_factory=list)
    # Values the wizard filled in from file metadata and the user has not yet confirmed or edited.
    prefilled: list[PrefilledValue] = Field(default_factory=list)
    # Accessions from the archives once submitted (empty until then).
    accessions: ArchiveAccessions = Field(default_factory=ArchiveAccessions)

    def archives(self) -> set[str]:
        """The archives this deposition sends data to."""
        return {component.archive for component in self.components}
