"""Regenerate the landmark sample files of this folder (run once; the files are committed).

Each file follows the real format of its tool (BigWarp ``LandmarkTableModel.save`` /
``TransformWriterJson``; ec-CLEM ``XmlTransformationWriter`` / the matrix export / the older
easyCLEM ``_transfo.xml``), with coordinates made from the known transforms below, written
the way Java's ``Double.toString`` writes them (shortest round-trip decimal). The tests in
``tests/domain/landmarks`` recover these transforms from the files.

Run: ``.venv/bin/python tests/data/landmarks/make_samples.py``
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

# x, y, z order, micrometres. 3-D affine: rotation 12° about z, a little shear and anisotropy.
ANGLE = math.radians(12.0)
AFFINE_3D = np.array(
    [
        [1.05 * math.cos(ANGLE), -1.05 * math.sin(ANGLE), 0.02, 120.5],
        [1.05 * math.sin(ANGLE), 1.05 * math.cos(ANGLE), -0.01, -35.25],
        [0.0, 0.03, 0.98, 4.0],
        [0.0, 0.0, 0.0, 1.0],
    ]
)
# 2-D similarity: rotation −30°, scale 0.5, translation (40, 12.5).
SIM_ANGLE = math.radians(-30.0)
SIMILARITY_2D = np.array(
    [
        [0.5 * math.cos(SIM_ANGLE), -0.5 * math.sin(SIM_ANGLE), 40.0],
        [0.5 * math.sin(SIM_ANGLE), 0.5 * math.cos(SIM_ANGLE), 12.5],
        [0.0, 0.0, 1.0],
    ]
)
# 2-D rigid for the ec-CLEM matrix export: rotation 90°, translation (10, -5).
RIGID_2D = np.array([[0.0, -1.0, 10.0], [1.0, 0.0, -5.0], [0.0, 0.0, 1.0]])

MOVING_3D = [
    [10.5, 20.0, 3.0],
    [55.25, 18.75, 4.5],
    [48.0, 60.5, 2.0],
    [12.0, 58.0, 9.5],
    [30.0, 35.5, 15.0],
    [5.5, 40.0, 12.25],
    [60.0, 5.0, 7.75],
    [33.3, 9.9, 1.0],
]
MOVING_2D = [[47.5, 104.0], [162.5, 42.9], [234.375, 119.1], [197.0, 183.0625], [90.625, 181.625]]


def java(value: float) -> str:
    """Java's Double.toString for the values used here (always a decimal point, E for exponents)."""
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    text = repr(float(value))
    if "e" in text:
        mantissa, exponent = text.split("e")
        if "." not in mantissa:
            mantissa += ".0"
        return f"{mantissa}E{int(exponent)}"
    return text


def apply(matrix: np.ndarray, points: list[list[float]]) -> list[list[float]]:
    n = matrix.shape[0] - 1
    return [list(map(float, matrix[:n, :n] @ np.array(p) + matrix[:n, n])) for p in points]


def quoted(row: list[str]) -> str:
    return ",".join(f'"{field}"' for field in row)


def bigwarp_csv_3d() -> None:
    fixed = apply(AFFINE_3D, MOVING_3D)
    rows = []
    for index, (m, f) in enumerate(zip(MOVING_3D, fixed, strict=True)):
        rows.append(quoted([f"Pt-{index}", "true", *map(java, m), *map(java, f)]))
        if index == 3:
            # a pair the user switched off: placed far from where the transform would put it
            rows.append(quoted(["Pt-bad", "false", "1.0", "2.0", "3.0", "900.0", "-900.0", "50.0"]))
    # an unpaired row: BigWarp writes Infinity for the point not yet placed, and it is never active
    rows.append(quoted(["Pt-9", "false", "14.0", "15.0", "2.0", "Infinity", "Infinity", "Infinity"]))
    (HERE / "bigwarp_3d.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")


def bigwarp_csv_2d() -> None:
    fixed = apply(SIMILARITY_2D, MOVING_2D)
    rows = [
        quoted([f"Pt-{i}", "true", *map(java, m), *map(java, f)])
        for i, (m, f) in enumerate(zip(MOVING_2D, fixed, strict=True))
    ]
    rows.insert(2, quoted(["Pt-off", "false", "10.0", "10.0", "500.0", "500.0"]))
    (HERE / "bigwarp_2d.csv").write_text("\r\n".join(rows) + "\r\n", encoding="utf-8")


