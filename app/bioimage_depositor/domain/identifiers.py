"""Persistent identifiers as depositors paste them: ORCID, ROR, DOI, PubMed, e-mail, accessions.

Each ``parse_*`` function accepts every common way of writing an identifier (a URL,
a ``doi:`` prefix, a display name around an e-mail address, lower-case letters),
returns the canonical form the archives expect, and raises
:class:`IdentifierError` with a stable code and a sentence a scientist
understands when the value cannot be an identifier of that kind. Checksums are
verified where the scheme has one (ORCID, ROR), because the archives reject
mistyped identifiers that merely look right.
"""

from __future__ import annotations

import re
import urllib.parse

from .text import clean_text


class IdentifierError(ValueError):
    """A value that cannot be read as the expected kind of identifier."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# ---------------------------------------------------------------- ORCID

_ORCID_BODY = re.compile(r"^(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dX])$")
_ORCID_URL = re.compile(r"^(?:https?://)?(?:www\.)?(?:sandbox\.)?orcid\.org/", re.I)


def orcid_check_digit(base_digits: str) -> str:
    """ISO 7064 MOD 11-2 check character for the first 15 digits of an ORCID iD."""
    total = 0
    for digit in base_digits:
        total = (total + int(digit)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == 10 else str(result)


def parse_orcid(value: str) -> str:
    """Return the ORCID iD in ``0000-0002-1825-0097`` form.

    Accepts the bare iD with or without hyphens, ``https://orcid.org/…`` and an
    ``ORCID:`` prefix; a lower-case ``x`` check character is upper-cased.
    """
    text = clean_text(value).replace(" ", "")
    text = _ORCID_URL.sub("", text)
    text = re.sub(r"^orcid(?:id)?:", "", text, flags=re.I).upper().rstrip("/")
    match = _ORCID_BODY.match(text)
    if not match:
        raise IdentifierError(
            "orcid.format",
            "An ORCID iD has 16 characters in four groups, like 0000-0002-1825-0097.",
        )
    digits = "".join(match.groups())
    if orcid_check_digit(digits[:15]) != digits[15]:
        raise IdentifierError(
            "orcid.checksum",
            "This ORCID iD has a typing error: its last character does not match the others. "
            "Copy it from your ORCID record.",
        )
    return "-".join(match.groups())


# ---------------------------------------------------------------- ROR

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
_ROR_BODY = re.compile(r"^0[a-hj-km-np-tv-z0-9]{6}[0-9]{2}$")
_ROR_URL = re.compile(r"^(?:https?://)?(?:www\.)?ror\.org/", re.I)


def ror_checksum(body: str) -> str:
    """Two-digit ISO 7064 MOD 97-10 checksum of the first seven characters of a ROR id."""
    number = 0
    for ch in body:
        number = number * 32 + _CROCKFORD.index(ch)
    return f"{98 - (number * 100) % 97:02d}"


def parse_ror(value: str) -> str:
    """Return a ROR id as its canonical URL ``https://ror.org/0xxxxxxNN``."""
    text = _ROR_URL.sub("", clean_text(value).replace(" ", "")).rstrip("/").lower()
    if not _ROR_BODY.match(text):
        raise IdentifierError(
            "ror.format",
            "A ROR id looks like https://ror.org/02catss52 (nine characters after ror.org/).",
        )
    if ror_checksum(text[:7]) != text[7:]:
        raise IdentifierError(
            "ror.checksum",
            "This ROR id has a typing error: its last two digits do not match. Copy it from ror.org.",
        )
    return f"https://ror.org/{text}"


# ---------------------------------------------------------------- DOI

DOI_PATTERN = re.compile(r"^10\.\d{4,9}/\S+$")
_DOI_PREFIXES = re.compile(r"^(?:https?://)?(?:dx\.)?(?:www\.)?doi\.org/|^doi:\s*|^doi\s+|^https?://doi\.org/", re.I)


