"""Write the small image files the bundle's smoke test probes and previews.

Run with any Python that has the program's dependencies (the bundle build
environment, or the development venv)::

    python packaging/bundle_fixtures.py OUT_DIR

Only the *inputs* are made here; the checks run the frozen program alone. The
files are built with the same builders as the image tests
(tests/domain/images/image_builders.py) and chosen so that a library missing
from the bundle shows: the OME-TIFF's channel names come from ome-types/xsdata,
its zstd-compressed pixels need imagecodecs for the preview, the MRC needs
mrcfile and the OME-Zarr (Zarr v3) needs zarr and numcodecs.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]

#: Channel names written into the OME-XML, which probe must report back.
CHANNELS = ("DAPI", "GFP")


def _builders() -> ModuleType:
    path = ROOT / "tests" / "domain" / "images" / "image_builders.py"
    spec = importlib.util.spec_from_file_location("image_builders", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def write_fixtures(out: Path) -> dict[str, str]:
    """Write ``cells.ome.tif``, ``tomo.mrc`` and ``cells.ome.zarr`` into ``out``; return name → path."""
    import numpy as np

    b = _builders()
    out.mkdir(parents=True, exist_ok=True)
    xml = b.ome_xml(
        [
            b.OmeImage(
                size_x=64, size_y=48, size_z=3, size_c=2, physical_x=0.2, physical_y=0.2, physical_z=1.0,
                channels=[b.Channel(CHANNELS[0], excitation=405, emission=461, fluor="DAPI"),
                          b.Channel(CHANNELS[1], excitation=488, emission=510)],
            )
        ],
        b.Instrument(),
    )  # fmt: skip
    yy, xx = np.mgrid[0:48, 0:64]
    pixels = np.stack([np.stack([((xx * (c + 1) + yy + z * 7) % 4096) for z in range(3)]) for c in range(2)])
    ome = b.write_ome_tiff(out / "cells.ome.tif", [pixels.astype(np.uint16)], xml, compression="zstd")
    mrc = b.write_mrc(out / "tomo.mrc", np.arange(4 * 16 * 24, dtype=np.float32).reshape(4, 16, 24), voxel_size=2.5)
    zarr = b.write_ome_zarr(
        out / "cells.ome.zarr", pixels[:, :, :32, :32].astype(np.uint16), zarr_format=3,
        channels=[(CHANNELS[0], "0000FF"), (CHANNELS[1], "00FF00")],
    )  # fmt: skip
    return {"ome_tiff": str(ome), "mrc": str(mrc), "ome_zarr": str(zarr)}


def main(argv: list[str]) -> int:
    """Command-line entry: ``bundle_fixtures.py OUT_DIR``; prints the paths as JSON."""
    if len(argv) != 1:
        print("usage: python packaging/bundle_fixtures.py OUT_DIR", file=sys.stderr)
        return 2
    print(json.dumps(write_fixtures(Path(argv[0]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
