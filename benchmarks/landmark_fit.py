"""Landmark fitting speed: our rigid, similarity and affine fits of 1,000 pairs against a bare numpy lstsq.

Run: ``.venv/bin/python benchmarks/landmark_fit.py [--pairs 1000] [--runs 201]``

For 2-D and 3-D landmark clouds (random points, a known transform, Gaussian noise), it times,
``--runs`` times each and in alternating order:

* ours: :func:`fit_landmarks` for ``rigid``, ``similarity`` and ``affine`` — input checks
  (finite values, counts, spread), the fit, the residual of every landmark and the RMS;
* the baseline: one ``numpy.linalg.lstsq`` of ``[X 1] · B = Y`` (the bare affine solve a
  script would write, without checks or residuals).

It prints the median time of each, the ratio ours / baseline, and whether every fit stays
under the 50 ms target of issue 7. Last, it times reading a 1,000-row BigWarp CSV and fitting
it, the path the Correlation page takes on import.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

from bioimage_depositor.domain.landmarks import fit_landmarks, read_bigwarp_csv

TARGET_SECONDS = 0.050


def make_pairs(ndim: int, count: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Moving points in a 100 µm field and their reference partners under a rotation + scale, with noise."""
    rng = np.random.default_rng(seed)
    moving = rng.uniform(0.0, 100.0, size=(count, ndim))
    angle = 0.3
    linear = np.eye(ndim)
    linear[:2, :2] = [[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]
    fixed = moving @ (1.7 * linear).T + np.arange(1.0, ndim + 1.0) * 1000.0
    return moving, fixed + rng.normal(0.0, 0.05, size=fixed.shape)


def baseline(moving: np.ndarray, fixed: np.ndarray) -> Callable[[], None]:
    design = np.hstack([moving, np.ones((len(moving), 1))])

    def run() -> None:
        np.linalg.lstsq(design, fixed, rcond=None)

    return run


def ours(moving: np.ndarray, fixed: np.ndarray, model: str) -> Callable[[], None]:
    def run() -> None:
        fit_landmarks(moving, fixed, model)

    return run


def median_seconds(contenders: dict[str, Callable[[], None]], runs: int) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in contenders}
    order = list(contenders)
    for name in order:  # one untimed warm-up each (imports, first-call allocations)
        contenders[name]()
    for round_index in range(runs):
        for name in order if round_index % 2 == 0 else reversed(order):
            start = time.perf_counter()
            contenders[name]()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def csv_import(count: int, runs: int) -> None:
    moving, fixed = make_pairs(3, count)
    rows = [
        ",".join(f'"{v}"' for v in [f"Pt-{i}", "true", *map(repr, moving[i].tolist()), *map(repr, fixed[i].tolist())])
        for i in range(count)
    ]
    raw = ("\n".join(rows) + "\n").encode()
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        imported = read_bigwarp_csv(raw, "bench.csv")
        fit_landmarks(imported.moving, imported.fixed, "affine")
        timings.append(time.perf_counter() - start)
    median = statistics.median(timings)
    print(
        f"\nread a {count:,}-row 3-D BigWarp CSV ({len(raw) / 1024:.0f} KiB) and fit it: {median * 1000:.2f} ms median"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=201)
    args = parser.parse_args()
    print(
        f"python {sys.version.split()[0]}, numpy {np.__version__}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}; {args.pairs:,} pairs, median of {args.runs}"
    )
    worst = 0.0
    for ndim in (2, 3):
        moving, fixed = make_pairs(ndim, args.pairs)
        contenders = {
            "numpy.linalg.lstsq([X 1], Y) (baseline)": baseline(moving, fixed),
            **{f"ours: {model}": ours(moving, fixed, model) for model in ("rigid", "similarity", "affine")},
        }
        medians = median_seconds(contenders, args.runs)
        base = medians["numpy.linalg.lstsq([X 1], Y) (baseline)"]
        print(f"\n{ndim}-D:")
        print(f"  {'contender':42s} {'median ms':>10s} {'ours/baseline':>14s}")
        for name, seconds in medians.items():
            ratio = "" if "baseline" in name else f"{seconds / base:14.2f}"
            print(f"  {name:42s} {seconds * 1000:10.3f} {ratio}")
            if name.startswith("ours"):
                worst = max(worst, seconds)
    verdict = "met" if worst < TARGET_SECONDS else "MISSED"
    print(f"\nslowest of our fits: {worst * 1000:.3f} ms median; target < {TARGET_SECONDS * 1000:.0f} ms: {verdict}")
    csv_import(args.pairs, max(5, args.runs // 10))


if __name__ == "__main__":
    main()
