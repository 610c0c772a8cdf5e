from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bioimage_depositor.domain.identifiers import (
    IdentifierError,
    orcid_check_digit,
    parse_accession,
    parse_doi,
    parse_email,
    parse_orcid,
    parse_pubmed_id,
    parse_ror,
    ror_checksum,
)

# ------------------------------------------------------------------ ORCID


@pytest.mark.parametrize(
    "pasted",
    [
        "0000-0002-1825-0097",
        "https://orcid.org/0000-0002-1825-0097",
        "http://orcid.org/0000-0002-1825-0097/",
        "orcid.org/0000-0002-1825-0097",
        "ORCID: 0000-0002-1825-0097",
        "0000000218250097",
        " 0000-0002-1825-0097\u200b ",
    ],
)
def test_orcid_common_forms_normalise(pasted):
    assert parse_orcid(pasted) == "0000-0002-1825-0097"


def test_orcid_with_x_check_digit_is_upper_cased():
    assert parse_orcid("0000-0002-9079-593x") == "0000-0002-9079-593X"


@pytest.mark.parametrize("bad, code", [("0000-0002-1825-0098", "orcid.checksum"), ("1234", "orcid.format")])
def test_orcid_rejections_have_codes(bad, code):
    with pytest.raises(IdentifierError) as info:
        parse_orcid(bad)
    assert info.value.code == code
    assert "ORCID" in info.value.message


@given(st.text(alphabet="0123456789", min_size=15, max_size=15))
def test_orcid_any_checksummed_id_parses_and_any_wrong_digit_fails(base):
    good = base + orcid_check_digit(base)
    formatted = "-".join(good[i : i + 4] for i in range(0, 16, 4))
    assert parse_orcid(f"https://orcid.org/{good}") == formatted
    wrong = next(d for d in "0123456789X" if d != good[-1])
    with pytest.raises(IdentifierError):
        parse_orcid(base + wrong)


# ------------------------------------------------------------------ ROR

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def test_ror_known_ids():
    assert parse_ror("https://ror.org/02catss52") == "https://ror.org/02catss52"  # EMBL-EBI
    assert parse_ror("ror.org/05gq02987") == "https://ror.org/05gq02987"  # Brown University
    assert parse_ror("02CATSS52") == "https://ror.org/02catss52"


def test_ror_checksum_error():
    with pytest.raises(IdentifierError) as info:
        parse_ror("https://ror.org/02catss53")
    assert info.value.code == "ror.checksum"


@given(st.text(alphabet=_CROCKFORD, min_size=6, max_size=6))
def test_ror_generated_ids_round_trip(body):
    rid = "0" + body + ror_checksum("0" + body)
    assert parse_ror(f"https://ror.org/{rid}") == f"https://ror.org/{rid}"


# ------------------------------------------------------------------ DOI


@pytest.mark.parametrize(
    "pasted",
    [
        "10.1038/s41592-021-01166-8",
        "https://doi.org/10.1038/s41592-021-01166-8",
        "http://dx.doi.org/10.1038/s41592-021-01166-8",
        "doi:10.1038/s41592-021-01166-8",
        "DOI: 10.1038/s41592-021-01166-8.",
        "doi.org/10.1038%2Fs41592-021-01166-8",
    ],
)
def test_doi_forms_normalise(pasted):
    assert parse_doi(pasted) == "10.1038/s41592-021-01166-8"


@pytest.mark.parametrize(
    "bad, code",
    [
        ("https://www.nature.com/articles/s41592-021-01166-8", "doi.article_url"),
        ("arXiv:2101.00001", "doi.arxiv"),
        ("0.1038/abc", "doi.format"),
        ("TBD", "doi.format"),
    ],
)
def test_doi_rejections_explain(bad, code):
    with pytest.raises(IdentifierError) as info:
        parse_doi(bad)
    assert info.value.code == code


@given(
    st.from_regex(r"10\.[0-9]{4,9}/[A-Za-z0-9._;()/:-]{1,40}", fullmatch=True).filter(
        lambda s: not s.endswith((".", ",", ";"))
    ),
    st.sampled_from(["", "doi:", "https://doi.org/", "DOI: ", "http://dx.doi.org/"]),
)
def test_doi_prefixes_are_stripped(doi, prefix):
    assert parse_doi(prefix + doi) == doi


# ------------------------------------------------------------------ PubMed / e-mail / accessions


def test_pubmed():
    assert parse_pubmed_id("PMID: 34021280") == "34021280"
    assert parse_pubmed_id("https://pubmed.ncbi.nlm.nih.gov/34021280/") == "34021280"
    for bad in ("pending", "in revision", "123456789"):
        with pytest.raises(IdentifierError):
            parse_pubmed_id(bad)


@pytest.mark.parametrize(
    "pasted, expected",
    [
        ("jane@example.org", "jane@example.org"),
        ("Jane Doe <jane@Example.ORG>", "jane@example.org"),
        ("mailto:jane.doe+bia@example.ac.uk", "jane.doe+bia@example.ac.uk"),
        ("\u200fjane@example.org\u200e", "jane@example.org"),
    ],
)
def test_email_forms(pasted, expected):
    assert parse_email(pasted) == expected


@pytest.mark.parametrize(
    "bad", ["jane..doe@example.org", "jane@", "jane@example", "jane doe@example.org", "@x.org", ""]
)
def test_email_rejections(bad):
    with pytest.raises(IdentifierError):
        parse_email(bad)


@given(
    st.from_regex(r"[a-z0-9]{1,10}(\.[a-z0-9]{1,5}){0,2}", fullmatch=True),
    st.from_regex(r"[a-z0-9]{1,10}(-[a-z0-9]{1,5})?\.[a-z]{2,6}", fullmatch=True),
)
def test_generated_emails_parse_and_are_idempotent(local, domain):
    address = f"{local}@{domain}"
    assert parse_email(address) == address
    assert parse_email(f"Someone <{address.upper()}>").lower() == address


@pytest.mark.parametrize(
    "pasted, expected",
    [
        ("S-BIAD1234", ("BioStudies", "S-BIAD1234")),
        ("s-biad1234", ("BioStudies", "S-BIAD1234")),
        ("empiar:EMPIAR-10310", ("EMPIAR", "EMPIAR-10310")),
        ("https://www.ebi.ac.uk/empiar/EMPIAR-10310/", ("EMPIAR", "EMPIAR-10310")),
        ("emd-12345", ("EMDB", "EMD-12345")),
        ("https://www.ebi.ac.uk/biostudies/studies/S-BIAD1234", ("BioStudies", "S-BIAD1234")),
        ("IDR0140", ("IDR", "idr0140")),
    ],
)
def test_accessions(pasted, expected):
    assert parse_accession(pasted) == expected


def test_accession_rejected():
    with pytest.raises(IdentifierError):
        parse_accession("EMPIAR 10310 maybe")
