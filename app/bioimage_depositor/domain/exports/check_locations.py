"""Put the archives' validator messages next to the fields of the draft they concern.

:func:`.package_checks.check_package` runs ``bia-ro-crate validate``, the EMPIAR schema and the
NGFF scene checks on the written package; their messages speak of crate objects, JSON paths and
scene paths. :func:`locate_checks` turns each message into a :class:`~..problems.Problem` whose
location is the draft field that produced the value (from what the renderers record:
:func:`.rocrate.origins`, :func:`.empiar.source_location`, :func:`.ngff.source_location`), so the
Review page lists it with the draft's own problems and can open the page and field to fix.

A message that concerns no field (a file-list format error, the accession placeholder, a value
the package itself writes) is kept, located at :data:`.provenance.PACKAGE` and worded as being
about the package as a whole. A validator that could not run (not installed) gives one warning
saying so. Problem codes: ``validator.bia_ro_crate``, ``validator.empiar``,
``validator.ngff_scene`` and ``validator.unavailable``.

The deposition must be the one that was exported (the same snapshot): the renderers are
deterministic, so rebuilding its provenance gives the ids and paths of the files checked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote

from ..deposition import Deposition
from ..problems import Location, Problem, Severity
from . import empiar, ngff, rocrate
from .base import ExportContext
from .crossrefs import scene_paths
from .package_checks import BIA_RO_CRATE, EMPIAR_JSON, NGFF_SCENE, CheckIssue, PackageCheck
from .provenance import PACKAGE, Origin
from .transform_files import transform_files

__all__ = ["UNAVAILABLE", "LocatedCheck", "locate_checks", "locate_issue"]

UNAVAILABLE = "validator.unavailable"
_MOUNTS = {BIA_RO_CRATE: "bia/ro-crate/", EMPIAR_JSON: "empiar/", NGFF_SCENE: "correlation/"}
#: Who says it, at the start of each problem's message.
_LABELS = {BIA_RO_CRATE: "BIA RO-Crate validator", EMPIAR_JSON: "EMPIAR schema check", NGFF_SCENE: "NGFF scene check"}
#: Where-in-the-file prefixes of the validators' messages, moved to the end so the message reads first.
_PREFIXES = (
    (re.compile(r"^(Warning: )?At ro-crate object with @id: (?P<where>.*?): (?P<body>.*)$", re.S), "crate object {}"),
    (re.compile(r"^(Warning: )?In file list, at row: (?P<where>.*?): (?P<body>.*)$", re.S), "file list row {}"),
    (re.compile(r"^at (?P<where>\(top level\)|[^\s:]+): (?P<body>.*)$", re.S), "at {}"),
)


def _wording(issue: CheckIssue) -> tuple[str, str]:
    """The validator's sentence without its where-in-the-file prefix, and that place in words."""
    for pattern, where in _PREFIXES:
        match = pattern.match(issue.message)
        if match:
            warning = "Warning: " if issue.message.startswith("Warning: ") else ""
            return warning + match["body"], where.format(match["where"])
    return issue.message, ""


@dataclass(frozen=True)
class LocatedCheck:
    """A validator's verdict with its messages as problems located in the draft."""

    check: PackageCheck
    problems: tuple[Problem, ...]
    locations: tuple[Location | None, ...] = ()  # where each of ``check.issues`` is, None for the whole package

    @property
    def located(self) -> int:
        """How many of the problems point at a field of the draft (the rest concern the whole package)."""
        return sum(1 for problem in self.problems if problem.location != PACKAGE)


