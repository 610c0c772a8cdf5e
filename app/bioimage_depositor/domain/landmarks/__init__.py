"""Registration transforms of a correlative study: landmark fits, typed matrices, tool files, NGFF form.

The Correlation page lets a depositor make the transform that maps the moving image
(usually light microscopy) onto the reference (usually EM) in three ways, and the NGFF
scene export writes it; this package is the pure-Python core of all of them (numpy,
no Qt):

* :mod:`.fitting`: least-squares ``translation``, ``rigid``, ``similarity`` and ``affine``
  fits of landmark pairs, with per-landmark residuals and RMS (:func:`fit_landmarks`);
* :mod:`.matrix_text`: a matrix typed or pasted as text (:func:`parse_matrix`,
  :func:`format_matrix`);
* :mod:`.files`: BigWarp CSV/JSON and ec-CLEM XML files (:func:`load_landmark_file`),
  keeping the raw bytes as provenance;
* :mod:`.affine`: apply, invert and chain homogeneous matrices;
* :mod:`.ngff_convert`: x, y, z → z, y, x, unit changes, and the NGFF 0.6
  transformation object or the draft's ``AffineTransform``;
* :mod:`.report`: the summary sentence and the fiducial table.

Typical use, from a BigWarp file to the draft::

    imported = load_landmark_file(path)                         # off the UI thread
    fit = fit_landmarks(imported.moving, imported.fixed, "affine", names=imported.names)
    zyx = prepare_for_ngff(fit.matrix, moving_unit="micrometer", fixed_unit="micrometer",
                           input_unit="micrometer", output_unit="nanometer",
                           axis_order=imported.axis_order)
    transform = to_affine_transform(zyx, input="lm", output="em",
                                    name=fit_summary(fit, unit="micrometer", tool="BigWarp landmarks"))

Every deliberate failure is a :class:`LandmarkError` (``FitError``, ``MatrixError``,
``LandmarkImportError``) with a stable ``code``, a ``message`` for the user and ``params``.
"""

from __future__ import annotations

from .affine import apply_transform, as_homogeneous, compose_transforms, dimension_of, invert_transform
from .bigwarp import read_bigwarp_csv, read_bigwarp_json
from .ecclem import read_ecclem_xml
from .errors import FitError, LandmarkError, LandmarkImportError, MatrixError
from .files import LANDMARK_FORMATS, detect_format, load_landmark_file, read_landmark_file
from .fitting import (
    FIT_MODELS,
    MIN_PAIRS,
    DirectionCheck,
    FitModel,
    FitResult,
    check_direction,
    fit_affine,
    fit_landmarks,
    fit_rigid,
    fit_similarity,
    fit_translation,
    residuals_of,
)
from .matrix_text import ParsedMatrix, format_matrix, parse_matrix
from .model import LandmarkImport, LandmarkPair
from .ngff_convert import (
    ngff_affine_rows,
    ngff_transformation,
    normalise_unit,
    prepare_for_ngff,
    rescale,
    reverse_axes,
    spatial_axes,
    to_affine_transform,
    unit_factor,
)
from .report import fiducial_table_csv, fit_summary

__all__ = [
    "FIT_MODELS",
    "LANDMARK_FORMATS",
    "MIN_PAIRS",
    "DirectionCheck",
    "FitError",
    "FitModel",
    "FitResult",
    "LandmarkError",
    "LandmarkImport",
    "LandmarkImportError",
    "LandmarkPair",
    "MatrixError",
    "ParsedMatrix",
    "apply_transform",
    "as_homogeneous",
    "check_direction",
    "compose_transforms",
    "detect_format",
    "dimension_of",
    "fiducial_table_csv",
    "fit_affine",
    "fit_landmarks",
    "fit_rigid",
    "fit_similarity",
    "fit_summary",
    "fit_translation",
    "format_matrix",
    "invert_transform",
    "load_landmark_file",
    "ngff_affine_rows",
    "ngff_transformation",
    "normalise_unit",
    "parse_matrix",
    "prepare_for_ngff",
    "read_bigwarp_csv",
    "read_bigwarp_json",
    "read_ecclem_xml",
    "read_landmark_file",
    "rescale",
    "residuals_of",
    "reverse_axes",
    "spatial_axes",
    "to_affine_transform",
    "unit_factor",
]
