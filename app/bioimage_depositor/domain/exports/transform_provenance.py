"""The bytes of the provenance files kept beside a correlation's scene, and what stops them.

Issue 7: "the raw landmark files are kept as provenance". No archive can hold landmarks in its
metadata (``correlative.md`` §1, §6.6), so the package writes, beside each OME-NGFF scene
(:func:`.crossrefs.kept_files` decides the paths):

* the BigWarp / ec-CLEM file a transform was imported from, **byte for byte**: read again from
  ``source_file.path`` at export and written only when its SHA-256 is still the one recorded at
  import. A file that has gone or changed is a blocking problem located at the transform's
  ``source_file`` (``correlation.transform.source_file.missing`` / ``.unreadable`` / ``.changed``):
  the transform may no longer match it, and stale bytes are never deposited;
* for landmarks clicked in the program, the fiducial table (id, moving y/x, fixed y/x, residual,
  :func:`~..landmarks.fiducial_table_csv`) of a fit of the stored pixel positions scaled to lengths
  in the reference image's unit, as the Correlation page fits them. The bytes depend on the draft
  alone, so two exports write the same table.

Inside one :func:`.crossrefs.export_scope` each file is read once, and the problems, the written
bytes and the sizes and MD5s in the archives' file lists all come from that one read.
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass

import numpy as np

from ..correlation_model import AffineTransform, LandmarkImage, ProvenanceFile
from ..deposition import Deposition
from ..landmarks import FitError, MatrixError, fiducial_table_csv, fit_landmarks, unit_factor
from ..problems import Location, Problem
from .crossrefs import KEPT_SOURCE, KeptFile, kept_files, scoped

__all__ = ["KeptContent", "KeptFileError", "fiducial_table", "kept_contents", "kept_file_problems"]

#: Tool names for messages, by ``ProvenanceFile.format``.
_TOOLS = {"bigwarp-csv": "BigWarp", "bigwarp-json": "BigWarp", "ecclem-xml": "ec-CLEM"}


@dataclass(frozen=True)
class KeptContent:
    """One kept file with its bytes, or the problem that stops it being written."""

    file: KeptFile
    data: bytes | None
    problem: Problem | None = None


class KeptFileError(Exception):
    """A kept file that cannot be written; ``problem`` says why and where in the draft."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def kept_contents(deposition: Deposition) -> list[KeptContent]:
    """The bytes of every :func:`.crossrefs.kept_files` entry, or why it cannot be written.

    Reads the imported tool files (once per :func:`.crossrefs.export_scope`) and fits the clicked
    landmarks; nothing is written.

    Returns
    -------
    list of KeptContent
        In :func:`.crossrefs.kept_files` order; ``data`` is None exactly when ``problem`` is set.
    """
    files = kept_files(deposition)
    if not files:
        return []
    return scoped(deposition, "kept_contents", lambda: [_content(deposition, item) for item in files])


def kept_file_problems(deposition: Deposition) -> list[Problem]:
    """The blocking problems of the kept files: a tool file gone or changed, landmarks that give no table.

    Returns
    -------
    list of Problem
        Errors located at the transform's ``source_file``, ``moving_image`` / ``reference_image`` or
        ``landmarks``; empty normally.
    """
    return [content.problem for content in kept_contents(deposition) if content.problem is not None]


def _content(deposition: Deposition, item: KeptFile) -> KeptContent:
    transform = deposition.correlations[item.correlation_index].transforms[item.transform_index]
    try:
        if item.kind == KEPT_SOURCE:
            assert transform.source_file is not None  # kept_files lists a source only when it is set
            data = _source_bytes(transform.source_file, (*item.transform_location, "source_file"))
        else:
            data = fiducial_table(transform, item.transform_location)
    except KeptFileError as stop:
        return KeptContent(item, None, stop.problem)
    return KeptContent(item, data)


