r"""Write a deposition package: one self-contained folder with everything each archive takes.

Layout::

    <out>/SUMMARY.md             what goes where, component by component, for a human
    <out>/MANIFEST.tsv           every data file: archive, component, paths, source, size, MD5 (with a
                                 correlative study's scene and landmark files, once per archive that
                                 receives them; files written by the package have an empty source)
    <out>/bia/pagetab/...        the PageTab submission and its file lists (:mod:`.pagetab`)
    <out>/bia/ro-crate/...       the BIA RO-Crate (:mod:`.rocrate`)
    <out>/empiar/...             the EMPIAR deposition, one folder per component (:mod:`.empiar`)
    <out>/correlation/...        the OME-NGFF scene of a correlative study (:mod:`.ngff`), and beside it
                                 (``<scene stem>_files/``) the imported BigWarp / ec-CLEM file and the
                                 fiducial table of clicked landmarks (:mod:`.transform_provenance`)

The package is complete or absent. Everything is rendered in memory first
(renderers are pure functions), written into a hidden sibling folder
``.<name>.partial-<random>`` with every file flushed to disk, and only then
renamed into place. An existing folder is never written into: without
``overwrite`` the export refuses, with it the old folder is renamed aside, the
new one renamed in and the old one deleted, so at every instant the target is
either the previous package or the new one (between the two renames, which
take microseconds, the previous package is at ``.<name>.old-<random>``). A
folder that does not look like a package (no ``SUMMARY.md`` and
``MANIFEST.tsv``) and is not empty is never replaced, so a mistyped ``--out``
cannot delete someone's data.

Output is deterministic: the same deposition and context give byte-identical
files (sorted keys, fixed order, ``\n`` line ends, UTF-8, no clock readings;
the only date is ``ExportContext.export_date``).

Before writing, the draft must have no blocking problem of the rules
(:func:`~..rules.check_deposition`) nor of :func:`export_problems` (what only a
package can get wrong). After writing, :mod:`.package_checks` runs the archives'
validators on it and :mod:`.check_locations` places their messages at fields.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ... import __version__
from ..atomic_io import fsync_dir
from ..deposition import Deposition, FileEntry
from ..problems import Problem
from ..rules import check_deposition
from . import empiar, ngff, pagetab, rocrate
from .base import ACCESSION_PLACEHOLDER, ExportContext, Rendered, Renderer
from .crossrefs import cross_references, export_scope
from .transform_files import (
    ROLE_FIDUCIALS,
    ROLE_SOURCE,
    TransformFile,
    added_files,
    transform_file_problems,
    transform_files,
    with_transform_files,
)
from .transform_provenance import kept_file_problems

__all__ = [
    "MANIFEST_COLUMNS",
    "ExportBlockedError",
    "ExportError",
    "ExportResult",
    "ExportTargetError",
    "context_for_draft",
    "default_renderers",
    "empty_file_list_problems",
    "export_package",
    "export_problems",
    "render_package",
]

SUMMARY = "SUMMARY.md"
MANIFEST = "MANIFEST.tsv"
MANIFEST_COLUMNS = ("archive", "component", "deposited_path", "original_path", "source", "size_bytes", "md5")

#: Where each renderer's files go inside the package.
MOUNT_PAGETAB = "bia/pagetab"
MOUNT_ROCRATE = "bia/ro-crate"
MOUNT_EMPIAR = "empiar"
MOUNT_NGFF = "correlation"

_CONTROL = {ord(c): "\ufffd" for c in "\t\n\r"}


class ExportError(Exception):
    """An export that cannot be done; ``code`` is stable, ``message`` says what to do."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class ExportBlockedError(ExportError):
    """The deposition has blocking problems; they are listed in ``problems``."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  {p.path}: {p.message} [{p.code}]" for p in self.problems)
        super().__init__(
            "export.blocked",
            f"The draft has {len(self.problems)} problem(s) to fix before it can be exported:\n{lines}",
        )


class ExportTargetError(ExportError):
    """The output folder exists (and may not, or cannot safely, be replaced)."""


@dataclass
class ExportResult:
    """What an export wrote."""

    path: Path
    files: list[str]  # relative POSIX paths, sorted
    warnings: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # package-level remarks, as in SUMMARY.md
    missing_renderers: list[str] = field(default_factory=list)
    template: str | None = None

    def to_json(self) -> dict[str, object]:
        """A plain dict for ``--json`` output."""
        return {
            "path": str(self.path),
            "files": self.files,
            "template": self.template,
            "warnings": [p.to_json() for p in self.warnings],
            "notes": self.notes,
            "missing_renderers": self.missing_renderers,
        }


def context_for_draft(
    modified: dt.date | dt.datetime,
    *,
    bia_accession: str | None = None,
    empiar_accessions: Sequence[tuple[str, str]] = (),
) -> ExportContext:
    """The export context of a draft: dated by its last change, so re-exports are identical.

    Parameters
    ----------
    modified
        The draft's last change (``envelope.modified``, a datetime or date).
    bia_accession
        The BIA study's accession when it has one (a resubmission).
    empiar_accessions
        ``(component id, EMPIAR accession)`` pairs already assigned.
    """
    return ExportContext(
        export_date=modified.date() if isinstance(modified, dt.datetime) else modified,
        app_version=__version__,
        bia_accession=bia_accession or ACCESSION_PLACEHOLDER,
        empiar_accessions=tuple(sorted(empiar_accessions)),
    )


# ---------------------------------------------------------------- rendering


def default_renderers(deposition: Deposition) -> dict[str, Renderer]:
    """The renderers that apply to ``deposition``, by the folder their files go to."""
    renderers: dict[str, Renderer] = {}
    if pagetab.template_for(deposition) is not None:
        renderers[MOUNT_PAGETAB] = pagetab.render
        renderers[MOUNT_ROCRATE] = rocrate.render
    if any(component.archive == "EMPIAR" for component in deposition.components):
        renderers[MOUNT_EMPIAR] = empiar.render
    if deposition.correlative:
        renderers[MOUNT_NGFF] = ngff.render
    return renderers


def _checked_path(mount: str, relative: str) -> str:
    path = PurePosixPath(relative)
    if (
        not relative
        or "\\" in relative
        or path.is_absolute()
        or any(part in ("", ".", "..") for part in relative.split("/"))
    ):
        raise ExportError(
            "export.renderer_output",
            f"The {mount} renderer produced a file outside its folder ({relative!r}); this is a program error.",
        )
    return f"{mount}/{relative}"


def _datasets(received: Deposition) -> list[tuple[str, str, list[FileEntry]]]:
    """(archive, name, files) of every component, then of every annotation set (deposited with the BIA).

    ``received`` is the deposition as the archives receive it (:func:`.transform_files.with_transform_files`).
    """
    deposition = received
    datasets: list[tuple[str, str, list[FileEntry]]] = [(c.archive, c.name, c.files) for c in deposition.components]
    return datasets + [("BIA", a.title, a.files) for a in deposition.annotations]


def _manifest(received: Deposition) -> bytes:
    """``MANIFEST.tsv`` of the deposition as the archives receive it (with the registration files)."""
    lines = ["\t".join(MANIFEST_COLUMNS)]
    append = lines.append
    for archive, dataset, files in _datasets(received):
        for entry in files:
            # Every column but ``source`` is model text (no tabs or line breaks) or a number.
            source = entry.source
            if "\t" in source or "\n" in source or "\r" in source:
                source = source.translate(_CONTROL)
            size = "" if entry.size_bytes is None else str(entry.size_bytes)
            append("\t".join((archive, dataset, entry.deposit_path or entry.path, entry.path, source, size, entry.md5)))
    return ("\n".join(lines) + "\n").encode("utf-8", "backslashreplace")


def _size(total: int) -> str:
    value = float(total)
    for unit in ("bytes", "kB", "MB", "GB", "TB", "PB"):
        if value < 1000 or unit == "PB":
            return f"{total} bytes" if unit == "bytes" else f"{value:.2f} {unit} ({total:,} bytes)"
        value /= 1000
    raise AssertionError("unreachable")


def _sizes(files: Sequence[FileEntry]) -> str:
    total = unknown = no_md5 = 0
    for entry in files:
        if entry.size_bytes is None:
            unknown += 1
        else:
            total += entry.size_bytes
        if not entry.md5:
            no_md5 += 1
    text = f"{len(files)} file(s), {_size(total)}"
    if unknown:
        text += f"; {unknown} of unknown size"
    if no_md5:
        text += f"; MD5 not computed yet for {no_md5}"
    return text


def _md(text: str) -> str:
    """User text on one Markdown line, with the characters that would change its meaning escaped."""
    escaped = " ".join(text.split())
    for ch in "\\`*_[]<>|#":
        escaped = escaped.replace(ch, "\\" + ch)
    return escaped or "(unnamed)"


def _code(text: str) -> str:
    """A path inside a Markdown code span: backslashes are shown as typed there, so only backticks are replaced."""
    return " ".join(text.split()).replace("`", "'") or "(unnamed)"


def _titles(deposition: Deposition, section: str, ids: Sequence[str]) -> str:
    titles = {item.id: item.title for item in getattr(deposition, section)}
    return ", ".join(_md(titles.get(ref, ref)) for ref in ids) or "none"


def _summary(
    deposition: Deposition,
    ctx: ExportContext,
    files: Mapping[str, bytes],
    warnings: Sequence[Problem],
    notes: Sequence[str],
    registration: Sequence[TransformFile] | None = None,
) -> bytes:
    if registration is None:
        registration = transform_files(deposition)
    received = with_transform_files(deposition, registration)
    study = deposition.study
    template = pagetab.template_for(deposition)
    lists = pagetab.file_list_paths(deposition)
    out: list[str] = [f"# Deposition package: {_md(study.title)}", ""]
    out.append(f"Written by BioImage Depositor {ctx.app_version} from the draft as of {ctx.export_date.isoformat()}.")
    out.append("")
    if ctx.has_bia_accession:
        out.append(f"BIA study accession: **{ctx.bia_accession}** (this package resubmits that study).")
    elif template is not None:
        out.append(
            f"BIA study accession: **{ACCESSION_PLACEHOLDER} — a placeholder, not a real accession.** "
            "The BioImage Archive assigns the accession when it accepts the submission; the RO-Crate "
            "carries the placeholder where its profile requires an accession."
        )
    out += ["", "## What goes where", "", "| Folder | Archive | Contents |", "|---|---|---|"]
    if f"{MOUNT_PAGETAB}/{pagetab.SUBMISSION_JSON}" in files:
        out.append(
            f"| `{MOUNT_PAGETAB}/` | BioImage Archive (submit today) | PageTab submission in the {template} "
            f"template: `{pagetab.SUBMISSION_JSON}` (submit this one), `{pagetab.SUBMISSION_TSV}` (the same, as TSV), "
            f"and one file list per study component and annotation set in `{pagetab.FILE_LIST_DIR}/` |"
        )
    if any(name.startswith(MOUNT_ROCRATE + "/") for name in files):
        out.append(
            f"| `{MOUNT_ROCRATE}/` | BioImage Archive (when RO-Crate submission opens) | "
            "`ro-crate-metadata.json` and its file list |"
        )
    if any(name.startswith(MOUNT_EMPIAR + "/") for name in files):
        out.append(f"| `{MOUNT_EMPIAR}/` | EMPIAR | the deposition JSON of each component that goes to EMPIAR |")
    if any(name.startswith(MOUNT_NGFF + "/") for name in files):
        kept = any(item.role in (ROLE_SOURCE, ROLE_FIDUCIALS) for item in registration)
        out.append(
            f"| `{MOUNT_NGFF}/` | both | OME-NGFF scene with the coordinate systems and transforms between "
            "components"
            + (", and beside it (`*_files/`) the landmark and tool files kept as provenance" if kept else "")
            + "; upload it with the data to both archives |"
        )
    out.append(f"| `{MANIFEST}` | – | every data file with its archive, paths, size and MD5 |")
    out += ["", "## Components", ""]
    added = added_files(deposition, registration)
    for index, component in enumerate(deposition.components, 1):
        out.append(f"### {index}. {_md(component.name)} → {component.archive}")
        out.append("")
        out.append(f"- Files: {_sizes(component.files)}")
        if added.get(component.id):
            listed = ", ".join(f"`{_code(entry.deposit_path or entry.path)}`" for entry in added[component.id])
            where = "its file list" if component.archive == "BIA" else "its EMPIAR upload (under `data/`)"
            out.append(f"- Registration files added to {where}: {listed} (see Correlation below)")
        renamed = sum(1 for entry in component.files if entry.deposit_path and entry.deposit_path != entry.path)
        if renamed:
            out.append(f"- Renamed for the archive: {renamed} file(s) (originals unchanged; see `{MANIFEST}`)")
        if component.archive == "BIA" and component.id in lists:
            out.append(f"- File list: `{MOUNT_PAGETAB}/{lists[component.id]}`")
        out.append(f"- Biosample: {_titles(deposition, 'biosamples', component.biosample_ids)}")
        out.append(f"- Specimen: {_titles(deposition, 'specimens', component.specimen_ids)}")
        out.append(f"- Image acquisition: {_titles(deposition, 'acquisitions', component.acquisition_ids)}")
        if component.correlation_ids:
            out.append(f"- Image correlation: {_titles(deposition, 'correlations', component.correlation_ids)}")
        if component.analysis_ids:
            out.append(f"- Image analysis: {_titles(deposition, 'analyses', component.analysis_ids)}")
        out.append("")
    if registration:
        out += _correlation_section(registration)
    if deposition.annotations:
        out += ["## Annotations", ""]
        for index, annotation in enumerate(deposition.annotations, 1):
            out.append(f"### {index}. {_md(annotation.title)} → BIA")
            out.append("")
            out.append(f"- Files: {_sizes(annotation.files)}")
            out.append(f"- Types: {', '.join(annotation.annotation_types) or 'none'}")
            names = {c.id: c.name for c in deposition.components}
            sources = ", ".join(_md(names.get(ref, ref)) for ref in annotation.source_component_ids)
            out.append(f"- Annotates: {sources or 'not stated'}")
            if annotation.id in lists:
                out.append(f"- File list: `{MOUNT_PAGETAB}/{lists[annotation.id]}`")
            out.append("")
    out += ["## Totals", ""]
    for archive in ("BIA", "EMPIAR"):
        entries = [entry for a, _, files in _datasets(received) if a == archive for entry in files]
        if entries:
            out.append(f"- {archive}: {_sizes(entries)}")
    out.append("")
    if warnings or notes:
        out += ["## Remaining warnings", ""]
        out += [f"- {_md(p.path)}: {_md(p.message)} `[{p.code}]`" for p in warnings]
        out += [f"- {note}" for note in notes]
        out.append("")
    out += ["## Next steps", ""]
    step = 1
    if template is not None:
        out.append(
            f"{step}. Upload the BIA data files to your BioImage Archive user space under the paths of the "
            f"file lists (column `Files`), then upload the `{pagetab.FILE_LIST_DIR}/` folder next to them."
        )
        step += 1
        out.append(
            f"{step}. Submit `{MOUNT_PAGETAB}/{pagetab.SUBMISSION_JSON}` (or the same study through the web form)."
        )
        step += 1
    if any(c.archive == "EMPIAR" for c in deposition.components):
        out.append(f"{step}. Deposit each EMPIAR component with its JSON from `{MOUNT_EMPIAR}/`.")
        step += 1
    if registration:
        out.append(
            f"{step}. Upload the registration files (see Correlation) with the data of both archives: the "
            f"package's `{MOUNT_NGFF}/` folder as `correlation/` in your BIA upload folder and as "
            "`data/correlation/` in each EMPIAR entry."
        )
        step += 1
    if deposition.correlative:
        out.append(
            f"{step}. Once both accessions exist, export again with them (`--bia-accession`, "
            "`--empiar-accession`) and resubmit, so each archive links the other."
        )
    out.append("")
    return "\n".join(out).encode("utf-8", "backslashreplace")


def _correlation_section(registration: Sequence[TransformFile]) -> list[str]:
    out = [
        "## Correlation",
        "",
        "No archive has a field for a registration transform, so these files go into both uploads: into the "
        "BIA file list of the first BIA component that uses the correlation (at the path shown, in your upload "
        "folder) and into each EMPIAR entry that uses it (under `data/`). Files this package wrote are in its "
        f"`{MOUNT_NGFF}/` folder (their `source` in `{MANIFEST}` is empty); your own files are uploaded from where "
        "they are.",
        "",
    ]
    for item in registration:
        size = "" if item.entry.size_bytes is None else f", {item.entry.size_bytes:,} bytes"
        out.append(f"- `{_code(item.path)}` ({_role_text(item)}{size})")
    out.append("")
    return out


def _role_text(item: TransformFile) -> str:
    """What a registration file is, for the summary's Correlation list."""
    if not item.generated:
        return "your file"
    if item.role == ROLE_SOURCE:
        return (
            f"the file transform {item.transform_index} was imported from, copied unchanged by this package "
            "after checking its SHA-256"
        )
    if item.role == ROLE_FIDUCIALS:
        return f"fiducial table of the landmarks of transform {item.transform_index}, written by this package"
    return "OME-NGFF 0.6 scene, written by this package"


