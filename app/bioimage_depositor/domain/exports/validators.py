"""Check exported files with the archives' own validators and schemas.

* :func:`validate_rocrate_dir` runs ``bia-ro-crate validate`` (bia-ro-crate-validator 0.3.1,
  an optional extra that needs Python 3.13+) in a subprocess, offline
  (:mod:`.bia_offline`), and judges by its **exit code** — never by ``--report-json``, which
  exits 0 for broken crates (``bia.md`` §9). Its log lines and tracebacks are mapped to
  sentences. When the validator is not installed the result says so; nothing raises.
* :func:`validate_empiar_json` checks a deposition JSON against the schema inside
  ``empiar-depositor`` (draft-07, with format checks) plus what that schema misses
  (``empiar.md`` §4): anchored tuple strings, names that read back as Python tuples,
  ORCID checksums, ``data/`` directories, ``published`` *and* ``preprint``, the corresponding
  author and PIs among the authors, an EMDB reference for experiment type 3.
* :func:`validate_scene` checks an NGFF scene ``zarr.json`` against the bundled OME-NGFF
  0.6rc0 schemas (draft 2020-12) plus a shape check of every matrix against its coordinate
  systems' axis counts, units on spatial axes, resolvable system names and a connected
  transformation graph.

These run on the *output*; :func:`bioimage_depositor.domain.rules.check_deposition` runs on the
draft first, so that a problem is shown next to its field before any export.
"""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import importlib.util
import json
import math
import os
import re
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...paths import resource_path
from ..correlation_model import SPACE_UNITS
from ..empiar_format import is_valid_name_tuple
from ..identifiers import IdentifierError, parse_orcid
from .bia_offline import CONTEXT_ENV, ISSUE_PREFIX

VALIDATOR_DISTRIBUTION = "bia-ro-crate-validator"
VALIDATOR_VERSION = "0.3.1"
EMPIAR_DISTRIBUTION = "empiar-depositor"
EMPIAR_SCHEMA_FILE = "empiar_deposition.schema.json"


# ---------------------------------------------------------------- BIA RO-Crate


@dataclass(frozen=True)
class CrateIssue:
    """One problem the BIA validator reported, with what it is about when the validator says so.

    Attributes
    ----------
    message
        The sentence for the user (one of :attr:`ValidatorResult.messages`).
    severity
        ``"error"`` (ERROR, CRITICAL or a traceback) or ``"warning"``.
    entity
        The ``@id`` of the crate object it concerns (``"./"``, ``"#biosample-hela"``, an ORCID IRI).
    property
        The object's property it names (``"description"``, ``"license"``), when it names one.
    row
        The ``file_path`` of the file-list row it concerns.
    """

    message: str
    severity: str = "error"
    entity: str = ""
    property: str = ""
    row: str = ""


@dataclass(frozen=True)
class ValidatorResult:
    """The verdict of an external validator.

    Attributes
    ----------
    available
        False when the validator could not be run (not installed, wrong Python, frozen app).
    ok
        True only when the validator ran and exited with 0.
    exit_code
        The process exit code, None when it did not run or timed out.
    messages
        Sentences for the user: the validator's errors and warnings (mapped where a known
        message or traceback has a clearer wording), or why it could not run.
    command
        The command line that was run (for logs and bug reports).
    output
        Raw stdout + stderr, for the details pane.
    """

    available: bool
    ok: bool
    exit_code: int | None
    messages: tuple[str, ...] = ()
    command: tuple[str, ...] = ()
    output: str = ""
    version: str = ""
    infos: tuple[str, ...] = field(default=())
    issues: tuple[CrateIssue, ...] = field(default=())  # the problems among ``messages``, with what they concern

    @property
    def summary(self) -> str:
        """One line for the Review page."""
        if not self.available:
            return self.messages[0] if self.messages else "The BIA RO-Crate validator is not available."
        if self.ok:
            return f"bia-ro-crate validate {self.version}: the crate is valid."
        return f"bia-ro-crate validate {self.version}: the crate is not valid ({len(self.messages)} problem(s))."


