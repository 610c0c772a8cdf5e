"""Where each part of an exported file came from in the draft, so a validator's message can point at a field.

The archives' validators speak about their own formats: a crate object's ``@id`` and property,
a JSON path in the EMPIAR deposition, a path in an NGFF scene. The renderers know which draft
object produced which piece, and record it here as they build (:class:`Origin`, by crate
``@id``), or answer for a JSON path (:func:`.empiar.source_location`,
:func:`.ngff.source_location`). :mod:`.check_locations` puts the two together.

A location of ``None`` means the piece is the package's own (the accession placeholder, the file
list's built-in columns, the metadata descriptor): nothing in the draft to change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..problems import Location

__all__ = ["PACKAGE", "Origin"]

#: The location of a message about the package as a whole (no field of the draft produced it).
PACKAGE: Location = ("package",)


@dataclass(frozen=True)
class Origin:
    """The draft object an exported entity was written from, and which property came from which field.

    Attributes
    ----------
    location
        The object's place in the draft (``("biosamples", 0)``), or None for what the package
        itself adds.
    fields
        Exported property → the field (under ``location``) it was written from; None for a
        property the package itself fills (e.g. the root's ``accessionId``). Properties not
        listed are located at the object.
    """

    location: Location | None
    fields: Mapping[str, str | None] = field(default_factory=dict)

    def locate(self, prop: str = "") -> Location | None:
        """The draft location of ``prop`` of this entity (the entity's own location when unnamed).

        Parameters
        ----------
        prop
            The exported property a message names; ``""`` for the entity as a whole.

        Returns
        -------
        Location or None
            None when the package itself wrote it.
        """
        if self.location is None:
            return None
        if prop and prop in self.fields:
            name = self.fields[prop]
            return None if name is None else (*self.location, name)
        return self.location
