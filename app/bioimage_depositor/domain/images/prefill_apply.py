"""Write prefill suggestions into the deposition and remember which values came from the files.

:mod:`.prefill` only proposes values. This module decides where they go: an
Image acquisition of a BIA component, or the EMPIAR image set(s) that hold a
component's files (matched by their folder, created from the folders the user
added when there are none yet). Only empty fields are filled; a field that
already holds something else is left alone and reported, and conflicts
between files are passed through for the page to show.

Every value written is recorded as a :class:`~..deposition.PrefilledValue`
(field location, the value written, which files it came from), which the
form pages show as a "from files" mark until the user confirms or edits the
field. A mark whose field no longer holds the written value is ignored, so
editing a field elsewhere (or reordering image sets) never leaves a wrong mark.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..base import Model
from ..deposition import Deposition, FileEntry, PrefilledValue, StudyComponent
from ..empiar_fields import EmpiarEntry, EmpiarImageSet
from ..filelist import naming
from ..rembi import ImageAcquisition
from .model import ImageInfo
from .prefill import Conflict, PrefillResult, Suggestion, prefill_acquisition, prefill_empiar_image_set

Location = tuple[str | int, ...]


def acquisition_location(acquisition: ImageAcquisition) -> Location:
    """Where an acquisition's prefilled fields are recorded (by id: stable when the list is reordered)."""
    return ("acquisitions", acquisition.id)


def image_set_location(component: StudyComponent, index: int) -> Location:
    """Where an EMPIAR image set's prefilled fields are recorded."""
    return ("components", component.id, "empiar", "image_sets", index)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def file_name(label: str) -> str:
    """The file name in a source label (an absolute path, either separator, maybe ``[series n]`` after it)."""
    return re.split(r"[\\/]", label)[-1]


def _note(sources: Sequence[str]) -> str:
    if not sources:
        return "Filled in from the image files."
    first = file_name(sources[0])
    if len(sources) == 1:
        return f"Filled in from {first}."
    return f"Filled in from {len(sources)} files ({first} and others); they agree."


def _resolve(deposition: Deposition, location: Sequence[str | int]) -> tuple[Model, str] | None:
    """The object and field a mark's location names, or ``None`` when it no longer exists."""
    loc = list(location)
    if len(loc) == 3 and loc[0] == "acquisitions":
        target = next((a for a in deposition.acquisitions if a.id == loc[1]), None)
        return (target, str(loc[2])) if target is not None and hasattr(target, str(loc[2])) else None
    if len(loc) == 6 and loc[0] == "components" and loc[2:4] == ["empiar", "image_sets"] and isinstance(loc[4], int):
        component = next((c for c in deposition.components if c.id == loc[1]), None)
        if component is None or component.empiar is None or not 0 <= loc[4] < len(component.empiar.image_sets):
            return None
        image_set = component.empiar.image_sets[loc[4]]
        return (image_set, str(loc[5])) if hasattr(image_set, str(loc[5])) else None
    return None


def prefilled_marks(deposition: Deposition, prefix: Location) -> dict[str, PrefilledValue]:
    """The marks of the object at ``prefix`` whose field still holds the value filled in, by field name."""
    found: dict[str, PrefilledValue] = {}
    depth = len(prefix)
    for mark in deposition.prefilled:
        if tuple(mark.location[:depth]) != tuple(prefix) or len(mark.location) != depth + 1:
            continue
        resolved = _resolve(deposition, mark.location)
        if resolved is not None and _text(getattr(resolved[0], resolved[1])) == mark.value:
            found[str(mark.location[depth])] = mark
    return found


def forget_mark(deposition: Deposition, location: Sequence[str | int]) -> bool:
    """Drop the mark of one field (the user confirmed or edited it); True when there was one."""
    before = len(deposition.prefilled)
    deposition.prefilled = [m for m in deposition.prefilled if tuple(m.location) != tuple(location)]
    return len(deposition.prefilled) != before


def prune_marks(deposition: Deposition) -> int:
    """Drop marks whose field is gone or no longer holds the value filled in; return how many."""
    keep = []
    for mark in deposition.prefilled:
        resolved = _resolve(deposition, mark.location)
        if resolved is not None and _text(getattr(resolved[0], resolved[1])) == mark.value:
            keep.append(mark)
    removed = len(deposition.prefilled) - len(keep)
    if removed:
        deposition.prefilled = keep
    return removed


