"""Errors of the landmark and transform code, each with a stable code and one sentence for the depositor.

The Correlation page and the command line show ``error.message`` as it is and branch on
``error.code``; ``error.params`` carries the values the message was built from (row and
column numbers, element names, counts) so a translated message can be produced later.
Nothing in :mod:`..landmarks` lets a numpy, JSON, CSV or XML exception reach a caller:
bad input always ends as one of the classes below.

Codes are grouped by where the input came from:

* ``landmarks.fit.*``: landmark pairs that cannot be fitted (:mod:`.fitting`);
* ``landmarks.matrix.*``: a matrix that cannot be used (:mod:`.matrix_text`, :mod:`.affine`);
* ``landmarks.import.*``: a landmark or transform file that cannot be read (:mod:`.files`).
"""

from __future__ import annotations


class LandmarkError(Exception):
    """Base class of every error the landmark code raises on purpose.

    Parameters
    ----------
    code
        Stable machine-readable code such as ``"landmarks.fit.too_few"``.
    message
        One clear sentence for the depositor, naming the landmark, row, line or element.
    **params
        The values the message mentions, for the UI and for translation.
    """

    def __init__(self, code: str, message: str, **params: object) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.params = params


class FitError(LandmarkError):
    """Landmark pairs that cannot be fitted: too few, mismatched, not finite or degenerate."""


class MatrixError(LandmarkError):
    """A matrix that cannot be used: not numbers, wrong shape, not affine, or not invertible."""


class LandmarkImportError(LandmarkError):
    """A landmark or transform file that cannot be read; the message names the line or element."""


#: Stable codes. Keep these strings unchanged: the UI, scripts and tests match on them.
FIT_NOT_NUMBERS = "landmarks.fit.not_numbers"
FIT_DIMENSION = "landmarks.fit.dimension"
FIT_COUNT_MISMATCH = "landmarks.fit.count_mismatch"
FIT_NOT_FINITE = "landmarks.fit.not_finite"
FIT_TOO_FEW = "landmarks.fit.too_few"
FIT_DEGENERATE = "landmarks.fit.degenerate"
FIT_MODEL_UNKNOWN = "landmarks.fit.model_unknown"

MATRIX_EMPTY = "landmarks.matrix.empty"
MATRIX_NOT_A_NUMBER = "landmarks.matrix.not_a_number"
MATRIX_NOT_FINITE = "landmarks.matrix.not_finite"
MATRIX_RAGGED = "landmarks.matrix.ragged"
MATRIX_SHAPE = "landmarks.matrix.shape"
MATRIX_LAST_ROW = "landmarks.matrix.last_row"
MATRIX_SINGULAR = "landmarks.matrix.singular"
MATRIX_DIMENSION_MISMATCH = "landmarks.matrix.dimension_mismatch"
MATRIX_UNIT_UNKNOWN = "landmarks.matrix.unit_unknown"

IMPORT_UNREADABLE = "landmarks.import.unreadable"
IMPORT_EMPTY = "landmarks.import.empty"
IMPORT_TOO_LARGE = "landmarks.import.too_large"
IMPORT_UNKNOWN_FORMAT = "landmarks.import.unknown_format"
IMPORT_CSV_COLUMNS = "landmarks.import.csv_columns"
IMPORT_CSV_VALUE = "landmarks.import.csv_value"
IMPORT_CSV_ACTIVE = "landmarks.import.csv_active"
IMPORT_JSON_SYNTAX = "landmarks.import.json_syntax"
IMPORT_JSON_STRUCTURE = "landmarks.import.json_structure"
IMPORT_XML_SYNTAX = "landmarks.import.xml_syntax"
IMPORT_XML_STRUCTURE = "landmarks.import.xml_structure"
IMPORT_NOT_FINITE = "landmarks.import.not_finite"
IMPORT_NO_LANDMARKS = "landmarks.import.no_landmarks"
