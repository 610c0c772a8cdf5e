"""Fuzzing: mutated TIFF, OME-XML and MRC bytes never crash, hang or balloon memory.

Bounded for CI: a fixed number of examples per target, a deadline per example,
and a memory ceiling checked with tracemalloc (which sees numpy's buffers).
"""

from __future__ import annotations

import resource
import tempfile
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from image_builders import Channel, Instrument, OmeImage, ome_xml, write_mrc, write_ome_tiff

from bioimage_depositor.domain.images import ImageInfo, PreviewError, probe, render_preview
from bioimage_depositor.domain.images.errors import ImageReadError
from bioimage_depositor.domain.images.ome_xml import read_ome_metadata

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::UserWarning"),
    pytest.mark.filterwarnings("ignore:Failed to convert value"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

#: Peak Python-visible allocation allowed while judging one mutated file.
MEMORY_CEILING = 96 * 1024 * 1024
FUZZ = settings(
    max_examples=50,
    deadline=3000,  # ms per example
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)

_WORK = Path(tempfile.mkdtemp(prefix="bioimage-fuzz-"))


def _xml() -> str:
    image = OmeImage(size_x=24, size_y=16, size_z=2, size_c=2, physical_x=0.1, physical_y=0.1, physical_z=0.4,
                     channels=[Channel("a", excitation=405, emission=460, fluor="DAPI"), Channel("b", excitation=561)],
                     date="2024-01-02T03:04:05")
    return ome_xml([image], Instrument())


def _seed_tiff(tiled: bool) -> bytes:
    data = np.random.default_rng(3).integers(0, 1000, (2, 2, 16, 24), dtype=np.uint16)
    name = _WORK / f"seed_{tiled}.ome.tif"
    extra = {"tile": (16, 16), "compression": "zlib"} if tiled else {}
    return write_ome_tiff(name, [data], _xml(), **extra).read_bytes()


SEEDS = {
    "tiff": _seed_tiff(False),
    "tiled": _seed_tiff(True),
    "mrc": write_mrc(_WORK / "seed.mrc", np.random.default_rng(4).normal(size=(3, 16, 24)).astype(np.float32),
                     voxel_size=1.1).read_bytes(),
}


# Import every reader now, outside tracemalloc and the per-example deadline (ome-types alone takes ~1 s).
for _name, _raw in SEEDS.items():
    _case = _WORK / f"warm_{_name}{'.mrc' if _name == 'mrc' else '.ome.tif'}"
    _case.write_bytes(_raw)
    probe(_case)
    render_preview(_case, size=64)


def mutations(length: int, header: int):
    """Byte overwrites (biased to the header), an optional truncation and an optional inserted run."""
    position = st.one_of(st.integers(0, max(0, min(length, header) - 1)), st.integers(0, length - 1))
    return st.tuples(
        st.lists(st.tuples(position, st.integers(0, 255)), min_size=1, max_size=16),
        st.one_of(st.none(), st.integers(0, length)),
        st.one_of(st.none(), st.tuples(position, st.binary(min_size=1, max_size=64))),
    )


def _mutate(raw: bytes, plan) -> bytes:
    flips, cut, insert = plan
    data = bytearray(raw)
    for offset, value in flips:
        data[offset] = value
    if insert is not None:
        offset, blob = insert
        data[offset:offset] = blob
    if cut is not None:
        del data[cut:]
    return bytes(data)


def _judge(data: bytes, suffix: str) -> None:
    path = _WORK / f"case{suffix}"
    path.write_bytes(data)
    tracemalloc.start()
    try:
        info = probe(path)
        assert isinstance(info, ImageInfo)
        try:
            render_preview(path, size=64)
        except PreviewError as error:
            assert error.code and error.message
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_CEILING, f"peak {peak / 2**20:.1f} MiB"


@pytest.fixture(scope="module", autouse=True)
def rss_bound():
    """The whole fuzz run must not grow the process's peak RSS by more than a few hundred MB."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    yield
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 400 * 1024, f"peak RSS grew by {grown_kib / 1024:.0f} MiB"


@FUZZ
@given(plan=mutations(len(SEEDS["tiff"]), header=4096))
def test_fuzz_tiff(plan):
    _judge(_mutate(SEEDS["tiff"], plan), ".ome.tif")


@FUZZ
@given(plan=mutations(len(SEEDS["tiled"]), header=4096))
def test_fuzz_tiled_tiff(plan):
    _judge(_mutate(SEEDS["tiled"], plan), ".tif")


@FUZZ
@given(plan=mutations(len(SEEDS["mrc"]), header=1024))
def test_fuzz_mrc(plan):
    _judge(_mutate(SEEDS["mrc"], plan), ".mrc")


_TAGS = st.sampled_from(["<Image>", "</Image>", "<Pixels SizeX='-1'>", "<Channel/>", "<!ENTITY x 'y'>", "&x;",
                         "<Instrument ID='Instrument:0'>", "]]>", "<OME>", "\x00", "é", "<" * 50, "<a>" * 300])


@settings(max_examples=50, deadline=3000, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cut=st.integers(0, len(_xml())),
    insert_at=st.integers(0, len(_xml())),
    inserted=st.lists(_TAGS, max_size=6).map("".join),
    replace=st.lists(st.tuples(st.integers(0, len(_xml()) - 1), st.characters()), max_size=8),
)
def test_fuzz_ome_xml(cut, insert_at, inserted, replace):
    text = list(_xml())
    for index, char in replace:
        text[index] = char
    xml = "".join(text)
    xml = xml[:insert_at] + inserted + xml[insert_at:]
    if cut < len(xml) // 2:
        xml = xml[: len(xml) - cut]
    try:
        metadata = read_ome_metadata(xml)
        assert isinstance(metadata, list)
    except ImageReadError as error:
        assert error.code in ("ome_xml_invalid", "ome_xml_too_large")
    # the same document inside a TIFF: probe and preview must cope too
    path = write_ome_tiff(_WORK / "xml_case.ome.tif", [np.zeros((2, 2, 16, 24), np.uint16)],
                          xml.encode("utf-8", "replace").decode("utf-8"))
    _judge(path.read_bytes(), ".ome.tif")
