"""Peak memory while sending one large sparse file through the folder transport (target < 150 MB).

Run: ``.venv/bin/python benchmarks/transfer_memory.py [--gib 10] [--workdir DIR]``

Creates a sparse file of ``--gib`` GiB (no disk space used for the source) and copies it
with :class:`TransferJob` into a folder on the same disk (the copy does use the space),
in a child process so that only the transfer's own memory is measured; the baseline is
the same child doing nothing but the imports. Prints peak RSS of both, and the rate.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import json, resource, sys, time
from bioimage_depositor.domain.transfer.engine import TransferJob
from bioimage_depositor.domain.transfer.ledger import Ledger
from bioimage_depositor.domain.transfer.local import FolderTransport
source, target, ledger_path, do = sys.argv[1:5]
start = time.perf_counter()
if do == "1":
    with Ledger(ledger_path) as ledger:
        report = TransferJob(ledger, FolderTransport(target, verify_checksum=False), source=source).run()
    assert report.ok, report
print(json.dumps({"seconds": time.perf_counter() - start,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def child(source: Path, work: Path, transfer: bool) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(source), str(work / "target"), str(work / "ledger.sqlite3"),
         "1" if transfer else "0"], capture_output=True, text=True, check=True,
    )
    return json.loads(result.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=10.0)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    size = int(args.gib * 1024**3)
    with tempfile.TemporaryDirectory(prefix="bd-bench-mem-", dir=args.workdir) as folder:
        work = Path(folder)
        source = work / "sparse.raw"
        with open(source, "wb") as stream:
            stream.truncate(size)
        idle = child(source, work, transfer=False)
        start = time.perf_counter()
        busy = child(source, work, transfer=True)
        elapsed = time.perf_counter() - start
        copied = (work / "target" / "sparse.raw").stat().st_size
    assert copied == size
    print(f"{args.gib:g} GiB sparse file copied in {elapsed:.1f} s ({size / 1024**2 / busy['seconds']:.0f} MiB/s)")
    print(f"peak RSS: transfer {busy['peak_mib']:.0f} MiB, imports only {idle['peak_mib']:.0f} MiB "
          f"(ratio {busy['peak_mib'] / idle['peak_mib']:.2f}; target < 150 MB)")


if __name__ == "__main__":
    main()
