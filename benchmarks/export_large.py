"""How long exporting a package takes, and how much memory, for a draft listing 100,000 files.

Run: ``.venv/bin/python benchmarks/export_large.py [N_FILES] [--example light|clem] [--runs N]``
(defaults: 100000 files, the light-microscopy example, 3 runs).

The example draft's files are replaced by ``N_FILES`` synthetic entries (split over its
components, each with a size, an MD5 and two attributes), then the whole package is
exported to a temporary folder: rules check, every renderer (PageTab, RO-Crate, EMPIAR,
NGFF), summary, manifest, atomic write. Printed:

* export time (median of the runs, without tracemalloc) and the baseline, ``json.dumps`` of
  the same deposition (``model_dump(mode="json")`` then ``json.dumps``) in the same process,
  with their ratio, so figures from noisy machines stay comparable;
* peak Python memory of one export (tracemalloc, a separate run since tracing slows it);
* peak resident memory (RSS) of the process during the exports (Linux ``VmHWM``, reset before
  the exports when the kernel allows it, else the whole process's ``ru_maxrss``);
* where the time goes: the rules check, the package's own export checks, each renderer,
  summary + manifest, and the write (one pass each, after the timed runs; outside an export the
  renderers do not share their answers about registration files, so the stages add up to a
  little more than one export).

Targets (issue 5): under 5 s and under 500 MB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from bioimage_depositor.domain.deposition import Deposition, FileEntry
from bioimage_depositor.domain.draft_file import read_draft_file
from bioimage_depositor.domain.exports import package
from bioimage_depositor.domain.exports.base import ExportContext
from bioimage_depositor.domain.exports.package import export_package
from bioimage_depositor.domain.rules import check_deposition

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = {"light": "light-microscopy-hela-spindle", "clem": "clem-hela-mito-er"}


def build(example: str, n_files: int) -> Deposition:
    deposition = read_draft_file(ROOT / "examples" / f"{EXAMPLES[example]}.draft.json").deposition
    components = deposition.components
    for index, component in enumerate(components):
        count = n_files // len(components) + (1 if index < n_files % len(components) else 0)
        if component.archive == "EMPIAR" and component.empiar and component.empiar.image_sets:
            folder = component.empiar.image_sets[0].directory.removeprefix("data/")
            component.files = [
                FileEntry(path=f"{folder}/slice_{i:06d}.tif", size_bytes=3_145_728, md5=f"{i:032x}")
                for i in range(count)
            ]
        else:
            component.files = [
                FileEntry(
                    path=f"c{index}/plate_{i // 1000:03d}/well_{i % 96:02d}/image_{i:06d}.ome.tif",
                    source=f"/data/lab/experiment/c{index}/image_{i:06d}.ome.tif",
                    size_bytes=123_456_789 + i,
                    md5=f"{i:032x}",
                    attributes={"treatment": "nocodazole 50 nM" if i % 2 else "none", "well": f"W{i % 96}"},
                )
                for i in range(count)
            ]
    return deposition


def _reset_peak_rss() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, kB elsewhere
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1024 / 1024


def _rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def breakdown(deposition: Deposition, ctx: ExportContext, folder: Path) -> list[tuple[str, float]]:
    """Seconds spent in each stage of one export, measured separately."""
    stages = []
    start = time.perf_counter()
    check_deposition(deposition)
    stages.append(("rules", time.perf_counter() - start))
    start = time.perf_counter()
    package.export_problems(deposition)
    stages.append(("export checks", time.perf_counter() - start))
    files: dict[str, bytes] = {}
    for mount, renderer in sorted(package.default_renderers(deposition).items()):
        start = time.perf_counter()
        files.update({f"{mount}/{k}": v for k, v in renderer(deposition, ctx).items()})
        stages.append((mount, time.perf_counter() - start))
    start = time.perf_counter()
    files["MANIFEST.tsv"] = package._manifest(package.with_transform_files(deposition))
    files["SUMMARY.md"] = package._summary(deposition, ctx, files, [], [])
    stages.append(("summary+manifest", time.perf_counter() - start))
    start = time.perf_counter()
    (folder / "stage-write").mkdir()
    package._write_tree(folder / "stage-write", files)
    stages.append(("write+fsync", time.perf_counter() - start))
    return stages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n_files", nargs="?", type=int, default=100_000)
    parser.add_argument("--example", choices=sorted(EXAMPLES), default="light")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    deposition = build(args.example, args.n_files)
    ctx = ExportContext(export_date=dt.date(2026, 11, 25), app_version="bench")
    with tempfile.TemporaryDirectory() as folder:
        baseline_times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            json.dumps(deposition.model_dump(mode="json"), indent=2, ensure_ascii=False).encode()
            baseline_times.append(time.perf_counter() - start)
        rss_before = _rss_mb()
        reset = _reset_peak_rss()
        export_times = []
        for run in range(args.runs):
            start = time.perf_counter()
            result = export_package(deposition, Path(folder) / f"pkg-{run}", ctx)
            export_times.append(time.perf_counter() - start)
        peak_rss = _peak_rss_mb()
        tracemalloc.start()
        export_package(deposition, Path(folder) / "pkg-traced", ctx)
        _, peak_traced = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        package_bytes = sum(p.stat().st_size for p in result.path.rglob("*") if p.is_file())

        stages = breakdown(deposition, ctx, Path(folder))

    export_s = statistics.median(export_times)
    baseline_s = statistics.median(baseline_times)
    print(f"example            {args.example} ({len(deposition.components)} components)")
    print(f"files              {args.n_files:,}")
    print(f"package            {len(result.files)} files, {package_bytes / 1e6:.1f} MB")
    runs = ", ".join(f"{t:.2f}" for t in export_times)
    print(f"export             {export_s:.2f} s (median of {args.runs}; runs {runs})")
    print(f"baseline json      {baseline_s:.2f} s (json.dumps of the deposition)")
    print(f"export / baseline  {export_s / baseline_s:.1f}x")
    print(f"peak Python memory {peak_traced / 1e6:.0f} MB during one export (tracemalloc)")
    rss_kind = "during the exports" if reset else "of the whole process (peak could not be reset)"
    print(f"peak RSS           {peak_rss:.0f} MB {rss_kind}; {rss_before:.0f} MB before exporting")
    print(f"targets            < 5 s: {'yes' if export_s < 5 else 'NO'}; < 500 MB: {'yes' if peak_rss < 500 else 'NO'}")
    print("stages (one pass)  " + "; ".join(f"{name} {seconds:.2f} s" for name, seconds in stages))


if __name__ == "__main__":
    main()
