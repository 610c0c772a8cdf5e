"""Offline vocabularies: ids in every spelling, names, ranking, licences (no Qt, no network)."""

from __future__ import annotations

import time

import pytest

from bioimage_depositor.domain import vocab
from bioimage_depositor.domain.vocab import Term, Vocabulary

# (tax_id, scientific name, common name written for the bundle)
MODEL_ORGANISMS = [
    (9606, "Homo sapiens", "human"),
    (10090, "Mus musculus", "house mouse"),
    (10116, "Rattus norvegicus", "Norway rat"),
    (7955, "Danio rerio", "zebrafish"),
    (7227, "Drosophila melanogaster", "fruit fly"),
    (6239, "Caenorhabditis elegans", "nematode worm"),
    (4932, "Saccharomyces cerevisiae", "baker's yeast"),
    (559292, "Saccharomyces cerevisiae S288C", "baker's yeast strain S288C"),
    (4896, "Schizosaccharomyces pombe", "fission yeast"),
    (3702, "Arabidopsis thaliana", "thale cress"),
    (562, "Escherichia coli", "E. coli"),
    (8355, "Xenopus laevis", "African clawed frog"),
    (8364, "Xenopus tropicalis", "western clawed frog"),
    (9031, "Gallus gallus", "chicken"),
    (9913, "Bos taurus", "cattle"),
    (9823, "Sus scrofa", "pig"),
    (9544, "Macaca mulatta", "rhesus macaque"),
    (4530, "Oryza sativa", "rice"),
    (4577, "Zea mays", "maize"),
    (4100, "Nicotiana benthamiana", "Australian tobacco"),
    (44689, "Dictyostelium discoideum", "social amoeba"),
    (3055, "Chlamydomonas reinhardtii", "green alga"),
    (1423, "Bacillus subtilis", "hay bacillus"),
    (3218, "Physcomitrium patens", "spreading earthmoss"),
    (3197, "Marchantia polymorpha", "common liverwort"),
    (45351, "Nematostella vectensis", "starlet sea anemone"),
    (6087, "Hydra vulgaris", "hydra"),
    (7719, "Ciona intestinalis", "vase tunicate"),
    (8090, "Oryzias latipes", "Japanese medaka"),
    (5833, "Plasmodium falciparum", "malaria parasite"),
    (5811, "Toxoplasma gondii", "toxoplasmosis parasite"),
    (5691, "Trypanosoma brucei", "sleeping sickness parasite"),
    (5911, "Tetrahymena thermophila", "ciliate"),
    (1773, "Mycobacterium tuberculosis", "tubercle bacillus"),
    (5476, "Candida albicans", "thrush yeast"),
    (5141, "Neurospora crassa", "red bread mould"),
    (162425, "Aspergillus nidulans", "aspergillus mould"),
    (155892, "Caulobacter vibrioides", "stalked bacterium"),
    (666, "Vibrio cholerae", "cholera bacterium"),
    (287, "Pseudomonas aeruginosa", "blue pus bacterium"),
    (1280, "Staphylococcus aureus", "golden staph"),
    (2697049, "Severe acute respiratory syndrome coronavirus 2", "SARS-CoV-2"),
    (11676, "Human immunodeficiency virus 1", "HIV-1"),
    (9615, "Canis lupus familiaris", "dog"),
    (9685, "Felis catus", "domestic cat"),
    (9986, "Oryctolagus cuniculus", "rabbit"),
    (9940, "Ovis aries", "sheep"),
    (9796, "Equus caballus", "horse"),
    (6359, "Platynereis dumerilii", "Dumeril's clam worm"),
    (79327, "Schmidtea mediterranea", "planarian"),
    (7460, "Apis mellifera", "honey bee"),
    (7070, "Tribolium castaneum", "red flour beetle"),
    (7668, "Strongylocentrotus purpuratus", "purple sea urchin"),
    (10036, "Mesocricetus auratus", "golden hamster"),
    (10029, "Cricetulus griseus", "Chinese hamster"),
    (60711, "Chlorocebus sabaeus", "green monkey"),
    (10181, "Heterocephalus glaber", "naked mole-rat"),
    (8296, "Ambystoma mexicanum", "axolotl"),
]


def _spellings(tax_id: int) -> list[str]:
    return [
        f"NCBITaxon:{tax_id}",
        f"NCBITaxon_{tax_id}",
        f"ncbitaxon:{tax_id}",
        f"NCBI:txid{tax_id}",
        f"txid{tax_id}",
        str(tax_id),
        f" {tax_id} ",
        f"http://purl.obolibrary.org/obo/NCBITaxon_{tax_id}",
        f"https://purl.obolibrary.org/obo/NCBITaxon_{tax_id}",
    ]