def _package_notes(deposition: Deposition, ctx: ExportContext, missing: Sequence[str]) -> list[str]:
    notes = [f"`{mount}/`: renderer not available yet, so this part is missing." for mount in missing]
    notes += list(cross_references(deposition, ctx).pending)
    if deposition.annotations and pagetab.template_for(deposition) is not None:
        notes.append(
            f"Annotation sets are written as `{pagetab.ANNOTATION_SECTION}` sections, as the BIA's current "
            "templates name them; the BIA's ingest (May 2026) reads `Annotations`. Ask the BIA "
            "(bioimage-archive@ebi.ac.uk) before submitting annotations through the API."
        )
    for annotation in deposition.annotations:
        missing_source = sum(1 for entry in annotation.files if not entry.attributes.get(pagetab.SOURCE_IMAGE_COLUMN))
        if missing_source:
            notes.append(
                f"Annotations '{_md(annotation.title)}': {missing_source} file(s) have no `source_image`; "
                "the BIA needs the image each annotation belongs to."
            )
    return notes


def render_package(
    deposition: Deposition,
    ctx: ExportContext,
    *,
    renderers: Mapping[str, Renderer | None] | None = None,
    warnings: Sequence[Problem] | None = None,
) -> tuple[dict[str, bytes], list[str], list[str]]:
    """Render every file of the package in memory.

    Parameters
    ----------
    deposition, ctx
        What to render, and the context.
    renderers
        Folder → renderer; :func:`default_renderers` by default.
    warnings
        The non-blocking problems to list in the summary (computed when omitted).

    Returns
    -------
    tuple
        ``(files, missing_renderers, notes)``: relative path → bytes, sorted by path.

    Raises
    ------
    ExportBlockedError
        When a provenance file kept beside a scene cannot be written (a tool file gone or changed).
    ExportError
        When a renderer writes outside its folder or the PageTab fails its own structural check.
    """
    with export_scope(deposition):
        return _render_package(deposition, ctx, renderers, warnings)


