r"""The PageTab document: a small tree of sections and attributes, read and written as JSON or TSV.

PageTab is the BioStudies submission format the BioImage Archive takes today
(``EBIBioStudies/page-tab-specification``). A submission is a header with
attributes and one root section (``Study``) whose subsections, links and files
describe the study. The same tree has two spellings:

* **JSON** ``{"type": "submission", "accno"?, "attributes": [...], "section": {...}}``,
  where an attribute is ``{"name", "value", "reference"?, "valqual"?, "nmqual"?}``;
* **TSV** blocks separated by blank lines: a block starts with
  ``Type<TAB>AccNo[<TAB>ParentAccNo]`` followed by ``Name<TAB>Value`` lines, where
  ``<name>`` marks a reference, ``(name)`` a name qualifier and ``[name]`` a value
  qualifier of the attribute above; ``Links``/``Files``/``Type[Parent]`` blocks are
  tables.

The exporter builds a :class:`Submission` and writes both spellings from it; the
importer reads either spelling back into the same tree, so there is one
converter in each direction. Writing is deterministic (fixed key order, ``\n``
line ends, UTF-8). Reading is lenient about the variations real submissions
show (``accNo``/``accno``, ``isReference``, tables of subsections, comment lines).

TSV values that span lines (descriptions, protocols) are written in double
quotes with inner quotes doubled, the convention the BioStudies TSV reader's
tests show for multi-line values. The JSON form carries every value exactly and
is the one to submit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Attribute",
    "FileRef",
    "Link",
    "PageTabFormatError",
    "Section",
    "Submission",
    "parse_json",
    "parse_tsv",
    "to_json",
    "to_json_bytes",
    "to_tsv",
    "to_tsv_bytes",
]


class PageTabFormatError(ValueError):
    """Text that is not a PageTab submission in either spelling."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Attribute:
    """One ``name: value`` pair, possibly a reference, with its qualifiers."""

    name: str
    value: str
    reference: bool = False
    valqual: list[tuple[str, str]] = field(default_factory=list)
    nmqual: list[tuple[str, str]] = field(default_factory=list)

    def qualifier(self, name: str) -> str:
        """The first value qualifier called ``name`` (case-insensitive), or ``""``."""
        wanted = name.casefold()
        for key, value in self.valqual:
            if key.casefold() == wanted:
                return value
        return ""


@dataclass
class Link:
    """A link of a section: a URL or an accession, with attributes (``Type``, ``Description``)."""

    url: str
    attributes: list[Attribute] = field(default_factory=list)


@dataclass
class FileRef:
    """A file attached to a section (not through a file list), or one row of a file list."""

    path: str
    attributes: list[Attribute] = field(default_factory=list)
    size: int | None = None


@dataclass
class Section:
    """A PageTab section; ``accno`` is empty when the section has none."""

    type: str
    accno: str = ""
    attributes: list[Attribute] = field(default_factory=list)
    subsections: list[Section] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    files: list[FileRef] = field(default_factory=list)

    def walk(self) -> Iterator[Section]:
        """Yield this section and every section below it, depth first, in document order."""
        yield self
        for sub in self.subsections:
            yield from sub.walk()


@dataclass
class Submission:
    """The submission header and its root section."""

    attributes: list[Attribute] = field(default_factory=list)
    section: Section = field(default_factory=lambda: Section("Study"))
    accno: str = ""


# ---------------------------------------------------------------- JSON


def _attribute_json(attribute: Attribute) -> dict[str, Any]:
    data: dict[str, Any] = {"name": attribute.name, "value": attribute.value}
    if attribute.reference:
        data["reference"] = True
    if attribute.nmqual:
        data["nmqual"] = [{"name": n, "value": v} for n, v in attribute.nmqual]
    if attribute.valqual:
        data["valqual"] = [{"name": n, "value": v} for n, v in attribute.valqual]
    return data


def _section_json(section: Section) -> dict[str, Any]:
    data: dict[str, Any] = {"type": section.type}
    if section.accno:  # never ``null``: the BIA's ingest cannot parse a null accno
        data["accno"] = section.accno
    data["attributes"] = [_attribute_json(a) for a in section.attributes]
    if section.links:
        data["links"] = [
            {"url": link.url, "attributes": [_attribute_json(a) for a in link.attributes]} for link in section.links
        ]
    if section.files:
        data["files"] = [
            {"path": f.path, "attributes": [_attribute_json(a) for a in f.attributes]} for f in section.files
        ]
    if section.subsections:
        data["subsections"] = [_section_json(s) for s in section.subsections]
    return data