# --- organisms -------------------------------------------------------------------------------


@pytest.mark.parametrize(("tax_id", "name", "common"), MODEL_ORGANISMS)
def test_model_organism_resolves_by_every_id_spelling(tax_id: int, name: str, common: str) -> None:
    orgs = vocab.organisms()
    for spelling in _spellings(tax_id):
        term = orgs.get(spelling)
        assert term is not None, spelling
        assert term.id == f"NCBITaxon:{tax_id}"
        assert spelling in orgs
    assert term.label == name
    assert term.common_name == common
    assert term.ontology == "NCBITaxon"
    assert term.iri == f"http://purl.obolibrary.org/obo/NCBITaxon_{tax_id}"
    assert term.curie_underscore == f"NCBITaxon_{tax_id}"
    assert term.display == f"{name} ({common})"
    assert term.get_extra("curated") == "true"


@pytest.mark.parametrize(("tax_id", "name", "common"), MODEL_ORGANISMS)
def test_model_organism_found_by_names(tax_id: int, name: str, common: str) -> None:
    orgs = vocab.organisms()
    expected = f"NCBITaxon:{tax_id}"
    for text in (name, name.upper(), f"  {name.lower()} ", common, common.upper(),
                 f"{name} ({common})"):  # fmt: skip
        term = orgs.find_label(text)
        assert term is not None and term.id == expected, text
    assert orgs.search(name)[0].id == expected
    assert orgs.search(str(tax_id))[0].id == expected


def test_known_synonyms_and_abbreviations() -> None:
    orgs = vocab.organisms()
    assert orgs.find_label("Caulobacter crescentus").id == "NCBITaxon:155892"  # type: ignore[union-attr]
    assert orgs.find_label("Physcomitrella patens").id == "NCBITaxon:3218"  # type: ignore[union-attr]
    assert orgs.find_label("E. coli").id == "NCBITaxon:562"  # type: ignore[union-attr]
    assert orgs.find_label("C. elegans").id == "NCBITaxon:6239"  # type: ignore[union-attr]
    assert orgs.find_label("CHO cells").id == "NCBITaxon:10029"  # type: ignore[union-attr]


def test_organism_list_size_and_fill_in() -> None:
    orgs = vocab.organisms()
    assert 4000 <= len(orgs) <= 6000
    ids = [t.id for t in orgs]
    assert len(ids) == len(set(ids))
    # Well-known organisms that come from the heuristic fill-in, not the curated list.
    helicobacter = orgs.get("210")
    assert helicobacter is not None and helicobacter.label == "Helicobacter pylori"
    assert helicobacter.get_extra("curated") == "false"
    assert helicobacter.display == "Helicobacter pylori"
    # Curated organisms come first in the file.
    assert next(iter(orgs)).id == "NCBITaxon:9606"


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("mus", "NCBITaxon:10090"),
        ("Mus musculus", "NCBITaxon:10090"),
        ("mouse", "NCBITaxon:10090"),
        ("zebra", "NCBITaxon:7955"),
        ("zebrafish", "NCBITaxon:7955"),
        ("9606", "NCBITaxon:9606"),
        ("NCBITaxon_9606", "NCBITaxon:9606"),
        ("human", "NCBITaxon:9606"),
        ("homo", "NCBITaxon:9606"),
        ("drosophila", "NCBITaxon:7227"),
        ("fruit fly", "NCBITaxon:7227"),
        ("e. coli", "NCBITaxon:562"),
        ("arabidopsis", "NCBITaxon:3702"),
        ("mole rat", "NCBITaxon:10181"),
    ],
)
def test_organism_search_ranking(query: str, first: str) -> None:
    results = vocab.organisms().search(query)
    assert results, query
    assert results[0].id == first


def test_search_limits_and_blank_input() -> None:
    orgs = vocab.organisms()
    assert len(orgs.search("a", limit=7)) == 7
    assert orgs.search("") == []
    assert orgs.search("   ") == []
    assert orgs.search("qqqxxzz") == []
    # Curated organisms before others at equal rank ("Rattus" prefix).
    rat = orgs.search("rattus", limit=5)
    assert rat[0].id == "NCBITaxon:10116"
    assert all(t.label.startswith("Rattus") for t in rat)


def test_search_is_fast() -> None:
    orgs = vocab.organisms()
    queries = ["a", "mus", "zebra", "sapiens", "9606", "xyz", "coli", "Danio rerio"]
    start = time.perf_counter()
    rounds = 20
    for _ in range(rounds):
        for q in queries:
            orgs.search(q)
    per_query = (time.perf_counter() - start) / (rounds * len(queries))
    assert per_query < 0.02  # generous; ~1 ms on a laptop