def _render_package(
    deposition: Deposition,
    ctx: ExportContext,
    renderers: Mapping[str, Renderer | None] | None,
    warnings: Sequence[Problem] | None,
) -> tuple[dict[str, bytes], list[str], list[str]]:
    if warnings is None:
        warnings = [p for p in check_deposition(deposition) if not p.blocking]
    chosen = dict(renderers) if renderers is not None else default_renderers(deposition)
    missing = sorted(mount for mount, renderer in chosen.items() if renderer is None)
    files: dict[str, bytes] = {}
    for mount, renderer in sorted(chosen.items()):
        if renderer is None:
            continue
        rendered: Rendered = renderer(deposition, ctx)
        for relative, data in rendered.items():
            files[_checked_path(mount, relative)] = bytes(data)
        if renderer is pagetab.render:
            structure = pagetab.check_pagetab(rendered)
            if structure:
                raise ExportError(
                    "export.self_check",
                    "The PageTab this program wrote fails its own check, so no package was written "
                    "(a program error; please report it): " + "; ".join(structure),
                )
    kept = kept_file_problems(deposition)  # the NGFF renderer left such files out: never a package without them
    if kept:
        raise ExportBlockedError(kept)
    notes = _package_notes(deposition, ctx, missing)
    registration = transform_files(deposition)
    files[MANIFEST] = _manifest(with_transform_files(deposition, registration))
    files[SUMMARY] = _summary(deposition, ctx, files, warnings, notes, registration)
    return dict(sorted(files.items())), missing, notes