def validator_version() -> str | None:
    """The installed bia-ro-crate-validator version, or None when it is not installed here."""
    if importlib.util.find_spec("bia_ro_crate") is None:
        return None
    try:
        return importlib.metadata.version(VALIDATOR_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None


_NOT_INSTALLED = (
    "The BIA RO-Crate validator (bia-ro-crate-validator {wanted}) is not installed, so the crate was not checked "
    "by the BIA's own tool. Install the program's 'validator' extra (needs Python 3.13 or newer) to check it."
)

#: Known messages and tracebacks of 0.3.1 → what to tell the user (``bia.md`` §9 and examples/README.md).
_MAPPED: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"Found unexpected number of file lists: (\d+)"),
        "The crate must describe exactly one file list; it describes {0}.",
    ),
    (
        re.compile(r"Schema does not contain columns with names that match data columns: (.*)"),
        "The file list has columns that ro-crate-metadata.json does not declare: {0}.",
    ),
    (
        re.compile(r"KeyError: '([^']*)'"),
        "The file list could not be read: the column '{0}' is missing or the file is not tab-separated.",
    ),
    (
        re.compile(r"(?:URLError|ConnectionError|Name or service not known|refusing to fetch)(.*)"),
        "The validator tried to fetch something from the network, which offline validation does not allow{0}.",
    ),
    (
        re.compile(r"is not allowed in the compacted format because it is not present in the @context"),
        "A property of the crate is not defined in its JSON-LD context ({line}).",
    ),
)