# --- imaging methods ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    [
        "FBbi:00000251",
        "FBbi_00000251",
        "fbbi:00000251",
        "FBBI_00000251",
        "http://purl.obolibrary.org/obo/FBbi_00000251",
        "https://purl.obolibrary.org/obo/FBbi_00000251",
        "obo:FBbi_00000251",
    ],
)
def test_fbbi_id_spellings(spelling: str) -> None:
    term = vocab.imaging_methods().get(spelling)
    assert term is not None
    assert term.id == "FBbi:00000251"
    assert term.label == "confocal microscopy"
    assert term.iri == "http://purl.obolibrary.org/obo/FBbi_00000251"
    assert term.curie_underscore == "FBbi_00000251"
    assert term.display == "confocal microscopy"


def test_fbbi_subtree() -> None:
    methods = vocab.imaging_methods()
    assert 50 <= len(methods) <= 150
    root = methods.get("FBbi:00000222")
    assert root is not None and root.label == "imaging method"
    assert root.get_extra("parents") == ""
    # Deep descendants: 00000222 > ... > confocal microscopy > spinning disk confocal.
    spinning = methods.get("FBbi:00000253")
    assert spinning is not None and spinning.label == "spinning disk confocal microscopy"
    assert spinning.get_extra("parents") == "FBbi:00000251"
    fib = methods.get("FBbi_00050000")
    assert fib is not None and "FIB-SEM" in fib.synonyms
    assert methods.get("FBbi:00000243").label == "bright-field microscopy"  # type: ignore[union-attr]
    # Outside the imaging-method subtree: sample preparation, its children; obsolete terms.
    for outside in ("FBbi:00000001", "FBbi:00000002", "FBbi:00000000", "FBbi_root:00000000"):
        assert methods.get(outside) is None
        assert outside not in methods
    assert methods.find_label("sample preparation method") is None
    assert methods.find_label("chemically fixed tissue") is None
    # Every parent is itself in the bundle: the subtree is closed.
    ids = {t.id for t in methods}
    for term in methods:
        for parent in term.get_extra("parents").split():
            assert parent in ids
    assert all(t.ontology == "FBbi" for t in methods)


def test_fbbi_labels_and_synonyms() -> None:
    methods = vocab.imaging_methods()
    assert methods.find_label("Confocal   Microscopy").id == "FBbi:00000251"  # type: ignore[union-attr]
    assert methods.find_label("DIC").id == "FBbi:00000245"  # type: ignore[union-attr]
    assert methods.find_label("confocal") is None


def test_fbbi_search() -> None:
    methods = vocab.imaging_methods()
    confocal = methods.search("confocal")
    assert "FBbi:00000251" in [t.id for t in confocal[:3]]
    assert confocal[0].id == "FBbi:00000251"
    assert methods.search("FBbi_00000251")[0].id == "FBbi:00000251"
    assert methods.search("electron microscopy")[0].label == "electron microscopy"
    assert methods.search("fib-sem")[0].id == "FBbi:00050000"


# --- licences -------------------------------------------------------------------------------

CC = "https://creativecommons.org"
EXPECTED_LICENCES = {
    "CC0": f"{CC}/publicdomain/zero/1.0/",
    **{f"CC BY {v}": f"{CC}/licenses/by/{v}/" for v in ("1.0", "2.0", "2.5", "3.0", "4.0")},
    **{f"CC BY-SA {v}": f"{CC}/licenses/by-sa/{v}/" for v in ("1.0", "2.0", "2.5", "3.0", "4.0")},
    "CC BY-SA 2.1 JP": f"{CC}/licenses/by-sa/2.1/jp/",
    **{f"CC BY-NC {v}": f"{CC}/licenses/by-nc/{v}/" for v in ("1.0", "2.0", "2.5", "3.0", "4.0")},
    **{
        f"CC BY-NC-SA {v}": f"{CC}/licenses/by-nc-sa/{v}/"
        for v in ("1.0", "2.0", "2.5", "3.0", "4.0")
    },
    "CC BY-NC-ND 4.0": f"{CC}/licenses/by-nc-nd/4.0/",
    "MIT": "https://opensource.org/license/MIT",
}


def test_licence_set_is_exactly_bia_list() -> None:
    lic = vocab.licences()
    assert {t.id: t.iri for t in lic} == EXPECTED_LICENCES
    assert len(lic) == len(EXPECTED_LICENCES) == 24
    for term in lic:
        assert term.ontology == "licence"
        assert term.curie_underscore == term.id
        if term.id == "MIT":
            assert term.get_extra("pagetab_url") == term.iri
        else:
            assert term.get_extra("pagetab_url") == term.iri + "legalcode"


