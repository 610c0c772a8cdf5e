"""Property tests: whatever a deposition holds, a draft gives it back exactly.

Strategies are derived from the pydantic models themselves, so a field added
to the model is covered without touching this file.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from bioimage_depositor.domain.deposition import Deposition
from bioimage_depositor.domain.draft_file import DraftEnvelope, parse_draft, serialise_draft
from bioimage_depositor.domain.drafts import DraftStore
from bioimage_depositor.domain.rembi import Study

# What depositors paste: emoji (with ZWJ and skin tones), right-to-left scripts,
# bidi overrides, zero-width and no-break spaces, control characters, CJK, maths.
SPECIALS = [
    "👩🏽‍🔬", "🧬", "🇪🇺", "שלום", "مرحبا بالعالم", "\u202eevil\u202c", "\u200b", "\u200d",
    "\u2060", "\ufeff", "\u00a0", "\u2009", "\x00", "\x07", "\x1b[31m", "\r\n", "\t", "\n\n\n",
    "日本語", "Å", "µm", "∑", "\\", '"', "'", "{}", "</script>", "%s", "\u2028",
]


_short = st.text(max_size=20)
_mixed = st.lists(st.one_of(st.sampled_from(SPECIALS), _short), max_size=6).map("".join)
_long = st.text(min_size=200, max_size=1000)
# Mostly short: a deposition has ~100 text fields and hypothesis caps the data per example.
TEXT = st.one_of(
    st.just(""), _short, _short, _mixed, st.sampled_from(SPECIALS), _long
)
# Plain str fields (local paths) may hold undecodable file-name bytes (PEP 383).
RAW_TEXT = st.one_of(
    TEXT,
    st.lists(
        st.one_of(_short, st.integers(0xDC80, 0xDCFF).map(chr)), max_size=5
    ).map("".join),
)
FLOATS = st.floats(allow_nan=False, allow_infinity=False)


def strategy_for(
    annotation: Any, metadata: list[Any] | None = None, depth: int = 0
) -> st.SearchStrategy[Any]:
    """A strategy for values of a model field's type; lists shrink with nesting depth."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    size = 2 if depth <= 1 else 1
    if origin is typing.Annotated:
        return strategy_for(args[0], list(args[1:]), depth)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(strategy_for(arg, None, depth) for arg in args))
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin is list:
        return st.lists(strategy_for(args[0], None, depth + 1), max_size=size)
    if origin is dict:
        key, value = (strategy_for(arg, None, depth + 1) for arg in args)
        return st.dictionaries(key, value, max_size=size)
    if annotation is type(None):
        return st.none()
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        return st.integers(-(2**63), 2**63)
    if annotation is float:
        return FLOATS
    if annotation is str:
        return TEXT if metadata else RAW_TEXT  # metadata = a cleaning validator
    if annotation is dt.date:
        return st.dates()
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return model_strategy(annotation, depth)
    raise TypeError(f"no strategy for {annotation!r}")


def model_strategy(model: type[BaseModel], depth: int = 0) -> st.SearchStrategy[Any]:
    fields = {
        name: strategy_for(info.annotation, info.metadata, depth)
        for name, info in model.model_fields.items()
    }
    # Every field is optional so that an example sets a few fields, as a
    # half-written draft does, and stays within hypothesis's size budget.
    return st.fixed_dictionaries({}, optional=fields).map(lambda values: model(**values))


DEPOSITIONS = model_strategy(Deposition)
ENVELOPES = st.builds(
    DraftEnvelope,
    name=TEXT,
    current_page=TEXT,
    revision=st.integers(0, 10**6),
    created=st.datetimes(
        min_value=dt.datetime(1900, 1, 1),
        max_value=dt.datetime(2200, 1, 1),
        timezones=st.timedeltas(-dt.timedelta(hours=23), dt.timedelta(hours=23)).map(dt.timezone),
    ),
    modified=st.datetimes(timezones=st.just(dt.UTC)),
    deposition=DEPOSITIONS,
)

SETTINGS = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@SETTINGS
@given(envelope=ENVELOPES)
def test_serialise_parse_is_identity_and_bytes_are_stable(envelope: DraftEnvelope) -> None:
    data = serialise_draft(envelope)
    assert data.endswith(b"\n")
    data.decode("utf-8")
    back = parse_draft(data, "draft.json")
    assert back == envelope
    assert serialise_draft(back) == data  # a fixed point: same envelope, same bytes
    assert serialise_draft(envelope) == data  # deterministic


@SETTINGS
@given(deposition=DEPOSITIONS, name=TEXT)
def test_store_load_save_round_trip(tmp_path_factory: pytest.TempPathFactory,
                                    deposition: Deposition, name: str) -> None:
    store = DraftStore(tmp_path_factory.mktemp("store"))
    env = store.create(name, deposition)
    assert store.load(env.draft_id).deposition == deposition
    first = (store.folder(env.draft_id) / "draft.json").read_bytes()

    loaded = store.load(env.draft_id)
    store.save(loaded)
    store.save(loaded)  # twice, with no change in between
    again = store.load(env.draft_id)
    assert again.deposition == deposition
    assert again.name == env.name and again.revision == 3
    second = (store.folder(env.draft_id) / "draft.json").read_bytes()

    def without_volatile(data: bytes) -> bytes:
        lines = data.splitlines(keepends=True)
        return b"".join(
            line for line in lines if not line.startswith((b'  "revision"', b'  "modified"'))
        )

    assert without_volatile(first) == without_volatile(second)


def test_strategy_covers_every_model_field() -> None:
    # A new field type the builder does not know fails here rather than silently.
    strategy_for(Deposition)


def test_cleaning_that_joins_a_letter_and_its_accent_is_stable(tmp_path: Path) -> None:
    store = DraftStore(tmp_path)
    env = store.create("x", Deposition(study=Study(title="Cafe\u200b\u0301")))
    assert store.load(env.draft_id).deposition == env.deposition
