"""The order of the wizard's pages, as a pure function of the draft.

Keeping the flow out of the widgets (the Electrum wizard idea) lets every branch
be tested without Qt, and lets Back and "jump to the page of this problem" work
from the same list. Pages that do not apply to a deposition are left out: the
Image correlation page appears for correlative studies (or when a correlation
exists), the EMPIAR page when a component goes to EMPIAR.
"""

from __future__ import annotations

from dataclasses import dataclass

from .deposition import Deposition


@dataclass(frozen=True)
class PageSpec:
    """A page of the wizard: a stable key, its title, and the model sections it edits."""

    key: str
    title: str
    sections: tuple[str, ...]


STUDY = PageSpec("study", "Study", ("study",))
COMPONENTS = PageSpec("components", "Study components", ("components", "correlative"))
FILES = PageSpec("files", "Image data", ())
BIOSAMPLES = PageSpec("biosamples", "Biosamples", ("biosamples",))
SPECIMENS = PageSpec("specimens", "Specimens", ("specimens",))
ACQUISITIONS = PageSpec("acquisitions", "Image acquisition", ("acquisitions",))
CORRELATIONS = PageSpec("correlations", "Image correlation", ("correlations",))
ANALYSES = PageSpec("analyses", "Image analysis", ("analyses",))
ANNOTATIONS = PageSpec("annotations", "Annotations", ("annotations",))
EMPIAR = PageSpec("empiar", "EMPIAR entry", ())
REVIEW = PageSpec("review", "Review", ())
UPLOAD = PageSpec("upload", "Upload", ())
SUBMIT = PageSpec("submit", "Submit", ())

ALL_PAGES: tuple[PageSpec, ...] = (
    STUDY,
    COMPONENTS,
    FILES,
    BIOSAMPLES,
    SPECIMENS,
    ACQUISITIONS,
    CORRELATIONS,
    ANALYSES,
    ANNOTATIONS,
    EMPIAR,
    REVIEW,
    UPLOAD,
    SUBMIT,
)

#: Readable names of the model's top-level sections, for grouping problems.
SECTION_TITLES: dict[str, str] = {
    "study": "Study",
    "correlative": "Study type",
    "biosamples": "Biosamples",
    "specimens": "Specimens",
    "acquisitions": "Image acquisition",
    "correlations": "Image correlation",
    "analyses": "Image analysis",
    "annotations": "Annotations",
    "components": "Study components",
}


def applies(page: PageSpec, deposition: Deposition) -> bool:
    """Whether ``page`` is part of the flow for ``deposition``."""
    if page is CORRELATIONS:
        return deposition.correlative or bool(deposition.correlations)
    if page is EMPIAR:
        return any(component.archive == "EMPIAR" for component in deposition.components)
    return True


def pages_for(deposition: Deposition) -> list[PageSpec]:
    """The pages that apply to ``deposition``, in order."""
    return [page for page in ALL_PAGES if applies(page, deposition)]


def page_for_location(location: tuple[str | int, ...]) -> PageSpec:
    """The page that edits the model location of a problem (Review page links)."""
    if len(location) > 2 and location[0] == "components" and location[2] == "empiar":
        return EMPIAR
    if len(location) > 2 and location[0] == "components" and location[2] == "files":
        return FILES
    head = str(location[0]) if location else ""
    for page in ALL_PAGES:
        if head in page.sections:
            return page
    return REVIEW


def section_title(location: tuple[str | int, ...]) -> str:
    """The readable name of the section a location is in."""
    if len(location) > 2 and location[0] == "components" and location[2] == "empiar":
        return "EMPIAR entry"
    if len(location) > 2 and location[0] == "components" and location[2] == "files":
        return "Image data"
    head = str(location[0]) if location else ""
    return SECTION_TITLES.get(head, head.replace("_", " ").capitalize() or "Deposition")


def next_page(deposition: Deposition, current: str) -> PageSpec | None:
    """The page after ``current``, or None at the end."""
    pages = pages_for(deposition)
    keys = [page.key for page in pages]
    if current not in keys:
        return pages[0]
    index = keys.index(current)
    return pages[index + 1] if index + 1 < len(pages) else None


def previous_page(deposition: Deposition, current: str) -> PageSpec | None:
    """The page before ``current``, or None at the start."""
    pages = pages_for(deposition)
    keys = [page.key for page in pages]
    if current not in keys:
        return None
    index = keys.index(current)
    return pages[index - 1] if index > 0 else None
