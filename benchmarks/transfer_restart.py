"""Time from restarting an interrupted transfer of 100,000 files to its first resumed byte (target < 1 s).

Run: ``.venv/bin/python benchmarks/transfer_restart.py [--files 100000] [--runs 3]``

Builds a source tree of ``--files`` small files plus one 64 MiB file, a ledger in which
every small file is verified and the large one was interrupted half-way (its partial
copy is in the target folder), then times, ``--runs`` times: opening the ledger and
starting :class:`TransferJob` (folder transport, source re-scanned concurrently) until
the first chunk of the interrupted file goes out. The baseline is a plain walk of the
source tree (what a restart that re-plans first would wait for before any byte).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

from bioimage_depositor.domain.transfer.engine import TransferJob
from bioimage_depositor.domain.transfer.ledger import VERIFIED, Ledger, PlannedFile
from bioimage_depositor.domain.transfer.local import PARTIAL_SUFFIX, FolderSession, FolderTransport
from bioimage_depositor.domain.transfer.plan import scan_source

MIB = 1024 * 1024


class FirstByte(FolderTransport):
    """The folder transport, noting when the first chunk of a resumed file goes out, then stopping."""

    def __init__(self, root: Path) -> None:
        super().__init__(root, verify_checksum=False)
        self.first: float | None = None
        self.seen = threading.Event()

    def open_session(self) -> FolderSession:
        session = super().open_session()
        send = session.send
        outer = self

        def timed_send(handle, item, source, offset, hook):
            def first_hook(chunk):
                if offset > 0 and outer.first is None:
                    outer.first = time.perf_counter()
                    outer.seen.set()
                    return False
                return hook(chunk)
            return send(handle, item, source, offset, first_hook)

        session.send = timed_send  # type: ignore[method-assign]
        return session


def build(work: Path, n_files: int) -> tuple[Path, Path, Path]:
    src, dst = work / "src", work / "dst"
    planned = []
    for index in range(n_files):
        folder = src / f"d{index // 1000:03d}"
        if index % 1000 == 0:
            folder.mkdir(parents=True)
        path = folder / f"f{index:06d}.dat"
        path.write_bytes(b"x")
        info = path.stat()
        planned.append(PlannedFile(str(path), f"d{index // 1000:03d}/{path.name}", 1, info.st_mtime_ns, info.st_ino))
    big = src / "zz-big.raw"
    big.write_bytes(os.urandom(64 * MIB))
    info = big.stat()
    ledger_path = work / "ledger.sqlite3"
    with Ledger(ledger_path) as ledger:
        ledger.add_files(planned)
        ledger._connection().execute("UPDATE files SET state = ?, committed = size", (VERIFIED,))
        [big_id] = ledger.add_files([PlannedFile(str(big), big.name, info.st_size, info.st_mtime_ns, info.st_ino)])
        dst.mkdir()
        (dst / (big.name + PARTIAL_SUFFIX)).write_bytes(big.read_bytes()[: 32 * MIB])
        ledger.update(big_id, handle=big.name, committed=32 * MIB, reserved=33 * MIB, sent_bytes=33 * MIB)
    return src, dst, ledger_path


def restart_once(src: Path, dst: Path, ledger_path: Path) -> float:
    transport = FirstByte(dst)
    start = time.perf_counter()
    ledger = Ledger(ledger_path)
    job = TransferJob(ledger, transport, source=src, parallel=2)
    runner = threading.Thread(target=job.run)
    runner.start()
    transport.seen.wait(60)
    job.stop()
    runner.join()
    ledger.close()
    assert transport.first is not None, "the interrupted file was not resumed"
    return transport.first - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bd-bench-restart-"))
    try:
        print(f"creating {args.files:,} files and their ledger …", flush=True)
        src, dst, ledger_path = build(work, args.files)
        restarts, walks = [], []
        for run in range(args.runs):
            restarts.append(restart_once(src, dst, ledger_path))
            start = time.perf_counter()
            count = sum(1 for _ in scan_source(src))
            walks.append(time.perf_counter() - start)
            print(f"  run {run + 1}: first resumed byte after {restarts[-1]:.3f} s; full walk {walks[-1]:.2f} s "
                  f"({count:,} entries)", flush=True)
        restart, walk = statistics.median(restarts), statistics.median(walks)
        print(f"\nmedian of {args.runs}, ledger of {args.files + 1:,} files, load average {os.getloadavg()[0]:.2f}:")
        print(f"  restart → first resumed byte: {restart:.3f} s (target < 1 s)")
        print(f"  baseline, walking the source first: {walk:.2f} s (ratio walk/restart {walk / restart:.1f}×)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
