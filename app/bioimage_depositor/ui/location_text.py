"""Problem locations in words: ``biosamples[0].biological_entity`` → ``Biosample 1 › Biological entity``.

The Review page lists every problem with where it is. The model path says it
exactly but reads like code; the depositor thinks in the wizard's words: which
biosample, which field, with the label the page shows. The path stays in the
row's tooltip for whoever helps them (a data steward reading a log, say).
"""

from __future__ import annotations

from functools import cache

from ..domain.flow import SECTION_TITLES
from ..domain.problems import Location
from .form_spec import load_form

#: The form (``forms/<name>.toml``) describing the items of each top-level section of the model.
SECTION_FORMS = {
    "study": "study",
    "components": "component",
    "biosamples": "biosample",
    "specimens": "specimen",
    "acquisitions": "acquisition",
    "correlations": "correlation",
    "analyses": "analysis",
    "annotations": "annotations",
}
#: Words written in capitals, whatever the field name says.
_ACRONYMS = {"orcid", "md5", "doi", "url", "id", "ids", "empiar", "bia", "rembi", "ror", "emdb", "ngff", "sha256"}


def describe_location(location: Location) -> str:
    """``location`` as the wizard would name it; empty for an empty location."""
    if not location:
        return ""
    section = str(location[0])
    labels, noun = _form_words(section)
    words: list[str] = []
    rest = list(location[1:])
    first = rest[0] if rest else None
    if isinstance(first, int) and noun:
        words.append(f"{_capitalised(noun)} {first + 1}")  # "Biosample 2", not "Biosamples › 2"
        rest.pop(0)
        at_item = True
    else:
        words.append(SECTION_TITLES.get(section) or _humanised(section))
        at_item = section == "study"  # the study is one object: its fields are the form's
    for part in rest:
        if isinstance(part, int):
            words[-1] = f"{words[-1]} {part + 1}"
            continue
        # the form labels the fields of the section's items, not those of objects nested in them
        words.append(labels[part] if at_item and part in labels else _humanised(part))
        at_item = False
    return " › ".join(words)


@cache
def _form_words(section: str) -> tuple[dict[str, str], str]:
    """The field labels and the item noun of a section's form (none for a section without one)."""
    name = SECTION_FORMS.get(section)
    if name is None:
        return {}, ""
    try:
        form = load_form(name)
    except (OSError, KeyError, ValueError):  # a broken form file must not hide the problem list
        return {}, ""
    return {spec.key: spec.plain_label.rstrip(":") for spec in form.fields}, form.noun


def _humanised(key: str) -> str:
    words = [word.upper() if word in _ACRONYMS else word for word in key.split("_") if word]
    return _capitalised(" ".join(words)) if words else key


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]
