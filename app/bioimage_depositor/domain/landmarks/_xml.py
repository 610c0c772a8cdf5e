"""A minimal XML tree that remembers the line of every element, for error messages that point at it.

``xml.etree`` forgets where elements were; a depositor fixing a hand-edited ec-CLEM file
needs "line 42". This builds a small tree straight from expat, which also refuses
entity declarations (no entity-expansion bombs; expat never fetches external entities).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.parsers import expat

from .errors import IMPORT_XML_SYNTAX, LandmarkImportError


@dataclass
class XmlNode:
    """One element: tag, attributes, the text directly inside it, children, and its line."""

    tag: str
    attrib: dict[str, str]
    line: int
    children: list[XmlNode] = field(default_factory=list)
    text: str = ""

    def child_elements(self, tag: str) -> list[XmlNode]:
        """Direct children with this tag, in document order."""
        return [child for child in self.children if child.tag == tag]

    def iter(self) -> Iterator[XmlNode]:
        """Iterate over this element and every element below it, in document order."""
        yield self
        for child in self.children:
            yield from child.iter()

    def describe(self, *keys: str) -> str:
        """``<dataset type="source">`` with the named attributes, for messages."""
        shown = "".join(f' {key}="{self.attrib[key]}"' for key in keys if key in self.attrib)
        return f"<{self.tag}{shown}>"


class _EntityDeclared(Exception):
    pass


def parse_xml(raw: bytes, source: str) -> XmlNode:
    """Parse ``raw`` into an :class:`XmlNode` tree.

    Raises
    ------
    LandmarkImportError
        ``landmarks.import.xml_syntax`` with the line and column of the first error.
    """
    parser = expat.ParserCreate()
    parser.buffer_text = True
    stack: list[XmlNode] = []
    roots: list[XmlNode] = []
    texts: list[list[str]] = []

    def start(tag: str, attrib: dict[str, str]) -> None:
        node = XmlNode(tag=tag, attrib=dict(attrib), line=parser.CurrentLineNumber)
        if stack:
            stack[-1].children.append(node)
        else:
            roots.append(node)
        stack.append(node)
        texts.append([])

    def end(_tag: str) -> None:
        node = stack.pop()
        node.text = "".join(texts.pop())

    def characters(data: str) -> None:
        if texts:
            texts[-1].append(data)

    def refuse_entities(*_args: object) -> None:
        raise _EntityDeclared

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    parser.EntityDeclHandler = refuse_entities
    try:
        parser.Parse(raw, True)
    except expat.ExpatError as error:
        raise LandmarkImportError(
            IMPORT_XML_SYNTAX,
            f"{source} is not valid XML: {expat.ErrorString(error.code)} at line {error.lineno}, "
            f"column {error.offset + 1}.",
            source=source,
            line=error.lineno,
            column=error.offset + 1,
        ) from None
    except _EntityDeclared:
        raise LandmarkImportError(
            IMPORT_XML_SYNTAX,
            f"{source} declares XML entities (line {parser.CurrentLineNumber}); landmark files never do, "
            "so it is not read.",
            source=source,
            line=parser.CurrentLineNumber,
        ) from None
    if not roots:
        raise LandmarkImportError(IMPORT_XML_SYNTAX, f"{source} has no XML element.", source=source)
    return roots[0]