# ---------------------------------------------------------------- writing


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "xb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())


def _write_tree(root: Path, files: Mapping[str, bytes]) -> None:
    folders = {root}
    for relative, data in files.items():
        target = root.joinpath(*relative.split("/"))
        parent = target.parent
        if parent not in folders:
            parent.mkdir(parents=True, exist_ok=True)
            while parent != root and parent not in folders:
                folders.add(parent)
                parent = parent.parent
        _write_file(target, data)
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        fsync_dir(folder)


def _looks_like_package(folder: Path) -> bool:
    return (folder / SUMMARY).is_file() and (folder / MANIFEST).is_file()


def _check_target(target: Path, overwrite: bool) -> bool:
    """Whether ``target`` exists (and may be replaced); raise when it may not."""
    if not target.exists() and not target.is_symlink():
        return False
    if not overwrite:
        raise ExportTargetError(
            "export.target_exists",
            f"{target} already exists; choose a new folder, or replace the earlier package with --overwrite.",
        )
    if target.is_symlink() or not target.is_dir():
        raise ExportTargetError("export.target_not_folder", f"{target} exists and is not a folder; not replacing it.")
    if not _looks_like_package(target) and any(target.iterdir()):
        raise ExportTargetError(
            "export.target_not_package",
            f"{target} exists and is not a deposition package (no {SUMMARY} and {MANIFEST}); "
            "not replacing it. Choose an empty or new folder.",
        )
    return True