def _map_message(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else text
    for pattern, sentence in _MAPPED:
        match = pattern.search(text)
        if match:
            return sentence.format(*[group.strip() for group in match.groups()], line=first)
    return " ".join(text.split())


#: How 0.3.1 says what a record is about (``ValidationError.location_description``), then ``": \\n   "``.
_AT_ENTITY = re.compile(r"^At ro-crate object with @id: (?P<id>.*?): ?\n\s*(?P<body>.*)$", re.S)
_AT_ROW = re.compile(r"^In file list, at row: (?P<row>.*?): ?\n\s*(?P<body>.*)$", re.S)
#: How a record names the property it is about.
_PROPERTY = (
    re.compile(r"^Missing required field: (\w+)"),
    re.compile(r"^At (\w+)(?:, index: \d+)?: "),
    re.compile(r"MUST have an? `(\w+)` property"),
)
_NO_INBOUND = re.compile(r"no inbound references[^:]*: (.*)$", re.S)


def _crate_id(value: str) -> str:
    """An ``@id`` as the crate writes it: rdflib and roc-validator report ``file:///…/#x`` or ``file:///…/``."""
    value = value.strip()
    if value.startswith("file://"):
        fragment = value.partition("#")[2]
        return f"#{fragment}" if fragment else "./"
    return value


def _property(body: str) -> str:
    for pattern in _PROPERTY:
        match = pattern.search(body)
        if match:
            return match.group(1)
    return ""


def _issues_of_record(message: str, severity: str) -> list[CrateIssue]:
    """Split one log record into issues: one per line of a pydantic error list, one per orphan object."""
    match = _AT_ENTITY.match(message)
    if match:
        entity = _crate_id(match["id"])
        lines = [line.strip() for line in match["body"].splitlines() if line.strip()] or [match["body"].strip()]
        return [
            CrateIssue(
                _map_message(f"At ro-crate object with @id: {entity}: {line}"), severity, entity, _property(line)
            )
            for line in lines
        ]
    match = _AT_ROW.match(message)
    if match:
        row = match["row"]
        return [CrateIssue(_map_message(message), severity, row=row)]
    match = _NO_INBOUND.search(message)
    if match and severity == "warning":
        ids = [_crate_id(part) for part in match.group(1).split(",") if part.strip()]
        return [CrateIssue(_map_message(message), severity, entity) for entity in ids] or [
            CrateIssue(_map_message(message), severity)
        ]
    return [CrateIssue(_map_message(message), severity)]


def _parse_output(stdout: str, stderr: str) -> tuple[list[CrateIssue], list[str]]:
    problems: list[CrateIssue] = []
    infos: list[str] = []
    for line in stdout.splitlines():
        if not line.startswith(ISSUE_PREFIX):
            continue
        try:
            record = json.loads(line[len(ISSUE_PREFIX) :])
        except json.JSONDecodeError:
            continue
        level, message = str(record.get("level", "")), str(record.get("message", ""))
        if level in {"ERROR", "CRITICAL"}:
            problems.extend(_issues_of_record(message, "error"))
        elif level == "WARNING":
            problems.extend(
                CrateIssue(f"Warning: {issue.message}", "warning", issue.entity, issue.property, issue.row)
                for issue in _issues_of_record(message, "warning")
            )
        else:
            infos.append(_map_message(message))
    tail = [line for line in stderr.strip().splitlines() if line.strip()]
    if tail and "Traceback (most recent call last)" in stderr:
        problems.append(CrateIssue(_map_message(tail[-1])))
    return problems, infos


def validate_rocrate_dir(
    path: str | os.PathLike[str], *, python: str | None = None, timeout: float = 300.0
) -> ValidatorResult:
    """Run ``bia-ro-crate validate`` on a crate folder, offline, and judge it by the exit code.

    Parameters
    ----------
    path
        The crate root (holding ``ro-crate-metadata.json`` and the file list).
    python
        The interpreter that has the validator installed; default: this one.
    timeout
        Seconds before the run is abandoned (a 100,000-row list takes about 20 s).

    Returns
    -------
    ValidatorResult
        ``available`` is False (with a message) when the validator is not installed or cannot
        run; ``ok`` is True only for exit code 0.
    """
    crate = Path(path)
    version = validator_version() if python is None else VALIDATOR_VERSION
    if getattr(sys, "frozen", False) and python is None:
        return ValidatorResult(
            False,
            False,
            None,
            (
                "The BIA RO-Crate validator cannot run inside the packaged program; run it from a Python 3.13 "
                "installation with the 'validator' extra.",
            ),
        )
    if version is None:
        return ValidatorResult(False, False, None, (_NOT_INSTALLED.format(wanted=VALIDATOR_VERSION),))
    command = (
        python or sys.executable,
        "-m",
        "bioimage_depositor.domain.exports.bia_offline",
        "-v",
        "validate",
        str(crate),
    )
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "_TYPER_STANDARD_TRACEBACK": "1", "NO_COLOR": "1"}
    env[CONTEXT_ENV] = str(resource_path("ro-crate", "ro-crate-1.1-context.jsonld"))
    # The child must import this package even when it is not installed (source checkout, tests).
    package_root = str(Path(__file__).resolve().parents[3])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH", "")]))
    try:
        completed = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            check=False,
            encoding="utf-8",
            errors="replace",
        )
    except subprocess.TimeoutExpired:
        return ValidatorResult(
            True, False, None, (f"The BIA RO-Crate validator did not finish within {timeout:.0f} s.",), command
        )
    except OSError as error:
        return ValidatorResult(
            False, False, None, (f"The BIA RO-Crate validator could not be started: {error}.",), command
        )
    problems, infos = _parse_output(completed.stdout, completed.stderr)
    if "No module named" in completed.stderr and "bia_ro_crate" in completed.stderr:
        return ValidatorResult(
            False, False, completed.returncode, (_NOT_INSTALLED.format(wanted=VALIDATOR_VERSION),), command
        )
    ok = completed.returncode == 0
    if not ok and not problems:
        problems.append(
            CrateIssue(f"The validator rejected the crate (exit code {completed.returncode}) without a message.")
        )
    messages = [issue.message for issue in problems]
    if version != VALIDATOR_VERSION:
        messages.append(
            f"Note: bia-ro-crate-validator {version} is installed; this program was tested with {VALIDATOR_VERSION}."
        )
    return ValidatorResult(
        True,
        ok,
        completed.returncode,
        tuple(messages),
        command,
        completed.stdout + completed.stderr,
        version,
        tuple(infos),
        tuple(problems),
    )


