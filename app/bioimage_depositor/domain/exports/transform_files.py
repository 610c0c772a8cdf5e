"""The registration files of a correlative study, added to both archives' file lists.

No archive has a field for a registration transform (``correlative.md`` §1, §7): the
OME-NGFF scene this package writes (``correlation/<id>.zarr/zarr.json``) and the depositor's
landmark and tool files (:func:`.crossrefs.provenance_files`) must be *uploaded* with the data
to the BIA and to EMPIAR, and so must be listed where each archive lists its files:

* BIA: in the file list of the first BIA study component that uses the correlation (PageTab
  and RO-Crate; a path appears in one BIA list only, as the RO-Crate's single file list
  requires), at ``correlation/…`` in the user's upload folder;
* EMPIAR: every EMPIAR component that uses the correlation uploads them at
  ``data/correlation/…`` (its image sets' ``details`` already name that path); EMPIAR has no
  file list, so they are rows of ``MANIFEST.tsv`` for that component.

The package also keeps provenance beside each scene, in ``correlation/<scene stem>_files/``
(:func:`.crossrefs.kept_files`, bytes from :mod:`.transform_provenance`): the BigWarp / ec-CLEM
file a transform was imported from, copied byte for byte, and the fiducial table of landmarks
clicked in the program. They are listed like the scene.

A depositor's file is added only to the archives that do not already hold it. The size and MD5
of a file the package writes (scene, copied tool file, fiducial table) are those of the bytes it
writes; its ``source`` is empty, because it is uploaded from the package (its ``original_path``
is its path there).

:func:`with_transform_files` returns the deposition as the archives receive it, with these
files appended to the components' lists; the PageTab (:func:`.pagetab.bia_part`), the RO-Crate
and the manifest are all written from it, so they agree.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from ..deposition import Deposition, FileEntry, StudyComponent
from ..problems import Problem
from . import ngff
from .crossrefs import (
    KEPT_SOURCE,
    TRANSFORM_FOLDER,
    any_path_starts_with,
    kept_files,
    provenance_files,
    scene_paths,
    scoped,
)
from .transform_provenance import kept_contents

__all__ = [
    "ROLE_FIDUCIALS",
    "ROLE_SCENE",
    "ROLE_SOURCE",
    "TransformFile",
    "added_files",
    "transform_file_problems",
    "transform_files",
    "with_transform_files",
]

#: What a file the package writes is (``TransformFile.role``).
ROLE_SCENE = "scene"
ROLE_SOURCE = "source"
ROLE_FIDUCIALS = "fiducials"


@dataclass(frozen=True)
class TransformFile:
    """One file of a correlation that goes into both uploads."""

    correlation_ids: tuple[str, ...]
    entry: FileEntry  # as listed in the archives: path (deposited), size, MD5, source
    generated: bool  # written by this package (the NGFF scene or a kept file), else a depositor's file
    owner: str = ""  # id of the component holding the depositor's file; "" for a generated file
    role: str = ""  # ROLE_SCENE, ROLE_SOURCE or ROLE_FIDUCIALS for a generated file; "" for a depositor's
    transform_index: int | None = None  # the transform a kept file belongs to (its index in the scene)

    @property
    def path(self) -> str:
        """Where it is in each upload (the BIA user folder; EMPIAR's ``data/``)."""
        return self.entry.deposit_path or self.entry.path


def transform_files(deposition: Deposition) -> list[TransformFile]:
    """Every registration file of a correlative study: each NGFF scene and its kept files, then the depositor's.

    Returns
    -------
    list of TransformFile
        Empty for a study that is not correlative (no scene is written then). A kept file that cannot
        be written (a tool file gone or changed: :func:`.transform_provenance.kept_file_problems`) is
        not listed; the export is blocked then.
    """
    if not deposition.correlative:
        return []
    return scoped(deposition, "transform_files", lambda: _transform_files(deposition))


def _written(path: str, data: bytes) -> FileEntry:
    """The file-list entry of a file the package writes: its size and the MD5 of the bytes written."""
    return FileEntry(path=path, size_bytes=len(data), md5=hashlib.md5(data, usedforsecurity=False).hexdigest())


def _transform_files(deposition: Deposition) -> list[TransformFile]:
    out = []
    paths = scene_paths(deposition)
    kept: dict[str, list[TransformFile]] = {}
    for content in kept_contents(deposition):
        if content.data is None:
            continue  # kept_file_problems blocks the export; nothing stale or missing is listed
        item = content.file
        role = ROLE_SOURCE if item.kind == KEPT_SOURCE else ROLE_FIDUCIALS
        kept.setdefault(item.correlation_id, []).append(
            TransformFile(
                (item.correlation_id,), _written(item.path, content.data), True, "", role, item.transform_index
            )
        )
    for correlation in deposition.correlations:
        if correlation.id not in paths:
            continue
        data = ngff.dumps(ngff.scene(correlation)).encode("utf-8")  # the bytes the NGFF renderer writes
        scene_path = f"{TRANSFORM_FOLDER}/{paths[correlation.id]}"
        out.append(TransformFile((correlation.id,), _written(scene_path, data), True, "", ROLE_SCENE))
        out.extend(kept.get(correlation.id, []))
    written = {item.path for item in out} | {item.path for item in kept_files(deposition)}
    for component, entry in provenance_files(deposition):
        if (entry.deposit_path or entry.path) in written:
            continue  # transform_file_problems reports it
        mirror = entry.model_copy(update={"attributes": {}})
        out.append(TransformFile(tuple(component.correlation_ids), mirror, False, component.id))
    return out


def _holds(files: Sequence[FileEntry], path: str) -> bool:
    """Whether one of ``files`` is deposited at ``path``; on the joined paths first (lists run to 100,000)."""
    needle = f"\n{path}\n"
    if needle in "\n" + "\n".join([entry.deposit_path for entry in files]) + "\n":
        return True  # a deposit_path is the deposited path
    if needle not in "\n" + "\n".join([entry.path for entry in files]) + "\n":
        return False
    return any((entry.deposit_path or entry.path) == path for entry in files)


def added_files(
    deposition: Deposition, registration: Sequence[TransformFile] | None = None
) -> dict[str, list[FileEntry]]:
    """The files each component's list gains, by component id (see the module docstring).

    Parameters
    ----------
    deposition
        The deposition.
    registration
        Its :func:`transform_files`, when already at hand.
    """
    if registration is None:
        registration = transform_files(deposition)
    if not registration:
        return {}
    return scoped(deposition, "added_files", lambda: _added_files(deposition, registration))


def _added_files(deposition: Deposition, registration: Sequence[TransformFile]) -> dict[str, list[FileEntry]]:
    components = deposition.components
    bia_groups = [*(c.files for c in components if c.archive == "BIA"), *(a.files for a in deposition.annotations)]
    added: dict[str, list[FileEntry]] = {}
    owners = {component.id: component for component in components}
    for item in registration:
        users = [c for c in components if not set(c.correlation_ids).isdisjoint(item.correlation_ids)]
        owner = owners.get(item.owner)
        bia = [c for c in users if c.archive == "BIA"]
        if (
            bia
            and (owner is None or owner.archive != "BIA")
            and not any(_holds(files, item.path) for files in bia_groups)
            and not any(_holds(added.get(c.id, []), item.path) for c in bia)
        ):
            added.setdefault(bia[0].id, []).append(item.entry)
        for component in users:
            if component.archive == "EMPIAR" and component is not owner and not _holds(component.files, item.path):
                if item.entry not in added.get(component.id, []):
                    added.setdefault(component.id, []).append(item.entry)
    return added


def with_transform_files(deposition: Deposition, registration: Sequence[TransformFile] | None = None) -> Deposition:
    """The deposition as the archives receive it: each component's files plus its :func:`added_files`.

    Returns ``deposition`` itself when nothing is added; otherwise a copy sharing everything but
    the changed components (and their file lists, which are new lists). ``registration`` is its
    :func:`transform_files`, when already at hand.
    """
    added = added_files(deposition, registration)
    if not added:
        return deposition
    components: list[StudyComponent] = [
        c.model_copy(update={"files": [*c.files, *added[c.id]]}) if c.id in added else c for c in deposition.components
    ]
    return deposition.model_copy(update={"components": components})


def transform_file_problems(deposition: Deposition) -> list[Problem]:
    """A depositor's file at a path where the package writes a scene or a kept file: it cannot hold both.

    Returns
    -------
    list of Problem
        ``correlation.scene_path.taken`` errors, located at the file; empty normally.
    """
    if not deposition.correlative:
        return []
    titles = {c.id: c.title for c in deposition.correlations}
    scenes = {f"{TRANSFORM_FOLDER}/{path}": key for key, path in scene_paths(deposition).items()}
    kept = {item.path: item.correlation_id for item in kept_files(deposition)}
    problems = []
    for index, component in enumerate(deposition.components):
        if not any_path_starts_with(component.files, f"{TRANSFORM_FOLDER}/"):
            continue  # decided on the joined paths: cheap enough for the Review page to ask on every edit
        for findex, entry in enumerate(component.files):
            path = entry.deposit_path or entry.path
            if path in scenes or path in kept:
                key = scenes.get(path) or kept[path]
                what = "the OME-NGFF scene" if path in scenes else "a provenance file beside the scene"
                problems.append(
                    Problem(
                        "correlation.scene_path.taken",
                        ("components", index, "files", findex, "path"),
                        f"'{path}' is where the package writes {what} of "
                        f"'{titles[key] or key}'; rename this file or leave it out.",
                        params={"path": path},
                    )
                )
    return problems