def export_problems(deposition: Deposition) -> list[Problem]:
    """What stops an export beyond :func:`~..rules.check_deposition`: what only a package can get wrong.

    * ``bia.file_list.empty``: a BIA study component or annotation set without files would get an
      empty file list, which BioStudies rejects ("A file list should contain at least one file");
      the rules only warn about it (``component.files.missing``), since files are added on a
      later page of the wizard.
    * ``correlation.scene_path.taken``: a file of the draft sits where the package writes an
      OME-NGFF scene or a file kept beside it (:func:`.transform_files.transform_file_problems`).
    * ``correlation.transform.source_file.missing`` / ``.unreadable`` / ``.changed``: the BigWarp or
      ec-CLEM file a transform was imported from cannot be copied into the package unchanged;
      ``correlation.transform.fiducials.*``: clicked landmarks that give no fiducial table
      (:func:`.transform_provenance.kept_file_problems`). This part reads the imported tool files,
      so call it off the UI thread.

    Returns
    -------
    list of Problem
        Errors, located at the file list, the file or the transform's field.
    """
    with export_scope(deposition):
        return (
            empty_file_list_problems(deposition) + transform_file_problems(deposition) + kept_file_problems(deposition)
        )


def empty_file_list_problems(deposition: Deposition) -> list[Problem]:
    """The ``bia.file_list.empty`` part of :func:`export_problems`: instant, so the Review page asks it per edit."""
    problems: list[Problem] = []
    groups = [(("components", i), c.name, c.files) for i, c in enumerate(deposition.components) if c.archive == "BIA"]
    groups += [(("annotations", i), a.title, a.files) for i, a in enumerate(deposition.annotations)]
    for location, name, files in groups:
        if not files:
            problems.append(
                Problem(
                    "bia.file_list.empty",
                    (*location, "files"),
                    f"'{name or 'This set'}' has no files, and the BIA rejects an empty file list; add its files "
                    "(Image data page) or remove it before export.",
                )
            )
    return problems