def _source_bytes(source: ProvenanceFile, where: Location) -> bytes:
    """The imported file's bytes, when they are still those recorded at import."""
    tool = _TOOLS.get(source.format, "landmark")
    label = f"The {tool} file '{source.name}'"
    params = {"path": source.path, "name": source.name}
    again = "import the file again on the Image correlation page so that it can go into both uploads"
    if not source.path:
        raise KeptFileError(
            Problem("correlation.transform.source_file.missing", where, f"{label} has no path; {again}.")
        )
    try:
        with open(source.path, "rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            # A different size settles it without reading (and a huge file is never read into memory).
            data = stream.read() if source.size_bytes is None or size == source.size_bytes else None
    except (FileNotFoundError, NotADirectoryError):
        raise KeptFileError(
            Problem(
                "correlation.transform.source_file.missing",
                where,
                f"{label} this transform was imported from is no longer at {source.path}; put it back, or {again}.",
                params=params,
            )
        ) from None
    except OSError as error:
        raise KeptFileError(
            Problem(
                "correlation.transform.source_file.unreadable",
                where,
                f"{label} at {source.path} cannot be read ({error.strerror or error}); make it readable, or {again}.",
                params=params,
            )
        ) from None
    if data is None or hashlib.sha256(data).hexdigest() != source.sha256:
        raise KeptFileError(
            Problem(
                "correlation.transform.source_file.changed",
                where,
                f"{label} at {source.path} has changed since this transform was imported from it, so the "
                f"transform may no longer match it; {again}.",
                params=params,
            )
        )
    return data


def _scale(image: LandmarkImage | None, unit: str, where: Location, side: str) -> tuple[float, float]:
    """Multiply x, y pixel positions by these to get lengths in ``unit``."""
    sizes = (image.pixel_size_x, image.pixel_size_y) if image is not None else (None, None)
    if image is None or any(size is None or not math.isfinite(size) or size <= 0 for size in sizes):
        raise KeptFileError(
            Problem(
                "correlation.transform.fiducials.pixel_size",
                where,
                f"The fiducial table needs the pixel size of the {side} image the landmarks were placed on; "
                "give it on the Image correlation page.",
            )
        )
    try:
        factor = unit_factor(image.unit, unit)
    except MatrixError as error:
        raise KeptFileError(Problem("correlation.transform.fiducials.pixel_size", where, error.message)) from None
    return (float(sizes[0]) * factor, float(sizes[1]) * factor)  # type: ignore[arg-type]  # checked above


def fiducial_table(transform: AffineTransform, location: Location = ()) -> bytes:
    """The fiducial table of a transform's clicked landmarks, as UTF-8 CSV bytes.

    The stored pixel positions (x, y) are scaled by each image's pixel size to lengths in the
    reference image's unit and fitted with the transform's model (affine when none is recorded),
    as the Correlation page does; the table lists them in NGFF order (y, x) with the residuals.

    Parameters
    ----------
    transform
        A transform with 2-D ``landmarks``, ``moving_image`` and ``reference_image``.
    location
        The transform's draft location, for the problem raised.

    Returns
    -------
    bytes
        The same for the same transform, byte for byte.

    Raises
    ------
    KeptFileError
        Carrying a ``correlation.transform.fiducials.*`` problem when a pixel size is missing or the
        landmarks cannot be fitted.
    """
    reference = transform.reference_image
    unit = reference.unit if reference is not None else ""
    fixed_scale = _scale(reference, unit, (*location, "reference_image"), "reference")
    moving_scale = _scale(transform.moving_image, unit, (*location, "moving_image"), "moving")
    names = [landmark.name or str(index + 1) for index, landmark in enumerate(transform.landmarks)]

    def points(side: str, scale: tuple[float, float]) -> np.ndarray:
        rows = [[math.nan if v is None else v for v in getattr(lm, side)] for lm in transform.landmarks]
        return np.asarray(rows, dtype=np.float64).reshape(-1, 2) * np.asarray(scale)

    try:
        fit = fit_landmarks(
            points("moving", moving_scale),
            points("fixed", fixed_scale),
            transform.fit_model or "affine",
            names=names,
        )
    except FitError as error:
        raise KeptFileError(
            Problem(
                "correlation.transform.fiducials.fit",
                (*location, "landmarks"),
                f"The fiducial table of this transform's landmarks cannot be written: {error.message}",
            )
        ) from None
    return fiducial_table_csv(fit, names=names, axis_order="xy", moving_unit=unit, fixed_unit=unit).encode("utf-8")