# ---------------------------------------------------------------- EMPIAR


@functools.cache
def _empiar_schema() -> dict[str, Any] | None:
    spec = importlib.util.find_spec("empiar_depositor")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / EMPIAR_SCHEMA_FILE
        if candidate.is_file():
            schema: dict[str, Any] = json.loads(candidate.read_text("utf-8"))
            return schema
    return None


def empiar_schema_available() -> bool:
    """Whether the EMPIAR schema (package ``empiar-depositor``) is installed."""
    return _empiar_schema() is not None


EMPIAR_SCHEMA_MISSING = (
    "The EMPIAR schema is not available: install the 'empiar-depositor' package (1.6b30) to check the "
    "deposition JSON against it. The program's own EMPIAR checks still ran."
)

_CHOICE = re.compile(r"^\('(T(?:1[0-4]|[1-9])|OT)', '(.*)'\)$")
_UPPER_TEXT = re.compile(r"^[A-Z0-9 ]+$")
_VOXEL_CODES = {f"T{n}" for n in range(1, 10)} | {"OT"}


def validate_empiar_json(doc: Any) -> list[str]:
    """Check an EMPIAR deposition JSON; return sentences, empty when it is valid.

    Parameters
    ----------
    doc
        The parsed ``deposition.json``.

    Returns
    -------
    list of str
        Schema errors (``at <path>: <message>``) followed by the checks the schema misses.
        When ``empiar-depositor`` is not installed the list starts with
        :data:`EMPIAR_SCHEMA_MISSING`, so an unchecked document never looks valid.
    """
    errors: list[str] = []
    schema = _empiar_schema()
    if schema is None:
        errors.append(EMPIAR_SCHEMA_MISSING)
    else:
        from jsonschema import Draft7Validator

        validator = Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)
        for error in sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path]):
            where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
            errors.append(f"at {where}: {error.message}")
    if isinstance(doc, dict):
        errors.extend(_empiar_extra_checks(doc))
    return errors


def _people(doc: dict[str, Any]) -> Iterable[tuple[str, dict[str, Any]]]:
    for index, author in enumerate(doc.get("authors") or []):
        yield f"authors/{index}", author
    for cindex, citation in enumerate(doc.get("citation") or []):
        for key in ("authors", "editors"):
            for index, author in enumerate(citation.get(key) or []):
                yield f"citation/{cindex}/{key}/{index}", author


