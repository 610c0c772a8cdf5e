"""Time and memory to the first preview of large images, against reading the whole file with tifffile.

Generates, in a temporary folder (never the repository), a pyramidal 2-channel
OME-TIFF and a non-pyramidal Z stack, each of about ``--gib`` GiB of uint16
pixels (uncompressed 512 × 512 tiles / one strip per plane, which keeps
generation disk-bound on two cores), then measures in fresh child processes:

* ``render_preview(path, size=512)`` — the wizard's preview;
* ``tifffile.imread(path)`` — the whole image, the baseline.

Each measurement runs in its own process so peak RSS is its own; before each
run the file is evicted from the page cache (``posix_fadvise(DONTNEED)``, this
file only), so the first preview reads from disk as it would on a fresh
open. Reported: median wall time, peak memory (tracemalloc peak, and peak RSS
minus RSS after imports, the kernel's peak mark reset after imports), bytes
read (``/proc/self/io`` ``rchar``: bytes returned by read calls; ``read_bytes``: bytes fetched from the device), and
ratios against the baseline. Targets: preview < 0.5 s and < 300 MB peak;
bytes read at most a few times the bytes of the level or plane shown.

Run: ``.venv/bin/python benchmarks/preview_large.py [--gib 2] [--runs 5] [--dir /tmp] [--keep]``
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TILE = 512
PLANE = 2048
CHANNELS = 2


# ---------------------------------------------------------------- generation


def _patterns(size: int, level: int, channel: int):
    import numpy as np

    coords = (np.arange(size, dtype=np.float32) * (1 << level))
    if channel == 0:
        a = np.sin(coords / 900.0) * 0.5 + 0.5
        b = np.cos(coords / 1300.0) * 0.5 + 0.5
        return (a * 3000).astype(np.float32), b.astype(np.float32)
    a = np.exp(-(((coords / max(1, size << level)) - 0.5) ** 2) / 0.02)
    return (a * 4000).astype(np.float32), a.astype(np.float32)


def _tiles(side: int, level: int):
    import numpy as np

    for channel in range(CHANNELS):
        ys, xs = _patterns(side + TILE, level, channel)
        for y0 in range(0, side, TILE):
            for x0 in range(0, side, TILE):
                tile = np.outer(ys[y0 : y0 + TILE], xs[x0 : x0 + TILE]) + 200.0
                yield tile.astype(np.uint16)


def make_pyramid(path: Path, gib: float) -> dict[str, object]:
    """A 2-channel pyramidal OME-TIFF whose full resolution holds ``gib`` GiB of uint16."""
    import tifffile

    side = int(math.sqrt(gib * 2**30 / (CHANNELS * 2)) // TILE * TILE)
    levels = 1
    while side >> levels >= 256:
        levels += 1
    with tifffile.TiffWriter(path, bigtiff=True) as tif:
        tif.write(
            _tiles(side, 0), shape=(CHANNELS, side, side), dtype="uint16", tile=(TILE, TILE), subifds=levels - 1,
            photometric="minisblack",
            metadata={"axes": "CYX", "PhysicalSizeX": 0.1, "PhysicalSizeY": 0.1,
                      "Channel": {"Name": ["pattern", "blob"]}},
        )
        for level in range(1, levels):
            size = side >> level
            tif.write(_tiles(size, level), shape=(CHANNELS, size, size), dtype="uint16", tile=(TILE, TILE),
                      subfiletype=1, photometric="minisblack", metadata=None)
    return {"side": side, "levels": levels}


def make_zstack(path: Path, gib: float) -> dict[str, object]:
    """A non-pyramidal uint16 Z stack of 2048 × 2048 planes holding ``gib`` GiB."""
    import numpy as np
    import tifffile

    planes = max(1, int(gib * 2**30 // (PLANE * PLANE * 2)))
    yy, xx = np.mgrid[0:PLANE, 0:PLANE].astype(np.float32)
    base = (1000 + 800 * np.sin(xx / 60.0) * np.cos(yy / 80.0)).astype(np.uint16)
    del yy, xx

    def pages():
        for z in range(planes):
            yield base + np.uint16(z * 5)

    tifffile.imwrite(path, pages(), shape=(planes, PLANE, PLANE), dtype="uint16", bigtiff=True,
                     photometric="minisblack",
                     metadata={"axes": "ZYX", "PhysicalSizeX": 0.2, "PhysicalSizeY": 0.2, "PhysicalSizeZ": 0.5})
    return {"planes": planes}


# ---------------------------------------------------------------- measuring (child process)


def _io() -> dict[str, int]:
    values = {}
    try:
        for line in Path("/proc/self/io").read_text().splitlines():
            key, _, value = line.partition(":")
            values[key] = int(value)
    except OSError:
        pass
    return values


def _status(key: str) -> int:
    """A size from /proc/self/status (VmRSS, VmHWM) in bytes, or 0."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) so it measures only what follows (Linux ≥ 4.0)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def evict(path: Path) -> None:
    """Drop this file (only) from the page cache, so the next read comes from the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        if hasattr(os, "posix_fadvise"):
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def child(kind: str, path: Path, size: int, trace: bool) -> None:
    import resource
    import tracemalloc

    start = time.perf_counter()
    import numpy as np
    import ome_types  # noqa: F401  (the file table's probes have imported it before any preview)
    import tifffile
    from PIL import Image  # noqa: F401

    from bioimage_depositor.domain.images import render_preview, tiff_planes  # noqa: F401

    imports = time.perf_counter() - start
    evict(path)
    reset = _reset_peak_rss()
    rss0, io0 = _status("VmRSS"), _io()
    if trace:
        tracemalloc.start()
    t0 = time.perf_counter()
    details: dict[str, object] = {}
    if kind == "preview":
        preview = render_preview(path, size=size)
        details = {"level": preview.level, "level_shape": preview.level_shape, "z": preview.z,
                   "channels": len(preview.channels) or 1, "picture": [preview.height, preview.width]}
        shape = preview.level_shape
        per_plane = shape.get("Y", 1) * shape.get("X", 1) * 2
        details["shown_bytes"] = per_plane * (len(preview.channels) or 1)
    else:
        data = tifffile.imread(path)
        details = {"shape": list(data.shape), "nbytes": int(data.nbytes)}
        _ = np.asarray(data).dtype
    seconds = time.perf_counter() - t0
    traced = tracemalloc.get_traced_memory()[1] if trace else None
    if trace:
        tracemalloc.stop()
    io1 = _io()
    peak = _status("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({
        "seconds": seconds, "imports": imports, "traced_peak": traced, "rss_delta": max(0, peak - rss0),
        "rchar": io1.get("rchar", 0) - io0.get("rchar", 0),
        "read_bytes": io1.get("read_bytes", 0) - io0.get("read_bytes", 0), **details,
    }))


def run_child(kind: str, path: Path, size: int, trace: bool = False) -> dict[str, object]:
    argv = [sys.executable, __file__, "--child", kind, str(path), "--size", str(size)] + (["--trace"] if trace else [])
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- report


def mib(n: float | None) -> str:
    return "n/a" if n is None else f"{n / 2**20:.1f} MiB"


def measure(label: str, path: Path, size: int, runs: int, baseline_runs: int) -> dict[str, object]:
    previews = [run_child("preview", path, size) for _ in range(runs)]
    traced_preview = run_child("preview", path, size, trace=True)
    wholes = [run_child("imread", path, size) for _ in range(baseline_runs)]
    traced_whole = run_child("imread", path, size, trace=True)
    med = lambda rows, key: statistics.median(float(r[key]) for r in rows)  # noqa: E731
    p_time, w_time = med(previews, "seconds"), med(wholes, "seconds")
    p_rss, w_rss = med(previews, "rss_delta"), med(wholes, "rss_delta")
    p_read, w_read = med(previews, "rchar"), med(wholes, "rchar")
    shown = float(previews[0]["shown_bytes"])
    file_size = path.stat().st_size
    print(f"\n{label}: {path.name}, {file_size / 2**30:.2f} GiB on disk")
    print(f"  preview shows level {previews[0]['level']} {previews[0]['level_shape']}, z={previews[0]['z']}, "
          f"{previews[0]['channels']} channel(s), picture {previews[0]['picture']}")
    print(f"  {'':28}{'preview':>14}{'imread (all)':>16}{'ratio':>10}")
    print(f"  {'time, median of runs':28}{p_time:>13.3f}s{w_time:>15.3f}s{p_time / w_time:>10.4f}")
    print(f"  {'peak RSS growth':28}{mib(p_rss):>14}{mib(w_rss):>16}{p_rss / max(w_rss, 1):>10.4f}")
    print(f"  {'tracemalloc peak':28}{mib(traced_preview['traced_peak']):>14}{mib(traced_whole['traced_peak']):>16}"
          f"{float(traced_preview['traced_peak']) / max(1.0, float(traced_whole['traced_peak'])):>10.4f}")
    print(f"  {'bytes read (rchar)':28}{mib(p_read):>14}{mib(w_read):>16}{p_read / max(w_read, 1):>10.4f}")
    print(f"  {'bytes from disk (read_bytes)':28}{mib(med(previews, 'read_bytes')):>14}"
          f"{mib(med(wholes, 'read_bytes')):>16}")
    print(f"  preview bytes read / bytes of the level or plane shown: {p_read / shown:.2f} "
          f"({mib(p_read)} for {mib(shown)} shown)")
    print(f"  first preview including imports (fresh process): "
          f"{statistics.median(float(r['imports']) + float(r['seconds']) for r in previews):.3f}s "
          f"(imports {med(previews, 'imports'):.3f}s)")
    verdict_time = "OK" if p_time < 0.5 else "MISSED"
    peak_mem = max(p_rss, float(traced_preview["traced_peak"]))
    verdict_mem = "OK" if peak_mem < 300e6 else "MISSED"
    print(f"  targets: < 0.5 s → {verdict_time}; < 300 MB peak → {verdict_mem}")
    return {"time": p_time, "baseline_time": w_time, "peak": peak_mem}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=2.0, help="GiB of pixels per test file (default 2)")
    parser.add_argument("--runs", type=int, default=5, help="preview runs per file (median reported)")
    parser.add_argument("--baseline-runs", type=int, default=3, help="imread runs per file")
    parser.add_argument("--size", type=int, default=512, help="preview size")
    parser.add_argument("--dir", default=None, help="where to write the test files (default: system temp)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), args.size, args.trace)
        return
    folder = Path(tempfile.mkdtemp(prefix="bioimage-preview-bench-", dir=args.dir))
    need = args.gib * 2 * 1.4 * 2**30
    free = shutil.disk_usage(folder).free
    if free < need:
        raise SystemExit(f"{folder}: {free / 2**30:.1f} GiB free, {need / 2**30:.1f} GiB needed; lower --gib.")
    try:
        print(f"Generating test files of {args.gib:g} GiB each in {folder} …")
        start = time.perf_counter()
        pyramid = folder / "pyramid.ome.tif"
        facts = make_pyramid(pyramid, args.gib)
        print(f"  pyramid: {facts['side']}² × {CHANNELS} channels, {facts['levels']} levels, "
              f"{time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        zstack = folder / "zstack.ome.tif"
        facts = make_zstack(zstack, args.gib)
        print(f"  Z stack: {facts['planes']} planes of {PLANE}², {time.perf_counter() - start:.1f} s")
        measure("Pyramidal OME-TIFF", pyramid, args.size, args.runs, args.baseline_runs)
        measure("Non-pyramidal Z stack", zstack, args.size, args.runs, args.baseline_runs)
    finally:
        if args.keep:
            print(f"\nFiles kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
