"""The archives' file-name rules and the fixed names proposed for breaking files."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bioimage_depositor.domain.deposition import FileEntry
from bioimage_depositor.domain.filelist import naming
from bioimage_depositor.domain.filelist.naming import (
    apply_fixes,
    describe_characters,
    empiar_folder_too_long,
    empiar_image_set_for,
    empiar_suggested_directories,
    fix_name,
    is_valid_bia_path,
    needs_fix,
    path_issues,
    propose_fixes,
    suggest_path,
)
from bioimage_depositor.domain.text import clean_text

# Copied from bia.md §3 rather than imported, so the test checks the code against the document.
DOC_REGEX = re.compile(r"^(?!\./)(?!.*/$)(?!.*\.\./)[0-9A-Za-z!\-_*'(). /]+$")
DOC_TABLE = {
    "&": "Et",
    "$": "S",
    "@": "A",
    "+": "--",
    "|": "I",
    **dict.fromkeys("=;:,?\\^%`~#", "-"),
    **dict.fromkeys("[{<", "("),
    **dict.fromkeys("]}>", ")"),
    '"': "'",
}


def entries(*paths: str) -> list[FileEntry]:
    return [FileEntry(path=path, source=f"/data/{index}") for index, path in enumerate(paths)]


@pytest.mark.parametrize(
    "path",
    [
        "a.tif",
        "run 1/cell (2).ome.tif",
        "x!-_*'().tif",
        "A/B/C/D.tif",
        ".hidden",
        "a/.zattrs",
        "a..b.tif",
        "dir/file..",
    ],
)
def test_regex_accepts(path: str):
    assert is_valid_bia_path(path)
    assert DOC_REGEX.match(path)
    assert not needs_fix(path)


@pytest.mark.parametrize(
    "path",
    [
        "./a.tif",
        "a/",
        "../a.tif",
        "a/../b.tif",
        "a../b.tif",
        "a#b.tif",
        "a&b.tif",
        "café.tif",
        "10µm.tif",
        "tab\there.tif",
        "",
        "a\\b.tif",
    ],
)
def test_regex_rejects(path: str):
    assert not is_valid_bia_path(path)
    assert not DOC_REGEX.match(path)
    assert needs_fix(path)


def test_pattern_is_the_documented_one():
    assert naming.BIA_PATH_PATTERN == DOC_REGEX.pattern


def test_table_is_the_documented_one():
    assert naming.BIA_REPLACEMENTS == DOC_TABLE


@pytest.mark.parametrize("character, replacement", sorted(DOC_TABLE.items()))
def test_every_table_character_maps_as_documented(character: str, replacement: str):
    assert fix_name(f"img{character}01.tif") == f"img{replacement}01.tif"
    assert suggest_path(f"dir/img{character}01.tif") == f"dir/img{replacement}01.tif"


@pytest.mark.parametrize("control", ["\x00", "\x01", "\t", "\x7f", "\u200b", "\u202e", "\ufeff"])
def test_control_and_format_characters_are_dropped(control: str):
    assert fix_name(f"a{control}b.tif") == "ab.tif"


def test_double_spaces_collapse_and_are_flagged():
    assert path_issues("a  b.tif") == ("double_space",)
    assert suggest_path("a  b/c   d.tif") == "a b/c d.tif"
    # a replacement next to spaces does not leave two spaces behind
    assert fix_name("a \x01 b.tif") == "a b.tif"


@pytest.mark.parametrize(
    "name, fixed",
    [
        ("café.tif", "cafe.tif"),
        ("10µm.tif", "10um.tif"),
        ("10μm.tif", "10um.tif"),
        ("Straße.tif", "Strasse.tif"),
        ("Ærøskøbing.tif", "AEroskobing.tif"),
        ("Łódź.tif", "Lodz.tif"),
        ("naïve résumé.tif", "naive resume.tif"),
        ("cafe\u0301.tif", "cafe.tif"),  # decomposed, as macOS stores names
        ("60×.tif", "60x.tif"),
        ("a–b.tif", "a-b.tif"),
        ("ﬁle.tif", "file.tif"),
        ("x²＆y.tif", "x2Ety.tif"),
        ("日本.tif", "__.tif"),
        ("a℀b.tif", "aa-cb.tif"),  # a decomposition with "/" never makes a folder
        ("a\u00a0b.tif", "a b.tif"),
    ],
)
def test_transliteration(name: str, fixed: str):
    assert fix_name(name) == fixed


@pytest.mark.parametrize(
    "path, fixed",
    [
        ("./a.tif", "a.tif"),
        ("a/", "a"),
        ("a../b.tif", "a/b.tif"),
        ("../a.tif", "_/a.tif"),
        ("/abs/a#.tif", "abs/a-.tif"),
        ("a//b#.tif", "a/b-.tif"),
        ("", "unnamed"),
        ("#", "-"),
        ("\x01", "_"),
        ("CON.tif", "CON.tif"),  # fine for the BIA, so untouched
        ("CON#.tif", "CON-.tif"),
        ("con:.tif", "con-.tif"),
    ],
)
def test_structure_fixes(path: str, fixed: str):
    assert suggest_path(path) == fixed
    assert is_valid_bia_path(fixed)


def test_reserved_windows_names_are_fixed_when_fixing():
    assert fix_name("CON") == "CON_"
    assert fix_name("nul.tar.gz") == "nul_.tar.gz"
    assert fix_name("COM1 .tif") == "COM1 _.tif"
    assert not needs_fix(fix_name("COM1 .tif"), "EMPIAR")


def test_long_names_are_shortened_keeping_the_extension():
    name = "x" * 300 + "#.ome.tif"
    fixed = fix_name(name)
    assert len(fixed) == 255 and fixed.endswith("x.ome.tif")
    assert path_issues("d/" + "y" * 256) == ("too_long",)
    proposals = propose_fixes(entries("d/" + "y" * 300 + ".tif", "d/" + "y" * 300 + ".tif" + "#"))
    assert all(max(len(part) for part in p.proposed.split("/")) <= 255 for p in proposals)


def test_describe_characters():
    assert describe_characters("#") == "'#'"
    assert describe_characters("#&\t") == "'#', '&' and U+0009"
    assert describe_characters("") == ""


# ------------------------------------------------------------------ lists


def test_good_lists_get_no_proposals():
    assert propose_fixes(entries("a/b.tif", "a/c.tif", "A (1).tif")) == []


def test_folder_fix_is_consistent_and_unique():
    files = entries("run#1/a.tif", "run#1/b.tif", "run-1/a.tif", "Run?1/a.tif", "ok/x&y.tif", "ok/x.tif")
    proposals = {p.index: p for p in propose_fixes(files)}
    assert set(proposals) == {0, 1, 3, 4}
    assert proposals[0].proposed == "run-1_2/a.tif"
    assert proposals[1].proposed == "run-1_2/b.tif"  # same folder, same fix
    assert proposals[3].proposed == "Run-1_3/a.tif"  # differs only by case from run-1: numbered too
    assert proposals[4].proposed == "ok/xEty.tif"  # the good folder keeps its name
    assert proposals[0].characters == "#"
    assert "unique" in proposals[0].reasons and "characters" in proposals[0].reasons


def test_two_names_mapping_to_one_fix_are_numbered_before_the_extension():
    proposals = propose_fixes(entries("cell#1.ome.tif", "cell?1.ome.tif", "cell-1.ome.tif"))
    assert [p.proposed for p in proposals] == ["cell-1_2.ome.tif", "cell-1_3.ome.tif"]


def test_a_fix_never_takes_a_good_name_even_one_listed_later():
    proposals = propose_fixes(entries("a#.tif", "A-.tif"))
    assert [p.proposed for p in proposals] == ["a-_2.tif"]


def test_apply_sets_only_deposit_path():
    files = entries("run#1/a.tif", "ok.tif")
    fixed = apply_fixes(files, propose_fixes(files))
    assert fixed[1] is files[1]
    assert fixed[0].deposit_path == "run-1/a.tif"
    assert fixed[0].deposited_path == "run-1/a.tif"
    assert (fixed[0].path, fixed[0].source) == (files[0].path, files[0].source)
    assert files[0].deposit_path == ""  # the input is not modified
    assert propose_fixes(fixed) == []


def test_a_renamed_file_is_judged_by_its_deposit_path():
    files = [FileEntry(path="ok.tif", deposit_path="bad#.tif", source="/d/ok.tif")]
    [proposal] = propose_fixes(files)
    assert (proposal.current, proposal.proposed) == ("bad#.tif", "bad-.tif")
    [fixed] = apply_fixes(files, [proposal])
    assert fixed.deposit_path == "bad-.tif"
    back = [FileEntry(path="ok.tif", deposit_path="o#k.tif", source="/d/ok.tif")]
    # a fix equal to the original path clears deposit_path
    assert (
        apply_fixes(back, [naming.RenameProposal(0, "ok.tif", "o#k.tif", "ok.tif", ("characters",))])[0].deposit_path
        == ""
    )


def test_stale_proposals_are_refused():
    files = entries("a#.tif")
    proposals = propose_fixes(files)
    with pytest.raises(ValueError, match="changed"):
        apply_fixes(entries("other.tif"), proposals)
    with pytest.raises(ValueError):
        apply_fixes([], proposals)


def test_entries_without_path_get_no_proposal():
    assert propose_fixes([FileEntry(path="", source="/x")]) == []


# ------------------------------------------------------------------ EMPIAR


@pytest.mark.parametrize(
    "path, issues",
    [
        ("micrographs/a.mrc", ()),
        ("micrographs/café µm.mrc", ()),  # EMPIAR has no character rule beyond portability
        ("micrographs/a:b.mrc", ("characters",)),
        ("micrographs/a?.mrc", ("characters",)),
        ("micrographs/a.mrc.", ("edge",)),
        ("micrographs /a.mrc", ("edge",)),
        ("micrographs/CON.mrc", ("reserved",)),
        ("micrographs//a.mrc", ("structure",)),
        ("micrographs/a\x01.mrc", ("characters",)),
    ],
)
def test_empiar_portability(path: str, issues: tuple[str, ...]):
    assert path_issues(path, "EMPIAR") == issues


def test_empiar_fix_keeps_acceptable_components():
    files = entries("Müller data/a:b.mrc", "Müller data/c.mrc")
    [proposal] = propose_fixes(files, "EMPIAR")
    assert proposal.proposed == "Müller data/a-b.mrc"
    assert propose_fixes(apply_fixes(files, [proposal]), "EMPIAR") == []


def test_empiar_layout_helpers():
    directories = ["data/fib", "/data/fib/sub/", "data/other"]
    assert empiar_image_set_for("fib/sub/x.tif", directories) == "data/fib/sub"
    assert empiar_image_set_for("fib/x.tif", directories) == "data/fib"
    assert empiar_image_set_for("fibre/x.tif", directories) is None
    assert empiar_suggested_directories(["a/x", "a/y", "b/z", "top.tif"]) == ["data/a", "data/b"]
    assert not empiar_folder_too_long("a/" * 90 + "x.tif")
    assert empiar_folder_too_long("a/" * 100 + "x.tif")


# ------------------------------------------------------------------ properties

NASTY = st.sampled_from(list("/ ./-_#&$@+|=;:,?\\^%`~[]{}<>\"'!*()éµßÆø日\x00\t\u200b\u00a0ﬁ℀CONaA"))
RAW_PATHS = st.text(NASTY | st.characters(codec="utf-8"), max_size=40)


@given(RAW_PATHS)
def test_suggest_path_always_gives_a_bia_path(raw: str):
    fixed = suggest_path(raw)
    assert DOC_REGEX.match(fixed)
    assert not needs_fix(fixed, "BIA")
    assert suggest_path(fixed) == fixed


@given(RAW_PATHS)
def test_empiar_suggestions_pass_the_empiar_rule(raw: str):
    fixed = suggest_path(raw, "EMPIAR")
    assert not needs_fix(fixed, "EMPIAR")
    assert suggest_path(fixed, "EMPIAR") == fixed


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
# unique as the model stores them (FileEntry.path drops invisible characters)
@given(st.lists(RAW_PATHS, max_size=12, unique_by=clean_text), st.sampled_from(["BIA", "EMPIAR"]))
def test_proposals_are_valid_unique_idempotent_and_leave_the_originals(raws: list[str], archive):
    files = entries(*raws)
    before = [(entry.path, entry.source) for entry in files]
    proposals = propose_fixes(files, archive)
    for proposal in proposals:
        assert not needs_fix(proposal.proposed, archive)
        if archive == "BIA":
            assert DOC_REGEX.match(proposal.proposed)
    fixed = apply_fixes(files, proposals)
    assert [(entry.path, entry.source) for entry in fixed] == before
    assert [(entry.path, entry.source) for entry in files] == before
    assert propose_fixes(fixed, archive) == []  # idempotent
    finals = [entry.deposited_path for entry in fixed]
    changed = {proposal.index for proposal in proposals}
    for index in changed:
        others = [path.casefold() for i, path in enumerate(finals) if i != index]
        assert finals[index].casefold() not in others