def _empiar_extra_checks(doc: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    for where, author in _people(doc):
        name = author.get("name") if isinstance(author, dict) else None
        if isinstance(name, str) and not is_valid_name_tuple(name):
            errors.append(f"at {where}/name: {name!r} is not a ('Surname', 'Initials') tuple EMPIAR can read back.")
        orcid = author.get("author_orcid") if isinstance(author, dict) else None
        if isinstance(orcid, str):
            errors.extend(_orcid_error(f"{where}/author_orcid", orcid))
    contacts = [("corresponding_author", doc.get("corresponding_author"))]
    contacts += [(f"principal_investigator/{i}", p) for i, p in enumerate(doc.get("principal_investigator") or [])]
    author_surnames = set()
    author_orcids = set()
    for _, author in _people({"authors": doc.get("authors")}):
        if isinstance(author, dict) and isinstance(author.get("name"), str):
            try:
                author_surnames.add(ast.literal_eval(author["name"])[0])
            except (ValueError, SyntaxError, IndexError, TypeError):
                pass
            if author.get("author_orcid"):
                author_orcids.add(author["author_orcid"])
    for where, person in contacts:
        if not isinstance(person, dict):
            continue
        if isinstance(person.get("author_orcid"), str):
            errors.extend(_orcid_error(f"{where}/author_orcid", person["author_orcid"]))
        if person.get("country") == "UK":
            errors.append(f"at {where}/country: use GB for the United Kingdom.")
        surname = str(person.get("last_name", "")).replace("'", "\u2019")
        if person.get("author_orcid") not in author_orcids and surname not in author_surnames:
            errors.append(
                f"at {where}: {person.get('first_name', '')} {person.get('last_name', '')} is not among the authors."
            )
    if "scale" in doc and not isinstance(doc["scale"], str):
        errors.append('at scale: EMPIAR wants the scale as a string, e.g. "3".')
    for index, image_set in enumerate(doc.get("imagesets") or []):
        if not isinstance(image_set, dict):
            continue
        for key in ("category", "header_format", "data_format", "voxel_type"):
            value = image_set.get(key)
            match = _CHOICE.match(value) if isinstance(value, str) else None
            if match is None:
                errors.append(f"at imagesets/{index}/{key}: {value!r} is not a (code, text) tuple string.")
                continue
            code, text = match.groups()
            if (code == "OT") != bool(text):
                errors.append(f"at imagesets/{index}/{key}: {value!r} pairs the code with the wrong text.")
            elif code == "OT" and key != "category" and not _UPPER_TEXT.match(text):
                errors.append(f"at imagesets/{index}/{key}: 'other' text must be capital letters, digits and spaces.")
            elif key == "voxel_type" and code not in _VOXEL_CODES:
                errors.append(f"at imagesets/{index}/{key}: {code} is not a voxel type.")
            if "'" in text:
                errors.append(f"at imagesets/{index}/{key}: an apostrophe ends the text early when EMPIAR reads it.")
        directory = image_set.get("directory")
        if not isinstance(directory, str) or not re.match(r"^data/[^/]", directory) or ".." in directory.split("/"):
            errors.append(f"at imagesets/{index}/directory: {directory!r} is not a folder under the upload's data/.")
    for index, citation in enumerate(doc.get("citation") or []):
        if isinstance(citation, dict):
            for key in ("published", "preprint"):
                if not isinstance(citation.get(key), bool):
                    errors.append(f"at citation/{index}/{key}: write it as true or false (EMPIAR's schema skips it).")
    if doc.get("experiment_type") == 3 and not doc.get("cross_references"):
        errors.append("at cross_references: raw data for EMDB structures (type 3) needs an EMD- reference.")
    return errors


def _orcid_error(where: str, value: str) -> list[str]:
    try:
        parse_orcid(value)
    except IdentifierError as error:
        return [f"at {where}: {error.message}"]
    return []


# ---------------------------------------------------------------- NGFF scene


@functools.cache
def _scene_validator() -> Any:
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    folder = resource_path("ngff", "schemas-0.6rc0")
    schemas = [json.loads(path.read_text("utf-8")) for path in sorted(folder.glob("*.schema"))]
    registry: Registry[Any] = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas
    )
    scene_schema = next(schema for schema in schemas if schema["$id"].endswith("/scene.schema"))
    return Draft202012Validator(scene_schema, registry=registry)


def validate_scene(doc: Any) -> list[str]:
    """Check an OME-NGFF 0.6 scene (``zarr.json`` of a Zarr v3 group); return sentences, empty when valid.

    Parameters
    ----------
    doc
        The parsed ``zarr.json``.

    Returns
    -------
    list of str
        Zarr-level errors, schema errors (0.6rc0 ``scene.schema``), then the checks the schema
        misses: matrix shapes against axis counts (affine M × (N+1), rotation N × N orthonormal
        with determinant +1, scale/translation length N), units on spatial axes, input/output
        names that resolve, a connected transformation graph. Systems defined in image
        subgroups (``path``) cannot be resolved from the scene alone and are not shape-checked.
    """
    if not isinstance(doc, dict):
        return ["The scene is not a JSON object."]
    errors: list[str] = []
    if doc.get("zarr_format") != 3:
        errors.append("zarr_format must be 3 (a Zarr v3 group).")
    if doc.get("node_type") != "group":
        errors.append("node_type must be 'group'.")
    attributes = doc.get("attributes")
    if not isinstance(attributes, dict):
        return [*errors, "The scene has no attributes object."]
    for error in sorted(_scene_validator().iter_errors(attributes), key=lambda e: [str(p) for p in e.absolute_path]):
        where = "/".join(str(part) for part in error.absolute_path) or "(attributes)"
        errors.append(f"at attributes/{where}: {error.message}")
    scene = attributes.get("ome", {}).get("scene") if isinstance(attributes.get("ome"), dict) else None
    if isinstance(scene, dict):
        errors.extend(_scene_shape_checks(scene))
    return errors


