"""How long saving and loading a draft takes as file lists grow, against plain JSON of the same data.

Run: ``.venv/bin/python benchmarks/draft_io.py [N_FILES ...]`` (default 1000 10000 100000).
Prints medians of 5 runs and the ratio to ``json.dumps``/``json.loads`` of the same
dict in the same process, so numbers from noisy machines stay comparable.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bioimage_depositor.domain.deposition import Deposition, FileEntry, StudyComponent
from bioimage_depositor.domain.draft_file import DraftEnvelope, parse_draft, serialise_draft
from bioimage_depositor.domain.drafts import DraftStore


def build(n_files: int) -> Deposition:
    files = [
        FileEntry(
            path=f"raw/plate_{i // 1000:03d}/well_{i % 96:02d}/image_{i:06d}.ome.tif",
            source=f"/data/lab/experiment/raw/plate_{i // 1000:03d}/image_{i:06d}.ome.tif",
            size_bytes=123_456_789 + i,
            md5=f"{i:032x}",
            attributes={"treatment": "nocodazole 50 nM" if i % 2 else "none", "well": f"{i % 96}"},
        )
        for i in range(n_files)
    ]
    return Deposition(components=[StudyComponent(name="Screen", description="All wells", files=files)])


def median_seconds(fn, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(n: int) -> tuple[float, float, float, float]:
    """Median seconds for (save, load, json dump, json load) of a draft with ``n`` files."""
    envelope = DraftEnvelope(name="bench", deposition=build(n))
    raw = envelope.model_dump(mode="json")
    data = serialise_draft(envelope)
    with tempfile.TemporaryDirectory() as folder:
        store = DraftStore(Path(folder))
        created = store.create("bench", envelope.deposition)
        save = median_seconds(lambda: store.save(created))
    load = median_seconds(lambda: parse_draft(data, "bench"))
    dump_json = median_seconds(lambda: json.dumps(raw, indent=2, ensure_ascii=False).encode())
    load_json = median_seconds(lambda: json.loads(data))
    return save, load, dump_json, load_json


def main(sizes: list[int]) -> None:
    header = ("files", "save s", "load s", "json dump s", "json load s", "save/json", "load/json")
    print("{:>8} {:>8} {:>8} {:>11} {:>11} {:>9} {:>9}".format(*header))
    for n in sizes:
        save, load, dump_json, load_json = measure(n)
        print(
            f"{n:>8} {save:>8.3f} {load:>8.3f} {dump_json:>11.3f} {load_json:>11.3f} "
            f"{save / dump_json:>9.1f} {load / load_json:>9.1f}"
        )


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [1000, 10000, 100000])