def export_package(
    deposition: Deposition,
    out_dir: str | os.PathLike[str],
    ctx: ExportContext,
    *,
    renderers: Mapping[str, Renderer | None] | None = None,
    overwrite: bool = False,
    _write: Callable[[Path, Mapping[str, bytes]], None] = _write_tree,
) -> ExportResult:
    """Export a deposition as a package folder, atomically.

    Parameters
    ----------
    deposition
        The deposition to export; refused when it has blocking problems.
    out_dir
        The package folder to create; its parent is created when missing.
    ctx
        The export context (:func:`context_for_draft` for a draft).
    renderers
        Folder → renderer; :func:`default_renderers` by default.
    overwrite
        Replace an existing package folder (or an empty folder) at ``out_dir``.

    Returns
    -------
    ExportResult
        The folder, the files written and the remaining warnings.

    Raises
    ------
    ExportBlockedError
        When the deposition has blocking problems (listed in the error).
    ExportTargetError
        When ``out_dir`` exists and may not be replaced.
    ExportError
        When a renderer misbehaves.
    OSError
        When the disk refuses; nothing is left at ``out_dir`` then (or the
        previous package stays, when overwriting).
    """
    with export_scope(deposition):
        problems = check_deposition(deposition) + export_problems(deposition)
        blocking = [p for p in problems if p.blocking]
        if blocking:
            raise ExportBlockedError(blocking)
        warnings = [p for p in problems if not p.blocking]
        files, missing, notes = render_package(deposition, ctx, renderers=renderers, warnings=warnings)
    target = Path(os.path.abspath(out_dir))
    replacing = _check_target(target, overwrite)
    target.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(4)
    staging = target.parent / f".{target.name}.partial-{token}"
    staging.mkdir()
    try:
        _write(staging, files)
        if replacing:
            previous = target.parent / f".{target.name}.old-{token}"
            os.rename(target, previous)
            try:
                os.rename(staging, target)
            except BaseException:
                os.rename(previous, target)
                raise
            fsync_dir(target.parent)
            shutil.rmtree(previous, ignore_errors=True)
        else:
            if target.exists():
                raise ExportTargetError("export.target_exists", f"{target} appeared while exporting; not replacing it.")
            os.rename(staging, target)
            fsync_dir(target.parent)
    finally:
        if staging.exists():
            with contextlib.suppress(OSError):
                shutil.rmtree(staging)
    return ExportResult(
        path=target,
        files=list(files),
        warnings=warnings,
        notes=notes,
        missing_renderers=missing,
        template=pagetab.template_for(deposition),
    )