def _scene_shape_checks(scene: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    systems: dict[str, list[dict[str, Any]]] = {}
    for index, system in enumerate(scene.get("coordinateSystems") or []):
        if not isinstance(system, dict):
            continue
        name = system.get("name")
        axes = [axis for axis in system.get("axes") or [] if isinstance(axis, dict)]
        if name in systems:
            errors.append(f"coordinate system '{name}' is defined twice.")
        systems[str(name)] = axes
        names = [axis.get("name") for axis in axes]
        if len(set(names)) != len(names):
            errors.append(f"coordinateSystems/{index} ('{name}') repeats an axis name.")
        for axis in axes:
            if axis.get("type") == "space" and axis.get("unit") not in SPACE_UNITS:
                errors.append(
                    f"coordinateSystems/{index} ('{name}') axis '{axis.get('name')}' has no spatial unit "
                    f"(got {axis.get('unit')!r})."
                )
    edges: list[tuple[tuple[str, str], tuple[str, str]]] = []
    for index, transform in enumerate(scene.get("coordinateTransformations") or []):
        if not isinstance(transform, dict):
            continue
        where = f"coordinateTransformations/{index}"
        ends = []
        dims: list[int | None] = []
        for end in ("input", "output"):
            ref = transform.get(end)
            if not isinstance(ref, dict):
                dims.append(None)
                continue
            key = (str(ref.get("path", "")), str(ref.get("name", "")))
            ends.append(key)
            if key[0]:
                dims.append(None)  # defined in an image subgroup: not resolvable here
            elif key[1] in systems:
                dims.append(len(systems[key[1]]))
            else:
                errors.append(f"{where}: {end} '{key[1]}' is not a coordinate system of the scene.")
                dims.append(None)
        if len(ends) == 2:
            edges.append((ends[0], ends[1]))
        n_in, n_out = dims if len(dims) == 2 else (None, None)
        errors.extend(f"{where}: {message}" for message in _shape_errors(transform, n_in, n_out))
    errors.extend(_connectivity(systems, edges))
    return errors


def _matrix(value: Any) -> list[list[float]] | None:
    if not isinstance(value, list) or not all(isinstance(row, list) for row in value):
        return None
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for row in value for v in row):
        return None
    return value


def _shape_errors(transform: dict[str, Any], n_in: int | None, n_out: int | None) -> list[str]:
    kind = transform.get("type")
    errors: list[str] = []
    if kind == "affine" and "affine" in transform:
        matrix = _matrix(transform["affine"])
        if matrix is None:
            return ["the affine is not a matrix of numbers."]
        if any(not math.isfinite(v) for row in matrix for v in row):
            errors.append("the affine contains a value that is not finite.")
        if n_in is not None and n_out is not None:
            widths = {len(row) for row in matrix}
            if len(matrix) != n_out or widths != {n_in + 1}:
                shape = f"{len(matrix)}×{'/'.join(str(w) for w in sorted(widths)) or 0}"
                errors.append(
                    f"the affine is {shape} but maps {n_in} input axes to {n_out} output axes, "
                    f"so it must be {n_out}×{n_in + 1}."
                )
    elif kind == "rotation" and "rotation" in transform:
        matrix = _matrix(transform["rotation"])
        if matrix is None:
            return ["the rotation is not a matrix of numbers."]
        size = len(matrix)
        if any(len(row) != size for row in matrix):
            errors.append("the rotation matrix is not square.")
        elif n_in is not None and (size != n_in or (n_out is not None and n_out != n_in)):
            errors.append(f"the rotation is {size}×{size} but the systems have {n_in} and {n_out} axes.")
        elif not _is_rotation(matrix):
            errors.append("the rotation matrix is not orthonormal with determinant +1.")
    elif kind in ("scale", "translation") and kind in transform:
        values = transform[kind]
        if n_in is not None and isinstance(values, list) and len(values) != n_in:
            errors.append(f"the {kind} has {len(values)} values for {n_in} axes.")
        if n_in is not None and n_out is not None and n_in != n_out:
            errors.append(f"a {kind} cannot map {n_in} axes to {n_out}.")
    elif kind == "identity" and n_in is not None and n_out is not None and n_in != n_out:
        errors.append(f"an identity cannot map {n_in} axes to {n_out}.")
    elif kind == "sequence" and n_in is not None and n_in == n_out:
        for step in transform.get("transformations") or []:
            if isinstance(step, dict):
                errors.extend(f"in the sequence, {message}" for message in _shape_errors(step, n_in, n_out))
    return errors