class _Locator:
    """Answers "which draft field produced this?" for the files of one exported deposition."""

    def __init__(self, deposition: Deposition, ctx: ExportContext) -> None:
        self.deposition = deposition
        self.ctx = ctx
        self._origins: dict[str, Origin] | None = None

    def origins(self) -> dict[str, Origin]:
        if self._origins is None:  # built only when a crate message names an object
            self._origins = rocrate.origins(self.deposition, self.ctx)
        return self._origins

    def crate(self, pointer: tuple[str | int, ...]) -> Location | None:
        if pointer[:1] == ("row",) and len(pointer) > 1:
            return self.row(str(pointer[1]))
        if pointer[:1] != ("@id",) or len(pointer) < 2:
            return None
        entity = str(pointer[1])
        origins = self.origins()
        for candidate in (entity, quote(unquote(entity), safe="#/:?=&.-_~!$'()*+,;@%"), unquote(entity)):
            if candidate in origins:
                return origins[candidate].locate(str(pointer[2]) if len(pointer) > 2 else "")
        return None

    def row(self, path: str) -> Location | None:
        """The BIA file whose deposited path is ``path`` (the validator may add a full stop)."""
        candidates = {path, path.removesuffix(".")}
        groups = [
            ("components", index, component.files)
            for index, component in enumerate(self.deposition.components)
            if component.archive == "BIA"
        ]
        groups += [
            ("annotations", index, annotation.files) for index, annotation in enumerate(self.deposition.annotations)
        ]
        for section, index, files in groups:
            for findex, entry in enumerate(files):
                if (entry.deposit_path or entry.path) in candidates:
                    return (section, index, "files", findex, "path")
        # A registration file the package added to the BIA list: the scene's correlation, or the
        # depositor's file where it is listed (in an EMPIAR component).
        for item in transform_files(self.deposition):
            if item.path not in candidates:
                continue
            if item.generated:
                index = next(i for i, c in enumerate(self.deposition.correlations) if c.id == item.correlation_ids[0])
                return ("correlations", index, "transforms")
            for index, component in enumerate(self.deposition.components):
                if component.id == item.owner:
                    findex = next(i for i, e in enumerate(component.files) if (e.deposit_path or e.path) == item.path)
                    return ("components", index, "files", findex, "path")
        return None

    def empiar(self, target: str, pointer: tuple[str | int, ...]) -> Location | None:
        relative = target.removeprefix(_MOUNTS[EMPIAR_JSON])
        paths = empiar.entry_paths(self.deposition)
        component = next((c for c in self.deposition.components if paths.get(c.id) == relative), None)
        return empiar.source_location(self.deposition, component, pointer) if component is not None else None

    def scene(self, target: str, pointer: tuple[str | int, ...]) -> Location | None:
        relative = target.removeprefix(_MOUNTS[NGFF_SCENE])
        paths = scene_paths(self.deposition)
        correlation = next((c for c in self.deposition.correlations if paths.get(c.id) == relative), None)
        return ngff.source_location(self.deposition, correlation, pointer) if correlation is not None else None


def locate_issue(
    deposition: Deposition,
    ctx: ExportContext,
    check: PackageCheck,
    issue: CheckIssue,
    *,
    _locator: _Locator | None = None,
) -> Location | None:
    """The draft location one validator message concerns, or None when it concerns the package as a whole.

    Parameters
    ----------
    deposition, ctx
        The deposition that was exported and its export context.
    check
        The check the message comes from (its ``kind`` and ``target`` say which file).
    issue
        The message and its pointer into that file.
    """
    locator = _locator or _Locator(deposition, ctx)
    if not issue.pointer:
        return None
    if check.kind == BIA_RO_CRATE:
        return locator.crate(issue.pointer)
    if check.kind == EMPIAR_JSON:
        return locator.empiar(check.target, issue.pointer)
    if check.kind == NGFF_SCENE:
        return locator.scene(check.target, issue.pointer)
    return None


def locate_checks(deposition: Deposition, ctx: ExportContext, checks: Sequence[PackageCheck]) -> list[LocatedCheck]:
    """Turn every validator message into a problem located at the draft field it concerns.

    Parameters
    ----------
    deposition
        The deposition that was exported (the same snapshot).
    ctx
        Its export context (accessions change crate ids).
    checks
        From :func:`.package_checks.check_package` on that export.

    Returns
    -------
    list of LocatedCheck
        In the order of ``checks``; each problem's location is a draft field, or
        :data:`~.provenance.PACKAGE` with a message saying it concerns the whole package.
    """
    locator = _Locator(deposition, ctx)
    out = []
    for check in checks:
        problems: list[Problem] = []
        locations: list[Location | None] = []
        params = {"check": check.name, "target": check.target}
        label = _LABELS.get(check.kind, check.name)
        if not check.available:
            reason = check.messages[0] if check.messages else "the validator is not installed"
            problems.append(Problem(UNAVAILABLE, PACKAGE, f"{check.name} was not run: {reason}", "warning", params))
        for issue in check.issues:
            location = locate_issue(deposition, ctx, check, issue, _locator=locator)
            locations.append(location)
            severity: Severity = "warning" if issue.severity == "warning" else "error"
            code = f"validator.{check.kind or 'other'}"
            body, where = _wording(issue)
            details = {**params, "message": issue.message}
            if location is None:
                place = ", ".join(part for part in (check.target, where) if part)
                message = f"{label}, about the package as a whole: {body} ({place})"
                problems.append(Problem(code, PACKAGE, message, severity, details))
            else:
                suffix = f" ({where})" if where else ""
                problems.append(Problem(code, location, f"{label}: {body}{suffix}", severity, details))
        out.append(LocatedCheck(check, tuple(problems), tuple(locations)))
    return out
