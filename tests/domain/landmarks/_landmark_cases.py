"""Shared hypothesis strategies and helpers for the landmark tests: random transforms and point clouds."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from types import ModuleType

import numpy as np
from hypothesis import strategies as st

DATA = Path(__file__).resolve().parents[2] / "data" / "landmarks"


def samples() -> ModuleType:
    """The generator of the sample files, whose transforms are the ground truth of the samples."""
    spec = importlib.util.spec_from_file_location("landmark_make_samples", DATA / "make_samples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rotation(ndim: int, angles: list[float]) -> np.ndarray:
    """A proper rotation from one angle (2-D) or three Euler angles (3-D)."""
    if ndim == 2:
        a = angles[0]
        return np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    a, b, c = angles[:3]
    rz = np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]])
    ry = np.array([[math.cos(b), 0, math.sin(b)], [0, 1, 0], [-math.sin(b), 0, math.cos(b)]])
    rx = np.array([[1, 0, 0], [0, math.cos(c), -math.sin(c)], [0, math.sin(c), math.cos(c)]])
    return rz @ ry @ rx


def homogeneous(linear: np.ndarray, translation: np.ndarray) -> np.ndarray:
    n = linear.shape[0]
    out = np.eye(n + 1)
    out[:n, :n] = linear
    out[:n, n] = translation
    return out


def apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    n = matrix.shape[0] - 1
    return points @ matrix[:n, :n].T + matrix[:n, n]


angles = st.lists(st.floats(-math.pi, math.pi, allow_nan=False), min_size=3, max_size=3)
translations = st.lists(st.floats(-1e4, 1e4, allow_nan=False), min_size=3, max_size=3)
scales = st.floats(0.01, 100.0)


@st.composite
def transforms(draw: st.DrawFn, model: str, ndim: int) -> np.ndarray:
    """A random homogeneous transform of ``model`` (well-conditioned for affine)."""
    turn = rotation(ndim, draw(angles))
    shift = np.array(draw(translations)[:ndim])
    if model == "translation":
        linear = np.eye(ndim)
    elif model == "rigid":
        linear = turn
    elif model == "similarity":
        linear = draw(scales) * turn
    else:
        stretch = np.diag(draw(st.lists(st.floats(0.2, 5.0), min_size=ndim, max_size=ndim)))
        second = rotation(ndim, draw(angles))
        sign = np.diag([1.0] * (ndim - 1) + [draw(st.sampled_from([1.0, -1.0]))])  # affine may mirror
        linear = draw(scales) * turn @ stretch @ sign @ second
    return homogeneous(linear, shift)


@st.composite
def spread_points(draw: st.DrawFn, ndim: int, count: int) -> np.ndarray:
    """``count`` (> ``ndim``) random points that span every axis well (not near one spot, line or plane)."""
    if count <= ndim:
        raise ValueError("spanning every axis needs more points than axes")
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    offset = np.array(draw(st.lists(st.floats(-1e5, 1e5), min_size=ndim, max_size=ndim)))
    size = draw(st.floats(0.1, 1e4))
    while True:
        points = rng.uniform(-1.0, 1.0, size=(count, ndim))
        singular = np.linalg.svd(points - points.mean(axis=0), compute_uv=False)
        if singular[-1] > 0.05 * singular[0]:
            return points * size + offset
