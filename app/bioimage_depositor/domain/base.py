"""Shared pydantic configuration and field types for the deposition model.

The model is *lenient on purpose*: a draft must be able to hold whatever a
depositor has typed so far, including a half-typed ORCID, so that no keystroke
is ever rejected and lost. Values are cleaned (invisible characters, spacing)
and normalised when they can be read (a doi.org URL becomes the bare DOI), but
validity is judged separately by :mod:`bioimage_depositor.domain.rules`, which
reports problems instead of raising.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict

from .identifiers import IdentifierError
from .text import clean_text


class Model(BaseModel):
    """Base class of every deposition object: strict keys, cleaned assignment."""

    model_config = ConfigDict(
        extra="forbid",
        validate_assignment=True,
        validate_default=True,
        str_strip_whitespace=False,
    )


def normalised(parse: Callable[[str], object]) -> BeforeValidator:
    """Build a validator that stores ``parse(value)`` when it succeeds, else the cleaned text.

    ``parse`` may return a string or a tuple whose last item is the canonical
    string (as :func:`~.identifiers.parse_accession` does).
    """

    def _normalise(value: object) -> object:
        if not isinstance(value, str):
            return value
        cleaned = clean_text(value)
        if not cleaned:
            return ""
        try:
            result = parse(cleaned)
        except IdentifierError:
            return cleaned
        return result[-1] if isinstance(result, tuple) else result

    return BeforeValidator(_normalise)


def new_id(prefix: str) -> str:
    """A short random identifier for an object referenced by id (``biosample-3f9a1c2e``)."""
    return f"{prefix}-{secrets.token_hex(4)}"


Id = Annotated[str, BeforeValidator(lambda v: clean_text(v) if isinstance(v, str) else v)]
