from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from bioimage_depositor.domain.rembi import Study
from bioimage_depositor.domain.text import clean_text, invisible_characters

INVISIBLES = ["\u200b", "\u200e", "\u200f", "\u202e", "\ufeff", "\u2060", "\x00", "\x07", "\x1b"]


def test_pasted_title_is_cleaned():
    assert clean_text("  Mitotic\u00a0spindle\u200b  imaging\t\n ") == "Mitotic spindle imaging"


def test_multiline_keeps_paragraphs():
    text = "Line one.\r\n\r\n\r\n\r\nLine  two.\u200b  \rLine three."
    assert clean_text(text, multiline=True) == "Line one.\n\nLine two.\nLine three."


def test_invisible_characters_are_reported_by_name():
    found = invisible_characters("a\u200bb\u202ec")
    assert [(f.index, f.codepoint) for f in found] == [(1, "U+200B"), (3, "U+202E")]
    assert found[0].name == "ZERO WIDTH SPACE"


def test_emoji_and_rtl_text_survive():
    assert clean_text("Zebrafish 🐟 — سمكة") == "Zebrafish 🐟 — سمكة"


def test_model_fields_are_cleaned_on_assignment():
    study = Study()
    study.title = "\ufeffHeLa\u200d cells  "
    assert study.title == "HeLa cells"


text_with_junk = st.lists(st.one_of(st.text(max_size=20), st.sampled_from(INVISIBLES)), max_size=10).map("".join)


@given(text_with_junk)
def test_clean_text_is_idempotent_and_leaves_nothing_invisible(value):
    cleaned = clean_text(value)
    assert clean_text(cleaned) == cleaned
    assert invisible_characters(cleaned) == []
    assert cleaned == cleaned.strip()
    assert "  " not in cleaned
    assert unicodedata.is_normalized("NFC", cleaned)


@given(text_with_junk)
def test_multiline_clean_is_idempotent(value):
    cleaned = clean_text(value, multiline=True)
    assert clean_text(cleaned, multiline=True) == cleaned
    assert invisible_characters(cleaned, multiline=True) == []


@given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=127)))
def test_ascii_fast_path_matches_the_full_cleaning(value):
    # a zero-width space forces the full path and is itself removed
    assert clean_text(value) == clean_text(value + "\u200b")
