"""Offline controlled vocabularies: organisms, imaging methods and licences.

Why this module exists
----------------------
The BioImage Archive wants ontology terms, not free text: ``Organism`` is an NCBI Taxonomy
term, ``Imaging method`` an FBbi term below ``FBbi:00000222`` and ``License`` one of a fixed
set of licences. Curators spend much of their time repairing free-text organisms and licences,
so the wizard offers pickers instead, and those pickers must work without a network (EBI's
OLS may extend them when online, elsewhere). This module reads the small vocabularies bundled
under ``resources/vocab/`` (built by ``packaging/vocab/build_vocab.py``) and answers the
three questions a picker asks: *what is this id?* (:meth:`Vocabulary.get`, which accepts
every spelling people and the BIA use), *is this text exactly a term?*
(:meth:`Vocabulary.find_label`) and *what could the user mean?* (:meth:`Vocabulary.search`).

It is pure Python (standard library only) so the domain layer and its tests never need Qt.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from bioimage_depositor.paths import resource_path

__all__ = [
    "Term",
    "Vocabulary",
    "imaging_methods",
    "licences",
    "organisms",
    "web_form_licences",
]

_OBO_PURL = "http://purl.obolibrary.org/obo/"


@dataclass(frozen=True)
class Term:
    """One term of a controlled vocabulary.

    Parameters
    ----------
    ontology : str
        ``"NCBITaxon"``, ``"FBbi"`` or ``"licence"``.
    id : str
        Canonical id: ``"NCBITaxon:9606"``, ``"FBbi:00000251"`` or, for licences, the short
        name PageTab writes (``"CC BY 4.0"``).
    label : str
        Scientific name, FBbi label or licence label.
    iri : str
        OBO PURL for ontology terms; the RO-Crate licence URL for licences.
    synonyms : tuple of str
        Alternative names that also match in :meth:`Vocabulary.find_label`.
    common_name : str
        English common name (organisms only, may be empty).
    extra : tuple of (str, str)
        Vocabulary-specific facts, e.g. ``("pagetab_url", ...)``, ``("web_form", "true")``,
        ``("curated", "true")`` or ``("parents", "FBbi:... FBbi:...")``.
    """

    ontology: str
    id: str
    label: str
    iri: str
    synonyms: tuple[str, ...] = ()
    common_name: str = ""
    extra: tuple[tuple[str, str], ...] = ()

    @property
    def display(self) -> str:
        """Label as pickers and BIA templates show it: ``"Homo sapiens (human)"``."""
        return f"{self.label} ({self.common_name})" if self.common_name else self.label

    @property
    def curie_underscore(self) -> str:
        """Id in the BIA ``TermId`` form (``"NCBITaxon_9606"``); licences are unchanged."""
        prefix, sep, local = self.id.partition(":")
        return f"{prefix}_{local}" if sep else self.id

    def get_extra(self, key: str, default: str = "") -> str:
        """Return the value stored under ``key`` in :attr:`extra`, or ``default``.

        Parameters
        ----------
        key : str
            Name of the fact, e.g. ``"pagetab_url"``.
        default : str
            Returned when the term has no such fact.

        Returns
        -------
        str
            The stored value or ``default``.
        """
        for name, value in self.extra:
            if name == key:
                return value
        return default


def _norm(text: str) -> str:
    """Case- and whitespace-insensitive form used for exact name matching."""
    return " ".join(text.split()).casefold()


def _search_norm(text: str) -> str:
    # Type-ahead also ignores hyphens/underscores so "cc-by" finds "CC BY 4.0" and
    # "mole rat" finds "naked mole-rat"; exact matching (find_label) stays strict.
    return " ".join(text.replace("-", " ").replace("_", " ").split()).casefold()


@dataclass(frozen=True)
class _Entry:
    term: Term
    label: str  # search-normalised label
    names: frozenset[str]  # search-normalised display, common name, synonyms
    haystack: str  # label and names joined by "\n" for one fast substring test


class Vocabulary:
    """A loaded vocabulary with id resolution, exact lookup and type-ahead search.

    Parameters
    ----------
    name : str
        Human-readable name, e.g. ``"NCBI Taxonomy"``.
    terms : iterable of Term
        Terms in their preferred order: earlier terms win name clashes and, with ``priority``,
        rank first in :meth:`search`.
    id_key : callable
        Maps any accepted spelling of an id (or URL) to a lookup key, or ``None`` when the
        text is not id-like.
    aliases : callable, optional
        Returns extra id-like spellings of a term (e.g. licence URLs) to register.
    priority : callable, optional
        Returns True for terms that should precede others at equal search rank
        (curated organisms, web-form licences).
    """

    def __init__(
        self,
        name: str,
        terms: Iterable[Term],
        id_key: Callable[[str], str | None],
        aliases: Callable[[Term], Iterable[str]] | None = None,
        priority: Callable[[Term], bool] | None = None,
    ) -> None:
        self.name = name
        self._terms = tuple(terms)
        self._id_key = id_key
        self._by_key: dict[str, Term] = {}
        for term in self._terms:
            spellings = [term.id, term.iri, *(aliases(term) if aliases else ())]
            for spelling in spellings:
                key = id_key(spelling) if spelling else None
                if key is not None:
                    self._by_key.setdefault(key, term)

        # Labels first, then other names, so a term's own label always wins a clash.
        self._by_name: dict[str, Term] = {}
        for term in self._terms:
            self._by_name.setdefault(_norm(term.label), term)
        for term in self._terms:
            for other in (term.display, term.common_name, *term.synonyms):
                if other:
                    self._by_name.setdefault(_norm(other), term)

        # Pre-sorted once so that search() needs no sort: curated/priority terms in file
        # order, then the rest shortest label first (the most general term for a prefix).
        def order(pair: tuple[int, Term]) -> tuple[int, int, int, str]:
            index, term = pair
            if priority is not None and priority(term):
                return (0, index, 0, "")
            return (1, 0, len(term.label), _search_norm(term.label))

        self._entries: list[_Entry] = []
        for _, term in sorted(enumerate(self._terms), key=order):
            label = _search_norm(term.label)
            names = {_search_norm(n) for n in (term.common_name, *term.synonyms) if n}
            names.discard("")
            self._entries.append(_Entry(term, label, frozenset(names), "\n".join([label, *sorted(names)])))

    def __repr__(self) -> str:
        return f"<Vocabulary {self.name!r}: {len(self._terms)} terms>"

    def __len__(self) -> int:
        return len(self._terms)

    def __iter__(self) -> Iterator[Term]:
        return iter(self._terms)

    def __contains__(self, term_id: object) -> bool:
        return isinstance(term_id, str) and self.get(term_id) is not None

    def get(self, term_id: str) -> Term | None:
        """Resolve an id written in any common spelling.

        Parameters
        ----------
        term_id : str
            E.g. ``"FBbi:00000251"``, ``"FBbi_00000251"``, an OBO PURL, ``"NCBITaxon:9606"``,
            ``"NCBI:txid9606"``, ``"txid9606"``, ``"9606"``; for licences the short name in any
            case/spacing/hyphenation (``"cc-by 4.0"``, ``"CC-BY-4.0"``) or either URL.

        Returns
        -------
        Term or None
            The term, or None when the text is not a known id of this vocabulary.
        """
        key = self._id_key(term_id)
        return None if key is None else self._by_key.get(key)

    def find_label(self, text: str) -> Term | None:
        """Return the term whose label, display, common name or synonym equals ``text``.

        Matching ignores case and collapses whitespace; nothing else is forgiven, so free
        text that merely resembles a term returns None.

        Parameters
        ----------
        text : str
            The name to look up.

        Returns
        -------
        Term or None
            The matching term, or None.
        """
        return self._by_name.get(_norm(text))

    def search(self, text: str, limit: int = 20) -> list[Term]:
        """Rank terms for type-ahead.

        Order: an id typed in any spelling; exact name; prefix of the label; prefix of a word,
        a synonym or the common name; any substring. At equal rank, curated terms come first.

        Parameters
        ----------
        text : str
            What the user typed so far.
        limit : int
            Maximum number of terms returned.

        Returns
        -------
        list of Term
            Best matches first; empty for blank input.
        """
        query = _search_norm(text)
        if not query or limit <= 0:
            return []
        direct = self.get(text)
        buckets: list[list[Term]] = [[], [], [], []]
        line_start, word_start, paren_start = "\n" + query, " " + query, "(" + query
        for entry in self._entries:
            haystack = entry.haystack
            if query not in haystack:
                continue
            if entry.label == query or query in entry.names:
                rank = 0
            elif entry.label.startswith(query):
                rank = 1
            elif line_start in haystack or word_start in haystack or paren_start in haystack:
                rank = 2
            else:
                rank = 3
            buckets[rank].append(entry.term)
        found: list[Term] = [direct] if direct is not None else []
        for bucket in buckets:
            for term in bucket:
                if term is not direct:
                    found.append(term)
            if len(found) >= limit:
                break
        return found[:limit]


# --- id spellings --------------------------------------------------------------------------

_TAXON_RE = re.compile(
    r"(?:"
    r"(?:https?://purl\.obolibrary\.org/obo/|obo:)?ncbitaxon[:_]"
    r"|(?:https?://identifiers\.org/)?(?:taxonomy|taxon|taxid):"
    r"|https?://www\.ncbi\.nlm\.nih\.gov/taxonomy/browser/wwwtax\.cgi\?id="
    r"|(?:ncbi\s*:\s*)?txid"
    r"|ncbi\s*:"
    r")?\s*(\d+)",
    re.IGNORECASE,
)
_FBBI_RE = re.compile(r"(?:https?://purl\.obolibrary\.org/obo/|obo:)?fbbi[:_]\s*(\d+)", re.I)
_URL_TAIL_RE = re.compile(r"/(?:legalcode|deed)(?:\.[a-z-]+)?$")


def _taxon_key(text: str) -> str | None:
    m = _TAXON_RE.fullmatch(text.strip())
    return f"NCBITaxon:{int(m.group(1))}" if m else None


def _fbbi_key(text: str) -> str | None:
    m = _FBBI_RE.fullmatch(text.strip())
    return f"FBbi:{int(m.group(1)):08d}" if m else None


def _licence_key(text: str) -> str | None:
    value = text.strip().casefold()
    if not value:
        return None
    if "/" in value:
        # A licence URL is the same licence with http/https, www., a trailing slash, or
        # pointing at its legal-code or deed page.
        value = re.sub(r"^https?://", "", value).removeprefix("www.").rstrip("/")
        value = _URL_TAIL_RE.sub("", value).rstrip("/")
        value = value.replace("opensource.org/licenses/", "opensource.org/license/")
        return "url:" + value
    return "name:" + re.sub(r"[\s_-]+", "", value)


# --- loaders -------------------------------------------------------------------------------


@functools.cache
def organisms() -> Vocabulary:
    """Return the bundled NCBI Taxonomy subset (curated model organisms first).

    Returns
    -------
    Vocabulary
        Terms with ontology ``"NCBITaxon"``; ``extra`` holds ``("curated", "true"|"false")``.
    """
    terms: list[Term] = []
    path = resource_path("vocab", "organisms.tsv")
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or line.startswith("taxon_id\t") or not line.strip():
                continue
            tax_id, name, common, curated, synonyms = line.rstrip("\n").split("\t")
            terms.append(
                Term(
                    ontology="NCBITaxon",
                    id=f"NCBITaxon:{tax_id}",
                    label=name,
                    iri=f"{_OBO_PURL}NCBITaxon_{tax_id}",
                    synonyms=tuple(s for s in synonyms.split("|") if s),
                    common_name=common,
                    extra=(("curated", "true" if curated == "1" else "false"),),
                )
            )
    return Vocabulary(
        "NCBI Taxonomy",
        terms,
        _taxon_key,
        priority=lambda t: t.get_extra("curated") == "true",
    )


@functools.cache
def imaging_methods() -> Vocabulary:
    """Return FBbi imaging methods: ``FBbi:00000222`` and its descendants.

    Returns
    -------
    Vocabulary
        Terms with ontology ``"FBbi"``; ``extra`` holds ``("parents", "<space-separated ids>")``.
    """
    data = json.loads(resource_path("vocab", "imaging_methods.json").read_text("utf-8"))
    terms = [
        Term(
            ontology="FBbi",
            id=item["id"],
            label=item["label"],
            iri=_OBO_PURL + item["id"].replace(":", "_"),
            synonyms=tuple(item["exact_synonyms"])
            + tuple(item["related_synonyms"])
            + tuple(item.get("search_names", [])),
            extra=(("parents", " ".join(item["parents"])),),
        )
        for item in data["terms"]
    ]
    return Vocabulary("FBbi imaging methods", terms, _fbbi_key)


@functools.cache
def licences() -> Vocabulary:
    """Return the licences the BIA data model accepts.

    Returns
    -------
    Vocabulary
        Terms with ontology ``"licence"``; ``iri`` is the RO-Crate URL and ``extra`` holds
        ``pagetab_url`` (the PageTab ``URL`` qualifier), ``spdx``, ``title`` and ``web_form``.
    """
    data = json.loads(resource_path("vocab", "licences.json").read_text("utf-8"))
    terms = []
    for item in data["licences"]:
        synonyms = tuple(s for s in (item["id"], item["title"]) if s != item["label"])
        terms.append(
            Term(
                ontology="licence",
                id=item["id"],
                label=item["label"],
                iri=item["url"],
                synonyms=synonyms,
                extra=(
                    ("pagetab_url", item["pagetab_url"]),
                    ("spdx", item["spdx"]),
                    ("title", item["title"]),
                    ("web_form", "true" if item["web_form"] else "false"),
                ),
            )
        )
    return Vocabulary(
        "Licences",
        terms,
        _licence_key,
        aliases=lambda t: (t.label, t.get_extra("spdx"), t.get_extra("pagetab_url")),
        # The two licences the web form offers come first in type-ahead.
        priority=lambda t: t.get_extra("web_form") == "true",
    )


def web_form_licences() -> list[Term]:
    """Return the licences the BIA web form offers: CC0 (the default) then CC BY 4.0.

    Returns
    -------
    list of Term
        The two web-form licences, default first.
    """
    offered = [t for t in licences() if t.get_extra("web_form") == "true"]
    return sorted(offered, key=lambda t: t.id != "CC0")
