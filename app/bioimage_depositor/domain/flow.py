"""The order of the wizard's pages, as a pure function of the draft.

Keeping the flow out of the widgets (the Electrum wizard idea) lets every branch
be tested without Qt, and lets Back and "jump to the page of this problem" work
from the same list.
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
REVIEW = PageSpec("review", "Review", ())

ALL_PAGES: tuple[PageSpec, ...] = (STUDY, REVIEW)

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


def section_title(location: tuple[str | int, ...]) -> str:
    """The readable name of the section a location is in."""
    head = str(location[0]) if location else ""
    return SECTION_TITLES.get(head, head.replace("_", " ").capitalize() or "Deposition")


def pages_for(deposition: Deposition) -> list[PageSpec]:
    """The pages that apply to ``deposition``, in order.

    Later pages (components, biosamples, EMPIAR fields…) are added here with the
    conditions under which they apply; the draft alone decides the flow.
    """
    del deposition  # every current page applies to every deposition
    return list(ALL_PAGES)


def page_for_location(location: tuple[str | int, ...]) -> PageSpec:
    """The page that edits the model location of a problem (Review page links)."""
    head = str(location[0]) if location else ""
    for page in ALL_PAGES:
        if head in page.sections:
            return page
    return REVIEW


def next_page(deposition: Deposition, current: str) -> PageSpec | None:
    """The page after ``current``, or None at the end."""
    keys = [page.key for page in pages_for(deposition)]
    if current not in keys:
        return pages_for(deposition)[0]
    index = keys.index(current)
    pages = pages_for(deposition)
    return pages[index + 1] if index + 1 < len(pages) else None


def previous_page(deposition: Deposition, current: str) -> PageSpec | None:
    """The page before ``current``, or None at the start."""
    keys = [page.key for page in pages_for(deposition)]
    if current not in keys:
        return None
    index = keys.index(current)
    return pages_for(deposition)[index - 1] if index > 0 else None