def _is_rotation(matrix: Sequence[Sequence[float]]) -> bool:
    size = len(matrix)
    for i in range(size):
        for j in range(size):
            dot = sum(matrix[i][k] * matrix[j][k] for k in range(size))
            if abs(dot - (1.0 if i == j else 0.0)) > 1e-6:
                return False
    return abs(_determinant([list(row) for row in matrix]) - 1.0) < 1e-6


def _determinant(matrix: list[list[float]]) -> float:
    if len(matrix) == 1:
        return matrix[0][0]
    total = 0.0
    for column, value in enumerate(matrix[0]):
        minor = [row[:column] + row[column + 1 :] for row in matrix[1:]]
        total += (-1) ** column * value * _determinant(minor)
    return total


def _connectivity(
    systems: dict[str, list[dict[str, Any]]], edges: list[tuple[tuple[str, str], tuple[str, str]]]
) -> list[str]:
    nodes = {("", name) for name in systems}
    for a, b in edges:
        nodes.update((a, b))
    if len(nodes) < 2:
        return []
    neighbours: dict[tuple[str, str], set[tuple[str, str]]] = {node: set() for node in nodes}
    for a, b in edges:
        neighbours[a].add(b)
        neighbours[b].add(a)
    start = min(nodes)
    seen = {start}
    stack = [start]
    while stack:
        for other in neighbours[stack.pop()]:
            if other not in seen:
                seen.add(other)
                stack.append(other)
    missing = sorted(nodes - seen)
    if not missing:
        return []
    names = ", ".join(f"{path + '/' if path else ''}{name}" for path, name in missing)
    return [f"the transformation graph is not connected: nothing links {names} to the rest."]


# ---------------------------------------------------------------- where a JSON message points

_AT_PATH = re.compile(r"^at (\(top level\)|\(attributes\)|[^\s:]+): ")
_SCENE_PATH = re.compile(r"^(coordinateSystems|coordinateTransformations)/(\d+)\b")
_SCENE = ("attributes", "ome", "scene")


def json_issue_pointer(message: str) -> tuple[str | int, ...]:
    """The path into the checked JSON document that a message of this module is about.

    Parameters
    ----------
    message
        One message of :func:`validate_empiar_json` or :func:`validate_scene`.

    Returns
    -------
    tuple
        JSON keys and list indices from the document's top (``("imagesets", 0, "directory")``,
        ``("attributes", "ome", "scene", "coordinateTransformations", 0)``); ``()`` when the message
        concerns the document as a whole.
    """
    match = _AT_PATH.match(message)
    if match:
        text = match.group(1)
        if text == "(top level)":
            return ()
        if text == "(attributes)":
            return ("attributes",)
        return tuple(int(part) if part.isdigit() else part for part in text.split("/"))
    match = _SCENE_PATH.match(message)
    if match:
        return (*_SCENE, match.group(1), int(match.group(2)))
    if message.startswith("coordinate system '"):
        return (*_SCENE, "coordinateSystems")
    if message.startswith("the transformation graph is not connected"):
        return (*_SCENE, "coordinateTransformations")
    return ()