@dataclass
class AppliedPrefill:
    """What applying suggestions to one object did.

    Attributes
    ----------
    target : str
        The object filled in, for messages ("Image acquisition 1", "image set 'Movies'").
    filled : list of str
        Fields written.
    kept : list of tuple
        ``(field, value in the form, value the files suggest)`` for fields left as they were.
    conflicts : tuple of Conflict
        Aspects the files disagree on (left out of the suggestions).
    skipped : tuple
        ``(path, reason)`` of files that could not be read.
    """

    target: str
    filled: list[str] = field(default_factory=list)
    kept: list[tuple[str, str, str]] = field(default_factory=list)
    conflicts: tuple[Conflict, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()


def apply_suggestions(
    deposition: Deposition, obj: Model, prefix: Location, result: PrefillResult, target: str
) -> AppliedPrefill:
    """Fill the empty fields of ``obj`` from ``result`` and mark each as prefilled.

    Parameters
    ----------
    deposition : Deposition
        Holds the marks.
    obj : Model
        The acquisition or image set to fill (edited in place; the model cleans values).
    prefix : tuple
        Its location for marks (:func:`acquisition_location`, :func:`image_set_location`).
    result : PrefillResult
        Suggestions and conflicts from :mod:`.prefill`.
    target : str
        How to name ``obj`` in messages.
    """
    applied = AppliedPrefill(target, conflicts=result.conflicts, skipped=result.skipped)
    filled_now: set[str] = set()
    for suggestion in result.suggestions:
        name = suggestion.field
        if not hasattr(obj, name):
            continue
        base = name.removesuffix("_other")
        if name != base and base not in filled_now and _text(getattr(obj, base)) != "OT":
            continue  # an "other" text only belongs with an "other" code
        current = getattr(obj, name)
        if current not in ("", None):
            if _text(current) != _text(suggestion.value):
                applied.kept.append((name, _text(current), _text(suggestion.value)))
            continue
        value = str(suggestion.value) if isinstance(getattr(obj, name), str) else suggestion.value
        setattr(obj, name, value)
        written = _text(getattr(obj, name))
        location = [*prefix, name]
        forget_mark(deposition, location)
        deposition.prefilled.append(PrefilledValue(location=location, value=written, note=_note(suggestion.sources)))
        applied.filled.append(name)
        filled_now.add(name)
    return applied


def prefill_acquisition_into(
    deposition: Deposition, acquisition: ImageAcquisition, infos: Sequence[ImageInfo]
) -> AppliedPrefill:
    """Suggest Image acquisition text from ``infos`` and fill the acquisition's empty fields."""
    result = prefill_acquisition(infos)
    name = acquisition.title or "the image acquisition"
    return apply_suggestions(deposition, acquisition, acquisition_location(acquisition), result, name)


@dataclass(frozen=True)
class ImageSetPlan:
    """Which files fill which EMPIAR image set.

    ``index`` is the image set's position, or ``None`` for a set to create
    with ``name`` and ``directory``.
    """

    index: int | None
    name: str
    directory: str
    files: tuple[FileEntry, ...]


@dataclass
class EmpiarPlan:
    """Image sets to fill, and the files no image set holds."""

    image_sets: list[ImageSetPlan] = field(default_factory=list)
    unplaced: int = 0
    message: str = ""


def _placeholder(directory: str) -> bool:
    """Whether an image set's folder is not set yet (empty, or just the upload's ``data/``)."""
    return naming.normalise_empiar_directory(directory) in ("", naming.EMPIAR_DATA_DIR)


def _single_top_folder(files: Sequence[FileEntry]) -> str:
    tops = {entry.deposited_path.split("/", 1)[0] for entry in files if "/" in entry.deposited_path}
    return naming.empiar_upload_path(tops.pop()) if len(tops) == 1 else ""


def plan_empiar_prefill(component: StudyComponent) -> EmpiarPlan:
    """Decide which image set each of a component's files describes.

    Files are matched to image sets by folder (the image set's ``directory``
    under ``data/``). With no image set yet, one is planned per top-level
    folder the user added. With a single image set whose folder holds none of
    the files, that set takes them all (its folder is probably not set yet).
    """
    files = [entry for entry in component.files if entry.source]
    sets = component.empiar.image_sets if component.empiar is not None else []
    plan = EmpiarPlan()
    if not files:
        plan.message = "This component has no files yet."
        return plan
    directories = [s.directory for s in sets if not _placeholder(s.directory)]
    groups: dict[str, list[FileEntry]] = {}
    for entry in files:
        home = naming.empiar_image_set_for(entry.deposited_path, directories)
        if home is not None:
            groups.setdefault(home, []).append(entry)
    for index, image_set in enumerate(sets):
        folder = naming.normalise_empiar_directory(image_set.directory)
        if folder in groups:
            plan.image_sets.append(ImageSetPlan(index, image_set.name, image_set.directory, tuple(groups.pop(folder))))
    placed = sum(len(p.files) for p in plan.image_sets)
    if not plan.image_sets:
        if len(sets) == 1:
            directory = _single_top_folder(files) if _placeholder(sets[0].directory) else sets[0].directory
            name = sets[0].name or directory.rsplit("/", 1)[-1]
            plan.image_sets.append(ImageSetPlan(0, name, directory, tuple(files)))
            placed = len(files)
        elif not sets:
            by_top: dict[str, list[FileEntry]] = {}
            for entry in files:
                path = entry.deposited_path
                by_top.setdefault(path.split("/", 1)[0] if "/" in path else "", []).append(entry)
            for top, members in by_top.items():
                directory = naming.empiar_upload_path(top) if top else ""
                plan.image_sets.append(ImageSetPlan(None, top or "Images", directory, tuple(members)))
            placed = len(files)
        else:
            plan.message = ("None of the files is inside an image set's folder; set each image set's folder "
                            "(e.g. data/<the folder you added>) on the EMPIAR page first.")
    plan.unplaced = len(files) - placed
    return plan


def prefill_empiar_into(
    deposition: Deposition, component: StudyComponent, plan: EmpiarPlan, infos: Mapping[str, ImageInfo]
) -> list[AppliedPrefill]:
    """Fill the planned image sets (creating new ones) from the probes of their files.

    Parameters
    ----------
    deposition : Deposition
        Holds the component and the marks.
    component : StudyComponent
        An EMPIAR component; its entry is created when missing.
    plan : EmpiarPlan
        From :func:`plan_empiar_prefill`.
    infos : mapping
        Probes by source path; files without one are left out.
    """
    if component.empiar is None:
        component.empiar = EmpiarEntry()
    image_sets = component.empiar.image_sets
    out = []
    for item in plan.image_sets:
        if item.index is None:
            image_sets.append(EmpiarImageSet(name=item.name))
            index = len(image_sets) - 1
        else:
            index = item.index
        image_set = image_sets[index]
        prefix = image_set_location(component, index)
        probes = [infos[entry.source] for entry in item.files if entry.source in infos]
        result = prefill_empiar_image_set(probes)
        layout: list[Suggestion] = []
        example = tuple(e.path for e in item.files[:1])
        if item.directory and _placeholder(image_set.directory):
            image_set.directory = ""  # "data/" alone is the layout's placeholder, not the user's choice
            layout.append(Suggestion("directory", item.directory, example, "The folder you added, in the upload."))
        if item.name and not image_set.name:
            layout.append(Suggestion("name", item.name, example, "The name of the folder you added."))
        if layout:
            result = PrefillResult((*layout, *result.suggestions), result.conflicts, result.skipped)
        target = f"image set “{image_set.name}”" if image_set.name else "the image set"
        applied = apply_suggestions(deposition, image_set, prefix, result, target)
        if image_set.name:
            applied.target = f"image set “{image_set.name}”"
        out.append(applied)
    return out


__all__ = [
    "AppliedPrefill",
    "EmpiarPlan",
    "ImageSetPlan",
    "acquisition_location",
    "apply_suggestions",
    "file_name",
    "forget_mark",
    "image_set_location",
    "plan_empiar_prefill",
    "prefill_acquisition_into",
    "prefill_empiar_into",
    "prefilled_marks",
    "prune_marks",
]
