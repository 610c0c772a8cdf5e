"""Common study layouts offered as starting points on the Study components page.

Most depositions follow one of a few shapes (Williams et al., REMBI, 2021): one
sample imaged once; one sample prepared several ways; the same sample imaged
several ways; several samples imaged together; one sample seen by two
modalities. Each layout adds the skeleton objects and components with their
associations already made, so the depositor fills in text instead of wiring
references by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

from .deposition import Deposition, StudyComponent
from .empiar_fields import EmpiarEntry, EmpiarImageSet
from .rembi import Biosample, ImageAcquisition, ImageCorrelation, Specimen


@dataclass(frozen=True)
class Layout:
    """A named starting shape for a study."""

    key: str
    title: str
    description: str


LAYOUTS: tuple[Layout, ...] = (
    Layout("single", "One sample imaged once", "One biosample, one preparation, one way of imaging: one component."),
    Layout(
        "specimens",
        "One sample, several preparations",
        "The same biosample prepared two ways (e.g. control and treated): two components sharing the sample and "
        "the imaging.",
    ),
    Layout(
        "methods",
        "Same sample, several imaging methods",
        "One biosample and preparation imaged two ways: two components sharing the sample.",
    ),
    Layout(
        "slide",
        "Several samples on one slide",
        "Two biosamples prepared and imaged together: one component that refers to both samples.",
    ),
    Layout(
        "correlative",
        "One sample, two modalities (correlative)",
        "Light microscopy to the BioImage Archive and electron microscopy to EMPIAR, linked by an image correlation.",
    ),
)


def apply_layout(deposition: Deposition, key: str) -> list[StudyComponent]:
    """Add the objects and components of layout ``key`` to ``deposition``; return the new components."""
    n = len(deposition.components)

    def sample(i: int) -> Biosample:
        return Biosample(title=f"Biosample {len(deposition.biosamples) + i}")

    def specimen(i: int, what: str = "") -> Specimen:
        return Specimen(title=what or f"Specimen {len(deposition.specimens) + i}")

    def acquisition(i: int, what: str = "") -> ImageAcquisition:
        return ImageAcquisition(title=what or f"Image acquisition {len(deposition.acquisitions) + i}")

    components: list[StudyComponent]
    if key == "single":
        b, s, a = sample(1), specimen(1), acquisition(1)
        objects = ([b], [s], [a])
        components = [_component(n + 1, b, [s], [a])]
    elif key == "specimens":
        b, a = sample(1), acquisition(1)
        s1, s2 = specimen(1, "Control preparation"), specimen(2, "Treated preparation")
        objects = ([b], [s1, s2], [a])
        components = [_component(n + 1, b, [s1], [a], "Control"), _component(n + 2, b, [s2], [a], "Treated")]
    elif key == "methods":
        b, s = sample(1), specimen(1)
        a1, a2 = acquisition(1, "First imaging method"), acquisition(2, "Second imaging method")
        objects = ([b], [s], [a1, a2])
        components = [_component(n + 1, b, [s], [a1], "First method"), _component(n + 2, b, [s], [a2], "Second method")]
    elif key == "slide":
        b1, b2, s, a = sample(1), sample(2), specimen(1, "Shared slide"), acquisition(1)
        objects = ([b1, b2], [s], [a])
        component = _component(n + 1, b1, [s], [a], "Slide")
        component.biosample_ids.append(b2.id)
        components = [component]
    elif key == "correlative":
        b, s = sample(1), specimen(1)
        lm, em = acquisition(1, "Light microscopy"), acquisition(2, "Electron microscopy")
        correlation = ImageCorrelation(title="Light to electron microscopy registration")
        objects = ([b], [s], [lm, em])
        light = _component(n + 1, b, [s], [lm], "Light microscopy")
        electron = _component(n + 2, b, [s], [em], "Electron microscopy")
        electron.archive = "EMPIAR"
        electron.empiar = EmpiarEntry(experiment_type=7, image_sets=[EmpiarImageSet(directory="data/")])
        for component in (light, electron):
            component.correlation_ids.append(correlation.id)
        deposition.correlations.append(correlation)
        deposition.correlative = True
        components = [light, electron]
    else:
        raise KeyError(key)
    samples, specimens, acquisitions = objects
    deposition.biosamples.extend(samples)
    deposition.specimens.extend(specimens)
    deposition.acquisitions.extend(acquisitions)
    deposition.components.extend(components)
    return components


def _component(
    number: int, sample: Biosample, specimens: list[Specimen], acquisitions: list[ImageAcquisition], name: str = ""
) -> StudyComponent:
    return StudyComponent(
        name=name or f"Component {number}",
        biosample_ids=[sample.id],
        specimen_ids=[s.id for s in specimens],
        acquisition_ids=[a.id for a in acquisitions],
    )