def to_json(submission: Submission) -> dict[str, Any]:
    """The submission as the PageTab JSON object (plain dicts and lists)."""
    data: dict[str, Any] = {}
    if submission.accno:
        data["accno"] = submission.accno
    data["type"] = "submission"
    data["attributes"] = [_attribute_json(a) for a in submission.attributes]
    data["section"] = _section_json(submission.section)
    return data


def to_json_bytes(submission: Submission) -> bytes:
    """The PageTab JSON text: two-space indent, UTF-8, trailing newline."""
    text = json.dumps(to_json(submission), indent=2, ensure_ascii=False) + "\n"
    return text.encode("utf-8", "backslashreplace")


# ---------------------------------------------------------------- TSV writing


def tsv_cell(value: str) -> str:
    """One TSV cell: quoted when the value spans lines or starts with a quote."""
    if "\t" in value:
        value = value.replace("\t", " ")
    if "\n" in value or "\r" in value or value.startswith('"'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _attribute_lines(attribute: Attribute) -> Iterator[str]:
    name = f"<{attribute.name}>" if attribute.reference else attribute.name
    yield f"{name}\t{tsv_cell(attribute.value)}"
    for qname, qvalue in attribute.nmqual:
        yield f"({qname})\t{tsv_cell(qvalue)}"
    for qname, qvalue in attribute.valqual:
        yield f"[{qname}]\t{tsv_cell(qvalue)}"


def _links_and_files(section: Section) -> Iterator[list[str]]:
    """``Link``/``File`` blocks, which attach to the section defined just before them.

    One block each rather than a table, so that every link keeps its own attributes in order.
    """
    for link in section.links:
        yield [f"Link\t{tsv_cell(link.url)}", *(line for a in link.attributes for line in _attribute_lines(a))]
    for ref in section.files:
        yield [f"File\t{tsv_cell(ref.path)}", *(line for a in ref.attributes for line in _attribute_lines(a))]


def _section_blocks(section: Section, parent: str | None) -> Iterator[list[str]]:
    header = [section.type]
    if section.accno or parent:
        header.append(section.accno)
    if parent:
        header.append(parent)
    block = ["\t".join(header)]
    for attribute in section.attributes:
        block.extend(_attribute_lines(attribute))
    yield block
    yield from _links_and_files(section)
    for sub in section.subsections:
        # Subsections of the root section need no parent; deeper ones name theirs by accno.
        yield from _section_blocks(sub, section.accno)


def to_tsv(submission: Submission) -> str:
    r"""The PageTab TSV text: blocks separated by one blank line, ``\n`` line ends."""
    blocks: list[list[str]] = []
    header = ["Submission"] + ([submission.accno] if submission.accno else [])
    blocks.append(["\t".join(header), *(line for a in submission.attributes for line in _attribute_lines(a))])
    root = submission.section
    root_header = [root.type] + ([root.accno] if root.accno else [])
    blocks.append(["\t".join(root_header), *(line for a in root.attributes for line in _attribute_lines(a))])
    blocks.extend(_links_and_files(root))
    for sub in root.subsections:
        for block in _section_blocks(sub, None):
            blocks.append(block)
    return "\n\n".join("\n".join(block) for block in blocks) + "\n"


def _check_tsv_parents(submission: Submission) -> None:
    """Refuse a section below the root that has subsections but no accno: TSV could not place them."""
    for section in submission.section.walk():
        if section is not submission.section and section.subsections and not section.accno:
            raise ValueError(f"section {section.type!r} has subsections but no accno")


def to_tsv_bytes(submission: Submission) -> bytes:
    """The PageTab TSV text as UTF-8 bytes."""
    _check_tsv_parents(submission)
    return to_tsv(submission).encode("utf-8", "backslashreplace")


# ---------------------------------------------------------------- reading: JSON


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _truthy(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _qualifiers(items: object) -> list[tuple[str, str]]:
    if not isinstance(items, list):
        return []
    return [(_text(q.get("name")), _text(q.get("value"))) for q in items if isinstance(q, dict)]


def _attributes_from_json(items: object) -> list[Attribute]:
    if not isinstance(items, list):
        return []
    attributes = []
    for item in items:
        if not isinstance(item, dict):
            continue
        attributes.append(
            Attribute(
                name=_text(item.get("name")),
                value=_text(item.get("value")),
                reference=_truthy(item.get("reference", item.get("isReference"))),
                valqual=_qualifiers(item.get("valqual", item.get("valueAttrs"))),
                nmqual=_qualifiers(item.get("nmqual", item.get("nameAttrs"))),
            )
        )
    return attributes


def _flatten(items: object) -> Iterator[dict[str, Any]]:
    """Items of a JSON list where tables (lists inside the list) are flattened."""
    if not isinstance(items, list):
        return
    for item in items:
        if isinstance(item, list):
            yield from (sub for sub in item if isinstance(sub, dict))
        elif isinstance(item, dict):
            yield item


def _file_from_json(item: dict[str, Any]) -> FileRef:
    size = item.get("size")
    return FileRef(
        path=_text(item.get("path", item.get("name", item.get("filePath")))),
        attributes=_attributes_from_json(item.get("attributes")),
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
    )


def _section_from_json(data: dict[str, Any]) -> Section:
    return Section(
        type=_text(data.get("type")),
        accno=_text(data.get("accno", data.get("accNo"))),
        attributes=_attributes_from_json(data.get("attributes")),
        subsections=[_section_from_json(s) for s in _flatten(data.get("subsections", data.get("sections")))],
        links=[
            Link(url=_text(item.get("url")), attributes=_attributes_from_json(item.get("attributes")))
            for item in _flatten(data.get("links"))
        ],
        files=[_file_from_json(item) for item in _flatten(data.get("files"))],
    )


def parse_json(data: object) -> Submission:
    """Read a parsed PageTab JSON object (as ``json.loads`` returns it).

    Raises
    ------
    PageTabFormatError
        When the object is not a PageTab submission.
    """
    if isinstance(data, dict) and "submission" in data and isinstance(data["submission"], dict):
        data = data["submission"]  # some exports wrap the submission
    if not isinstance(data, dict) or not isinstance(data.get("section"), dict):
        raise PageTabFormatError(
            "pagetab.not_a_submission",
            "this JSON is not a PageTab submission (it has no 'section' object).",
        )
    return Submission(
        accno=_text(data.get("accno", data.get("accNo"))),
        attributes=_attributes_from_json(data.get("attributes")),
        section=_section_from_json(data["section"]),
    )


def parse_json_file_list(data: object) -> list[FileRef]:
    """Read a JSON file list: ``[{"path", "attributes": [{"name", "value"}], "size"?}]``.

    Raises
    ------
    PageTabFormatError
        When the JSON is not a list of file objects.
    """
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise PageTabFormatError("filelist.not_a_list", "this JSON file list is not a list of files.")
    return [_file_from_json(item) for item in data]


# ---------------------------------------------------------------- reading: TSV


def _read_quoted(text: str, start: int) -> tuple[str, int] | None:
    """Read a quoted cell starting at ``text[start] == '"'``; None when it is not one."""
    parts = []
    position = start + 1
    while True:
        end = text.find('"', position)
        if end == -1:
            return None
        if text.startswith('"', end + 1):  # a doubled quote inside the value
            parts.append(text[position : end + 1])
            position = end + 2
            continue
        following = text[end + 1 : end + 2]
        if following not in ("\t", "\n", ""):
            return None  # e.g. '"The Study": a title' is a plain value that starts with a quote
        parts.append(text[position:end])
        return "".join(parts), end + 1


def tsv_records(text: str) -> list[list[str]]:
    """Split TSV text into rows of cells, honouring quoted cells that span lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    rows: list[list[str]] = []
    row: list[str] = []
    position, length = 0, len(text)
    while True:
        quoted = _read_quoted(text, position) if position < length and text[position] == '"' else None
        if quoted is not None:
            value, position = quoted
        else:
            end = position
            while end < length and text[end] not in "\t\n":
                end += 1
            value, position = text[position:end], end
        row.append(value)
        if position >= length:
            rows.append(row)
            return rows
        position += 1
        if text[position - 1] == "\n":
            rows.append(row)
            row = []
            if position >= length:
                return rows


def _is_blank(row: list[str]) -> bool:
    return all(not cell.strip() for cell in row)


def _chunks(rows: Iterable[list[str]]) -> list[list[list[str]]]:
    chunks: list[list[list[str]]] = []
    current: list[list[str]] = []
    for row in rows:
        if row and row[0].lstrip().startswith("#"):
            continue
        if _is_blank(row):
            if current:
                chunks.append(current)
                current = []
            continue
        current.append(row)
    if current:
        chunks.append(current)
    return chunks


def _cell(row: list[str], index: int) -> str:
    return row[index].strip() if index < len(row) else ""


def _attributes_from_rows(rows: list[list[str]]) -> list[Attribute]:
    attributes: list[Attribute] = []
    for row in rows:
        name = row[0].strip()
        value = row[1] if len(row) > 1 else ""
        if name.startswith("(") and name.endswith(")") and attributes:
            attributes[-1].nmqual.append((name[1:-1], value))
        elif name.startswith("[") and name.endswith("]") and attributes:
            attributes[-1].valqual.append((name[1:-1], value))
        elif name.startswith("<") and name.endswith(">"):
            attributes.append(Attribute(name[1:-1], value, reference=True))
        else:
            attributes.append(Attribute(name, value))
    return attributes


def _table_rows(chunk: list[list[str]]) -> list[tuple[str, list[Attribute]]]:
    """A table block's rows as (first cell, attributes); ``(x)``/``[x]`` columns qualify the one before."""
    header = [cell.strip() for cell in chunk[0]]
    out = []
    for row in chunk[1:]:
        attributes: list[Attribute] = []
        for index in range(1, len(header)):
            name = header[index]
            value = row[index] if index < len(row) else ""
            if not name:
                continue
            if name.startswith("(") and name.endswith(")") and attributes:
                if value:
                    attributes[-1].nmqual.append((name[1:-1], value))
            elif name.startswith("[") and name.endswith("]") and attributes:
                if value:
                    attributes[-1].valqual.append((name[1:-1], value))
            elif value:
                reference = name.startswith("<") and name.endswith(">")
                attributes.append(Attribute(name[1:-1] if reference else name, value, reference=reference))
            else:
                # keep a placeholder so that a following qualifier column has its attribute
                attributes.append(Attribute(name, "", reference=False))
        out.append((row[0] if row else "", [a for a in attributes if a.value]))
    return out


_TABLE_HEADER = re.compile(r"^(.+?)\[(.*)\]$")


def parse_tsv(text: str) -> Submission:
    """Read a PageTab TSV submission.

    Raises
    ------
    PageTabFormatError
        When the text does not start with a ``Submission`` block.
    """
    chunks = _chunks(tsv_records(text.lstrip("\ufeff")))
    if not chunks or chunks[0][0][0].strip().casefold() != "submission":
        raise PageTabFormatError(
            "pagetab.not_a_submission",
            "this file is not a PageTab submission (it does not start with a 'Submission' line).",
        )
    head = chunks[0]
    submission = Submission(accno=_cell(head[0], 1), attributes=_attributes_from_rows(head[1:]))
    if len(chunks) == 1:
        submission.section = Section("Study")
        return submission
    root_chunk = chunks[1]
    root = Section(
        type=_cell(root_chunk[0], 0), accno=_cell(root_chunk[0], 1), attributes=_attributes_from_rows(root_chunk[1:])
    )
    submission.section = root
    by_accno: dict[str, Section] = {root.accno: root} if root.accno else {}
    current = root
    for chunk in chunks[2:]:
        kind = chunk[0][0].strip()
        folded = kind.casefold()
        if folded == "link":
            current.links.append(Link(_cell(chunk[0], 1), _attributes_from_rows(chunk[1:])))
        elif folded == "file":
            current.files.append(FileRef(_cell(chunk[0], 1), _attributes_from_rows(chunk[1:])))
        elif folded == "links":
            current.links.extend(Link(url.strip(), attrs) for url, attrs in _table_rows(chunk))
        elif folded == "files":
            current.files.extend(FileRef(path, attrs) for path, attrs in _table_rows(chunk))
        elif _TABLE_HEADER.match(kind):
            match = _TABLE_HEADER.match(kind)
            assert match is not None
            parent = by_accno.get(match.group(2).strip(), root)
            for accno, attrs in _table_rows(chunk):
                section = Section(type=match.group(1).strip(), accno=accno.strip(), attributes=attrs)
                parent.subsections.append(section)
                if section.accno:
                    by_accno.setdefault(section.accno, section)
        else:
            section = Section(type=kind, accno=_cell(chunk[0], 1), attributes=_attributes_from_rows(chunk[1:]))
            parent_accno = _cell(chunk[0], 2)
            parent = by_accno.get(parent_accno, root) if parent_accno else root
            parent.subsections.append(section)
            if section.accno:
                by_accno.setdefault(section.accno, section)
            current = section
    return submission


def parse_tsv_file_list(text: str) -> tuple[list[str], list[FileRef]]:
    """Read a TSV file list: the header (``Files`` first) and one :class:`FileRef` per row.

    Raises
    ------
    PageTabFormatError
        When the first header cell is not ``Files``.
    """
    rows = [row for row in tsv_records(text.lstrip("\ufeff")) if not _is_blank(row)]
    if not rows or rows[0][0].strip().casefold() != "files":
        raise PageTabFormatError(
            "filelist.header",
            "this file list does not start with a 'Files' column.",
        )
    header = [cell.strip() for cell in rows[0]]
    files = [FileRef(path, attrs) for path, attrs in _table_rows(rows)]
    return header, files
