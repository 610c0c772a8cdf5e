"""The one transform the three tabs of the Correlation page work on, and the way they write it back.

Each tab (typed matrix, landmark file, clicked landmarks) makes an
:class:`~...domain.correlation_model.AffineTransform` from its own inputs; the
:class:`TransformSlot` tells it where that transform goes (which correlation, which
position, between which coordinate systems) and hands the result to the page, which
stores it in the draft, fills the free-text fields and saves. No Qt here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ...domain.correlation_model import AffineTransform, CoordinateSystem
from ...domain.deposition import Deposition, FileEntry, StudyComponent
from ...domain.rembi import ImageCorrelation
from .transform_build import Descriptions, Target, target_of


@dataclass
class TransformSlot:
    """Where the transform being edited lives, and how to write it."""

    deposition: Deposition
    correlation: ImageCorrelation
    index: int  # position in correlation.transforms; == len(...) for a transform not written yet
    input: str = ""  # the moving system chosen on the page
    output: str = ""  # the reference system
    on_write: Callable[[AffineTransform, Descriptions], None] = field(default=lambda _t, _d: None)

    @property
    def systems(self) -> list[CoordinateSystem]:
        """The correlation's coordinate systems."""
        return self.correlation.coordinate_systems

    def transform(self) -> AffineTransform | None:
        """The stored transform, or None when it has not been written yet."""
        transforms = self.correlation.transforms
        return transforms[self.index] if 0 <= self.index < len(transforms) else None

    def target(self) -> Target:
        """The chosen systems' names, units and axis count (raises TransformBuildError)."""
        return target_of(self.systems, self.input, self.output)

    def system(self, name: str) -> CoordinateSystem | None:
        """The coordinate system called ``name``."""
        return next((s for s in self.systems if s.name == name), None)

    def component_of(self, name: str) -> StudyComponent | None:
        """The study component whose images use the system called ``name``."""
        system = self.system(name)
        if system is None or not system.component_id:
            return None
        return next((c for c in self.deposition.components if c.id == system.component_id), None)

    def files_of(self, name: str) -> list[FileEntry]:
        """The files of the component behind the system called ``name`` (empty for public data)."""
        component = self.component_of(name)
        return list(component.files) if component is not None else []

    def write(self, transform: AffineTransform, descriptions: Descriptions) -> None:
        """Store ``transform`` at this slot (appending it when new) and let the page react."""
        transforms = self.correlation.transforms
        if 0 <= self.index < len(transforms):
            transforms[self.index] = transform
        else:
            transforms.append(transform)
            self.index = len(transforms) - 1
        self.on_write(transform, descriptions)
