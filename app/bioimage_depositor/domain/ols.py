"""Optional online term lookup in the EBI Ontology Lookup Service (OLS4).

The bundled vocabularies make the term pickers work offline; OLS extends the
organism picker beyond the bundled taxa when a network is available. Lookups
are short, time-limited requests run by the UI in a worker; any failure simply
means "no online results". Setting ``BIOIMAGE_DEPOSITOR_OFFLINE=1`` turns the
lookup off (tests do), and ``BIOIMAGE_DEPOSITOR_OLS_URL`` points it at another
OLS instance.
"""

from __future__ import annotations

import os
import re

import requests

from .vocab import Term

DEFAULT_OLS_URL = "https://www.ebi.ac.uk/ols4/api"
OFFLINE_ENV = "BIOIMAGE_DEPOSITOR_OFFLINE"
URL_ENV = "BIOIMAGE_DEPOSITOR_OLS_URL"
_TAXON = re.compile(r"^NCBITaxon[:_](\d+)$")


def online_lookup_enabled() -> bool:
    """Whether the program may query OLS (off when the user or a test asks for offline mode)."""
    return os.environ.get(OFFLINE_ENV, "").strip().lower() not in {"1", "true", "yes"}


def search_organisms(
    text: str, *, rows: int = 10, timeout: float = 4.0, session: requests.Session | None = None
) -> list[Term]:
    """Organisms (NCBI Taxonomy) whose names match ``text``, from OLS.

    Returns an empty list when lookups are disabled, the text is too short, or
    the service cannot be reached or answers with something unexpected.
    """
    query = text.strip()
    if len(query) < 3 or not online_lookup_enabled():
        return []
    base = os.environ.get(URL_ENV, DEFAULT_OLS_URL).rstrip("/")
    http = session or requests
    try:
        response = http.get(
            f"{base}/search",
            params={"q": query, "ontology": "ncbitaxon", "rows": str(rows), "fieldList": "iri,label,obo_id,short_form"},
            timeout=timeout,
        )
        response.raise_for_status()
        docs = response.json()["response"]["docs"]
    except (requests.RequestException, ValueError, KeyError, TypeError):
        return []
    terms = []
    for doc in docs if isinstance(docs, list) else []:
        if not isinstance(doc, dict):
            continue
        match = _TAXON.match(str(doc.get("obo_id") or doc.get("short_form") or ""))
        label = str(doc.get("label") or "").strip()
        if match and label:
            taxon = match.group(1)
            terms.append(
                Term(
                    ontology="NCBITaxon",
                    id=f"NCBITaxon:{taxon}",
                    label=label,
                    iri=f"http://purl.obolibrary.org/obo/NCBITaxon_{taxon}",
                )
            )
    return terms
