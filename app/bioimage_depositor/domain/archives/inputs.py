"""What a submission sends, read from a draft and its exported deposition package.

The package (:func:`~bioimage_depositor.domain.exports.package.export_package`)
holds the metadata each archive takes; the data files stay where they are on the
user's disk (each :class:`~..deposition.FileEntry` names its ``source``). This
module pairs the two into the uploads and documents of each archive:

* BIA: the PageTab JSON (``bia/pagetab/submission.json``), its file lists
  (uploaded to the user space under the names the study's ``File List``
  attributes use), the data files of the BIA components and annotation sets
  under their deposited paths, and the transform files (``correlation/...``);
* EMPIAR, per component: the deposition JSON (``empiar/<component>/deposition.json``)
  and the component's files under their deposited paths in the entry's
  ``data/`` folder, plus the transform files (``data/correlation/...``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..deposition import Deposition, FileEntry
from ..exports import empiar as empiar_export
from ..exports import pagetab as pagetab_export
from ..exports.crossrefs import TRANSFORM_FOLDER
from ..exports.package import MOUNT_EMPIAR, MOUNT_NGFF, MOUNT_PAGETAB
from .errors import ArchiveError
from .uploads import UploadItem


@dataclass(frozen=True)
class BiaInputs:
    """The BIA part of a submission."""

    pagetab: dict[str, Any]
    title: str
    file_lists: tuple[str, ...]
    uploads: tuple[UploadItem, ...]
    root_path: str | None = None


@dataclass(frozen=True)
class EmpiarInputs:
    """One EMPIAR entry of a submission (one per EMPIAR study component)."""

    component_id: str
    name: str
    title: str
    document: bytes
    uploads: tuple[UploadItem, ...]

    def document_json(self) -> dict[str, Any]:
        """The deposition JSON as a dict."""
        value = json.loads(self.document)
        if not isinstance(value, dict):
            raise ValueError("the EMPIAR deposition JSON is not an object")
        return value


@dataclass(frozen=True)
class SubmissionInputs:
    """Everything a submission run sends, for one export of the draft."""

    package: Path
    correlative: bool
    bia: BiaInputs | None
    empiar: tuple[EmpiarInputs, ...]

    def empiar_part(self, component_id: str) -> EmpiarInputs | None:
        """The EMPIAR inputs of a component, if it goes to EMPIAR."""
        return next((part for part in self.empiar if part.component_id == component_id), None)


def _data_item(entry: FileEntry, owner: str) -> UploadItem:
    if not entry.source:
        raise ArchiveError(
            "local.no_source",
            f"The file {entry.deposited_path} of '{owner}' has no local copy recorded (it was listed without "
            "its folder). Add its folder again in the wizard, then submit.",
            permanent=True,
        )
    local = Path(entry.source)
    size = entry.size_bytes
    if size is None:
        try:
            size = local.stat().st_size
        except OSError:
            raise ArchiveError(
                "local.missing",
                f"The file {local} of '{owner}' cannot be read. Reconnect the disk it is on (or fix the path) and "
                "submit again.",
                permanent=True,
            ) from None
    return UploadItem(local_path=local, remote_path=entry.deposited_path, size=size, md5=entry.md5)


def _package_files(folder: Path, remote_prefix: str) -> list[UploadItem]:
    if not folder.is_dir():
        return []
    items = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        items.append(UploadItem(path, f"{remote_prefix}/{relative}", path.stat().st_size))
    return items


def _unique(items: list[UploadItem], archive: str) -> tuple[UploadItem, ...]:
    seen: dict[str, UploadItem] = {}
    for item in items:
        other = seen.get(item.remote_path)
        if other is not None and other.local_path != item.local_path:
            raise ArchiveError(
                "local.name_clash",
                f"Two different files would be uploaded to {archive} as {item.remote_path} "
                f"({other.local_path} and {item.local_path}). Rename one in the wizard.",
                permanent=True,
                archive=archive,
            )
        seen[item.remote_path] = item
    return tuple(seen.values())


def _attribute(attributes: list[Any], name: str) -> str:
    for attribute in attributes or []:
        if isinstance(attribute, dict) and str(attribute.get("name", "")).casefold() == name.casefold():
            return str(attribute.get("value") or "")
    return ""


def read_inputs(deposition: Deposition, package: Path) -> SubmissionInputs:
    """Pair a deposition with its exported package.

    Parameters
    ----------
    deposition
        The draft's deposition (the one the package was exported from).
    package
        The package folder.

    Raises
    ------
    ArchiveError
        When a data file has no local source, or two files would share an upload path.
    OSError
        When the package cannot be read.
    """
    transforms = package / MOUNT_NGFF
    bia: BiaInputs | None = None
    submission_json = package / MOUNT_PAGETAB / pagetab_export.SUBMISSION_JSON
    if submission_json.is_file():
        pagetab = json.loads(submission_json.read_text(encoding="utf-8"))
        lists = sorted(set(pagetab_export.file_list_paths(deposition).values()))
        items: list[UploadItem] = []
        for component in deposition.components:
            if component.archive == "BIA":
                items += [_data_item(entry, component.name) for entry in component.files]
        for annotation in deposition.annotations:
            items += [_data_item(entry, annotation.title) for entry in annotation.files]
        for name in lists:
            local = package / MOUNT_PAGETAB / name
            items.append(UploadItem(local, name, local.stat().st_size))
        items += _package_files(transforms, TRANSFORM_FOLDER)
        bia = BiaInputs(
            pagetab=pagetab,
            title=_attribute(pagetab.get("attributes", []), "Title"),
            file_lists=tuple(lists),
            uploads=_unique(items, "BIA"),
            root_path=_attribute(pagetab.get("attributes", []), "RootPath") or None,
        )
    parts = []
    paths = empiar_export.entry_paths(deposition)
    for component in empiar_export.empiar_components(deposition):
        document = (package / MOUNT_EMPIAR / paths[component.id]).read_bytes()
        title = str(json.loads(document).get("title") or component.name)
        items = [_data_item(entry, component.name) for entry in component.files]
        if component.correlation_ids:
            items += _package_files(transforms, TRANSFORM_FOLDER)
        parts.append(
            EmpiarInputs(
                component_id=component.id,
                name=component.name,
                title=title,
                document=document,
                uploads=_unique(items, "EMPIAR"),
            )
        )
    return SubmissionInputs(package=package, correlative=deposition.correlative, bia=bia, empiar=tuple(parts))