def bigwarp_json_3d() -> None:
    fixed = apply(AFFINE_3D, MOVING_3D)
    moving_points = [*MOVING_3D[:5], [14.0, 15.0, 2.0]]
    fixed_points = [*fixed[:5], [math.inf, math.inf, math.inf]]
    doc = {
        "type": "Affine",
        "landmarks": {
            "type": "BigWarpLandmarks",
            "numDimensions": 3,
            "movingPoints": moving_points,
            "fixedPoints": fixed_points,
            "active": [True, True, True, True, True, False],
            "names": ["Pt-0", "Pt-1", "Pt-2", "Pt-3", "Pt-4", "Pt-5"],
        },
    }
    # Gson pretty printing: two-space indent, one array element per line, Infinity unquoted
    text = json.dumps(doc, indent=2, allow_nan=True)
    (HERE / "bigwarp_3d.json").write_text(text, encoding="utf-8")


def _point_xml(index: int, point: list[float], indent: str) -> str:
    coordinates = "".join(
        f'{indent}    <coordinate dimension="{axis}">{java(value)}</coordinate>\n' for axis, value in enumerate(point)
    )
    return f'{indent}<point id="{index}">\n{coordinates}{indent}</point>\n'


def _sequence_xml(sides: list[tuple[str, list[tuple[str, int, float]], str]]) -> str:
    """Both sequenceSize elements, then both sequenceFileName elements, as XmlTransformationWriter orders them."""
    out = ""
    for side, sizes, _ in sides:
        dims = "".join(
            f'            <dimensionSize name="{axis}" pixelSize="{java(pixel)}">{size}</dimensionSize>\n'
            for axis, size, pixel in sizes
        )
        out += f'        <sequenceSize dimension="{len(sizes)}" type="{side}">\n{dims}        </sequenceSize>\n'
    for side, _, name in sides:
        out += f'        <sequenceFileName type="{side}">{name}</sequenceFileName>\n'
    return out


def ecclem_schema_3d() -> None:
    fixed = apply(AFFINE_3D, MOVING_3D)
    source_sizes = [("X", 512, 0.1318), ("Y", 512, 0.1318), ("Z", 31, 0.5)]
    target_sizes = [("X", 2048, 0.005), ("Y", 2048, 0.005), ("Z", 120, 0.01)]
    datasets = ""
    for side, points in (("source", MOVING_3D), ("target", fixed)):
        body = "".join(_point_xml(i, p, "            ") for i, p in enumerate(points))
        datasets += (
            f'        <dataset dimension="3" n="{len(points)}" pointType="FIDUCIAL" type="{side}">\n'
            f"{body}        </dataset>\n"
        )
    text = (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        "<root>\n"
        '    <transformation date="2021-03-04T10:15:30.123+01:00[Europe/Paris]" noiseModel="ISOTROPIC" '
        'type="AFFINE">\n'
        + _sequence_xml(
            [
                ("source", source_sizes, "/data/clem/lm_airyscan.tif"),
                ("target", target_sizes, "/data/clem/em_fibsem.tif"),
            ]
        )
        + datasets
        + "    </transformation>\n</root>\n"
    )
    (HERE / "ecclem_affine_3d.xml").write_text(text, encoding="utf-8")


def ecclem_matrix_2d() -> None:
    entries = " ".join(f'm{i}{j}="{java(RIGID_2D[i, j] + 0.0)}"' for i in range(3) for j in range(3))
    sizes = [("X", 1024, 0.065), ("Y", 1024, 0.065)]
    text = (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        "<root>\n"
        f'    <MatrixTransformation {entries} process_date="Thu Mar 04 10:15:30 CET 2021"/>\n'
        '    <transformation date="2021-03-04T10:15:30.456+01:00[Europe/Paris]" noiseModel="ISOTROPIC" type="RIGID">\n'
        + _sequence_xml(
            [("source", sizes, "/data/clem/lm_widefield.tif"), ("target", sizes, "/data/clem/em_overview.tif")]
        )
        + "    </transformation>\n</root>\n"
    )
    (HERE / "ecclem_matrix_2d.xml").write_text(text, encoding="utf-8")


def easyclem_legacy_2d() -> None:
    # two registration steps, each a 4×4 that leaves z alone: a translation, then a 90° rotation
    first = np.eye(4)
    first[0, 3], first[1, 3] = 3.0, 4.0
    second = np.eye(4)
    second[:2, :2] = [[0.0, -1.0], [1.0, 0.0]]
    elements = ""
    for order, step in enumerate((first, second)):
        entries = " ".join(f'm{i}{j}="{java(step[i, j] + 0.0)}"' for i in range(4) for j in range(4))
        elements += f'<MatrixTransformation {entries} order="{order}" process_date="Mon Jun 12 16:02:11 CEST 2017"/>\n'
    text = (
        "<root>\n"
        '<TargetSize height="512" sx="1.61242816091954" sy="1.61242816091954" sz="1" width="512"/>\n'
        f"{elements}</root>\n"
    )
    (HERE / "easyclem_legacy_2d_transfo.xml").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    bigwarp_csv_3d()
    bigwarp_csv_2d()
    bigwarp_json_3d()
    ecclem_schema_3d()
    ecclem_matrix_2d()
    easyclem_legacy_2d()
