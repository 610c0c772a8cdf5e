"""Scan + checksum throughput against md5sum over the same files, and the time to scan 100,000 files.

Run: ``.venv/bin/python benchmarks/checksums.py [--scale 1.0] [--runs 3] [--workdir DIR] [--keep]``

At ``--scale 1`` it creates, in a temporary folder (never in the repository),
20,000 small files of 1–8 KiB and 4 files of 1 GiB (``--scale 0.1`` makes 2,000
files and 4 × 102 MiB for a quick run), then times, ``--runs`` times each and in
alternating order:

* ours: :func:`scan_paths` over the folder, then :func:`compute_checksums` with a
  new, empty checksum cache each run (so every byte is hashed);
* ours with threads only (no helper process for the small files), as in a frozen
  bundle, which has no Python interpreter to start;
* ``md5sum`` in one process over the same files (``xargs -0 md5sum``);
* ``md5sum`` in two processes as ``find … -print0 | xargs -0 -P2 -n 500 md5sum``;
* ``md5sum`` in two processes with the best split we could give it: the large files
  one per process (``-n 1``), then the small files in batches (``-n 2000``).

It prints medians, throughput in MiB/s and the ratio ours / md5sum (higher is
better; the target is at least 0.9 against the fastest md5sum variant).

The files are written just before timing and fit in memory, so every run reads
from the page cache: all figures are warm-cache figures, for ours and md5sum
alike (dropping caches needs root, and a cold run of one would favour the other).

Finally it creates 100,000 empty files in 100 folders and times
:func:`scan_paths` against ``find -type f -printf '%s'`` (which also reads every
size).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bioimage_depositor.domain.filelist import checksums
from bioimage_depositor.domain.filelist.checksum_cache import ChecksumCache
from bioimage_depositor.domain.filelist.checksums import compute_checksums
from bioimage_depositor.domain.filelist.scan import scan_paths

GIB = 1024**3
MIB = 1024**2


def make_dataset(root: Path, scale: float) -> tuple[list[Path], int]:
    """Small files in folders of 1,000 plus four large files; return the paths and total bytes."""
    n_small = max(1, int(20_000 * scale))
    big_size = max(MIB, int(GIB * scale))
    files: list[Path] = []
    total = 0
    noise = os.urandom(8 * 1024 * 1024)
    for index in range(n_small):
        folder = root / "small" / f"batch_{index // 1000:03d}"
        if index % 1000 == 0:
            folder.mkdir(parents=True)
        size = 1024 + (index * 7919) % (7 * 1024)
        offset = (index * 4099) % (len(noise) - size)
        path = folder / f"frame_{index:06d}.tif"
        path.write_bytes(noise[offset : offset + size])
        files.append(path)
        total += size
    (root / "large").mkdir()
    for index in range(4):
        path = root / "large" / f"volume_{index}.raw"
        block = hashlib.sha512(str(index).encode()).digest() * (MIB // 64)  # 1 MiB, different per file
        with open(path, "wb") as stream:
            written = 0
            while written < big_size:
                piece = block[: min(len(block), big_size - written)]
                stream.write(piece)
                written += len(piece)
        files.append(path)
        total += big_size
    return files, total


def ours(root: Path, cache_dir: Path, *, helper: bool = True) -> Callable[[], None]:
    def run() -> None:
        database = cache_dir / f"cold-{time.monotonic_ns()}.sqlite3"
        checksums.USE_HELPER_PROCESSES = helper
        result = scan_paths([root])
        with ChecksumCache(database) as cache:
            report = compute_checksums([entry.source for entry in result.entries], cache=cache)
        checksums.USE_HELPER_PROCESSES = True
        if report.problems or report.cancelled or report.cached_files:
            raise SystemExit(f"unexpected checksum report: {report.problems[:3]} cancelled={report.cancelled}")
        database.unlink()
        for suffix in ("-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)

    return run


def shell(command: str) -> Callable[[], None]:
    def run() -> None:
        subprocess.run(["bash", "-c", f"set -o pipefail; {command}"], check=True, stdout=subprocess.DEVNULL)

    return run


def best_split(files: list[Path], listing_dir: Path) -> Callable[[], None]:
    large = [str(path) for path in files if path.stat().st_size >= MIB]
    small = [str(path) for path in files if path.stat().st_size < MIB]
    large_list = listing_dir / "large.list"
    small_list = listing_dir / "small.list"
    large_list.write_bytes(b"\0".join(os.fsencode(p) for p in large) + b"\0")
    small_list.write_bytes(b"\0".join(os.fsencode(p) for p in small) + b"\0")
    return shell(
        f"xargs -0 -P2 -n 1 md5sum < '{large_list}' > /dev/null && xargs -0 -P2 -n 2000 md5sum < '{small_list}'"
    )


def cpu_seconds() -> float:
    """CPU time of this process (all threads) plus its finished children (bash, find, xargs, md5sum)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(fn: Callable[[], None]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one call."""
    cpu = cpu_seconds()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start, cpu_seconds() - cpu


def checksum_benchmark(work: Path, scale: float, runs: int) -> None:
    data = work / "data"
    data.mkdir()
    print(f"creating data set (scale {scale}) in {data} …", flush=True)
    start = time.perf_counter()
    files, total = make_dataset(data, scale)
    print(f"  {len(files):,} files, {total / MIB:,.0f} MiB in {time.perf_counter() - start:.1f} s")
    contenders: dict[str, Callable[[], None]] = {
        "ours (scan + MD5, cold checksum cache)": ours(data, work),
        "ours, threads only (frozen bundle)": ours(data, work, helper=False),
        "md5sum, one process": shell(f"find '{data}' -type f -print0 | xargs -0 md5sum"),
        "md5sum -P2 (find | xargs -n 500)": shell(f"find '{data}' -type f -print0 | xargs -0 -P2 -n 500 md5sum"),
        "md5sum -P2 (best split)": best_split(files, work),
    }
    # one untimed pass so every contender sees the same warm page cache
    shell(f"find '{data}' -type f -print0 | xargs -0 cat > /dev/null")()
    times: dict[str, list[float]] = {name: [] for name in contenders}
    cpu: dict[str, list[float]] = {name: [] for name in contenders}
    order = list(contenders)
    for round_index in range(runs):
        for name in order if round_index % 2 == 0 else reversed(order):
            wall, used = timed(contenders[name])
            times[name].append(wall)
            cpu[name].append(used)
            print(f"  round {round_index + 1}: {name}: {wall:.2f} s wall, {used:.2f} s CPU", flush=True)
    medians = {name: statistics.median(values) for name, values in times.items()}
    cpu_medians = {name: statistics.median(values) for name, values in cpu.items()}
    ours_time = medians[order[0]]
    print(
        f"\nmedian of {runs}, {len(files):,} files, {total / MIB:,.0f} MiB, warm page cache, {os.cpu_count()} CPUs, "
        f"load average now {os.getloadavg()[0]:.2f}:"
    )
    print(f"  {'contender':42s} {'wall s':>8s} {'MiB/s':>8s} {'ours/this':>10s} {'CPU s':>8s}")
    for name, seconds in medians.items():
        print(
            f"  {name:42s} {seconds:8.2f} {total / MIB / seconds:8.0f} {seconds / ours_time:10.2f} "
            f"{cpu_medians[name]:8.2f}"
        )
    baselines = [name for name in order if name.startswith("md5sum")]
    fastest = min(medians[name] for name in baselines)
    print(f"throughput ratio ours / fastest md5sum (wall clock): {fastest / ours_time:.2f} (target ≥ 0.9)")
    print(f"  threads only (frozen bundle): {fastest / medians[order[1]]:.2f}")
    one = baselines[0]
    print(f"throughput ratio ours / one md5sum process: {medians[one] / ours_time:.2f}")
    print(f"CPU time ratio md5sum (one process) / ours: {cpu_medians[one] / cpu_medians[order[0]]:.2f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak:.0f} MiB")
    shutil.rmtree(data)


def scan_benchmark(work: Path, n_files: int, runs: int) -> None:
    root = work / "scan"
    print(f"\ncreating {n_files:,} empty files for the scan …", flush=True)
    per_folder = 1000
    for index in range(n_files):
        folder = root / f"folder_{index // per_folder:03d}"
        if index % per_folder == 0:
            folder.mkdir(parents=True)
        (folder / f"image_{index:06d}.tif").touch()
    find = shell(f"find '{root}' -type f -printf '%s\\n'")
    scan_times: list[float] = []
    find_times: list[float] = []
    for round_index in range(runs):
        pair = [("scan", scan_times), ("find", find_times)]
        for name, bucket in pair if round_index % 2 == 0 else reversed(pair):
            if name == "scan":
                start = time.perf_counter()
                result = scan_paths([root])
                bucket.append(time.perf_counter() - start)
                assert len(result.entries) == n_files
            else:
                bucket.append(timed(find)[0])
    scan_s, find_s = statistics.median(scan_times), statistics.median(find_times)
    print(f"scan of {n_files:,} files: {scan_s:.2f} s median of {runs} ({n_files / scan_s:,.0f} files/s); ")
    print(f"  find -printf %s over the same tree: {find_s:.2f} s (ratio scan/find {scan_s / find_s:.1f}×)")
    shutil.rmtree(root)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="shrink the data set (0.1 = quick run)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scan-files", type=int, default=None, help="files for the scan timing (100,000 × scale)")
    parser.add_argument("--workdir", type=Path, default=None, help="where to create the data (default: system temp)")
    parser.add_argument("--keep", action="store_true", help="leave the work folder in place")
    args = parser.parse_args()
    if shutil.which("md5sum") is None:
        raise SystemExit("md5sum (GNU coreutils) is needed for the baseline")
    work = Path(tempfile.mkdtemp(prefix="bd-bench-checksums-", dir=args.workdir))
    repo = Path(__file__).resolve().parents[1]
    if work.resolve().is_relative_to(repo):
        raise SystemExit("refusing to write benchmark data inside the repository")
    print(f"python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.2f}")
    try:
        checksum_benchmark(work, args.scale, args.runs)
        scan_benchmark(work, args.scan_files or max(1000, int(100_000 * args.scale)), args.runs)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