def parse_doi(value: str) -> str:
    """Return the bare DOI (``10.1038/s41592-021-01166-8``).

    Strips ``https://doi.org/``, ``dx.doi.org``, ``doi:`` and trailing full stops,
    and decodes percent-escapes from a pasted URL. An article URL, an arXiv id or a
    placeholder such as "TBD" is rejected with advice.
    """
    text = clean_text(value).strip().rstrip(".,;")
    if not text:
        raise IdentifierError("doi.empty", "Enter a DOI such as 10.1038/s41592-021-01166-8.")
    previous = None
    while previous != text:  # "doi: https://doi.org/10…" happens
        previous = text
        text = _DOI_PREFIXES.sub("", text).strip()
    text = urllib.parse.unquote(text)
    if DOI_PATTERN.match(text):
        return text
    if re.match(r"^(?:arxiv:|https?://arxiv\.org/)", text, re.I) or re.match(r"^\d{4}\.\d{4,5}(v\d+)?$", text):
        raise IdentifierError(
            "doi.arxiv",
            "This is an arXiv identifier, not a DOI. Give the preprint's DOI (arXiv DOIs start with 10.48550/).",
        )
    if re.match(r"^https?://", text, re.I):
        raise IdentifierError(
            "doi.article_url",
            "This is a link to a web page, not a DOI. A DOI starts with 10., for example 10.1038/s41592-021-01166-8.",
        )
    if re.match(r"^0\.\d{4,9}/", text):
        raise IdentifierError("doi.format", "A DOI starts with '10.': the leading 1 seems to be missing.")
    raise IdentifierError("doi.format", "A DOI starts with '10.' followed by a slash, e.g. 10.1038/s41592-021-01166-8.")


# ---------------------------------------------------------------- PubMed


def parse_pubmed_id(value: str) -> str:
    """Return a PubMed id as digits only (``PMID: 12345`` becomes ``12345``)."""
    text = re.sub(r"^(?:pmid|pubmed(?:\s*id)?)\s*:?\s*", "", clean_text(value), flags=re.I)
    text = re.sub(r"^https?://(?:www\.)?(?:pubmed\.ncbi\.nlm\.nih\.gov|ncbi\.nlm\.nih\.gov/pubmed)/", "", text)
    text = text.strip().rstrip("/")
    if re.fullmatch(r"\d{1,8}", text):
        return text.lstrip("0") or "0"
    raise IdentifierError(
        "pubmed.format",
        "A PubMed id is a number of up to 8 digits. Leave it empty until the paper is indexed.",
    )


# ---------------------------------------------------------------- e-mail

_EMAIL_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_DOMAIN_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def parse_email(value: str) -> str:
    """Return a plain e-mail address, dropping a display name or ``mailto:``.

    ``Jane Doe <jane@example.org>`` becomes ``jane@example.org``; the domain is
    lower-cased. Double dots, missing domains and spaces are rejected.
    """
    text = clean_text(value)
    bracketed = re.search(r"<([^<>]+)>\s*$", text)
    if bracketed:
        text = bracketed.group(1)
    text = re.sub(r"^mailto:", "", text.strip(), flags=re.I)
    local, at, domain = text.rpartition("@")
    labels = domain.split(".")
    valid = (
        at
        and 0 < len(local) <= 64
        and _EMAIL_LOCAL.match(local)
        and len(domain) <= 253
        and len(labels) >= 2
        and all(_DOMAIN_LABEL.match(label) for label in labels)
        and re.fullmatch(r"[A-Za-z]{2,63}|xn--[A-Za-z0-9-]+", labels[-1])
    )
    if not valid:
        raise IdentifierError("email.format", "This does not look like an e-mail address (name@institute.org).")
    return f"{local}@{domain.lower()}"


# ---------------------------------------------------------------- accessions

ACCESSION_PATTERNS = {
    "BioStudies": re.compile(r"^S-[A-Z]{2,6}\d+$"),
    "EMPIAR": re.compile(r"^EMPIAR-\d{5,}$"),
    "EMDB": re.compile(r"^EMD-\d{4,}$"),
    "IDR": re.compile(r"^idr\d{4}$"),
}


def parse_accession(value: str) -> tuple[str, str]:
    """Return ``(archive, accession)`` for a BIA/BioStudies, EMPIAR, EMDB or IDR accession.

    URLs of the archives' entry pages and ``prefix:`` forms of the BIA web form
    (``empiar:EMPIAR-10310``) are accepted.
    """
    text = clean_text(value).strip().rstrip("/")
    text = re.sub(r"^[a-z]+:(?!//)", "", text, flags=re.I)  # "empiar:EMPIAR-10310"
    if re.match(r"^https?://", text, re.I):
        text = urllib.parse.urlparse(text).path.rstrip("/").rsplit("/", 1)[-1]
    if text.lower().startswith("idr"):
        candidate = text.lower()
    else:
        candidate = text.upper()
    for archive, pattern in ACCESSION_PATTERNS.items():
        if pattern.match(candidate):
            return archive, candidate
    raise IdentifierError(
        "accession.format",
        "Use an archive accession such as S-BIAD1234, EMPIAR-10310, EMD-12345 or idr0140.",
    )