def test_web_form_licences() -> None:
    offered = vocab.web_form_licences()
    assert [t.id for t in offered] == ["CC0", "CC BY 4.0"]
    cc0, by4 = offered
    assert cc0.iri == "https://creativecommons.org/publicdomain/zero/1.0/"
    assert cc0.get_extra("pagetab_url") == (
        "https://creativecommons.org/publicdomain/zero/1.0/legalcode"
    )
    assert by4.iri == "https://creativecommons.org/licenses/by/4.0/"
    assert by4.get_extra("pagetab_url") == "https://creativecommons.org/licenses/by/4.0/legalcode"
    assert [t.id for t in vocab.licences() if t.get_extra("web_form") == "true"] == [
        "CC0",
        "CC BY 4.0",
    ]


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("CC BY 4.0", "CC BY 4.0"),
        ("cc-by 4.0", "CC BY 4.0"),
        ("CC-BY-4.0", "CC BY 4.0"),
        ("cc by 4.0", "CC BY 4.0"),
        ("https://creativecommons.org/licenses/by/4.0/", "CC BY 4.0"),
        ("https://creativecommons.org/licenses/by/4.0/legalcode", "CC BY 4.0"),
        ("http://creativecommons.org/licenses/by/4.0", "CC BY 4.0"),
        ("CC0", "CC0"),
        ("cc0 1.0", "CC0"),
        ("CC0-1.0", "CC0"),
        ("https://creativecommons.org/publicdomain/zero/1.0/legalcode", "CC0"),
        ("CC BY-NC-SA 4.0", "CC BY-NC-SA 4.0"),
        ("cc by-sa 2.1 jp", "CC BY-SA 2.1 JP"),
        ("mit", "MIT"),
        ("https://opensource.org/license/MIT", "MIT"),
    ],
)
def test_licence_spellings(spelling: str, expected: str) -> None:
    term = vocab.licences().get(spelling)
    assert term is not None, spelling
    assert term.id == expected


def test_licence_search_prefers_web_form() -> None:
    lic = vocab.licences()
    assert [t.id for t in lic.search("cc", limit=2)] == ["CC0", "CC BY 4.0"]
    assert lic.search("cc-by 4")[0].id == "CC BY 4.0"
    assert lic.find_label("Creative Commons Attribution 4.0 International").id == "CC BY 4.0"  # type: ignore[union-attr]


# --- free text and misc ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("loader", "text"),
    [
        (vocab.organisms, "human-ish"),
        (vocab.organisms, "mouse or rat"),
        (vocab.organisms, "NCBITaxon:999999999"),
        (vocab.organisms, "txid"),
        (vocab.imaging_methods, "confocal-ish"),
        (vocab.imaging_methods, "FBbi:99999999"),
        (vocab.licences, "CC-BY-ish"),
        (vocab.licences, "CC BY 5.0"),
        (vocab.licences, "https://example.org/licence/"),
        (vocab.licences, ""),
    ],
)
def test_free_text_is_not_a_term(loader: object, text: str) -> None:
    voc = loader()  # type: ignore[operator]
    assert isinstance(voc, Vocabulary)
    assert voc.get(text) is None
    assert voc.find_label(text) is None
    assert text not in voc


def test_contains_rejects_non_strings() -> None:
    assert 9606 not in vocab.organisms()
    assert None not in vocab.licences()


def test_term_helpers() -> None:
    term = Term("licence", "X", "X label", "https://x/", extra=(("k", "v"),))
    assert term.get_extra("k") == "v"
    assert term.get_extra("missing") == ""
    assert term.get_extra("missing", "d") == "d"
    assert term.display == "X label"
    with pytest.raises(AttributeError):
        term.label = "other"  # type: ignore[misc]


def test_loaders_are_cached_and_load_fast() -> None:
    for loader in (vocab.organisms, vocab.imaging_methods, vocab.licences):
        loader.cache_clear()
    start = time.perf_counter()
    orgs, methods, lic = vocab.organisms(), vocab.imaging_methods(), vocab.licences()
    assert time.perf_counter() - start < 2.0
    assert vocab.organisms() is orgs
    assert vocab.imaging_methods() is methods
    assert vocab.licences() is lic


def test_everyday_method_names_find_their_fbbi_terms():
    from bioimage_depositor.domain import vocab

    methods = vocab.imaging_methods()
    assert methods.search("light sheet", 3)[0].label == "SPIM"
    assert methods.find_label("TIRF").label == "evanescent wave microscopy"
    assert methods.find_label("FIB-SEM").id == "FBbi:00050000"
